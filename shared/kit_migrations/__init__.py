"""The kit's part of every service's Alembic history, and the steps revisions share.

The kit's tables live in each service's database, so every service's history starts
with the kit's revisions, kept once in :data:`VERSIONS` (``0001``, the kit's tables;
``kit0002`` to ``kit0004`` on the branch labelled ``kit``) beside the service's own revisions, and
runs through the kit's :data:`ENVIRONMENT` (``env.py``, ``script.py.mako``);
``shared.migrate.alembic_config`` joins the two folders. The revision ids are the ones
existing databases hold in ``alembic_version``.

The functions below are the bodies revisions have in common; they act through
``alembic.op``, so they run inside a revision's ``upgrade``/``downgrade`` only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from shared import tables

ENVIRONMENT = Path(__file__).parent
"""The folder Alembic runs every service's history from (``env.py``, the template)."""

VERSIONS = ENVIRONMENT / "versions"
"""The kit's revisions, part of every service's history."""

Step = Callable[[], None]


def create_kit_tables() -> None:
    """Create the kit's tables (event store, outbox, inbox, checkpoints, dead letters)."""
    create_tables(tables.metadata)
    op.execute("ALTER TABLE events ALTER COLUMN tx_id TYPE xid8 USING tx_id::xid8")
    op.execute("ALTER TABLE events ALTER COLUMN tx_id SET DEFAULT pg_current_xact_id()")
    op.execute("CREATE INDEX events_global_order ON events (tx_id, position)")
    op.execute("CREATE INDEX events_recorded_at ON events (recorded_at)")
    op.execute("CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL")
    upgrade_kit_tables()


def upgrade_kit_tables() -> None:
    """Bring the kit's tables of an existing database to the current shape.

    Idempotent (``IF NOT EXISTS`` throughout): the kit's later revisions call it, and
    :func:`create_kit_tables` ends with it, so a fresh database and an upgraded one end
    up the same.
    """
    # Relay parking (outbox.stream_id, outbox.parked_at); rows written before it get
    # their stream id from the CloudEvent they carry.
    add_columns("outbox", {"stream_id": "text", "parked_at": "timestamptz"})
    op.execute(
        "UPDATE outbox SET stream_id = convert_from(payload, 'UTF8')::jsonb ->> 'streamid' "
        "WHERE stream_id IS NULL AND published_at IS NULL"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS outbox_parked ON outbox (stream_id, id) "
        "WHERE parked_at IS NOT NULL AND published_at IS NULL"
    )
    _gap_detection()
    _outbox_wakeup()


def _gap_detection() -> None:
    """Per-stream published versions (kit0003): gap detection and the catch-up feed.

    ``streams.published_version`` starts from what the outbox shows was published (every
    published event has an outbox row); ``consumer_streams`` from the versions the
    inboxes already hold, so a consumer upgraded in place does not take its next
    event for a gap; ``consumer_checkpoints.feed_cursor`` starts empty (the first
    reconciliation walks the source's feed once, finding what it has as duplicates).
    """
    add_columns("streams", {"published_version": "integer NOT NULL DEFAULT 0"})
    add_columns("consumer_checkpoints", {"feed_cursor": "text"})
    create_tables(tables.metadata, [tables.consumer_streams])
    op.execute(
        "UPDATE streams s SET published_version = p.version "
        "FROM (SELECT e.stream_id, max(e.version) AS version FROM outbox o "
        "      JOIN events e ON e.event_id = o.event_id GROUP BY e.stream_id) p "
        "WHERE p.stream_id = s.stream_id AND s.published_version < p.version"
    )
    op.execute(
        "INSERT INTO consumer_streams (consumer, stream_id, version) "
        "SELECT consumer, payload ->> 'streamid', max((payload ->> 'streamversion')::int) "
        "FROM received_events WHERE jsonb_exists(payload, 'streamid') GROUP BY 1, 2 "
        "ON CONFLICT (consumer, stream_id) DO NOTHING"
    )


def _outbox_wakeup() -> None:
    """A NOTIFY on :data:`shared.tables.OUTBOX_CHANNEL` at the commit of every transaction that adds
    outbox rows (kit0004), so that whichever process holds the relay's turn hears of
    rows committed by any other (another replica, a relay in a process of its own)."""
    op.execute(
        "CREATE OR REPLACE FUNCTION veiviser_outbox_added() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"PERFORM pg_notify('{tables.OUTBOX_CHANNEL}', ''); RETURN NULL; END $$"
    )
    # Per statement, not per row: a transaction's notifications with one payload are
    # delivered once at its commit anyway.
    op.execute(
        "CREATE OR REPLACE TRIGGER outbox_added AFTER INSERT ON outbox "
        "FOR EACH STATEMENT EXECUTE FUNCTION veiviser_outbox_added()"
    )


def drop_outbox_wakeup() -> None:
    """Undo :func:`_outbox_wakeup` (kit0004's downgrade)."""
    op.execute("DROP TRIGGER IF EXISTS outbox_added ON outbox")
    op.execute("DROP FUNCTION IF EXISTS veiviser_outbox_added()")


def drop_kit_tables() -> None:
    """Drop the kit's tables (the first revision's downgrade)."""
    drop_tables(tables.metadata)


def create_tables(metadata: sa.MetaData, only: Iterable[sa.Table] | None = None) -> None:
    """Create ``metadata``'s tables (``only`` those, when given) that do not exist yet."""
    metadata.create_all(op.get_bind(), tables=None if only is None else list(only))


def drop_tables(metadata: sa.MetaData, only: Iterable[sa.Table] | None = None) -> None:
    """Drop ``metadata``'s tables (``only`` those, when given) that exist."""
    metadata.drop_all(op.get_bind(), tables=None if only is None else list(only))


def tables_as_declared(metadata: sa.MetaData) -> tuple[Step, Step]:
    """``upgrade`` and ``downgrade`` of a revision that creates a service's tables as
    its ``metadata`` declares them now, and drops them again."""
    return (lambda: create_tables(metadata)), (lambda: drop_tables(metadata))


def add_columns(table: str, columns: Mapping[str, str]) -> None:
    """Add each column (name: SQL type and constraints) to ``table`` unless it exists.

    Revisions after the one that creates tables from the current metadata use it: on a
    fresh database the columns exist already and the step changes nothing.
    """
    clauses = ", ".join(f"ADD COLUMN IF NOT EXISTS {name} {kind}" for name, kind in columns.items())
    op.execute(f"ALTER TABLE {table} {clauses}")


def drop_columns(table: str, columns: Iterable[str]) -> None:
    """Drop each of ``columns`` from ``table`` where it exists (undoes :func:`add_columns`)."""
    clauses = ", ".join(f"DROP COLUMN IF EXISTS {name}" for name in columns)
    op.execute(f"ALTER TABLE {table} {clauses}")
