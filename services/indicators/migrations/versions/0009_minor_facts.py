"""Indicators: an unaccompanied minor's phases, outcomes and services' end (minor_facts)."""

from services.indicators import tables
from shared.kit_migrations import create_tables, drop_tables

revision = "0009"
down_revision = "0008"

NEW_TABLES = [tables.minor_facts]


def upgrade() -> None:
    # 0003 creates the tables as they stand now, so a fresh database may have them already.
    create_tables(tables.metadata, NEW_TABLES)


def downgrade() -> None:
    drop_tables(tables.metadata, NEW_TABLES)
