"""Participation on a reference day: active programmes whose plan reaches full time."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field

from services.indicators.domain.facts import Person, Programme, Snapshot
from services.indicators.domain.rules.reasons import EXIT_NB, PAUSE_NB
from services.indicators.domain.rules.result import Context, Result, in_base, left_out, share
from services.indicators.domain.rules.rule import AS_OF_EVENTS, Params, Rule, RuleDoc, Unit
from services.indicators.domain.vocabulary import ProgrammeKind


class FullTimeParams(Params):
    full_time_hours: float = Field(default=37.5, gt=0, le=60)
    programme_kinds: list[ProgrammeKind] = Field(
        default=[ProgrammeKind.introduction, ProgrammeKind.qualification]
    )


def full_time_plan_share(snapshot: Snapshot, context: Context, params: FullTimeParams) -> Result:
    day = context.reference_day
    kinds = {str(k) for k in params.programme_kinds}
    members = []
    numerator = denominator = 0
    for person, programme in snapshot.programmes_running_in_year(day.year):
        inactive = _inactive(person, programme, day, kinds)
        pid = person.participant_id
        if inactive is not None:
            if programme.starts_on is not None and programme.starts_on <= day:
                code, args = inactive
                members.append(
                    left_out(
                        "programme", programme.programme_id, code, day, participant=pid, extra=args
                    )
                )
            continue
        plan = programme.plan_on(day)
        denominator += 1
        full = plan is not None and plan.hours_per_week >= params.full_time_hours
        numerator += full
        if plan is None:
            members.append(
                in_base(
                    "programme",
                    programme.programme_id,
                    "no_plan",
                    day,
                    numerator=False,
                    participant=pid,
                )
            )
            continue
        members.append(
            in_base(
                "programme",
                programme.programme_id,
                "full_time" if full else "part_time",
                day,
                numerator=full,
                participant=pid,
                amount=plan.hours_per_week,
                revision=plan.revision,
                hours=plan.hours_per_week,
                limit=params.full_time_hours,
            )
        )
    return Result(share(numerator, denominator), numerator, denominator, tuple(members))


def _inactive(
    person: Person, programme: Programme, day: date, kinds: set[str]
) -> tuple[str, dict[str, object]] | None:
    if programme.starts_on is None or programme.starts_on > day:
        return ("not_started", {})
    if programme.kind not in kinds:
        return ("programme_kind_not_counted", {"kind": programme.kind})
    if programme.ended_on is not None and programme.ended_on <= day:
        return ("ended", {"ended": programme.ended_on})
    gone = person.out_of_base_by(day)
    if gone is not None:
        if gone[1] == "moved_out":
            return ("moved_out", {"moved": gone[0]})
        return ("left_base", {"on": gone[0], "how": gone[1], "how_nb": EXIT_NB[gone[1]]})
    pause = programme.paused_on(day)
    if pause is not None:
        return (
            "paused",
            {
                "kind": pause.kind,
                "kind_nb": PAUSE_NB.get(pause.kind, pause.kind),
                "since": pause.starts_on,
            },
        )
    return None


FULL_TIME_PLAN_SHARE: Rule[Any] = Rule(
    "full_time_plan_share",
    "Share of active participants whose plan reaches full time",
    "Andel aktive deltakere med fulltidsplan",
    Unit.percent,
    FullTimeParams,
    RuleDoc(
        value="100 × numerator / denominator on the reference day.",
        numerator="Active programmes whose plan revision in force on the reference "
        "day (latest `valid_from`, then highest revision) has `hours_per_week` ≥ "
        "`full_time_hours` (37.5).",
        denominator="Programmes of `programme_kinds` active on the reference day: "
        "started on or before it, not ended on or before it, not paused on it, "
        "participant not moved out on or before it. A programme without a plan is "
        "in the denominator and not full time.",
        exclusions="Ended, paused and not-yet-started programmes; participants who "
        "left the base (moved out, died, emigrated) on or before the reference day; "
        "other kinds.",
        period_date="The reference day: the period's last day, or the as-of date if "
        "that comes first.",
        as_of=AS_OF_EVENTS,
    ),
    full_time_plan_share,
)
