"""Outcomes after the programme: directly at its end, and in SSB's November follow-up."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field, model_validator

from services.indicators.domain.facts import Snapshot
from services.indicators.domain.rules.reasons import FIGURE_NB
from services.indicators.domain.rules.result import Context, Result, in_base, left_out, share, years
from services.indicators.domain.rules.rule import AS_OF_EVENTS, Params, Rule, RuleDoc, Unit
from services.indicators.domain.vocabulary import (
    EMPLOYED_OR_EDUCATION,
    EXCLUDED_FROM_BASE,
    WORK_OR_EDUCATION,
    FollowUpStatus,
    Outcome,
    ProgrammeKind,
)


class ExitOutcomeParams(Params):
    numerator_outcomes: list[Outcome] = Field(
        default=list(WORK_OR_EDUCATION),
        description="Outcomes that count as success. Add work_part_time or "
        "education_primary here to count them.",
    )
    excluded_outcomes: list[Outcome] = Field(
        default=list(EXCLUDED_FROM_BASE),
        description="Outcomes whose programmes leave the base entirely.",
    )
    programme_kinds: list[ProgrammeKind] = Field(default=[ProgrammeKind.introduction])
    include_interrupted: bool = Field(
        default=True, description="Whether interrupted programmes (avbrudd) are in the base."
    )

    @model_validator(mode="after")
    def _disjoint(self) -> ExitOutcomeParams:
        both = set(self.numerator_outcomes) & set(self.excluded_outcomes)
        if both:
            raise ValueError(
                f"an outcome cannot both count and be excluded: {', '.join(sorted(both))}"
            )
        return self


def exit_outcome_share(snapshot: Snapshot, context: Context, params: ExitOutcomeParams) -> Result:
    members = []
    numerator = denominator = 0
    counted = set(params.numerator_outcomes)
    excluded = set(params.excluded_outcomes)
    kinds = set(params.programme_kinds)
    for year in years(context.period):
        for person, programme in snapshot.programmes_ended_in_year(year):
            ended = programme.ended_on
            if not context.counts(ended):
                continue
            ident, pid = programme.programme_id, person.participant_id
            outcome = programme.outcome
            if programme.kind not in kinds:
                members.append(
                    left_out(
                        "programme",
                        ident,
                        "programme_kind_not_counted",
                        ended,
                        kind=programme.kind or "?",
                        participant=pid,
                    )
                )
            elif outcome in excluded:
                members.append(
                    left_out(
                        "programme",
                        ident,
                        "outcome_excluded",
                        ended,
                        outcome=outcome,
                        participant=pid,
                    )
                )
            elif programme.end_reason == "interrupted" and not params.include_interrupted:
                members.append(
                    left_out(
                        "programme",
                        ident,
                        "interrupted_excluded",
                        ended,
                        participant=pid,
                    )
                )
            elif outcome in counted:
                numerator += 1
                denominator += 1
                members.append(
                    in_base(
                        "programme",
                        ident,
                        "outcome_counts",
                        ended,
                        outcome=outcome,
                        numerator=True,
                        participant=pid,
                    )
                )
            else:
                denominator += 1
                members.append(
                    in_base(
                        "programme",
                        ident,
                        "outcome_does_not_count" if outcome else "no_outcome_recorded",
                        ended,
                        outcome=outcome,
                        numerator=False,
                        participant=pid,
                    )
                )
    return Result(share(numerator, denominator), numerator, denominator, tuple(members))


# -- 4. SSB's follow-up measure --------------------------------------------------------------

REFERENCE_MONTH = 11
REFERENCE_DAY = 30


def reference_date(reference_year: int) -> date:
    """The day that places a follow-up status in a period: 30 November of its year."""
    return date(reference_year, REFERENCE_MONTH, REFERENCE_DAY)


class FollowUpParams(Params):
    counted_statuses: list[FollowUpStatus] = Field(default=list(EMPLOYED_OR_EDUCATION))
    programme_kinds: list[ProgrammeKind] = Field(
        default=[ProgrammeKind.introduction, ProgrammeKind.qualification]
    )
    excluded_outcomes: list[Outcome] = Field(
        default=list(EXCLUDED_FROM_BASE),
        description="Programmes that ended with these outcomes are not expected to have a "
        "follow-up status (listed as out when missing).",
    )


def follow_up_share(snapshot: Snapshot, context: Context, params: FollowUpParams) -> Result:
    members = []
    numerator = denominator = preliminary = final = 0
    counted = set(params.counted_statuses)
    kinds = set(params.programme_kinds)
    seen: set[tuple[object, object, int]] = set()
    for year in years(context.period):
        for person, follow_up in snapshot.follow_ups_for_year(year):
            on = reference_date(follow_up.reference_year)
            if not context.counts(on):
                continue
            pid = person.participant_id
            seen.add((pid, follow_up.programme_id, follow_up.reference_year))
            programme = person.programmes.get(follow_up.programme_id)
            kind = programme.kind if programme else None
            if kind is not None and kind not in kinds:
                members.append(
                    left_out(
                        "programme",
                        follow_up.programme_id,
                        "programme_kind_not_counted",
                        on,
                        kind=kind,
                        participant=pid,
                    )
                )
                continue
            denominator += 1
            if follow_up.preliminary:
                preliminary += 1
            else:
                final += 1
            label = "preliminary" if follow_up.preliminary else "final"
            counts = follow_up.status in counted
            numerator += counts
            members.append(
                in_base(
                    "programme",
                    follow_up.programme_id,
                    "status_counts" if counts else "status_does_not_count",
                    on,
                    year=follow_up.reference_year,
                    status=follow_up.status,
                    figure=label,
                    figure_nb=FIGURE_NB[label],
                    numerator=counts,
                    participant=pid,
                )
            )
    excluded = set(params.excluded_outcomes)
    for year in years(context.period):
        for person, programme in snapshot.programmes_ended_in_year(year - 1):
            assert programme.ended_on is not None
            reference_year = programme.ended_on.year + 1
            on = reference_date(reference_year)
            key = (person.participant_id, programme.programme_id, reference_year)
            gone = person.out_of_base_by(min(on, context.known_on))
            if (
                not context.counts(on)
                or key in seen
                or programme.kind not in kinds
                or programme.outcome in excluded
                or (gone is not None and gone[1] in ("died", "emigrated"))
            ):
                continue
            members.append(
                left_out(
                    "programme",
                    programme.programme_id,
                    "no_follow_up_status_yet",
                    on,
                    ended=programme.ended_on,
                    year=reference_year,
                    participant=person.participant_id,
                )
            )
    return Result(
        share(numerator, denominator),
        numerator,
        denominator,
        tuple(members),
        preliminary=preliminary > 0,
        breakdown={"preliminary": preliminary, "final": final},
        note="preliminary: at least one status in the base is a preliminary figure"
        if preliminary
        else None,
    )


EXIT_OUTCOME_SHARE: Rule[Any] = Rule(
    "exit_outcome_share",
    "Share with a counted outcome directly after the programme",
    "Andel med tellende utfall direkte etter programmet",
    Unit.percent,
    ExitOutcomeParams,
    RuleDoc(
        value="100 × numerator / denominator; no value when the denominator is 0.",
        numerator="Programmes in the denominator whose outcome is in "
        "`numerator_outcomes` (default work_full_time, education_upper_secondary, "
        "education_higher, work_and_education; add work_part_time or "
        "education_primary to count them).",
        denominator="Programmes of `programme_kinds` (default introduction) with a "
        "`programme.completed` whose `ended_on` is in the period — completed or "
        "interrupted — minus the excluded outcomes. A programme ended without an "
        "outcome stays in the denominator and does not count.",
        exclusions="Outcomes in `excluded_outcomes` (default moved_municipality, "
        "emigrated, deceased); interrupted programmes when `include_interrupted` is "
        "false; other programme kinds (and programmes whose start was never "
        "received, whose kind is unknown).",
        period_date="`ended_on` of `programme.completed`.",
        as_of=AS_OF_EVENTS,
    ),
    exit_outcome_share,
)

FOLLOW_UP_SHARE: Rule[Any] = Rule(
    "follow_up_share",
    "Share employed and/or in education in November of the year after (SSB)",
    "Andel i arbeid og/eller utdanning i november året etter (SSB)",
    Unit.percent,
    FollowUpParams,
    RuleDoc(
        value="100 × numerator / denominator, flagged `preliminary` when any status "
        "in the denominator is a preliminary figure (SSB publishes preliminary "
        "figures in September, final ones early the next year).",
        numerator="Statuses in `counted_statuses` (default employed, education, "
        "employed_and_education).",
        denominator="The latest recorded `follow_up_status.recorded` per participant, "
        "programme and reference year whose reference date is in the period "
        "(a final figure replaces the preliminary one when it is recorded).",
        exclusions="Programmes of other kinds. Programmes that ended in the year "
        "before without a status yet are listed in the drill-down as out "
        "(`no_follow_up_status_yet`), unless they ended with an excluded outcome or "
        "the participant died or emigrated by the reference date.",
        period_date="30 November of `reference_year` (SSB's reference month).",
        as_of=AS_OF_EVENTS + " A preliminary status recorded before the as-of moment and replaced "
        "after it is still the preliminary one as of that moment.",
    ),
    follow_up_share,
)
