"""Candidates follow programme outcomes that leave the municipality (moved, emigrated, died).

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


# 0002 creates the tables from the current metadata, so on a fresh database the column
# exists already; IF NOT EXISTS makes the step a no-op there.
def upgrade() -> None:
    op.execute("ALTER TABLE candidates ADD COLUMN IF NOT EXISTS programmes JSONB")


def downgrade() -> None:
    op.execute("ALTER TABLE candidates DROP COLUMN IF EXISTS programmes")
