"""Indicators: national, county and KOSTRA-group comparison figures (comparison_values)."""

from services.indicators import tables
from shared.kit_migrations import create_tables, drop_tables

revision = "0006"
down_revision = "0005"

NEW_TABLES = [tables.comparison_values]


def upgrade() -> None:
    # 0003 creates the tables as they stand now, so a fresh database may have it already.
    create_tables(tables.metadata, NEW_TABLES)


def downgrade() -> None:
    drop_tables(tables.metadata, NEW_TABLES)
