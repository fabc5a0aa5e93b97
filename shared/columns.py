"""Columns and tables that every service's ``tables.py`` declares alike.

A municipality number, a moment, a stream's version and a table of sealing keys
mean the same in each service's database, so they are built here once and have
one SQL type everywhere. Each factory returns a new column, since a column belongs
to one table. The revisions create tables from these declarations, so a change here
is a schema change in every service's database: it needs a migration.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

UUID = pg.UUID(as_uuid=True)
"""The type of every id column (participants, households, events, …): a UUID read as
:class:`uuid.UUID`."""


def municipality(
    name: str = "municipality",
    *,
    primary_key: bool = False,
    nullable: bool = False,
    index: bool = False,
) -> sa.Column[object]:
    """A municipality number (kommunenummer, four characters): by default the
    municipality a row belongs to, which reads and access checks are scoped by."""
    if primary_key:
        return sa.Column(name, sa.String(4), primary_key=True)
    if index:
        return sa.Column(name, sa.String(4), nullable=nullable, index=True)
    return sa.Column(name, sa.String(4), nullable=nullable)


def moment(name: str, *, nullable: bool = False, default_now: bool = False) -> sa.Column[object]:
    """A moment with its time zone, e.g. the ``recorded_at`` of the event a row came from;
    ``default_now``: the database's clock fills it in when an insert leaves it out."""
    if default_now:
        return sa.Column(
            name, sa.DateTime(timezone=True), nullable=nullable, server_default=sa.func.now()
        )
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def written_at(name: str) -> sa.Column[object]:
    """When the row was written, by the database's clock."""
    return moment(name, default_now=True)


def stream_version() -> sa.Column[object]:
    """``version``: the version of the stream a read-model row was folded up to."""
    return sa.Column("version", sa.Integer, nullable=False)


def key_table(
    name: str, metadata: sa.MetaData, owner_id: str, *columns: sa.Column[object]
) -> sa.Table:
    """A table of sealing keys, one per ``owner_id`` (a UUID), with any further ``columns``.

    The keys live outside the event store: deleting a row erases everything sealed with
    its key. Not a read model: a rebuild must not bring back a destroyed key.
    """
    return sa.Table(
        name,
        metadata,
        sa.Column(owner_id, UUID, primary_key=True),
        *columns,
        sa.Column("key", sa.LargeBinary, nullable=False),
    )
