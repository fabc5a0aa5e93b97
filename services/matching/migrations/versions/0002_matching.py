"""Matching: employers, openings, matches, candidates and erased candidates.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from services.matching.tables import CHANGE_SEQUENCE, FOLLOWED_TABLES, metadata

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(f"CREATE SEQUENCE {CHANGE_SEQUENCE}")
    metadata.create_all(op.get_bind())
    for table in FOLLOWED_TABLES:
        op.execute(
            f"ALTER TABLE {table.name} ALTER COLUMN changed_tx TYPE xid8 USING changed_tx::xid8"
        )
        op.execute(f"CREATE INDEX {table.name}_changes ON {table.name} (changed_tx, change_seq)")


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
    op.execute(f"DROP SEQUENCE {CHANGE_SEQUENCE}")
