"""Municipality settings with history: the cost-covering rent rates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import domain, queries
from services.housing.application.aggregates import lock_streams
from services.housing.domain import money
from services.housing.events import RentRatesSet
from shared.commands import CommandResult
from shared.events import Metadata
from shared.service import Runtime


async def set_rent_rates(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    **rates: Any,
) -> CommandResult:
    """``rates``: the date and rates :func:`domain.set_rent_rates` takes."""
    stream_id = domain.rent_rates_stream(metadata.municipality)
    await lock_streams(conn, stream_id)
    version = await runtime.store.current_version(conn, stream_id)
    await runtime.append(
        conn,
        stream_id,
        domain.RENT_RATES,
        domain.set_rent_rates(**rates),
        expected_version=version,
        metadata=metadata,
    )
    return CommandResult(201, await queries.rent_rates_view(conn, metadata.municipality))


async def rates_known(
    runtime: Runtime, conn: AsyncConnection, municipality: str, on: date, known_at: datetime
) -> tuple[money.RentRates, dict[str, Any]] | None:
    """The rent rates in force on ``on`` as they were recorded by ``known_at``: a later
    correction of a version, or a version added later, is not seen."""
    envelopes = await runtime.store.load(
        conn, domain.rent_rates_stream(municipality), recorded_until=known_at
    )
    recorded = {}
    events = []
    for envelope in envelopes:
        event = runtime.store.decode(envelope)
        events.append(event)
        if isinstance(event, RentRatesSet):
            recorded[event.valid_from] = envelope.recorded_at
    version = domain.rates_on(events, on)
    if version is None:
        return None
    fdv = {
        "low": version.fdv_per_m2_year_low,
        "normal": version.fdv_per_m2_year_normal,
        "high": version.fdv_per_m2_year_high,
    }
    rates = money.RentRates(
        valid_from=version.valid_from,
        fdv_per_m2_year={k: money.dec(v) for k, v in fdv.items()},
        government_bond_rate_percent=money.dec(version.government_bond_rate_percent),
        capital_markup_points=money.dec(version.capital_markup_points),
    )
    shown = {
        "valid_from": version.valid_from.isoformat(),
        "fdv_per_m2_year": fdv,
        "government_bond_rate_percent": version.government_bond_rate_percent,
        "capital_markup_points": version.capital_markup_points,
        "recorded_at": recorded[version.valid_from].isoformat(),
    }
    return rates, shown
