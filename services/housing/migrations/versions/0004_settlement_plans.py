"""Housing: settlement plans (IMDi's request, the council's decision, the monthly plan)
and the preparedness plan's measures, both rebuilt from housing's own events."""

from services.housing import tables
from shared.kit_migrations import create_tables, drop_tables

revision = "0004"
down_revision = "0003"

NEW_TABLES = [tables.settlement_plans, tables.settlement_measures]


def upgrade() -> None:
    # 0002 creates the tables as they stand now, so a fresh database may have them already.
    create_tables(tables.metadata, NEW_TABLES)


def downgrade() -> None:
    drop_tables(tables.metadata, NEW_TABLES)
