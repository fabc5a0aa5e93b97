"""Rows read ahead for several tables in one statement are the rows a load reads.

:meth:`shared.projection.Batch.prefetch` reads each table's rows as its composite type
through asyncpg and passes them through SQLAlchemy's result processing; a projection
must not be able to tell them from :meth:`Batch.load`'s, value for value and type for
type. Hypothesis draws rows of a table with a column of each kind the services use.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from datetime import UTC, date
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event
from sqlalchemy.dialects import postgresql as pg

from shared.db import Database
from shared.events import Envelope
from shared.projection import Batch, Key, Projection, apply_batch
from shared.settings import Settings
from tests.kit.helpers import database
from tests.kit.test_projection_engine import _envelopes

pytestmark = pytest.mark.timeout(300)


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


metadata = sa.MetaData()
kinds = sa.Table(
    "kit_prefetch_kinds",
    metadata,
    sa.Column("owner", sa.Uuid, primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("amount", sa.Numeric(12, 2), nullable=True),
    sa.Column("ratio", sa.Float, nullable=True),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("flag", sa.Boolean, nullable=True),
    sa.Column("doc", pg.JSONB, nullable=True),
    sa.Column("tags", pg.ARRAY(sa.Text), nullable=True),
    sa.Column("blob", sa.LargeBinary, nullable=True),
    sa.Column("colour", sa.Enum(Colour, native_enum=False), nullable=True),
    sa.Column("note", sa.Text, nullable=True),
)
labels = sa.Table(
    "kit_prefetch_labels",
    metadata,
    sa.Column("label", sa.Text, primary_key=True),
    sa.Column("uses", sa.Integer, nullable=False),
)

OWNERS = [uuid.UUID(int=n) for n in range(1, 4)]
DAYS = [date(2026, 1, d) for d in range(1, 4)]
_char = st.characters(codec="utf-8", exclude_characters="\x00")
"""What a PostgreSQL text (and jsonb string) can hold: no NUL, no lone surrogate."""
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(_char, max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(_char, max_size=3), inner),
    max_leaves=6,
)
_row = st.fixed_dictionaries(
    {
        "owner": st.sampled_from(OWNERS),
        "day": st.sampled_from(DAYS),
        "at": st.none()
        | st.datetimes(timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=0)),
        "amount": st.none() | st.decimals(-9999, 9999, places=2),
        "ratio": st.none() | st.floats(-1e6, 1e6),
        "count": st.integers(-(2**40), 2**40),
        "flag": st.none() | st.booleans(),
        "doc": _json,
        "tags": st.none() | st.lists(st.text(_char, max_size=4), max_size=3),
        "blob": st.none() | st.binary(max_size=8),
        "colour": st.none() | st.sampled_from(Colour),
        "note": st.none() | st.text(_char, max_size=10),
    }
)
_label = st.fixed_dictionaries(
    {"label": st.sampled_from(["a", "b", "c"]), "uses": st.integers(0, 100)}
)


def _unique(rows: Sequence[dict[str, Any]], *pk: str) -> list[dict[str, Any]]:
    return list({tuple(row[c] for c in pk): row for row in rows}.values())


@pytest.fixture
async def kinds_db(settings: Settings) -> Any:
    async with database(settings, "participants") as db:
        async with db.transaction() as conn:
            await conn.run_sync(metadata.create_all)
        yield db


def _typed(row: dict[str, Any] | None) -> Any:
    return None if row is None else {name: (type(v), v) for name, v in row.items()}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(stored=st.lists(_row, max_size=6), stored_labels=st.lists(_label, max_size=3))
async def test_prefetched_rows_are_the_rows_a_load_reads(
    kinds_db: Database, stored: list[dict[str, Any]], stored_labels: list[dict[str, Any]]
) -> None:
    wanted_kinds: set[Key] = {(o, d) for o in OWNERS for d in DAYS}
    wanted_labels: set[Key] = {("a",), ("b",), ("c",), ("never",)}
    async with kinds_db.transaction() as conn:
        await conn.execute(sa.text("TRUNCATE kit_prefetch_kinds, kit_prefetch_labels"))
        if stored:
            await conn.execute(sa.insert(kinds), _unique(stored, "owner", "day"))
        if stored_labels:
            await conn.execute(sa.insert(labels), _unique(stored_labels, "label"))
        loaded, ahead = Batch(conn), Batch(conn)
        await loaded.load(kinds, wanted_kinds)
        await loaded.load(labels, wanted_labels)
        await ahead.prefetch({kinds: wanted_kinds, labels: wanted_labels})
        for table, keys in ((kinds, wanted_kinds), (labels, wanted_labels)):
            for key in keys:
                assert _typed(ahead.row(table, key)) == _typed(loaded.row(table, key))
                if loaded.row(table, key) is not None:
                    # Column order too: rows put later take it, and writes group by it.
                    assert list(ahead.row(table, key) or {}) == [c.name for c in table.columns]


async def _count_uses(batch: Batch, envelopes: Sequence[Envelope]) -> None:
    await batch.load(labels, {(e.data["label"],) for e in envelopes})
    for envelope in envelopes:
        row = batch.row(labels, (envelope.data["label"],))
        uses = 0 if row is None else row["uses"]
        batch.put(labels, {"label": envelope.data["label"], "uses": uses + 1})


async def _mark_days(batch: Batch, envelopes: Sequence[Envelope]) -> None:
    key = (OWNERS[0], DAYS[0])
    await batch.load(kinds, {key})
    row = batch.row(kinds, key)
    count = len(envelopes) + (0 if row is None else row["count"])
    batch.put(
        kinds,
        {c.name: None for c in kinds.columns} | {"owner": key[0], "day": key[1], "count": count},
    )


def _label_rows(envelopes: Sequence[Envelope]) -> dict[sa.Table, set[Key]]:
    return {labels: {(e.data["label"],) for e in envelopes}}


@pytest.mark.parametrize("named", [True, False], ids=["keys named", "keys not named"])
async def test_the_engine_reads_ahead_only_what_saves_a_round_trip_and_leaves_the_same_rows(
    kinds_db: Database, named: bool
) -> None:
    """With ``keys`` the two projections' reads are one statement; without, two. The
    rows are the same, and a second batch sees the first's writes."""
    counted = Projection(
        "labels", "kit", (labels,), apply_batch=_count_uses, keys=_label_rows if named else None
    )
    marked = Projection(
        "days",
        "kit",
        (kinds,),
        apply_batch=_mark_days,
        keys=(lambda _: {kinds: {(OWNERS[0], DAYS[0])}}) if named else None,
    )
    async with kinds_db.transaction() as conn:
        await conn.execute(sa.text("TRUNCATE kit_prefetch_kinds, kit_prefetch_labels"))
        loads: list[str] = []

        def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            loads.append(statement)

        # Batch.load reads through SQLAlchemy; the read ahead goes to asyncpg itself.
        event.listen(kinds_db.engine.sync_engine, "before_cursor_execute", seen)
        for _ in range(2):
            batch = Batch(conn)
            envelopes = _envelopes([("3301", ("used", {"label": label})) for label in "aba"])
            await apply_batch(batch, [counted, marked], envelopes)
        event.remove(kinds_db.engine.sync_engine, "before_cursor_execute", seen)
        # Named keys: both tables read ahead, in one statement, in each of the two
        # batches; no load of its own. Else a load per table and batch.
        selects = [s for s in loads if s.lstrip().startswith("SELECT")]
        assert len(selects) == (0 if named else 4), selects
        found = [tuple(r) for r in await conn.execute(sa.select(labels).order_by(labels.c.label))]
        assert found == [("a", 4), ("b", 2)]
        assert await conn.scalar(sa.select(kinds.c.count)) == 6
