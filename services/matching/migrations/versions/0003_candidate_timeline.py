"""Candidates follow consent, Norwegian tests and leaving (moved out, emigrated, died).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# 0002 creates the tables from the current metadata, so on a fresh database these
# columns exist already; IF NOT EXISTS makes the step a no-op there.
_COLUMNS = (
    ("consent", "JSONB"),
    ("norwegian_tests", "JSONB"),
    ("left_on", "DATE"),
    ("left_because", "TEXT"),
    ("moved_to", "VARCHAR(4)"),
)


def upgrade() -> None:
    for name, kind in _COLUMNS:
        op.execute(f"ALTER TABLE candidates ADD COLUMN IF NOT EXISTS {name} {kind}")


def downgrade() -> None:
    for name, _ in _COLUMNS:
        op.execute(f"ALTER TABLE candidates DROP COLUMN IF EXISTS {name}")
