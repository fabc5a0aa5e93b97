"""What every rule is made of: its result, the units behind it, its context and parameters.

A rule's result is remembered on the snapshot it was computed from (which never changes
once built), so the scorecard, the drill-down and the evaluator share one computation.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from services.indicators.domain.facts import Snapshot
from services.indicators.domain.periods import Period
from services.indicators.domain.rules.reasons import REASONS


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
        return template.format(**{k: as_text(v) for k, v in self.args.items()})


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


def share(numerator: int, denominator: int) -> float | None:
    return 100.0 * numerator / denominator if denominator else None


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def in_base(
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


def left_out(
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
    return in_base(
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


def as_text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return "–" if value is None else str(value)


def years(period: Period) -> range:
    return range(period.start.year, period.last_day.year + 1)


AS_OF_EVENTS = (
    "Only events their source had recorded (CloudEvent `recordedtime`) by the as-of moment; "
    "a fact dated after the as-of date (announced ahead) has not happened yet."
)
