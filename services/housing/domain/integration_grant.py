"""Expected integration grant (integreringstilskudd) for a settlement year's cohort.

The municipality gets a grant per person settled for the settlement year and the four
following calendar years: year 1 by category (single adult, other adult, child,
unaccompanied minor), years 2–5 one rate. Each calendar year uses the rates in force on its
1 January (``services/housing/data/settlement.json``, table ``integration_grant``).

Only household sizes are known to housing, so the persons are split by the dated
assumption ``adults_in_family``: a household of one is a single adult, a family of two
two adults, a larger one two adults and the rest children. Pure: the tables come in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from shared import dated
from shared.dated import DatedTable

DATA_PACKAGE = "services.housing.data"
DATA_RESOURCE = "settlement.json"
YEARS = 5


def tables() -> dict[str, DatedTable]:
    """The shipped settlement data, or the municipality's own copy of it."""
    return dated.load(DATA_PACKAGE, DATA_RESOURCE)


def rooms_by_size(day: date, data: Mapping[str, DatedTable] | None = None) -> dict[int, int]:
    table = (data or tables())["rooms_by_household_size"]
    return {int(size): int(rooms) for size, rooms in table.on(day).items()}


@dataclass(frozen=True)
class Cohort:
    """Persons settled (or planned) in a year, by the grant's year-1 category."""

    single_adults: int = 0
    adults: int = 0
    children: int = 0
    unaccompanied_minors: int = 0

    @property
    def persons(self) -> int:
        return self.single_adults + self.adults + self.children + self.unaccompanied_minors


def cohort(
    households: Iterable[tuple[int, int]],
    unaccompanied_minors: int,
    adults_in_family: Mapping[str, Any],
) -> Cohort:
    """The cohort of ``households`` (size, count) plus unaccompanied minors."""
    rule = {int(size): int(adults) for size, adults in adults_in_family.items()}
    singles = adults = children = 0
    for size, count in households:
        if size == 1:
            singles += count
            continue
        grown = min(rule[max(s for s in rule if s <= size)] if size >= min(rule) else size, size)
        adults += grown * count
        children += (size - grown) * count
    return Cohort(singles, adults, children, unaccompanied_minors)


@dataclass(frozen=True)
class GrantYear:
    calendar_year: int
    grant_year: int
    rate_per_person: dict[str, int] | None
    amount: int | None
    source: str


NO_RATES = "no integration grant rates are recorded for this year"


def expected_grant(settlement_year: int, persons: Cohort, grant: DatedTable) -> list[GrantYear]:
    """The grant for each of the five calendar years from ``settlement_year``; a year
    before the first recorded rates has no amount (unknown, not zero)."""
    result = []
    for offset in range(YEARS):
        calendar_year = settlement_year + offset
        try:
            entry = grant.entry_on(date(calendar_year, 1, 1))
        except LookupError:
            result.append(GrantYear(calendar_year, offset + 1, None, None, NO_RATES))
            continue
        rates: dict[str, int]
        if offset == 0:
            first = entry.value["year_1"]
            rates = {
                k: int(first[k]) for k in ("single_adult", "adult", "child", "unaccompanied_minor")
            }
            amount = (
                persons.single_adults * rates["single_adult"]
                + persons.adults * rates["adult"]
                + persons.children * rates["child"]
                + persons.unaccompanied_minors * rates["unaccompanied_minor"]
            )
        else:
            rates = {"everyone": int(entry.value[f"year_{offset + 1}"])}
            amount = persons.persons * rates["everyone"]
        result.append(GrantYear(calendar_year, offset + 1, rates, amount, entry.source))
    return result
