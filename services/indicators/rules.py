"""The built-in computed indicator rules: parameterised, documented, pure.

A rule turns a :class:`~services.indicators.facts.Snapshot` (what a municipality knew
at the as-of moment), a period and its parameters into a :class:`Result`: the value,
its numerator and denominator, and every unit (person, programme, household,
placement) the rule looked at, with the reason it is in or out. The same function
serves the scorecard, the drill-down, the national comparison, the level evaluator
and the benchmark, so none of them can disagree.

``known_on`` is the as-of date: facts dated after it (a job starting next month) have
not happened yet, and time-to-event windows that end after it are still open.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.indicators.facts import (
    Household,
    Person,
    Programme,
    Snapshot,
    norwegian_rank,
)
from services.indicators.periods import Period, add_months
from services.indicators.vocabulary import (
    EMPLOYED_OR_EDUCATION,
    EXCLUDED_FROM_BASE,
    WORK_OR_EDUCATION,
    ArrivalCategory,
    FollowUpStatus,
    NorwegianLevel,
    Outcome,
    OwnershipRoute,
    PracticeKind,
    PracticeOutcome,
    ProgrammeKind,
    SubTest,
    Urgency,
)


class Unit(StrEnum):
    percent = "percent"
    number = "count"
    days = "days"
    nok = "nok"


@dataclass(frozen=True)
class Member:
    """One unit behind a value: in the numerator, only in the denominator, or left out."""

    subject: str
    """participant, household, programme or practice_placement."""
    key: object
    """The unit's pseudonymous id (a UUID); ``id`` gives it as text."""
    in_denominator: bool
    in_numerator: bool
    reason_code: str
    args: dict[str, object]
    on: date | None = None
    """The date that placed this unit in the period (or would have)."""
    participant: object = None
    household: object = None
    amount: float | None = None
    """The unit's own figure where the rule has one (days, month ends waiting)."""

    @property
    def id(self) -> str:
        return str(self.key)

    @property
    def participant_id(self) -> str | None:
        return None if self.participant is None else str(self.participant)

    @property
    def household_id(self) -> str | None:
        return None if self.household is None else str(self.household)

    def reason(self, lang: str = "en") -> str:
        """Why the unit is in or out, in English or (``nb``) bokmål."""
        english, bokmal = REASONS[self.reason_code]
        template = bokmal if lang == "nb" else english
        return template.format(**{k: _text(v) for k, v in self.args.items()})


@dataclass(frozen=True)
class Result:
    value: float | None
    numerator: float | None
    denominator: float | None
    members: tuple[Member, ...]
    preliminary: bool = False
    breakdown: dict[str, float] = field(default_factory=dict)
    note: str | None = None
    data_quality: dict[str, int] = field(default_factory=dict)
    """Units left out because their facts contradict each other, by reason code (e.g.
    ``placement_before_settlement``): they never reach the value, and are counted here."""


@dataclass(frozen=True)
class Context:
    period: Period
    known_on: date
    """The as-of date: the last day whose happenings count."""
    ordered: bool = True
    """Sort the members for a drill-down; a national recompute needs only the value."""

    @property
    def reference_day(self) -> date:
        """The period's last day, or the as-of date when that comes first."""
        return min(self.period.last_day, self.known_on)

    def counts(self, day: date | None) -> bool:
        """Whether a fact dated ``day`` counts: inside the period and not after the as-of
        date (a fact dated ahead — a move announced in advance — has not happened yet).

        The one period filter of every rule that places a unit by a fact's date."""
        return self.period.contains(day) and day is not None and day <= self.known_on


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_MAX_RESULTS = 4000
"""Results remembered per snapshot before the memory is cleared (bounds a cached snapshot)."""

_PARSED: dict[tuple[str, str], Any] = {}
"""Parsed parameters by rule and JSON text (parameters are few and never change)."""


P = TypeVar("P", bound=Params)


@dataclass(frozen=True)
class RuleDoc:
    value: str
    numerator: str
    denominator: str
    exclusions: str
    period_date: str
    as_of: str


@dataclass(frozen=True)
class Rule(Generic[P]):
    name: str
    title_en: str
    title_nb: str
    unit: Unit
    params_model: type[P]
    doc: RuleDoc
    compute_fn: Callable[[Snapshot, Context, P], Result]
    unit_from_params: Callable[[P], Unit] | None = None

    def parse(self, raw: dict[str, Any] | None) -> P:
        """Validated parameters (defaults filled in); raises pydantic.ValidationError."""
        return self.params_model.model_validate(raw or {})

    def compute(self, snapshot: Snapshot, context: Context, params: dict[str, Any]) -> Result:
        """The rule's result; remembered on the snapshot, which never changes once built."""
        key = (self.name, json.dumps(params, sort_keys=True), context)
        found = snapshot.results.get(key)
        if found is None:
            if len(snapshot.results) >= _MAX_RESULTS:
                snapshot.results.clear()
            found = snapshot.results[key] = self._compute(snapshot, context, params)
        assert isinstance(found, Result)
        return found

    def _compute(self, snapshot: Snapshot, context: Context, params: dict[str, Any]) -> Result:
        parsed = _PARSED.get((self.name, json.dumps(params, sort_keys=True)))
        if parsed is None:
            parsed = self.parse(params)
            if len(_PARSED) < 1000:
                _PARSED[(self.name, json.dumps(params, sort_keys=True))] = parsed
        result = self.compute_fn(snapshot, context, parsed)
        issues: dict[str, int] = {}
        for member in result.members:
            if member.reason_code in DATA_QUALITY_REASONS:
                issues[member.reason_code] = issues.get(member.reason_code, 0) + 1
        if issues:
            result = replace(result, data_quality=issues)
        if not context.ordered:
            return result
        # Counted first, then the base, then those left out; by date and id within each,
        # so a drill-down reads the same whatever order the facts were stored in.
        ordered = sorted(
            result.members,
            key=lambda m: (not m.in_numerator, not m.in_denominator, m.on or date.min, m.id),
        )
        return replace(result, members=tuple(ordered))

    def unit_for(self, params: dict[str, Any]) -> Unit:
        if self.unit_from_params is None:
            return self.unit
        return self.unit_from_params(self.parse(params))

    def defaults(self) -> dict[str, Any]:
        return self.params_model().model_dump(mode="json")

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title_en": self.title_en,
            "title_nb": self.title_nb,
            "unit": self.unit.value,
            "value": self.doc.value,
            "numerator": self.doc.numerator,
            "denominator": self.doc.denominator,
            "exclusions": self.doc.exclusions,
            "period_date": self.doc.period_date,
            "as_of": self.doc.as_of,
            "parameters": self.params_model.model_json_schema(),
            "defaults": self.defaults(),
        }


def _share(numerator: int, denominator: int) -> float | None:
    return 100.0 * numerator / denominator if denominator else None


def _median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def _in(
    subject: str,
    ident: object,
    code: str,
    on: date | None,
    *,
    numerator: bool,
    denominator: bool = True,
    participant: object = None,
    household: object = None,
    amount: float | None = None,
    extra: dict[str, object] | None = None,
    **args: object,
) -> Member:
    if extra:
        args = {**extra, **args}
    return Member(
        subject, ident, denominator, numerator, code, args, on, participant, household, amount
    )


def _out(
    subject: str,
    ident: object,
    code: str,
    on: date | None,
    *,
    participant: object = None,
    household: object = None,
    amount: float | None = None,
    extra: dict[str, object] | None = None,
    **args: object,
) -> Member:
    return _in(
        subject,
        ident,
        code,
        on,
        numerator=False,
        denominator=False,
        participant=participant,
        household=household,
        amount=amount,
        extra=extra,
        **args,
    )


DATA_QUALITY_REASONS = frozenset(
    {"start_before_settlement", "placement_before_settlement", "left_before_settlement"}
)
"""Reasons that mean the facts contradict each other (a duration would be negative):
the unit is left out of the value and counted in ``Result.data_quality``."""


def _text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return "–" if value is None else str(value)


def _years(period: Period) -> range:
    return range(period.start.year, period.last_day.year + 1)


# -- 1. persons settled ------------------------------------------------------------------


class SettledParams(Params):
    arrival_categories: list[ArrivalCategory] | None = Field(
        default=None, description="Count only these categories; null counts every category."
    )
    include_unaccompanied_minors: bool = True


def persons_settled(snapshot: Snapshot, context: Context, params: SettledParams) -> Result:
    members = []
    count = 0
    for person in snapshot.settled_in_year(context.period.year):
        settled_on = person.settled_on
        if not context.counts(settled_on):
            continue
        pid = person.participant_id
        if (
            params.arrival_categories is not None
            and person.arrival_category not in params.arrival_categories
        ):
            members.append(
                _out(
                    "participant",
                    pid,
                    "category_not_counted",
                    settled_on,
                    category=person.arrival_category,
                    participant=pid,
                )
            )
        elif person.unaccompanied_minor and not params.include_unaccompanied_minors:
            members.append(
                _out(
                    "participant",
                    pid,
                    "unaccompanied_minor_not_counted",
                    settled_on,
                    participant=pid,
                )
            )
        else:
            count += 1
            members.append(
                _in(
                    "participant",
                    pid,
                    "settled",
                    settled_on,
                    category=person.arrival_category,
                    settled=settled_on,
                    numerator=True,
                    denominator=False,
                    participant=pid,
                    household=person.household_id,
                )
            )
    return Result(float(count), float(count), None, tuple(members))


# -- 2/3. outcome directly after the programme --------------------------------------------


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
    for year in _years(context.period):
        for person, programme in snapshot.programmes_ended_in_year(year):
            ended = programme.ended_on
            if not context.counts(ended):
                continue
            ident, pid = programme.programme_id, person.participant_id
            outcome = programme.outcome
            if programme.kind not in kinds:
                members.append(
                    _out(
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
                    _out(
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
                    _out(
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
                    _in(
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
                    _in(
                        "programme",
                        ident,
                        "outcome_does_not_count" if outcome else "no_outcome_recorded",
                        ended,
                        outcome=outcome,
                        numerator=False,
                        participant=pid,
                    )
                )
    return Result(_share(numerator, denominator), numerator, denominator, tuple(members))


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
    for year in _years(context.period):
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
                    _out(
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
            if follow_up.status in counted:
                numerator += 1
                members.append(
                    _in(
                        "programme",
                        follow_up.programme_id,
                        "status_counts",
                        on,
                        year=follow_up.reference_year,
                        status=follow_up.status,
                        figure=label,
                        figure_nb=_FIGURE_NB[label],
                        numerator=True,
                        participant=pid,
                    )
                )
            else:
                members.append(
                    _in(
                        "programme",
                        follow_up.programme_id,
                        "status_does_not_count",
                        on,
                        year=follow_up.reference_year,
                        status=follow_up.status,
                        figure=label,
                        figure_nb=_FIGURE_NB[label],
                        numerator=False,
                        participant=pid,
                    )
                )
    excluded = set(params.excluded_outcomes)
    for year in _years(context.period):
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
                _out(
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
        _share(numerator, denominator),
        numerator,
        denominator,
        tuple(members),
        preliminary=preliminary > 0,
        breakdown={"preliminary": preliminary, "final": final},
        note="preliminary: at least one status in the base is a preliminary figure"
        if preliminary
        else None,
    )


# -- 5. Norwegian tests ---------------------------------------------------------------------


class NorwegianParams(Params):
    sub_test: SubTest = SubTest.oral
    min_level: NorwegianLevel = Field(
        default=NorwegianLevel.a2, description="Passed means this level or higher."
    )


def norwegian_test_pass_rate(
    snapshot: Snapshot, context: Context, params: NorwegianParams
) -> Result:
    best: dict[object, tuple[Person, str, date]] = {}
    for year in _years(context.period):
        for person, test in snapshot.tests_in_year(year):
            if test.sub_test != params.sub_test or not context.counts(test.taken_on):
                continue
            current = best.get(person.participant_id)
            if current is None or norwegian_rank(test.level) > norwegian_rank(current[1]):
                best[person.participant_id] = (person, test.level, test.taken_on)
    members = []
    numerator = 0
    needed = norwegian_rank(params.min_level)
    for pid, (_person, level, taken_on) in best.items():
        passed = norwegian_rank(level) >= needed
        numerator += passed
        members.append(
            _in(
                "participant",
                pid,
                "passed" if passed else "not_passed",
                taken_on,
                sub_test=params.sub_test,
                level=level,
                min_level=params.min_level,
                numerator=passed,
                participant=pid,
            )
        )
    return Result(_share(numerator, len(best)), numerator, len(best), tuple(members))


# -- 6/7. time from settlement -------------------------------------------------------------


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
    for person in snapshot.settled_in_year(context.period.year):
        settled_on = person.settled_on
        if not context.counts(settled_on):
            continue
        assert settled_on is not None
        age = person.age_in(settled_on.year)
        pid = person.participant_id
        if age is None:
            out.append(
                _out(
                    "participant",
                    pid,
                    "birth_year_unknown",
                    settled_on,
                    participant=pid,
                )
            )
        elif not params.min_age <= age <= params.max_age:
            out.append(
                _out(
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
                _out(
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
                    _out(
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
                    _in(
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
                _out(
                    "participant",
                    pid,
                    "moved_out_before_deadline" if gone[1] == "moved_out" else "left_base",
                    settled_on,
                    moved=gone[0],
                    extra={"on": gone[0]},
                    how=gone[1],
                    how_nb=_EXIT_NB[gone[1]],
                    participant=pid,
                )
            )
        elif deadline > context.known_on:
            members.append(
                _out(
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
                _in(
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
        return Result(_median(days), None, len(days), tuple(members))
    return Result(_share(numerator, denominator), numerator, denominator, tuple(members))


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
                _out(
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
            _in(
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
    return Result(_median(days), None, len(days), tuple(members))


# -- 8. full-time plans ---------------------------------------------------------------------


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
                    _out(
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
                _in(
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
            _in(
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
    return Result(_share(numerator, denominator), numerator, denominator, tuple(members))


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
        return ("left_base", {"on": gone[0], "how": gone[1], "how_nb": _EXIT_NB[gone[1]]})
    pause = programme.paused_on(day)
    if pause is not None:
        return (
            "paused",
            {
                "kind": pause.kind,
                "kind_nb": _PAUSE_NB.get(pause.kind, pause.kind),
                "since": pause.starts_on,
            },
        )
    return None


# -- 9. households waiting ------------------------------------------------------------------


class WaitingParams(Params):
    count_accepted_until_placed: bool = Field(
        default=True,
        description="An accepted application waits until the household is placed; when "
        "false it stops waiting on the decision day.",
    )
    urgencies: list[Urgency] | None = Field(default=None, description="null counts all.")


def households_waiting(snapshot: Snapshot, context: Context, params: WaitingParams) -> Result:
    month_ends = [d for d in context.period.month_ends() if d <= context.known_on]
    candidates = {
        a.application_id: a
        for year in _years(context.period)
        for a in snapshot.applications_open_in_year(year)
    }
    # Each application waits from the day it was received until the day it closed.
    intervals: list[tuple[object, date, date | None]] = []
    for application in candidates.values():
        if application.received_on is None or (
            params.urgencies is not None and application.urgency not in params.urgencies
        ):
            continue
        household = snapshot.households[application.household_id]
        intervals.append(
            (
                household.household_id,
                application.received_on,
                _closed_on(household, application, params),
            )
        )
    waiting_at: dict[object, int] = {}
    first_day: dict[object, date] = {}
    per_month_end: dict[str, float] = {}
    for day in month_ends:
        waiting = {
            household
            for household, received, closed in intervals
            if received <= day and (closed is None or closed > day)
        }
        per_month_end[str(day)] = float(len(waiting))
        for household_id in waiting:
            waiting_at[household_id] = waiting_at.get(household_id, 0) + 1
            first_day.setdefault(household_id, day)
    members = tuple(
        _in(
            "household",
            household_id,
            "waiting",
            first_day[household_id],
            numerator=True,
            household=household_id,
            amount=count,
            count=count,
            total=len(month_ends),
        )
        for household_id, count in waiting_at.items()
    )
    total = sum(waiting_at.values())
    value = total / len(month_ends) if month_ends else None
    return Result(
        value,
        float(total),
        float(len(month_ends)),
        members,
        breakdown=per_month_end,
        note=None if month_ends else "no month end of the period has passed yet",
    )


def _closed_on(household: Household, application: Any, params: WaitingParams) -> date | None:
    """The first day the application no longer waits (None: still waiting).

    It stops waiting when rejected or withdrawn, when accepted if accepted applications
    do not wait until placed, or when the household is placed in a dwelling — by this
    application, or by any placement starting on or after it was received.
    """
    days = []
    if application.decided_on is not None:
        if application.decision in ("rejected", "withdrawn") or (
            application.decision == "accepted" and not params.count_accepted_until_placed
        ):
            days.append(application.decided_on)
    for placement in household.placements.values():
        if placement.starts_on is not None and (
            placement.application_id == application.application_id
            or placement.starts_on >= application.received_on
        ):
            days.append(placement.starts_on)
    return min(days) if days else None


# -- 10. evictions --------------------------------------------------------------------------


class EvictionParams(Params):
    pass


def evictions(snapshot: Snapshot, context: Context, params: EvictionParams) -> Result:
    members = []
    for year in _years(context.period):
        for household, eviction in snapshot.evictions_in_year(year):
            if context.counts(eviction.evicted_on):
                members.append(
                    _in(
                        "household",
                        household.household_id,
                        "evicted",
                        eviction.evicted_on,
                        evicted=eviction.evicted_on,
                        grounds=eviction.grounds,
                        numerator=True,
                        denominator=False,
                        household=household.household_id,
                    )
                )
    return Result(float(len(members)), float(len(members)), None, tuple(members))


# -- 11. households becoming owners ---------------------------------------------------------


class OwnersParams(Params):
    routes: list[OwnershipRoute] = Field(
        default=[OwnershipRoute.rent_to_own, OwnershipRoute.start_loan]
    )


def households_became_owners(snapshot: Snapshot, context: Context, params: OwnersParams) -> Result:
    members = []
    by_route: dict[str, float] = {str(route): 0.0 for route in OwnershipRoute}
    counted: set[object] = set()
    for year in _years(context.period):
        for household, ownership in snapshot.ownerships_in_year(year):
            if not context.counts(ownership.became_owner_on):
                continue
            hid = household.household_id
            if ownership.route not in params.routes:
                members.append(
                    _out(
                        "household",
                        hid,
                        "route_not_counted",
                        ownership.became_owner_on,
                        route=ownership.route,
                        household=hid,
                    )
                )
                continue
            if hid in counted:
                continue
            counted.add(hid)
            by_route[ownership.route] = by_route.get(ownership.route, 0.0) + 1
            members.append(
                _in(
                    "household",
                    hid,
                    "became_owner",
                    ownership.became_owner_on,
                    numerator=True,
                    denominator=False,
                    household=hid,
                    on_date=ownership.became_owner_on,
                    route=ownership.route,
                )
            )
    count = float(len(counted))
    return Result(count, count, None, tuple(members), breakdown=by_route)


# -- 12. left municipal housing within N months ----------------------------------------------


class LeftHousingParams(Params):
    months: int = Field(default=27, ge=1, le=120)
    count_evictions: bool = Field(
        default=False, description="Whether leaving through eviction counts as success."
    )
    excluded_end_reasons: list[Literal["moved_municipality", "death"]] = Field(
        default=["moved_municipality", "death"],
        description="Households whose (last) placement ended so leave the base.",
    )


def left_municipal_housing_within(
    snapshot: Snapshot, context: Context, params: LeftHousingParams
) -> Result:
    members = []
    numerator = denominator = 0
    first_year = context.period.start.year - params.months // 12 - 1
    for year in range(first_year, context.period.last_day.year + 1):
        for household in snapshot.households_settled_in_year(year):
            assert household.settled_on is not None
            deadline = add_months(household.settled_on, params.months)
            if not context.period.contains(deadline):
                continue
            hid = household.household_id
            placements = [
                p
                for p in household.placements.values()
                if p.starts_on is not None and p.starts_on <= deadline
            ]
            early = [
                p.starts_on
                for p in placements
                if p.starts_on is not None and p.starts_on < household.settled_on
            ]
            if early:
                first = min(early)
                members.append(
                    _out(
                        "household",
                        hid,
                        "placement_before_settlement",
                        deadline,
                        start=first,
                        settled=household.settled_on,
                        household=hid,
                    )
                )
                continue
            if not placements:
                members.append(
                    _out(
                        "household",
                        hid,
                        "never_in_municipal_housing",
                        deadline,
                        deadline=deadline,
                        household=hid,
                    )
                )
                continue
            left_on, how = _left_on(household, placements)
            if left_on is not None and left_on < household.settled_on:
                members.append(
                    _out(
                        "household",
                        hid,
                        "left_before_settlement",
                        deadline,
                        left=left_on,
                        settled=household.settled_on,
                        household=hid,
                    )
                )
                continue
            if (
                left_on is not None
                and left_on <= min(deadline, context.known_on)
                and how in params.excluded_end_reasons
            ):
                members.append(
                    _out(
                        "household",
                        hid,
                        "left_excluded_reason",
                        deadline,
                        left=left_on,
                        how=how,
                        household=hid,
                    )
                )
                continue
            if deadline > context.known_on:
                members.append(
                    _out(
                        "household",
                        hid,
                        "window_open",
                        deadline,
                        months=params.months,
                        deadline=deadline,
                        household=hid,
                    )
                )
                continue
            denominator += 1
            if left_on is None or left_on > deadline:
                members.append(
                    _in(
                        "household",
                        hid,
                        "still_in_municipal_housing",
                        deadline,
                        deadline=deadline,
                        numerator=False,
                        household=hid,
                    )
                )
            elif how == "eviction" and not params.count_evictions:
                members.append(
                    _in(
                        "household",
                        hid,
                        "left_through_eviction",
                        deadline,
                        left=left_on,
                        numerator=False,
                        household=hid,
                    )
                )
            else:
                numerator += 1
                months = _months_between(household.settled_on, left_on)
                members.append(
                    _in(
                        "household",
                        hid,
                        "left",
                        deadline,
                        left=left_on,
                        how=how,
                        months=months,
                        numerator=True,
                        household=hid,
                        amount=months,
                    )
                )
    return Result(_share(numerator, denominator), numerator, denominator, tuple(members))


def _left_on(household: Household, placements: Iterable[Any]) -> tuple[date | None, str]:
    """When the household stopped living in municipal housing, and how."""
    ownerships = sorted(household.ownerships, key=lambda o: o.became_owner_on)
    owned = ownerships[0].became_owner_on if ownerships else None
    placements = list(placements)
    ended = None
    reason = "other"
    if all(p.ends_on is not None for p in placements):
        last = max(placements, key=lambda p: p.ends_on)
        ended, reason = last.ends_on, last.end_reason or "other"
        if any(e.evicted_on == ended for e in household.evictions):
            reason = "eviction"
    if owned is not None and (ended is None or owned <= ended):
        return owned, f"became_owner_{ownerships[0].route}"
    return ended, reason


def _months_between(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (1 if end.day < start.day else 0)


# -- 13. practice placements that turned into a job ------------------------------------------


class PracticeParams(Params):
    counted_outcomes: list[PracticeOutcome] = Field(default=[PracticeOutcome.turned_into_job])
    kinds: list[PracticeKind] | None = Field(default=None, description="null counts all kinds.")


def practice_to_job_share(snapshot: Snapshot, context: Context, params: PracticeParams) -> Result:
    members = []
    numerator = denominator = 0
    for year in _years(context.period):
        for practice in snapshot.practice_ended_in_year(year):
            if not context.counts(practice.ends_on):
                continue
            pid = practice.participant_id
            if params.kinds is not None and practice.kind not in params.kinds:
                members.append(
                    _out(
                        "practice_placement",
                        practice.placement_id,
                        "kind_not_counted",
                        practice.ends_on,
                        kind=practice.kind,
                        participant=pid,
                    )
                )
                continue
            counts = practice.outcome in params.counted_outcomes
            denominator += 1
            numerator += counts
            members.append(
                _in(
                    "practice_placement",
                    practice.placement_id,
                    "placement_counts" if counts else "placement_does_not_count",
                    practice.ends_on,
                    ended=practice.ends_on,
                    outcome=practice.outcome,
                    numerator=counts,
                    participant=pid,
                )
            )
    return Result(_share(numerator, denominator), numerator, denominator, tuple(members))


# -- why a unit is in or out: English and bokmål ---------------------------------------------

_FIGURE_NB = {"preliminary": "foreløpig", "final": "endelig"}
_PAUSE_NB = {"leave": "permisjon", "interruption": "avbrudd"}
_EXIT_NB = {"moved_out": "flyttet", "died": "død", "emigrated": "utvandret"}

REASONS: dict[str, tuple[str, str]] = {
    "settled": ("settled on {settled} ({category})", "bosatt {settled} ({category})"),
    "category_not_counted": (
        "arrival category {category} is not counted",
        "ankomstkategori {category} telles ikke",
    ),
    "unaccompanied_minor_not_counted": (
        "unaccompanied minor, not counted",
        "enslig mindreårig, telles ikke",
    ),
    "programme_kind_not_counted": (
        "programme kind {kind} is not counted",
        "programtype {kind} telles ikke",
    ),
    "outcome_excluded": (
        "outcome {outcome} is excluded from the base",
        "utfall {outcome} holdes utenfor grunnlaget",
    ),
    "interrupted_excluded": (
        "interrupted programmes are not in the base",
        "avbrutte program er ikke med i grunnlaget",
    ),
    "outcome_counts": ("outcome {outcome} counts", "utfall {outcome} teller"),
    "outcome_does_not_count": ("outcome {outcome} does not count", "utfall {outcome} teller ikke"),
    "no_outcome_recorded": (
        "no outcome recorded: in the base, not counted",
        "utfall ikke registrert: med i grunnlaget, teller ikke",
    ),
    "status_counts": (
        "November {year}: {status} ({figure})",
        "november {year}: {status} ({figure_nb})",
    ),
    "status_does_not_count": (
        "November {year}: {status} ({figure}) does not count",
        "november {year}: {status} ({figure_nb}) teller ikke",
    ),
    "no_follow_up_status_yet": (
        "left the programme on {ended}; no status for November {year} recorded yet",
        "avsluttet {ended}; status for november {year} er ikke registrert ennå",
    ),
    "passed": (
        "best {sub_test} result in the period {level} ≥ {min_level}",
        "beste resultat ({sub_test}) i perioden {level} ≥ {min_level}",
    ),
    "not_passed": (
        "best {sub_test} result in the period {level} < {min_level}",
        "beste resultat ({sub_test}) i perioden {level} < {min_level}",
    ),
    "birth_year_unknown": ("birth year unknown", "fødselsår ukjent"),
    "outside_age_range": (
        "age {age} at settlement, outside {min}–{max}",
        "alder {age} ved bosetting, utenfor {min}–{max}",
    ),
    "start_before_settlement": (
        "programme start {start} is before the settlement {settled}",
        "programstart {start} er før bosettingen {settled}",
    ),
    "not_started_yet": ("no programme start yet", "ikke startet i program ennå"),
    "left_base": (
        "left the base on {on} ({how})",
        "gikk ut av grunnlaget {on} ({how_nb})",
    ),
    "placement_before_settlement": (
        "data error: placement {start} is before the settlement {settled}",
        "datafeil: tildeling {start} er før bosettingen {settled}",
    ),
    "left_before_settlement": (
        "data error: left municipal housing {left}, before the settlement {settled}",
        "datafeil: flyttet ut av kommunal bolig {left}, før bosettingen {settled}",
    ),
    "started": ("started {days} days after settlement", "startet {days} dager etter bosetting"),
    "moved_out_before_deadline": (
        "moved out on {moved} before starting",
        "flyttet ut {moved} før start",
    ),
    "window_open": (
        "the {months}-month window runs to {deadline}",
        "fristen på {months} måneder løper til {deadline}",
    ),
    "started_within": (
        "started {days} days after settlement (deadline {deadline})",
        "startet {days} dager etter bosetting (frist {deadline})",
    ),
    "not_started_within": (
        "no start by {deadline}",
        "ingen start innen {deadline}",
    ),
    "no_job_yet": ("no job recorded yet", "ingen jobb registrert ennå"),
    "first_job": (
        "first job {days} days after settlement",
        "første jobb {days} dager etter bosetting",
    ),
    "not_started": ("not started on the reference day", "ikke startet på referansedagen"),
    "ended": ("ended on {ended}", "avsluttet {ended}"),
    "moved_out": ("moved out on {moved}", "flyttet ut {moved}"),
    "paused": ("{kind} since {since}", "{kind_nb} fra {since}"),
    "no_plan": ("no plan recorded: not full time", "ingen plan registrert: ikke fulltid"),
    "full_time": (
        "plan revision {revision}: {hours} h/week ≥ {limit}",
        "planrevisjon {revision}: {hours} t/uke ≥ {limit}",
    ),
    "part_time": (
        "plan revision {revision}: {hours} h/week < {limit}",
        "planrevisjon {revision}: {hours} t/uke < {limit}",
    ),
    "waiting": (
        "waiting at {count} of {total} month ends",
        "ventet ved {count} av {total} månedsslutt",
    ),
    "evicted": ("evicted on {evicted} ({grounds})", "utkastet {evicted} ({grounds})"),
    "route_not_counted": ("route {route} is not counted", "ordning {route} telles ikke"),
    "became_owner": ("became owner on {on_date} via {route}", "ble eier {on_date} via {route}"),
    "never_in_municipal_housing": (
        "no municipal placement by {deadline}",
        "ingen kommunal bolig innen {deadline}",
    ),
    "left_excluded_reason": (
        "placement ended on {left}: {how}; excluded",
        "leieforholdet sluttet {left}: {how}; holdes utenfor",
    ),
    "still_in_municipal_housing": (
        "still in municipal housing on {deadline}",
        "bodde fortsatt i kommunal bolig {deadline}",
    ),
    "left_through_eviction": (
        "left through eviction on {left}: not counted",
        "flyttet ut ved utkastelse {left}: teller ikke",
    ),
    "left": (
        "left on {left} ({how}) after {months} months",
        "flyttet ut {left} ({how}) etter {months} måneder",
    ),
    "kind_not_counted": ("placement kind {kind} is not counted", "praksistype {kind} telles ikke"),
    "placement_counts": ("ended {ended}: {outcome}", "avsluttet {ended}: {outcome}"),
    "placement_does_not_count": (
        "ended {ended}: {outcome} (does not count)",
        "avsluttet {ended}: {outcome} (teller ikke)",
    ),
}

# -- the catalogue of rules -------------------------------------------------------------------

_AS_OF_EVENTS = (
    "Only events their source had recorded (CloudEvent `recordedtime`) by the as-of moment; "
    "a fact dated after the as-of date (announced ahead) has not happened yet."
)

RULES: dict[str, Rule[Any]] = {
    rule.name: rule
    for rule in (
        Rule(
            "persons_settled",
            "Persons settled",
            "Bosatte personer",
            Unit.number,
            SettledParams,
            RuleDoc(
                value="The number of persons settled.",
                numerator="Persons with a `participant.settled` whose `settled_on` is in the "
                "period (optionally only some arrival categories; unaccompanied minors "
                "optionally left out).",
                denominator="None (a count).",
                exclusions="Arrival categories not listed in `arrival_categories`; "
                "unaccompanied minors when `include_unaccompanied_minors` is false.",
                period_date="`settled_on`.",
                as_of=_AS_OF_EVENTS,
            ),
            persons_settled,
        ),
        Rule(
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
                as_of=_AS_OF_EVENTS,
            ),
            exit_outcome_share,
        ),
        Rule(
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
                as_of=_AS_OF_EVENTS
                + " A preliminary status recorded before the as-of moment and replaced "
                "after it is still the preliminary one as of that moment.",
            ),
            follow_up_share,
        ),
        Rule(
            "norwegian_test_pass_rate",
            "Norwegian test pass rate",
            "Andel bestått norskprøve",
            Unit.percent,
            NorwegianParams,
            RuleDoc(
                value="100 × numerator / denominator.",
                numerator="Persons whose best result in `sub_test` within the period is "
                "`min_level` or higher (CEFR order below_A1 < A1 < A2 < B1 < B2 < C1).",
                denominator="Persons with at least one `norwegian_test.recorded` for "
                "`sub_test` taken in the period.",
                exclusions="Other sub-tests.",
                period_date="`taken_on`.",
                as_of=_AS_OF_EVENTS,
            ),
            norwegian_test_pass_rate,
        ),
        Rule(
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
                as_of=_AS_OF_EVENTS + " Starts dated after the as-of date have not happened.",
            ),
            settlement_to_programme_start,
            _start_unit,
        ),
        Rule(
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
                as_of=_AS_OF_EVENTS + " Jobs starting after the as-of date have not started.",
            ),
            settlement_to_first_job,
        ),
        Rule(
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
                as_of=_AS_OF_EVENTS,
            ),
            full_time_plan_share,
        ),
        Rule(
            "households_waiting",
            "Households waiting for a dwelling (average of month ends)",
            "Husstander som venter på bolig (snitt av månedsslutt)",
            Unit.number,
            WaitingParams,
            RuleDoc(
                value="numerator / denominator: the average number of households waiting "
                "at the month ends of the period that have passed by the as-of date.",
                numerator="The sum over those month ends of households with an application "
                "received on or before the day and still waiting: not rejected or "
                "withdrawn by then, and the household not placed in a dwelling by then "
                "(a placement of that application, or any placement starting on or after "
                "the application was received). Accepted applications wait until placed "
                "(`count_accepted_until_placed`).",
                denominator="The number of month ends counted.",
                exclusions="Urgencies not in `urgencies` (if given); month ends after the "
                "as-of date.",
                period_date="Each month end (the last day of the month).",
                as_of=_AS_OF_EVENTS,
            ),
            households_waiting,
        ),
        Rule(
            "evictions",
            "Evictions from municipal dwellings",
            "Utkastelser fra kommunale boliger",
            Unit.number,
            EvictionParams,
            RuleDoc(
                value="The number of evictions.",
                numerator="`housing.eviction.recorded` events with `evicted_on` in the period.",
                denominator="None (a count).",
                exclusions="None.",
                period_date="`evicted_on`.",
                as_of=_AS_OF_EVENTS,
            ),
            evictions,
        ),
        Rule(
            "households_became_owners",
            "Households becoming owners",
            "Husstander som ble eiere",
            Unit.number,
            OwnersParams,
            RuleDoc(
                value="The number of households; `breakdown` gives the count per route.",
                numerator="Households with a `housing.household.became_owner` in the period "
                "through one of `routes` (rent_to_own, start_loan); a household counts once.",
                denominator="None (a count).",
                exclusions="Routes not in `routes`.",
                period_date="`became_owner_on`.",
                as_of=_AS_OF_EVENTS,
            ),
            households_became_owners,
        ),
        Rule(
            "left_municipal_housing_within",
            "Share of households that left municipal housing within N months of settlement",
            "Andel husstander som flyttet ut av kommunal bolig innen N måneder etter bosetting",
            Unit.percent,
            LeftHousingParams,
            RuleDoc(
                value="100 × numerator / denominator.",
                numerator="Households that left municipal housing on or before the deadline: "
                "every placement started by the deadline has ended (the last end is the day "
                "they left), or the household became an owner (rent-to-own or start loan) "
                "first. Leaving through eviction counts only with `count_evictions`.",
                denominator="Households (by `household_id` on `participant.settled`) with a "
                "municipal placement started by the deadline, whose deadline — the earliest "
                "member settlement + `months` (27) calendar months — is in the period.",
                exclusions="Households never placed by the deadline; households whose "
                "placement ended with a reason in `excluded_end_reasons` (moved_municipality, "
                "death); households whose window is still open at the as-of date (even if "
                "they have left already: counting only early leavers would flatter the "
                "figure); households placed, or leaving, before their settlement (a "
                "data-quality issue, counted in `data_quality`).",
                period_date="The deadline (settlement + `months`).",
                as_of=_AS_OF_EVENTS,
            ),
            left_municipal_housing_within,
        ),
        Rule(
            "practice_to_job_share",
            "Share of ended practice placements that turned into a job",
            "Andel avsluttede praksisplasser som ble til jobb",
            Unit.percent,
            PracticeParams,
            RuleDoc(
                value="100 × numerator / denominator.",
                numerator="Ended placements whose outcome is in `counted_outcomes` "
                "(default turned_into_job).",
                denominator="`matching.practice_placement.ended` with `ends_on` in the period.",
                exclusions="Kinds not in `kinds` (if given).",
                period_date="`ends_on`.",
                as_of=_AS_OF_EVENTS,
            ),
            practice_to_job_share,
        ),
    )
}
