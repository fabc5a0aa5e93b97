"""Municipality settings: the cost-covering rent rates from a date."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from services.housing.events import (
    RentRatesSet,
)
from shared.dates import check_window
from shared.events import Event


def set_rent_rates(
    *,
    valid_from: date,
    fdv_low: float,
    fdv_normal: float,
    fdv_high: float,
    government_bond_rate_percent: float,
    capital_markup_points: float,
) -> list[Event]:
    """Rates in force from ``valid_from``: a plan may lie ahead, it applies from its date."""
    check_window("valid_from", valid_from)
    return [
        RentRatesSet(
            valid_from=valid_from,
            fdv_per_m2_year_low=fdv_low,
            fdv_per_m2_year_normal=fdv_normal,
            fdv_per_m2_year_high=fdv_high,
            government_bond_rate_percent=government_bond_rate_percent,
            capital_markup_points=capital_markup_points,
        )
    ]


def rates_on(events: Iterable[Event], on: date) -> RentRatesSet | None:
    """The version in force on ``on``: the latest ``valid_from`` on or before it, as last
    set (setting a ``valid_from`` again corrects that version)."""
    versions: dict[date, RentRatesSet] = {}
    for event in events:
        if isinstance(event, RentRatesSet):
            versions[event.valid_from] = event
    in_force = [valid_from for valid_from in versions if valid_from <= on]
    return versions[max(in_force)] if in_force else None
