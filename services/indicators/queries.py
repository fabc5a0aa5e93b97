"""Questions the API and the dashboard ask; both call these, so they always agree."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.indicators import tables as t
from services.indicators.application import (
    Knowledge,
    granularity_periods,
    knowledge,
    load_comments,
    require_definition,
)
from services.indicators.domain import survival
from services.indicators.domain.asof import AsOf
from services.indicators.domain.catalogue import BUILT_INS
from services.indicators.domain.facts import Snapshot, build_snapshots
from services.indicators.domain.national import Entry, compare
from services.indicators.domain.periods import FIRST_YEAR, LAST_YEAR, Period, PeriodError
from services.indicators.domain.scoring import IndicatorValue, Scorecard
from services.indicators.domain.trends import Change, scorecard_changes, series, series_periods
from services.indicators.loader import SnapshotCache, load_snapshots, read_fact_rows
from shared.logging import get_logger
from shared.problems import InvalidInput, field_error
from shared.service import Runtime

log = get_logger(__name__)


@dataclass(frozen=True)
class NationalFacts:
    """Every municipality's snapshot of everything known, at one national data version."""

    version: int
    snapshots: dict[str, Snapshot]
    rows: int = 0
    """Fact rows folded."""


FREEZE_ROWS = 100_000
"""From this many folded rows on, the held facts are frozen out of the cyclic collector."""


@dataclass
class IndicatorsState:
    """Per-process state of the service: the snapshot cache and the level evaluator."""

    cache: SnapshotCache = field(default_factory=SnapshotCache)
    national: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    """National comparisons and fitted models by question and national data version."""
    national_facts: NationalFacts | None = None
    """All municipalities' snapshots as of now, folded off the request path
    (:func:`keep_national_facts_warm`); used while the national data version matches."""
    warming: asyncio.Task[None] | None = None

    def remember(self, key: tuple[Any, ...], value: Any) -> Any:
        self.national[key] = value
        while len(self.national) > 16:
            self.national.pop(next(iter(self.national)))
        return value


async def national_version(conn: AsyncConnection) -> int:
    """Grows with every applied fact anywhere: keys the national caches."""
    found = await conn.scalar(sa.select(sa.func.sum(t.municipality_data.c.data_version)))
    return int(found or 0)


@asynccontextmanager
async def consistent(runtime: Runtime) -> AsyncIterator[AsyncConnection]:
    """A read-only connection whose statements all see the same committed state.

    Why: a snapshot is read with one SELECT per fact table while consumers keep
    committing; under READ COMMITTED a settlement could be seen without the
    registration committed a moment earlier in another table's read.
    """
    async with runtime.db.snapshot() as conn:
        await conn.execute(sa.text("SET TRANSACTION READ ONLY"))
        yield conn


async def knowledge_for(
    runtime: Runtime, state: IndicatorsState, municipality: str, as_of: AsOf
) -> Knowledge:
    async with consistent(runtime) as conn:
        return await knowledge(conn, state.cache, municipality, as_of)


async def scorecard_for(
    runtime: Runtime, state: IndicatorsState, municipality: str, period: Period, as_of: AsOf
) -> tuple[Knowledge, Scorecard]:
    period = to_date(period, as_of)
    async with consistent(runtime) as conn:
        known = await knowledge(conn, state.cache, municipality, as_of)
    return known, known.scorecard(period)


async def value_for(
    runtime: Runtime,
    state: IndicatorsState,
    municipality: str,
    key: str,
    period: Period,
    as_of: AsOf,
) -> tuple[Knowledge, IndicatorValue]:
    period = to_date(period, as_of)
    async with consistent(runtime) as conn:
        known = await knowledge(conn, state.cache, municipality, as_of)
    return known, known.value(require_definition(known.plan, key), period)


async def series_for(
    runtime: Runtime,
    state: IndicatorsState,
    municipality: str,
    key: str,
    from_year: int | None,
    to_year: int | None,
    as_of: AsOf,
) -> tuple[Knowledge, list[IndicatorValue]]:
    async with consistent(runtime) as conn:
        known = await knowledge(conn, state.cache, municipality, as_of)
    definition = require_definition(known.plan, key)
    last = to_year if to_year is not None else as_of.known_on.year
    first = from_year if from_year is not None else last - 4
    if first > last:
        raise InvalidInput(
            "from_year is after to_year.", [field_error("from_year", "must not exceed to_year")]
        )
    if not FIRST_YEAR <= first <= last <= LAST_YEAR:
        raise InvalidInput(
            f"Years lie within {FIRST_YEAR}–{LAST_YEAR}.",
            [field_error("from_year", f"from_year and to_year lie in {FIRST_YEAR}–{LAST_YEAR}")],
        )
    if last - first > 30:
        raise InvalidInput(
            "At most 31 years at a time.", [field_error("from_year", "too long a range")]
        )
    periods = [p for p in granularity_periods(definition, first, last) if p.start <= as_of.known_on]
    return known, [known.value(definition, p) for p in periods]


def to_date(period: Period, as_of: AsOf, field: str = "period") -> Period:
    """A year to date cut at the as-of day (``2025-YTD`` runs through it); others as given."""
    try:
        return period.to_date(as_of.known_on)
    except PeriodError as exc:
        raise InvalidInput(f"{field}: {exc}.", [field_error(field, str(exc))]) from exc


def scorecard_trends(known: Knowledge, card: Scorecard, as_of: AsOf) -> dict[str, Change]:
    """Indicator key → the scorecard value against the same period last year, from the
    knowledge the scorecard was computed from (``known, card = await scorecard_for(...)``)."""
    return scorecard_changes(
        card, known.plan, known.snapshot, known.manual, as_of.last_complete_day
    )


async def trend_series_for(
    runtime: Runtime,
    state: IndicatorsState,
    municipality: str,
    key: str,
    from_year: int | None,
    to_year: int | None,
    selector: str | None,
    as_of: AsOf,
) -> tuple[Knowledge, list[tuple[IndicatorValue, IndicatorValue | None, Change]]]:
    """A multi-year series of one indicator, each value against the same period last year.

    Each point carries last year's value too (None before the first year): a change
    against a value that is hidden outside the municipality would reveal it."""
    last = to_year if to_year is not None else as_of.known_on.year
    first = from_year if from_year is not None else last - 4
    if first > last:
        raise InvalidInput("from is after to.", [field_error("from", "must not exceed to")])
    if last - first > 30:
        raise InvalidInput("At most 31 years at a time.", [field_error("from", "too long a range")])
    async with consistent(runtime) as conn:
        known = await knowledge(conn, state.cache, municipality, as_of)
    definition = require_definition(known.plan, key)
    try:
        periods = series_periods(selector, definition.granularity, first, last, as_of.known_on)
    except PeriodError as exc:
        raise InvalidInput(f"period: {exc}.", [field_error("period", str(exc))]) from exc
    computed: dict[Period, IndicatorValue] = {}

    def value_of(period: Period) -> IndicatorValue:
        if period not in computed:
            computed[period] = known.value(definition, period)
        return computed[period]

    points = [(p, value_of(p).value) for p in periods]
    earlier = [
        (p.same_period_last_year(), value_of(p.same_period_last_year()).value)
        for p in periods
        if p.year > FIRST_YEAR
    ]
    changes = series(points, earlier, definition.direction, definition.decimals)
    return known, [(computed[c.period], computed.get(c.previous_period), c) for c in changes]


async def comments_for(
    runtime: Runtime, municipality: str, as_of: AsOf, key: str | None, period: str | None
) -> list[dict[str, Any]]:
    async with consistent(runtime) as conn:
        return await load_comments(conn, municipality, as_of.moment, key, period)


def require_built_in(key: str) -> Any:
    built_in = BUILT_INS.get(key)
    if built_in is None:
        raise InvalidInput(
            f"Unknown built-in indicator {key!r}.",
            [
                field_error(
                    "key",
                    f"the national comparison covers the built-in indicators: "
                    f"{', '.join(sorted(BUILT_INS))}",
                    "unknown_indicator",
                )
            ],
        )
    return built_in


async def national_for(
    runtime: Runtime, state: IndicatorsState, key: str, period: Period, as_of: AsOf
) -> list[Entry]:
    built_in = require_built_in(key)
    async with consistent(runtime) as conn:
        question = ("national", key, period, as_of, await national_version(conn))
        if question in state.national:
            found: list[Entry] = state.national[question]
            return found
        snapshots = await national_snapshots(conn, state, as_of)
    entries = compare(built_in, snapshots, period, as_of.known_on)
    result: list[Entry] = state.remember(question, entries)
    return result


async def fold_national_facts(conn: AsyncConnection) -> NationalFacts:
    """Read and fold every fact of every municipality (``conn``: one consistent read, so
    the version names exactly what was folded). The fold runs in a worker thread: it
    takes seconds over the whole country and the event loop keeps answering meanwhile."""
    version = await national_version(conn)
    rows = await read_fact_rows(conn, None, None)
    snapshots = await asyncio.to_thread(build_snapshots, rows)
    folded = NationalFacts(version, snapshots, sum(len(found) for found in rows.values()))
    if folded.rows >= FREEZE_ROWS:
        # Millions of long-lived objects: left in the collected generations, every later
        # full collection walks them all and each request pays for it. Frozen, the
        # collector skips them (refcounting still frees them once a refresh replaces
        # them; garbage cycles frozen with them stay, which small data need not risk).
        gc.freeze()
    return folded


async def national_snapshots(
    conn: AsyncConnection, state: IndicatorsState, as_of: AsOf
) -> dict[str, Snapshot]:
    """Every municipality's snapshot as of ``as_of``: the warm ones when the question is
    about now and nothing was applied since they were folded, else read and folded here."""
    if as_of.moment is not None:
        return await load_snapshots(conn, None, as_of.moment)
    if state.warming is not None and not state.warming.done():
        # A fold is under way (start-up or refresh): waiting for it costs less than a
        # second fold beside it on the same cores.
        with contextlib.suppress(Exception):
            await asyncio.shield(state.warming)
    version = await national_version(conn)
    held = state.national_facts
    if held is not None and held.version == version:
        return held.snapshots
    folded = await fold_national_facts(conn)
    state.national_facts = folded
    return folded.snapshots


async def warm_national_facts(runtime: Runtime, state: IndicatorsState) -> None:
    """Fold the national facts unless the held ones are still current."""
    started = time.perf_counter()
    async with consistent(runtime) as conn:
        held = state.national_facts
        if held is not None and held.version == await national_version(conn):
            return
        folded = await fold_national_facts(conn)
    state.national_facts = folded
    log.info(
        "national_facts.warmed",
        municipalities=len(folded.snapshots),
        rows=folded.rows,
        version=folded.version,
        ms=round((time.perf_counter() - started) * 1000),
    )


async def keep_national_facts_warm(
    runtime: Runtime, state: IndicatorsState, stop: asyncio.Event, interval: float
) -> None:
    """Fold the national facts at start-up, then again every ``interval`` seconds when
    facts were applied since: the first national comparison after a start (or after a
    quiet spell) then finds them folded instead of reading the whole country."""
    while not stop.is_set():
        state.warming = asyncio.create_task(warm_national_facts(runtime, state))
        try:
            await asyncio.shield(state.warming)
        except asyncio.CancelledError:
            state.warming.cancel()
            raise
        except Exception as exc:
            # A failed warm-up only costs speed: questions fold for themselves.
            log.warning("national_facts.warm_failed", error=type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


async def survival_subjects(
    runtime: Runtime,
    municipality: str | None,
    from_year: int,
    to_year: int,
    as_of: AsOf,
    quality: survival.DataQuality | None = None,
    state: IndicatorsState | None = None,
) -> list[survival.Subject]:
    async with consistent(runtime) as conn:
        if municipality is None and state is not None:
            snapshots = await national_snapshots(conn, state, as_of)
        else:
            snapshots = await load_snapshots(conn, municipality, as_of.moment)
    return survival.subjects(
        snapshots.values(), from_year, to_year, as_of.known_on, quality=quality
    )


async def kaplan_meier_for(
    runtime: Runtime, municipality: str, from_year: int, to_year: int, as_of: AsOf
) -> tuple[list[dict[str, Any]], survival.DataQuality]:
    quality = survival.DataQuality()
    items = await survival_subjects(runtime, municipality, from_year, to_year, as_of, quality)
    return await asyncio.to_thread(survival.kaplan_meier, items), quality


async def expected_vs_observed_for(
    runtime: Runtime, state: IndicatorsState, from_year: int, to_year: int, as_of: AsOf
) -> dict[str, Any]:
    async with consistent(runtime) as conn:
        question = ("cox", from_year, to_year, as_of, await national_version(conn))
    if question in state.national:
        cached: dict[str, Any] = state.national[question]
        return dict(cached)
    items = await survival_subjects(runtime, None, from_year, to_year, as_of, state=state)
    try:
        model = await asyncio.to_thread(survival.expected_vs_observed, items)
        return dict(state.remember(question, model))
    except survival.ModelUnavailable as exc:
        raise InvalidInput(
            f"The expected-vs-observed model cannot be fitted: {exc}.",
            [field_error("from_year", str(exc), "insufficient_data")],
        ) from exc


async def research_reserved(runtime: Runtime, municipality: str) -> frozenset[str]:
    """The pseudonymous ids of the municipality's participants whose latest word is a
    reservation against research use: every person-level export carries the flag."""
    table = t.research_reservations
    rank = sa.func.row_number().over(
        partition_by=table.c.participant_id,
        order_by=(table.c.recorded_at.desc(), table.c.event_id.desc()),
    )
    latest = (
        sa.select(table.c.participant_id, table.c.reserved, rank.label("rank"))
        .where(table.c.municipality == municipality)
        .subquery()
    )
    async with runtime.db.snapshot() as conn:
        rows = await conn.execute(
            sa.select(latest.c.participant_id).where(latest.c.rank == 1, latest.c.reserved)
        )
        return frozenset(str(row.participant_id) for row in rows)
