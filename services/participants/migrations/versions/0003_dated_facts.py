"""Participants: the summary keeps dated facts (leaves, base planned end, death, emigration)
so status and deadlines are computed as of the day asked about.
"""

from alembic import op

from shared.kit_migrations import add_columns, drop_columns

revision = "0003"
down_revision = "0002"

COLUMNS = {
    "base_planned_end": "date",
    "leaves": "jsonb NOT NULL DEFAULT '[]'::jsonb",
    "moved_to": "varchar(4)",
    "emigrated_on": "date",
    "died_on": "date",
    "left_household_on": "date",
}


def upgrade() -> None:
    # 0002 creates the tables from the current metadata, so on a fresh database the
    # columns exist already.
    add_columns("participant_summary", COLUMNS)
    op.execute(
        "UPDATE participant_summary SET base_planned_end = planned_end "
        "WHERE base_planned_end IS NULL"
    )


def downgrade() -> None:
    drop_columns("participant_summary", COLUMNS)
