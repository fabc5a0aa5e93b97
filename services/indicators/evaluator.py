"""The level evaluator: publishes ``indicator.level_changed`` when a level moves.

When: every applied fact or plan change bumps the municipality's ``data_version``
in the same transaction as the fact, and the kit's consumer applies a fetched batch in
one transaction, so the version moves once per committed batch. The evaluator reads the
version, the plan and every fact table in one REPEATABLE READ transaction: one
snapshot of whole committed batches, never a state in the middle of one (under READ
COMMITTED the seventeen fact-table reads could straddle a batch's commit). The evaluator — a background task in the service, and
``POST /indicators/evaluations`` on demand — re-evaluates each municipality whose
``data_version`` moved past ``evaluated_version``: every indicator period that has
thresholds (periods of the indicator's granularity in a year with a threshold set)
and has started, computed as known now. A level differing from the last published
one (or the first level of a period), or the same level once its preliminary value has
become final, is appended as ``LevelChanged`` to the stream
``level-<municipality>-<key>-<period>``; the outbox publishes it. Levels also move
with the calendar (month ends pass, windows close): on the first pass after start-up
and when the Norwegian date changes, every municipality is re-evaluated.

Concurrency: each municipality is evaluated under a transaction-scoped advisory lock,
and the level stream's expected version makes a duplicate append impossible.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.indicators import tables as t
from services.indicators.application import level_stream, load_manual_values
from services.indicators.domain import suppression
from services.indicators.domain.asof import NORWAY
from services.indicators.domain.periods import Period
from services.indicators.domain.scoring import compute
from services.indicators.events import LevelChanged
from services.indicators.loader import SnapshotCache, load_plan
from shared.events import Metadata, utcnow
from shared.logging import get_logger
from shared.service import Runtime

log = get_logger(__name__)

ACTOR = "indicators-evaluator"


@dataclass(frozen=True)
class Change:
    indicator_key: str
    municipality: str
    period: str
    level: str
    previous_level: str | None
    value: float | None
    preliminary: bool

    def describe(self) -> dict[str, Any]:
        return dict(self.__dict__)


@contextlib.asynccontextmanager
async def _repeatable_read(conn: AsyncConnection) -> AsyncIterator[None]:
    """One transaction whose statements all see the same committed batches."""
    await conn.execution_options(isolation_level="REPEATABLE READ")
    async with conn.begin():
        yield


class LevelEvaluator:
    def __init__(self, runtime: Runtime, cache: SnapshotCache, interval: float = 1.0) -> None:
        self.runtime = runtime
        self.cache = cache
        self.interval = interval
        self._swept_on: date | None = None

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                today = utcnow().astimezone(NORWAY).date()
                if today != self._swept_on:
                    await self._mark_all()
                    self._swept_on = today
                await self.evaluate_pending()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("evaluator.failed", error=type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)

    async def _mark_all(self) -> None:
        async with self.runtime.db.transaction() as conn:
            await conn.execute(
                sa.update(t.municipality_data).values(
                    evaluated_version=sa.func.least(t.municipality_data.c.evaluated_version, -1)
                )
            )

    async def evaluate_pending(self) -> list[Change]:
        async with self.runtime.db.connect() as conn:
            md = t.municipality_data
            pending = (
                await conn.execute(
                    sa.select(md.c.municipality).where(md.c.data_version > md.c.evaluated_version)
                )
            ).scalars()
            municipalities = list(pending)
        changes: list[Change] = []
        for municipality in municipalities:
            changes.extend(await self.evaluate(municipality))
        return changes

    async def evaluate(self, municipality: str, now: datetime | None = None) -> list[Change]:
        """Re-evaluate one municipality now; append and return the level changes."""
        moment = now or utcnow()
        known_on = moment.astimezone(NORWAY).date()
        changes: list[Change] = []
        # The lock is held on its own connection: a REPEATABLE READ snapshot starts with
        # its first statement, so waiting for the lock inside it would evaluate stale data.
        async with self.runtime.db.transaction() as guard:
            await guard.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key)"),
                {"key": zlib.crc32(f"indicators-evaluate-{municipality}".encode())},
            )
            async with self.runtime.db.connect() as conn, _repeatable_read(conn):
                version = int(
                    await conn.scalar(
                        sa.select(t.municipality_data.c.data_version).where(
                            t.municipality_data.c.municipality == municipality
                        )
                    )
                    or 0
                )
                plan = await load_plan(conn, municipality, None)
                if plan.thresholds:
                    changes = await self._evaluate(conn, municipality, plan, known_on)
            await guard.execute(
                sa.update(t.municipality_data)
                .where(t.municipality_data.c.municipality == municipality)
                .values(evaluated_version=version)
            )
        if changes:
            self.runtime.relay.notify()
            log.info("evaluator.levels_changed", municipality=municipality, count=len(changes))
        return changes

    async def _evaluate(
        self, conn: AsyncConnection, municipality: str, plan: Any, known_on: date
    ) -> list[Change]:
        snapshot = await self.cache.get(conn, municipality, None)
        manual = await load_manual_values(conn, municipality, None)
        current = {
            (row.indicator_key, row.period): row
            for row in (
                await conn.execute(
                    sa.select(t.indicator_levels).where(
                        t.indicator_levels.c.municipality == municipality
                    )
                )
            ).all()
        }
        metadata = Metadata(
            actor=ACTOR, municipality=municipality, correlation_id=str(uuid.uuid4())
        )
        changes = []
        for key, year in sorted(plan.thresholds):
            definition = plan.definitions[key]
            for period in Period.year_of(year).periods_within(definition.granularity):
                if period.start > known_on:
                    continue
                value = compute(
                    definition,
                    period,
                    snapshot,
                    plan,
                    manual,
                    known_on,
                    ordered=False,
                    complete_through=known_on - timedelta(days=1),
                )
                previous = current.get((key, str(period)))
                # Events leave the municipality: a value resting on fewer people than the
                # plan's threshold is not published at all (its level would place it).
                if suppression.protect(value, plan.settings.suppression_min_n).suppressed:
                    continue
                # The same level is published again once, when a preliminary value
                # becomes final (the period has passed), so agencies learn it is settled.
                if (
                    previous is not None
                    and previous.level == value.level.value
                    and (value.preliminary or not previous.preliminary)
                ):
                    continue
                change = Change(
                    key,
                    municipality,
                    str(period),
                    value.level.value,
                    previous.level if previous is not None else None,
                    value.shown,
                    value.preliminary,
                )
                await self.runtime.append(
                    conn,
                    level_stream(municipality, key, str(period)),
                    "indicator_level",
                    [LevelChanged(**change.describe())],
                    expected_version=previous.version if previous is not None else 0,
                    metadata=metadata,
                )
                changes.append(change)
        return changes
