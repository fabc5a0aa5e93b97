"""The levels last published (``indicator.level_changed``), one row per indicator and period."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from services.indicators import tables as t
from services.indicators.events import LevelChanged, registry
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Projection


async def _apply(conn: AsyncConnection, envelope: Envelope) -> None:
    if envelope.type_name != LevelChanged.type_name:
        return
    event = registry.decode(envelope.type_name, envelope.data)
    assert isinstance(event, LevelChanged)
    values = {
        "level": event.level,
        "value": event.value,
        "preliminary": event.preliminary,
        "version": envelope.stream_version,
        "recorded_at": envelope.recorded_at,
    }
    await conn.execute(
        pg.insert(t.indicator_levels)
        .values(
            municipality=event.municipality,
            indicator_key=event.indicator_key,
            period=event.period,
            **values,
        )
        .on_conflict_do_update(
            index_elements=["municipality", "indicator_key", "period"], set_=values
        )
    )


LEVELS = Projection("levels", OWN_EVENTS, (t.indicator_levels,), _apply)
