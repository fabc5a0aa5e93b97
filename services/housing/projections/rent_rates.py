"""``rent_rates``: the municipality's cost-covering rent rates by the day they apply from."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import tables as t
from services.housing.events import RentRatesSet
from services.housing.projections.rows import decode
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Projection


async def _apply_rent_rates(conn: AsyncConnection, envelope: Envelope) -> None:
    event = decode(envelope)
    if not isinstance(event, RentRatesSet):
        return
    values = {
        "fdv_per_m2_year_low": event.fdv_per_m2_year_low,
        "fdv_per_m2_year_normal": event.fdv_per_m2_year_normal,
        "fdv_per_m2_year_high": event.fdv_per_m2_year_high,
        "government_bond_rate_percent": event.government_bond_rate_percent,
        "capital_markup_points": event.capital_markup_points,
        "recorded_at": envelope.recorded_at,
        "version": envelope.stream_version,
    }
    # A later setting for the same valid_from corrects the earlier one.
    await conn.execute(
        pg.insert(t.rent_rates)
        .values(municipality=envelope.municipality, valid_from=event.valid_from, **values)
        .on_conflict_do_update(index_elements=["municipality", "valid_from"], set_=values)
    )


RENT_RATES = Projection("rent_rates", OWN_EVENTS, (t.rent_rates,), _apply_rent_rates)
