"""What a rule computes: the value, and every unit behind it with why it is in or out.

Also the context of one computation (the period and the as-of date) and the small
helpers the rule families share to build members and values.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from services.indicators.domain.periods import Period
from services.indicators.domain.rules.reasons import REASONS


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
