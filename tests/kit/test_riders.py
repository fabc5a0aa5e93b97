"""Inline read models riding on the append statement leave the rows a flush leaves.

A command's inline projections are worked out before its append and, where they can,
handed to the event store as riders (:meth:`shared.projection.Batch.riders`): extra
common table expressions of the one append statement, done only if the stream claim
takes. Hypothesis draws event histories and cuts them into commands; each command's
projection writes go either as riders on a real append or, where the batch declines,
by flushing after it, and the tables must hold what applying the events one at a
time holds. A conflicting append must write none of its riders.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.db import Database
from shared.eventstore import NO_STREAM, ConcurrencyConflict, EventStore
from shared.projection import Batch, apply_batch
from tests.kit.helpers import kit_metadata, kit_registry, notes
from tests.kit.test_projection_engine import (
    FOLDED,
    TABLES,
    _apply_in,
    _cut,
    _envelopes,
    _history,
    accounts,
    counts,
    ledger_db,
)

__all__ = ["ledger_db"]  # the fixture, used by name

pytestmark = pytest.mark.timeout(300)

STORE = EventStore("kit", kit_registry, "veiviser.kit")


async def _rows(conn: Any) -> list[list[tuple[Any, ...]]]:
    return [
        [tuple(r) for r in await conn.execute(sa.select(t).order_by(*t.primary_key.columns))]
        for t in TABLES
    ]


async def _ride(db: Database, commands: list[list[Any]]) -> tuple[list[Any], int]:
    """Apply each command's events as a command does; how many commands' writes rode."""
    rode = 0
    stream = f"ledger-{uuid.uuid4()}"
    async with db.transaction() as conn:
        await FOLDED.reset(conn)
        version = NO_STREAM
        for envelopes in commands:
            batch = Batch(conn, deferred=True)
            await apply_batch(batch, [FOLDED], envelopes)
            pending = await STORE.prepare(
                conn,
                stream,
                "ledger",
                notes(f"command {version}"),
                expected_version=version,
                metadata=kit_metadata(),
            )
            assert pending is not None
            riders = await batch.riders()
            await STORE.write(conn, pending, riders or ())
            if riders is None:
                await batch.flush()
            else:
                rode += 1
            version += 1
        return await _rows(conn), rode


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=_history, cuts=st.lists(st.integers(0, 40), max_size=8))
async def test_riding_on_the_append_leaves_the_rows_a_flush_leaves(
    ledger_db: Database, history: list[Any], cuts: list[int]
) -> None:
    envelopes = _envelopes(history)
    one_by_one = await _apply_in(ledger_db, FOLDED, [[e] for e in envelopes])
    ridden, _ = await _ride(ledger_db, _cut(envelopes, cuts))
    assert ridden == one_by_one


async def test_a_command_of_upserts_and_counters_rides_whole(ledger_db: Database) -> None:
    history = [
        ("3301", ("opened", {"account": 1})),
        ("3301", ("deposited", {"account": 1, "amount": 5})),
    ]
    envelopes = _envelopes(history)
    rows, rode = await _ride(ledger_db, [envelopes[:1], envelopes[1:]])
    assert rode == 2
    assert rows == await _apply_in(ledger_db, FOLDED, [[e] for e in envelopes])
    assert [r[:3] for r in rows[0]] == [("3301", 1, 5)]


async def test_a_delete_of_a_stored_row_does_not_ride(ledger_db: Database) -> None:
    history = [("3301", ("opened", {"account": 1})), ("3301", ("closed", {"account": 1}))]
    envelopes = _envelopes(history)
    rows, rode = await _ride(ledger_db, [envelopes[:1], envelopes[1:]])
    assert rode == 1
    assert rows[0] == []


async def test_riders_of_a_conflicting_append_write_nothing(ledger_db: Database) -> None:
    stream = f"ledger-{uuid.uuid4()}"
    envelopes = _envelopes([("3301", ("opened", {"account": 7}))])
    async with ledger_db.transaction() as conn:
        await FOLDED.reset(conn)
        await STORE.append(
            conn,
            stream,
            "ledger",
            notes("first"),
            expected_version=NO_STREAM,
            metadata=kit_metadata(),
        )
        batch = Batch(conn, deferred=True)
        await apply_batch(batch, [FOLDED], envelopes)
        riders = await batch.riders()
        assert riders
        stale = await STORE.prepare(
            conn,
            stream,
            "ledger",
            notes("stale"),
            expected_version=NO_STREAM,
            metadata=kit_metadata(),
        )
        assert stale is not None
        with pytest.raises(ConcurrencyConflict) as conflict:
            await STORE.write(conn, stale, riders)
        assert conflict.value.current_version == 1
        assert (await conn.execute(sa.select(sa.func.count()).select_from(accounts))).scalar() == 0
        assert (await conn.execute(sa.select(sa.func.count()).select_from(counts))).scalar() == 0


stamped = sa.Table(
    "kit_riders_stamped",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    # Declared text, stored as xid8 (as matching's changed_tx): casts follow the database.
    sa.Column("stamp", sa.Text),
)


async def test_a_rider_casts_to_the_type_the_database_stores(ledger_db: Database) -> None:
    stream = f"stamped-{uuid.uuid4()}"
    async with ledger_db.transaction() as conn:
        await conn.run_sync(stamped.metadata.create_all)
        await conn.execute(
            sa.text("ALTER TABLE kit_riders_stamped ALTER COLUMN stamp TYPE xid8 USING stamp::xid8")
        )
        batch = Batch(conn, deferred=True)
        await batch.load(stamped, [(1,)])
        batch.put(stamped, {"id": 1, "stamp": None})
        riders = await batch.riders()
        assert riders is not None
        pending = await STORE.prepare(
            conn, stream, "stamped", notes("x"), expected_version=NO_STREAM, metadata=kit_metadata()
        )
        assert pending is not None
        await STORE.write(conn, pending, riders)
        stored = (
            await conn.execute(sa.text("SELECT id, stamp IS NULL FROM kit_riders_stamped"))
        ).all()
        assert [tuple(r) for r in stored] == [(1, True)]
