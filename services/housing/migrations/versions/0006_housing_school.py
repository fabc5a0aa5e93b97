"""Housing school (boligskole): courses, attendance per household, tenancy follow-ups."""

from services.housing.tables import (
    housing_school_attendance,
    housing_school_courses,
    metadata,
    tenancy_follow_ups,
)
from shared.kit_migrations import create_tables, drop_tables

revision = "0006"
down_revision = "0004"

_TABLES = (housing_school_courses, housing_school_attendance, tenancy_follow_ups)


# 0002 creates the tables from the current metadata, so on a fresh database these exist
# already; create_tables only creates the missing ones.
def upgrade() -> None:
    create_tables(metadata, only=_TABLES)


def downgrade() -> None:
    drop_tables(metadata, only=_TABLES)
