"""Consumers keep each source aggregate's order: an event ahead of its predecessor waits
for it, a lost one is filled from the source's catch-up feed, a lost tail is found by
reconciliation, unpublished events are not taken for gaps, events from before
``previousversion`` still apply, and two replicas on one durable give exactly the rows
a straight replay gives — whatever JetStream delivers, duplicates, drops or reorders."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from shared.db import Database
from shared.events import Envelope, Event
from shared.eventstore import EventStore
from shared.replay import rebuild
from shared.settings import Settings
from tests.kit.catchup_support import (
    CONSUMING,
    NoteConsumers,
    append,
    create_note_log,
    deliver,
    ensure_source_stream,
    outbox_payloads,
    source_app,
)
from tests.kit.helpers import NoteTaken, PrivateNoteTaken, database, kit_registry
from tests.support import eventually

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def quick(settings: Settings) -> Settings:
    """Settings with short waits: a held event is filled after its second delivery."""
    return settings.model_copy(
        update={
            "consumer_gap_retries": 2,
            "consumer_gap_delay_seconds": 0.05,
            "consumer_reconcile_seconds": 0.3,
            "consumer_fetch_timeout_seconds": 0.2,
        }
    )


@pytest.fixture
async def consumer_db(quick: Settings) -> AsyncIterator[Database]:
    await ensure_source_stream(quick)
    async with database(quick, CONSUMING) as db:
        await create_note_log(db)
        yield db


async def _payloads(settings: Settings, envelopes: list[Envelope]) -> list[bytes]:
    """The relay's payload of each published envelope, in the given order."""
    found = await outbox_payloads(settings, sorted({e.stream_id for e in envelopes}))
    return [found[e.id] for e in envelopes if e.id in found]


async def _inbox(db: Database, consumer: str) -> list[tuple[str, int]]:
    async with db.connect() as conn:
        found = await conn.execute(
            sa.text(
                "SELECT payload ->> 'streamid' AS stream, (payload ->> 'streamversion')::int AS v "
                "FROM received_events WHERE consumer = :c ORDER BY seq"
            ),
            {"c": consumer},
        )
        return [(row.stream, row.v) for row in found]


async def test_a_lost_event_is_filled_from_the_feed_before_its_successor_applies(
    quick: Settings, consumer_db: Database
) -> None:
    # No periodic reconciliation: only the gap can bring the lost event back.
    slow = quick.model_copy(update={"consumer_reconcile_seconds": 3600.0})
    warm_up = f"note-{uuid.uuid4()}"
    await append(slow, warm_up, [NoteTaken(text="before")])
    stream = f"note-{uuid.uuid4()}"
    async with source_app(slow) as feed:
        notes = NoteConsumers(slow, consumer_db, "gapfill", feed=feed)
        async with notes.running():
            # The reconciliation at subscribe has walked the feed once it brought this.
            await eventually(lambda: _equals(notes.log([warm_up]), {warm_up: ["before"]}))
            first, _lost, third = await append(slow, stream, [NoteTaken(text=t) for t in "abc"])
            await deliver(slow, "note.taken", await _payloads(slow, [first, third]))
            await eventually(lambda: _equals(notes.log([stream]), {stream: ["a", "b", "c"]}))
    assert notes.outcomes("held") >= 1
    # The fill takes everything the feed has after the stored version: b and c (whose
    # own message is then a duplicate).
    assert notes.outcomes("filled") == 2
    assert [v for s, v in await _inbox(consumer_db, "gapfill") if s == stream] == [1, 2, 3]


async def _equals(found: Any, expected: Any) -> bool:
    return bool(await found == expected)


async def test_an_event_ahead_of_its_predecessor_waits_for_it(
    quick: Settings, consumer_db: Database
) -> None:
    stream = f"note-{uuid.uuid4()}"
    first, second = await append(quick, stream, [NoteTaken(text="a"), NoteTaken(text="b")])
    notes = NoteConsumers(quick, consumer_db, "ahead", feed=None)
    async with notes.running():
        await deliver(quick, "note.taken", await _payloads(quick, [second]))
        await eventually(lambda: _at_least(notes, "held", 2))
        # Held, not applied and not stored: nothing of the stream yet.
        assert await notes.log([stream]) == {}
        assert await _inbox(consumer_db, "ahead") == []
        await deliver(quick, "note.taken", await _payloads(quick, [first]))
        await eventually(lambda: _equals(notes.log([stream]), {stream: ["a", "b"]}))
    assert await _inbox(consumer_db, "ahead") == [(stream, 1), (stream, 2)]


async def _at_least(notes: NoteConsumers, outcome: str, count: int) -> bool:
    return notes.outcomes(outcome) >= count


async def test_unpublished_events_are_not_taken_for_gaps(
    quick: Settings, consumer_db: Database
) -> None:
    stream = f"note-{uuid.uuid4()}"
    appended = await append(
        quick,
        stream,
        [NoteTaken(text="a"), PrivateNoteTaken(text="x"), PrivateNoteTaken(text="y")],
    )
    appended += await append(quick, stream, [NoteTaken(text="d")], expected_version=3)
    notes = NoteConsumers(quick, consumer_db, "unpublished", feed=None)
    async with notes.running():
        await deliver(quick, "note.taken", await _payloads(quick, appended))
        await eventually(lambda: _equals(notes.log([stream]), {stream: ["a", "d"]}))
    assert notes.outcomes("held") == 0
    assert await _inbox(consumer_db, "unpublished") == [(stream, 1), (stream, 4)]


async def test_events_published_before_previousversion_existed_still_apply_once(
    quick: Settings, consumer_db: Database
) -> None:
    stream = f"note-{uuid.uuid4()}"
    old = [
        Envelope.recorded_now(
            "kit.note.taken.v1",
            {"text": text},
            service="participants",
            stream_id=stream,
            municipality="3301",
            stream_version=version,
        )
        for text, version in [("a", 1), ("b", 3), ("c", 3), ("d", 7)]
    ]
    notes = NoteConsumers(quick, consumer_db, "old-format", feed=None)
    async with notes.running():
        payloads = [e.to_json() for e in old]
        # Every one twice: the inbox alone deduplicates events without the attribute.
        await deliver(quick, "note.taken", payloads + payloads)
        await eventually(lambda: _equals(notes.log([stream]), {stream: ["a", "b", "c", "d"]}))
        await eventually(lambda: _at_least(notes, "duplicate", 4))
    assert await notes.log([stream]) == {stream: ["a", "b", "c", "d"]}
    assert notes.outcomes("held") == 0


async def test_duplicates_and_redeliveries_change_nothing(
    quick: Settings, consumer_db: Database
) -> None:
    stream = f"note-{uuid.uuid4()}"
    envelopes = await append(quick, stream, [NoteTaken(text=t) for t in "abc"])
    payloads = await _payloads(quick, envelopes)
    notes = NoteConsumers(quick, consumer_db, "duplicates", feed=None)
    async with notes.running():
        await deliver(quick, "note.taken", [payloads[0], payloads[0], payloads[1]])
        await eventually(lambda: _equals(notes.log([stream]), {stream: ["a", "b"]}))
        await deliver(quick, "note.taken", [payloads[1], payloads[0], payloads[2], payloads[2]])
        await eventually(lambda: _equals(notes.log([stream]), {stream: ["a", "b", "c"]}))
        await eventually(lambda: _at_least(notes, "duplicate", 4))
    assert await _inbox(consumer_db, "duplicates") == [(stream, 1), (stream, 2), (stream, 3)]


async def test_a_lost_tail_is_found_by_reconciliation(
    quick: Settings, consumer_db: Database
) -> None:
    stream = f"note-{uuid.uuid4()}"
    first, *_ = await append(quick, stream, [NoteTaken(text=t) for t in "abc"])
    other = f"note-{uuid.uuid4()}"
    await append(quick, other, [NoteTaken(text="never on NATS")])
    async with source_app(quick) as feed:
        notes = NoteConsumers(quick, consumer_db, "tail", feed=feed)
        async with notes.running():
            await deliver(quick, "note.taken", await _payloads(quick, [first]))
            await eventually(
                lambda: _equals(
                    notes.log([stream, other]),
                    {stream: ["a", "b", "c"], other: ["never on NATS"]},
                )
            )
    assert notes.outcomes("reconciled") >= 3


# --------------------------------------------------------------------------- property

_example = iter(range(10**9))


@st.composite
def _histories(draw: st.DrawFn) -> list[list[tuple[str, bool]]]:
    """Streams of notes, each note published or not."""
    streams = draw(st.integers(1, 3))
    return [
        [(f"n{i}", draw(st.booleans())) for i in range(draw(st.integers(1, 6)))]
        for _ in range(streams)
    ]


@hypothesis_settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=_histories(),
    copies=st.lists(st.sampled_from([0, 1, 1, 2]), min_size=18, max_size=18),
    order=st.randoms(use_true_random=False),
    in_turn=st.booleans(),
)
async def test_two_replicas_on_one_durable_end_with_the_rows_of_a_straight_replay(
    quick: Settings,
    consumer_db: Database,
    history: list[list[tuple[str, bool]]],
    copies: list[int],
    order: Any,
    in_turn: bool,
) -> None:
    example = next(_example)
    streams = [f"note-{uuid.uuid4()}" for _ in history]
    published: list[Envelope] = []
    for stream, notes_of_stream in zip(streams, history, strict=True):
        events: list[Event] = [
            NoteTaken(text=text) if public else PrivateNoteTaken(text=text)
            for text, public in notes_of_stream
        ]
        appended = await append(quick, stream, events)
        published += [e for e, ev in zip(appended, events, strict=True) if ev.published]
    payloads = await _payloads(quick, published)
    # Each published event delivered 0, 1 or 2 times, all in a random order.
    deliveries = [p for p, n in zip(payloads, copies, strict=False) for _ in range(n)]
    order.shuffle(deliveries)
    expected = {
        stream: [e.data["text"] for e in published if e.stream_id == stream]
        for stream in streams
        if any(e.stream_id == stream for e in published)
    }
    name = f"replicas{example}"
    suffix = f"ex{example}"
    async with source_app(quick) as feed:
        notes = NoteConsumers(
            quick, consumer_db, name, feed=feed, subject_suffix=f"{suffix}.>", in_turn=in_turn
        )
        async with notes.running(replicas=2):
            await deliver(quick, f"{suffix}.taken", deliveries)
            await eventually(lambda: _equals(notes.log(streams), expected), timeout=60)
        live = await notes.log(streams)
        inbox = await _inbox(consumer_db, name)
        store = EventStore("indicators", kit_registry, quick.subject_prefix("indicators"))
        await rebuild(consumer_db, store, notes.projection)
        replayed = await notes.log(streams)
    assert live == expected
    assert replayed == expected
    # Every published event of the example once in the inbox, each stream in order.
    for stream in streams:
        versions = [v for s, v in inbox if s == stream]
        assert versions == [e.stream_version for e in published if e.stream_id == stream]
