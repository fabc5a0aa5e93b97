"""Indicators: deaths and emigrations (leaving the base), birth-year corrections, and
whether a published level was preliminary.
"""

from services.indicators import tables
from shared.kit_migrations import add_columns, create_tables, drop_columns, drop_tables

revision = "0004"
down_revision = "0003"

NEW_TABLES = [tables.base_exits, tables.birth_year_corrections]


def upgrade() -> None:
    # 0003 creates the tables as they stand now, so a fresh database may have them already.
    create_tables(tables.metadata, NEW_TABLES)
    add_columns("indicator_levels", {"preliminary": "boolean"})


def downgrade() -> None:
    drop_columns("indicator_levels", ["preliminary"])
    drop_tables(tables.metadata, NEW_TABLES)
