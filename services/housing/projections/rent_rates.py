"""``rent_rates``: the municipality's cost-covering rent rates by the day they apply from."""

from __future__ import annotations

from services.housing import tables as t
from services.housing.events import RentRatesSet
from services.housing.projections.rows import fold
from shared.events import Envelope, Event
from shared.projection import OWN_EVENTS, Batch, Projection


async def _apply_rent_rates(batch: Batch, envelope: Envelope, event: Event) -> None:
    if not isinstance(event, RentRatesSet):
        return
    # A later setting for the same valid_from corrects the earlier one: the whole row is
    # replaced, so nothing needs reading first.
    batch.put(
        t.rent_rates,
        {
            "municipality": envelope.municipality,
            "valid_from": event.valid_from,
            "fdv_per_m2_year_low": event.fdv_per_m2_year_low,
            "fdv_per_m2_year_normal": event.fdv_per_m2_year_normal,
            "fdv_per_m2_year_high": event.fdv_per_m2_year_high,
            "government_bond_rate_percent": event.government_bond_rate_percent,
            "capital_markup_points": event.capital_markup_points,
            "recorded_at": envelope.recorded_at,
            "version": envelope.stream_version,
        },
    )


RENT_RATES = Projection(
    "rent_rates", OWN_EVENTS, (t.rent_rates,), apply_batch=fold(_apply_rent_rates)
)
