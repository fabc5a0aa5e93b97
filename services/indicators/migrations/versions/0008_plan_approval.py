"""Indicators: the plan's settings (plan_settings), approvals of plan versions
(plan_approvals) and the level a comment explains (comments.level)."""

from services.indicators import tables
from shared.kit_migrations import add_columns, create_tables, drop_columns, drop_tables

revision = "0008"
down_revision = "0007"

NEW_TABLES = [tables.plan_settings, tables.plan_approvals]


def upgrade() -> None:
    # 0003 creates the tables as they stand now, so a fresh database may have them already.
    create_tables(tables.metadata, NEW_TABLES)
    add_columns("comments", {"level": "TEXT"})


def downgrade() -> None:
    drop_columns("comments", ["level"])
    drop_tables(tables.metadata, NEW_TABLES)
