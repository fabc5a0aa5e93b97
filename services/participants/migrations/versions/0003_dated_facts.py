"""Participants: the summary keeps dated facts (leaves, base planned end, death, emigration)
so status and deadlines are computed as of the day asked about.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = (
    ("base_planned_end", "date"),
    ("leaves", "jsonb NOT NULL DEFAULT '[]'::jsonb"),
    ("moved_to", "varchar(4)"),
    ("emigrated_on", "date"),
    ("died_on", "date"),
    ("left_household_on", "date"),
)


def upgrade() -> None:
    # 0002 creates the tables from the current metadata, so on a fresh database the
    # columns exist already.
    for name, kind in COLUMNS:
        op.execute(f"ALTER TABLE participant_summary ADD COLUMN IF NOT EXISTS {name} {kind}")
    op.execute(
        "UPDATE participant_summary SET base_planned_end = planned_end "
        "WHERE base_planned_end IS NULL"
    )


def downgrade() -> None:
    for name, _ in COLUMNS:
        op.execute(f"ALTER TABLE participant_summary DROP COLUMN IF EXISTS {name}")
