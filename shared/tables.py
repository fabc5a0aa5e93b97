"""The kit's own tables, present in every service database.

Each service's first Alembic revision calls :func:`create_kit_tables`; the
SQLAlchemy Core objects below are what the kit's code queries.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

metadata = sa.MetaData()

streams = sa.Table(
    "streams",
    metadata,
    sa.Column("stream_id", sa.Text, primary_key=True),
    sa.Column("stream_type", sa.Text, nullable=False),
    sa.Column("municipality", sa.String(4), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("position", sa.BigInteger, sa.Identity(always=False), primary_key=True),
    # The writing transaction's id: readers of the global log order by it and stop
    # below the oldest transaction still open (see eventstore.read_all).
    sa.Column("tx_id", sa.Text, nullable=False),
    sa.Column("event_id", pg.UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("stream_id", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("municipality", sa.String(4), nullable=False),
    sa.Column("data", pg.JSONB, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("correlation_id", sa.Text, nullable=False),
    sa.Column("causation_id", sa.Text),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("stream_id", "version", name="events_stream_version_key"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True),
    sa.Column("event_id", pg.UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("published_at", sa.DateTime(timezone=True)),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    # The aggregate the event belongs to: a parked row holds back the later rows of
    # its stream only, so other aggregates keep flowing and no stream's order breaks.
    sa.Column("stream_id", sa.Text),
    sa.Column("parked_at", sa.DateTime(timezone=True)),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("scope", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("request_hash", sa.Text, nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("response", pg.JSONB),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

received_events = sa.Table(
    "received_events",
    metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(always=False), primary_key=True),
    sa.Column("consumer", sa.Text, nullable=False),
    sa.Column("event_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("source_sequence", sa.BigInteger, nullable=False),
    sa.Column("payload", pg.JSONB, nullable=False),
    sa.Column(
        "received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.UniqueConstraint("consumer", "event_id", name="received_events_consumer_event_key"),
)

consumer_checkpoints = sa.Table(
    "consumer_checkpoints",
    metadata,
    sa.Column("consumer", sa.Text, primary_key=True),
    sa.Column("source_sequence", sa.BigInteger, nullable=False),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
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
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)


def create_kit_tables(op: Any) -> None:
    """Create the kit's tables inside an Alembic migration (``op`` is ``alembic.op``)."""
    bind = op.get_bind()
    metadata.create_all(bind)
    op.execute("ALTER TABLE events ALTER COLUMN tx_id TYPE xid8 USING tx_id::xid8")
    op.execute("ALTER TABLE events ALTER COLUMN tx_id SET DEFAULT pg_current_xact_id()")
    op.execute("CREATE INDEX events_global_order ON events (tx_id, position)")
    op.execute("CREATE INDEX events_recorded_at ON events (recorded_at)")
    op.execute("CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL")
    upgrade_kit_tables(op)


def upgrade_kit_tables(op: Any) -> None:
    """Bring the kit's tables of an existing database to the current shape.

    Idempotent (``IF NOT EXISTS`` throughout): a service's migration history calls it
    from its own revision, and :func:`create_kit_tables` ends with it, so a fresh
    database and an upgraded one end up the same.
    """
    # Relay parking (outbox.stream_id, outbox.parked_at); rows written before it get
    # their stream id from the CloudEvent they carry.
    op.execute("ALTER TABLE outbox ADD COLUMN IF NOT EXISTS stream_id text")
    op.execute("ALTER TABLE outbox ADD COLUMN IF NOT EXISTS parked_at timestamptz")
    op.execute(
        "UPDATE outbox SET stream_id = convert_from(payload, 'UTF8')::jsonb ->> 'streamid' "
        "WHERE stream_id IS NULL AND published_at IS NULL"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS outbox_parked ON outbox (stream_id, id) "
        "WHERE parked_at IS NOT NULL AND published_at IS NULL"
    )


def drop_kit_tables(op: Any) -> None:
    metadata.drop_all(op.get_bind())
