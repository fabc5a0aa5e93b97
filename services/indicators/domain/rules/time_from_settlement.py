"""Time from settlement to the first programme start and to the first job, per settlement cohort."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field, model_validator

from services.indicators.domain.facts import Person, Snapshot
from services.indicators.domain.periods import add_months
from services.indicators.domain.rules.reasons import EXIT_NB
from services.indicators.domain.rules.result import (
    Context,
    Member,
    Result,
    in_base,
    left_out,
    median,
    share,
    years,
)
from services.indicators.domain.rules.rule import AS_OF_EVENTS, Params, Rule, RuleDoc, Unit
from services.indicators.domain.vocabulary import ProgrammeKind


class AgeParams(Params):
    min_age: int = Field(default=18, ge=0, le=100, description="Age in the settlement year")
    max_age: int = Field(default=55, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> AgeParams:
        if self.min_age > self.max_age:
            raise ValueError("min_age must not exceed max_age")
        return self


class StartParams(AgeParams):
    statistic: Literal["median_days", "share_within"] = "median_days"
    within_months: int = Field(default=3, ge=1, le=36)
    programme_kinds: list[ProgrammeKind] = Field(default=[ProgrammeKind.introduction])


def _cohort(
    snapshot: Snapshot, context: Context, params: AgeParams
) -> tuple[list[Person], list[Member]]:
    """Persons settled in the period of programme age, and those left out with why."""
    cohort: list[Person] = []
    out: list[Member] = []
    for person in (p for year in years(context.period) for p in snapshot.settled_in_year(year)):
        settled_on = person.settled_on
        if not context.counts(settled_on):
            continue
        assert settled_on is not None
        age = person.age_in(settled_on.year)
        pid = person.participant_id
        if age is None:
            out.append(
                left_out(
                    "participant",
                    pid,
                    "birth_year_unknown",
                    settled_on,
                    participant=pid,
                )
            )
        elif not params.min_age <= age <= params.max_age:
            out.append(
                left_out(
                    "participant",
                    pid,
                    "outside_age_range",
                    settled_on,
                    age=age,
                    min=params.min_age,
                    max=params.max_age,
                    participant=pid,
                )
            )
        else:
            cohort.append(person)
    return cohort, out


def _first_start(person: Person, kinds: set[str], known_on: date) -> date | None:
    starts = [
        p.starts_on
        for p in person.programmes.values()
        if p.starts_on is not None and p.kind in kinds and p.starts_on <= known_on
    ]
    return min(starts) if starts else None


def settlement_to_programme_start(
    snapshot: Snapshot, context: Context, params: StartParams
) -> Result:
    cohort, members = _cohort(snapshot, context, params)
    kinds = {str(k) for k in params.programme_kinds}
    days: list[float] = []
    numerator = denominator = 0
    for person in cohort:
        pid = person.participant_id
        settled_on = person.settled_on
        assert settled_on is not None
        started = _first_start(person, kinds, context.known_on)
        if started is not None and started < settled_on:
            members.append(
                left_out(
                    "participant",
                    pid,
                    "start_before_settlement",
                    settled_on,
                    start=started,
                    settled=settled_on,
                    participant=pid,
                )
            )
            continue
        waited = (started - settled_on).days if started is not None else None
        if params.statistic == "median_days":
            if waited is None:
                members.append(
                    left_out(
                        "participant",
                        pid,
                        "not_started_yet",
                        settled_on,
                        participant=pid,
                    )
                )
            else:
                days.append(waited)
                members.append(
                    in_base(
                        "participant",
                        pid,
                        "started",
                        settled_on,
                        days=waited,
                        numerator=True,
                        participant=pid,
                        amount=waited,
                    )
                )
            continue
        deadline = add_months(settled_on, params.within_months)
        within = started is not None and started <= deadline
        gone = person.out_of_base_by(min(deadline, context.known_on))
        if not within and gone is not None:
            members.append(
                left_out(
                    "participant",
                    pid,
                    "moved_out_before_deadline" if gone[1] == "moved_out" else "left_base",
                    settled_on,
                    moved=gone[0],
                    extra={"on": gone[0]},
                    how=gone[1],
                    how_nb=EXIT_NB[gone[1]],
                    participant=pid,
                )
            )
        elif deadline > context.known_on:
            members.append(
                left_out(
                    "participant",
                    pid,
                    "window_open",
                    settled_on,
                    months=params.within_months,
                    deadline=deadline,
                    participant=pid,
                )
            )
        else:
            denominator += 1
            numerator += within
            members.append(
                in_base(
                    "participant",
                    pid,
                    "started_within" if within else "not_started_within",
                    settled_on,
                    days=waited,
                    deadline=deadline,
                    numerator=within,
                    participant=pid,
                    amount=waited,
                )
            )
    if params.statistic == "median_days":
        return Result(median(days), None, len(days), tuple(members))
    return Result(share(numerator, denominator), numerator, denominator, tuple(members))


def _start_unit(params: StartParams) -> Unit:
    return Unit.days if params.statistic == "median_days" else Unit.percent


class FirstJobParams(AgeParams):
    pass


def settlement_to_first_job(snapshot: Snapshot, context: Context, params: FirstJobParams) -> Result:
    cohort, members = _cohort(snapshot, context, params)
    days: list[float] = []
    for person in cohort:
        pid = person.participant_id
        settled_on = person.settled_on
        assert settled_on is not None
        starts = [
            job.starts_on for job in person.jobs if settled_on <= job.starts_on <= context.known_on
        ]
        if not starts:
            members.append(
                left_out(
                    "participant",
                    pid,
                    "no_job_yet",
                    settled_on,
                    participant=pid,
                )
            )
            continue
        waited = (min(starts) - settled_on).days
        days.append(waited)
        members.append(
            in_base(
                "participant",
                pid,
                "first_job",
                settled_on,
                days=waited,
                numerator=True,
                participant=pid,
                amount=waited,
            )
        )
    return Result(median(days), None, len(days), tuple(members))


SETTLEMENT_TO_PROGRAMME_START: Rule[Any] = Rule(
    "settlement_to_programme_start",
    "Time from settlement to programme start",
    "Tid fra bosetting til programstart",
    Unit.days,
    StartParams,
    RuleDoc(
        value="`median_days`: the median of days from `settled_on` to the first "
        "programme start among the cohort who have started. `share_within`: 100 × "
        "numerator / denominator.",
        numerator="`share_within`: cohort members whose first programme (of "
        "`programme_kinds`) started no later than `within_months` calendar months "
        "after settlement.",
        denominator="The cohort: persons settled in the period aged `min_age`–"
        "`max_age` (settlement year − birth year). For `share_within`, only members "
        "whose window has closed by the as-of date: counting early starters while "
        "their peers' windows are open would flatter the figure.",
        exclusions="Unknown birth year; age outside the range; a start dated before "
        "the settlement (a data-quality issue, counted in `data_quality`, never a "
        "negative duration); `share_within` also leaves out members who left the "
        "base (moved to another municipality, died, emigrated) before the deadline "
        "without starting, and members whose window is still open.",
        period_date="`settled_on` (a settlement cohort).",
        as_of=AS_OF_EVENTS + " Starts dated after the as-of date have not happened.",
    ),
    settlement_to_programme_start,
    _start_unit,
)

SETTLEMENT_TO_FIRST_JOB: Rule[Any] = Rule(
    "settlement_to_first_job",
    "Days from settlement to first job (median among those employed)",
    "Dager fra bosetting til første jobb (median blant dem i jobb)",
    Unit.days,
    FirstJobParams,
    RuleDoc(
        value="The median of days from `settled_on` to the earliest "
        "`matching.job.obtained` `starts_on` on or after settlement, among cohort "
        "members with a job. Recent cohorts favour fast starters: see the "
        "Kaplan–Meier curves for the censoring-aware view.",
        numerator="Cohort members with a job (their days are the values).",
        denominator="The cohort: persons settled in the period aged `min_age`–`max_age`.",
        exclusions="Unknown birth year; age outside the range; members without a "
        "job (listed as out).",
        period_date="`settled_on` (a settlement cohort).",
        as_of=AS_OF_EVENTS + " Jobs starting after the as-of date have not started.",
    ),
    settlement_to_first_job,
)
