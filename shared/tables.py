"""The kit's own tables, present in every service database.

The SQLAlchemy Core objects below are what the kit's code queries; the kit's
revisions (``shared.kit_migrations``) create them in every service's database.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from shared.columns import UUID, moment, municipality, written_at

metadata = sa.MetaData()


streams = sa.Table(
    "streams",
    metadata,
    sa.Column("stream_id", sa.Text, primary_key=True),
    sa.Column("stream_type", sa.Text, nullable=False),
    municipality(),
    sa.Column("version", sa.Integer, nullable=False),
    # The version of the stream's latest *published* event (0: none yet): the next
    # published event carries it as ``previousversion``, so consumers tell a gap from
    # the versions of unpublished events (see eventstore.EventStore.append).
    sa.Column("published_version", sa.Integer, nullable=False, server_default="0"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("position", sa.BigInteger, sa.Identity(always=False), primary_key=True),
    # The writing transaction's id: readers of the global log order by it and stop
    # below the oldest transaction still open (see eventstore.read_all).
    sa.Column("tx_id", sa.Text, nullable=False),
    sa.Column("event_id", UUID, nullable=False, unique=True),
    sa.Column("stream_id", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    municipality(),
    sa.Column("data", pg.JSONB, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("correlation_id", sa.Text, nullable=False),
    sa.Column("causation_id", sa.Text),
    moment("occurred_at"),
    moment("recorded_at"),
    sa.UniqueConstraint("stream_id", "version", name="events_stream_version_key"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True),
    sa.Column("event_id", UUID, nullable=False, unique=True),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),
    written_at("created_at"),
    moment("published_at", nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    # The aggregate the event belongs to: a parked row holds back the later rows of
    # its stream only, so other aggregates keep flowing and no stream's order breaks.
    sa.Column("stream_id", sa.Text),
    moment("parked_at", nullable=True),
)

OUTBOX_CHANNEL = "veiviser_outbox"
"""What a commit that adds ``outbox`` rows NOTIFYs (the kit0004 trigger); relays LISTEN."""

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("scope", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("request_hash", sa.Text, nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("response", pg.JSONB),
    written_at("created_at"),
)

received_events = sa.Table(
    "received_events",
    metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(always=False), primary_key=True),
    sa.Column("consumer", sa.Text, nullable=False),
    sa.Column("event_id", UUID, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("source_sequence", sa.BigInteger, nullable=False),
    sa.Column("payload", pg.JSONB, nullable=False),
    written_at("received_at"),
    sa.UniqueConstraint("consumer", "event_id", name="received_events_consumer_event_key"),
)

consumer_checkpoints = sa.Table(
    "consumer_checkpoints",
    metadata,
    sa.Column("consumer", sa.Text, primary_key=True),
    sa.Column("source_sequence", sa.BigInteger, nullable=False),
    written_at("updated_at"),
    # How far the consumer has walked the source service's catch-up feed: every
    # published event before it is known to be applied (see shared.catchup).
    sa.Column("feed_cursor", sa.Text),
)

consumer_streams = sa.Table(
    "consumer_streams",
    metadata,
    # Per consumer and source stream (aggregate): the version of the last published
    # event applied. Locked by the batch that applies the stream's next events, so two
    # replicas of a consumer keep each aggregate's order (see shared.consumer).
    sa.Column("consumer", sa.Text, primary_key=True),
    sa.Column("stream_id", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
)

dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True),
    sa.Column("consumer", sa.Text, nullable=False),
    sa.Column("event_id", sa.Text),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("source_sequence", sa.BigInteger),
    sa.Column("deliveries", sa.Integer, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),
    written_at("created_at"),
)
