"""Indicators: the participant's category under the Integration Act (act_categories) and
reports locked as reported to the council (frozen_reports, and their drill-down lists in
frozen_report_members)."""

from services.indicators import tables
from shared.kit_migrations import create_tables, drop_tables

revision = "0007"
down_revision = "0006"

NEW_TABLES = [tables.act_categories, tables.frozen_reports, tables.frozen_report_members]


def upgrade() -> None:
    # 0003 creates the tables as they stand now, so a fresh database may have them already.
    create_tables(tables.metadata, NEW_TABLES)


def downgrade() -> None:
    drop_tables(tables.metadata, NEW_TABLES)
