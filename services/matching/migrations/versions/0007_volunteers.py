"""The resource bank of volunteers: keys, volunteers, needs, gatherings (issue 15)."""

from services.matching.tables import (
    metadata,
    volunteer_gatherings,
    volunteer_keys,
    volunteer_needs,
    volunteers,
)
from shared.kit_migrations import create_tables, drop_tables

revision = "0007"
down_revision = "0006"

_TABLES = (volunteer_keys, volunteers, volunteer_needs, volunteer_gatherings)


# 0002 creates the tables from the current metadata, so on a fresh database these exist
# already; create_tables only creates the missing ones.
def upgrade() -> None:
    create_tables(metadata, only=_TABLES)


def downgrade() -> None:
    drop_tables(metadata, only=_TABLES)
