"""A command's stream read carries what the command needs beside the events (its
companion, e.g. the participant's key) in the same round trip, and that value is
exactly what a query of its own would have read."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from shared.eventstore import NO_STREAM
from shared.settings import Settings
from tests.kit.helpers import append_notes, database, kit_store, notes

pytestmark = pytest.mark.timeout(120)

# PostgreSQL's text and jsonb hold no NUL (the kit refuses one at the edge with a 422).
TEXT = st.text(
    alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=20,
)

KEY_OF_STREAM = "SELECT key FROM participant_keys WHERE participant_id = $1::text::uuid"


@hypothesis_settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    texts=st.lists(TEXT, min_size=1, max_size=5),
    key=st.one_of(st.none(), st.binary(min_size=1, max_size=64)),
    more=st.lists(TEXT, max_size=3),
)
async def test_the_companion_read_with_a_stream_is_what_its_own_query_reads(
    settings: Settings, texts: list[str], key: bytes | None, more: list[str]
) -> None:
    store = kit_store(settings)
    stream_id = str(uuid.uuid4())
    async with database(settings, "participants") as db:
        async with db.transaction() as conn:
            await append_notes(store, conn, stream_id, notes(*texts), NO_STREAM)
            if key is not None:
                await conn.execute(
                    sa.text("INSERT INTO participant_keys (participant_id, key) VALUES (:p, :k)"),
                    {"p": uuid.UUID(stream_id), "k": key},
                )
        async with db.transaction() as conn:
            stored = await conn.scalar(
                sa.text("SELECT key FROM participant_keys WHERE participant_id = :p"),
                {"p": uuid.UUID(stream_id)},
            )
            plain = await store.open(conn, stream_id)
            store.close(conn)
            opened = await store.open(conn, stream_id, companion=KEY_OF_STREAM)
            assert plain is not None and opened is not None
            # Without a companion nothing is claimed to have been read.
            assert not plain.companion_read and plain.companion is None
            assert opened.companion_read
            assert opened.companion == stored == key
            assert [e.id for e in opened.envelopes] == [e.id for e in plain.envelopes]
            assert [e.data["text"] for e in opened.envelopes] == texts
            # The transaction's own appends join the stream read; the companion stays.
            if more:
                await append_notes(store, conn, stream_id, notes(*more), opened.version)
            again = store.read_in(conn, stream_id)
            assert again is not None
            assert again.companion_read and again.companion == key
            assert [e.data["text"] for e in again.envelopes] == texts + more
            assert again.version == len(texts) + len(more)
            store.close(conn)
            assert store.read_in(conn, stream_id) is None
        async with db.transaction() as conn:
            # Another stream, no such row: read as None, and still marked as read.
            other = str(uuid.uuid4())
            await append_notes(store, conn, other, notes("x"), NO_STREAM)
            lone = await store.open(conn, other, companion=KEY_OF_STREAM)
            assert lone is not None and lone.companion_read and lone.companion is None
            assert await store.open(conn, str(uuid.uuid4()), companion=KEY_OF_STREAM) is None
            store.close(conn)
