"""The projection engine leaves the same rows however the events are batched.

A small ledger read model uses every kind of change the engine folds in memory
(rows put, changed and removed, insert-if-absent rows, counters, an ordered
statement in between). Hypothesis generates event histories and cuts them into
batches at random; applied one event at a time, in those batches, as one fresh
rebuild, and through a per-event projection written with plain statements, the
tables must hold exactly the same rows.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import Database
from shared.events import Envelope, Event, EventRegistry, UnknownEventType
from shared.projection import Batch, Projection, apply_batch, decoder
from shared.settings import Settings
from tests.kit.helpers import database

pytestmark = pytest.mark.timeout(300)

ledger_metadata = sa.MetaData()
accounts = sa.Table(
    "kit_engine_accounts",
    ledger_metadata,
    sa.Column("municipality", sa.Text, primary_key=True),
    sa.Column("account", sa.Integer, primary_key=True),
    sa.Column("balance", sa.Integer, nullable=False),
    sa.Column("tags", pg.JSONB, nullable=False),
    sa.Column("last_version", sa.Integer, nullable=False),
)
notes = sa.Table(
    "kit_engine_notes",
    ledger_metadata,
    sa.Column("note", sa.Integer, primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
)
counts = sa.Table(
    "kit_engine_counts",
    ledger_metadata,
    sa.Column("municipality", sa.Text, primary_key=True),
    sa.Column("events", sa.Integer, nullable=False),
    sa.Column("deposits", sa.Integer, nullable=False, server_default="0"),
)
visits = sa.Table(
    "kit_engine_visits",
    ledger_metadata,
    sa.Column("municipality", sa.Text, primary_key=True),
    sa.Column("visit", sa.Integer, primary_key=True),
    sa.Column("ticket", sa.Integer, unique=True),
    sa.Column("text", sa.Text, nullable=False),
)
TABLES = (accounts, notes, counts, visits)


def _key(envelope: Envelope) -> tuple[str, int]:
    return (envelope.municipality, int(envelope.data["account"]))


async def _fold(batch: Batch, envelopes: Sequence[Envelope]) -> None:
    await batch.load(accounts, [_key(e) for e in envelopes if "account" in e.data])
    for envelope in envelopes:
        data, kind = envelope.data, envelope.type_name
        batch.add(counts, {"municipality": envelope.municipality}, events=1)
        if kind == "opened":
            key = _key(envelope)
            if batch.row(accounts, key) is None:
                batch.put(
                    accounts,
                    {
                        "municipality": key[0],
                        "account": key[1],
                        "balance": 0,
                        "tags": [],
                        "last_version": envelope.stream_version,
                    },
                )
        elif kind == "deposited":
            row = batch.row(accounts, _key(envelope))
            if row is not None:
                batch.put(
                    accounts,
                    row
                    | {
                        "balance": row["balance"] + data["amount"],
                        "tags": [*row["tags"], data["amount"]],
                        "last_version": envelope.stream_version,
                    },
                )
            batch.add(counts, {"municipality": envelope.municipality}, deposits=1)
        elif kind == "closed":
            batch.remove(accounts, _key(envelope))
        elif kind == "noted":
            batch.insert(notes, note=data["note"], text=data["text"])
        elif kind == "renamed_all":
            await batch.execute(
                sa.update(notes).values(text=notes.c.text + sa.literal("!")),
            )
        elif kind == "visited":
            batch.insert(visits, municipality=envelope.municipality, **data)


async def _per_event(conn: AsyncConnection, envelope: Envelope) -> None:
    data, kind = envelope.data, envelope.type_name
    count = pg.insert(counts).values(
        municipality=envelope.municipality,
        events=1,
        deposits=1 if kind == "deposited" else 0,
    )
    await conn.execute(
        count.on_conflict_do_update(
            index_elements=["municipality"],
            set_={
                "events": counts.c.events + 1,
                "deposits": counts.c.deposits + count.excluded.deposits,
            },
        )
    )
    key = (accounts.c.municipality == envelope.municipality) & (
        accounts.c.account == data.get("account")
    )
    if kind == "opened":
        await conn.execute(
            pg.insert(accounts)
            .values(
                municipality=envelope.municipality,
                account=data["account"],
                balance=0,
                tags=[],
                last_version=envelope.stream_version,
            )
            .on_conflict_do_nothing()
        )
    elif kind == "deposited":
        await conn.execute(
            sa.update(accounts)
            .where(key)
            .values(
                balance=accounts.c.balance + data["amount"],
                tags=accounts.c.tags.op("||")(sa.cast([data["amount"]], pg.JSONB)),
                last_version=envelope.stream_version,
            )
        )
    elif kind == "closed":
        await conn.execute(sa.delete(accounts).where(key))
    elif kind == "noted":
        await conn.execute(
            pg.insert(notes).values(note=data["note"], text=data["text"]).on_conflict_do_nothing()
        )
    elif kind == "renamed_all":
        await conn.execute(sa.update(notes).values(text=notes.c.text + sa.literal("!")))
    elif kind == "visited":
        await conn.execute(
            pg.insert(visits)
            .values(municipality=envelope.municipality, **data)
            .on_conflict_do_nothing()
        )


FOLDED = Projection("ledger", "kit", TABLES, apply_batch=_fold)
PER_EVENT = Projection("ledger", "kit", TABLES, _per_event)

_event = st.one_of(
    st.builds(lambda a: ("opened", {"account": a}), st.integers(0, 4)),
    st.builds(
        lambda a, n: ("deposited", {"account": a, "amount": n}),
        st.integers(0, 4),
        st.integers(-50, 50),
    ),
    st.builds(lambda a: ("closed", {"account": a}), st.integers(0, 4)),
    st.builds(
        lambda n, t: ("noted", {"note": n, "text": t}),
        st.integers(0, 6),
        st.sampled_from(["a", "b", "c"]),
    ),
    st.just(("renamed_all", {})),
    # Two unique keys, one of them nullable: a rebuild's COPY must keep what
    # ON CONFLICT DO NOTHING keeps, event by event.
    st.builds(
        lambda v, t, x: ("visited", {"visit": v, "ticket": t, "text": x}),
        st.integers(0, 3),
        st.one_of(st.none(), st.integers(0, 3)),
        st.sampled_from(["a", "b"]),
    ),
)
_history = st.lists(st.tuples(st.sampled_from(["0301", "3301"]), _event), max_size=40)


def _envelopes(history: list[tuple[str, tuple[str, dict[str, Any]]]]) -> list[Envelope]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        Envelope(
            id=uuid.uuid4(),
            type_name=kind,
            source="/veiviser/kit",
            stream_id="ledger",
            stream_version=version,
            municipality=municipality,
            occurred_at=now,
            recorded_at=now,
            actor="test",
            correlation_id="c",
            causation_id=None,
            data=data,
        )
        for version, (municipality, (kind, data)) in enumerate(history, start=1)
    ]


def _cut(envelopes: list[Envelope], cuts: list[int]) -> list[list[Envelope]]:
    points = sorted({c % (len(envelopes) + 1) for c in cuts} | {0, len(envelopes)})
    return [envelopes[a:b] for a, b in itertools.pairwise(points)]


async def _apply_in(
    db: Database, projection: Projection, batches: list[list[Envelope]], *, fresh: bool = False
) -> list[list[tuple[Any, ...]]]:
    async with db.transaction() as conn:
        await projection.reset(conn)
        # A rebuild's batch: tables known empty, rows held for the whole run, written
        # once at the end (new rows with COPY).
        shared_batch = Batch(conn, fresh=TABLES, deferred=True) if fresh else None
        for envelopes in batches:
            await apply_batch(shared_batch or Batch(conn), [projection], envelopes)
        if shared_batch is not None:
            await shared_batch.flush()
        return [
            [
                tuple(r)
                for r in await conn.execute(sa.select(table).order_by(*table.primary_key.columns))
            ]
            for table in TABLES
        ]


@pytest.fixture
async def ledger_db(settings: Settings) -> Any:
    async with database(settings, "participants") as db:
        async with db.transaction() as conn:
            await conn.run_sync(ledger_metadata.create_all)
        yield db


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=_history, cuts=st.lists(st.integers(0, 40), max_size=6))
async def test_the_rows_do_not_depend_on_how_events_are_batched(
    ledger_db: Database, history: list[Any], cuts: list[int]
) -> None:
    envelopes = _envelopes(history)
    one_by_one = await _apply_in(ledger_db, FOLDED, [[e] for e in envelopes])
    assert await _apply_in(ledger_db, FOLDED, _cut(envelopes, cuts)) == one_by_one
    assert await _apply_in(ledger_db, FOLDED, _cut(envelopes, cuts), fresh=True) == one_by_one
    assert await _apply_in(ledger_db, PER_EVENT, _cut(envelopes, cuts)) == one_by_one


async def test_a_row_read_without_being_loaded_is_a_bug_not_a_missing_row(
    ledger_db: Database,
) -> None:
    async with ledger_db.transaction() as conn:
        batch = Batch(conn)
        with pytest.raises(KeyError, match="not loaded"):
            batch.row(accounts, ("0301", 1))


async def test_a_new_row_names_every_column(ledger_db: Database) -> None:
    async with ledger_db.transaction() as conn:
        batch = Batch(conn)
        await batch.load(accounts, [("0301", 1)])
        with pytest.raises(ValueError, match="without balance, tags, last_version"):
            batch.put(accounts, {"municipality": "0301", "account": 1})


def test_a_projection_names_exactly_one_way_to_apply() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Projection("both", "kit", TABLES, _per_event, apply_batch=_fold)
    with pytest.raises(ValueError, match="exactly one"):
        Projection("neither", "kit", TABLES)


tally_events = EventRegistry()


@tally_events.register
class Counted(Event):
    type_name: ClassVar[str] = "kit.tally.counted.v2"

    tally_id: uuid.UUID
    on: date
    amount: int


@tally_events.upcaster("kit.tally.counted.v1", Counted.type_name)
def _counted_v1(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "n"} | {"amount": data.get("n", 0)}


def _outcome(decode: Callable[..., Event], *args: Any) -> Any:
    try:
        return decode(*args)
    except ValidationError as error:
        return ("invalid", error.errors(include_url=False))
    except UnknownEventType as error:
        return ("unknown", str(error))


@given(
    kinds=st.lists(
        st.sampled_from(["kit.tally.counted.v1", Counted.type_name, "kit.tally.lost.v1"]),
        min_size=1,
        max_size=8,
    ),
    data=st.fixed_dictionaries(
        {"tally_id": st.uuids().map(str), "on": st.dates().map(date.isoformat)},
        optional={
            "amount": st.one_of(st.integers(-5, 5), st.just("many")),
            "n": st.integers(0, 5),
        },
    ),
)
def test_the_projection_decoder_answers_as_the_registry_does(
    kinds: list[str], data: dict[str, Any]
) -> None:
    # Repeated types go through the decoder's cached model lookup.
    decode = decoder(tally_events)
    for kind in kinds:
        envelope = _envelopes([("0301", (kind, dict(data)))])[0]
        assert _outcome(decode, envelope) == _outcome(tally_events.decode, kind, dict(data))
