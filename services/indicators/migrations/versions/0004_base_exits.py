"""Indicators: deaths and emigrations (leaving the base), birth-year corrections, and
whether a published level was preliminary.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from services.indicators import tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NEW_TABLES = [tables.base_exits, tables.birth_year_corrections]


def upgrade() -> None:
    # 0003 creates the tables as they stand now, so a fresh database may have them already.
    tables.metadata.create_all(op.get_bind(), tables=NEW_TABLES, checkfirst=True)
    op.execute("ALTER TABLE indicator_levels ADD COLUMN IF NOT EXISTS preliminary boolean")


def downgrade() -> None:
    op.execute("ALTER TABLE indicator_levels DROP COLUMN IF EXISTS preliminary")
    tables.metadata.drop_all(op.get_bind(), tables=NEW_TABLES)
