"""Indicators: housing school courses and sessions, tenancy incidents (issue 15)."""

from services.indicators import tables
from shared.kit_migrations import create_tables, drop_tables

revision = "0011"
down_revision = "0010"

NEW_TABLES = [tables.housing_school, tables.tenancy_incidents]


def upgrade() -> None:
    # 0003 creates the tables as they stand now, so a fresh database may have them already.
    create_tables(tables.metadata, NEW_TABLES)


def downgrade() -> None:
    drop_tables(tables.metadata, NEW_TABLES)
