"""Matching: employers, openings, matches, candidates and erased candidates."""

from alembic import op

from services.matching.tables import CHANGE_SEQUENCE, FOLLOWED_TABLES, metadata
from shared.kit_migrations import create_tables, drop_tables

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.execute(f"CREATE SEQUENCE {CHANGE_SEQUENCE}")
    create_tables(metadata)
    for table in FOLLOWED_TABLES:
        op.execute(
            f"ALTER TABLE {table.name} ALTER COLUMN changed_tx TYPE xid8 USING changed_tx::xid8"
        )
        op.execute(f"CREATE INDEX {table.name}_changes ON {table.name} (changed_tx, change_seq)")


def downgrade() -> None:
    drop_tables(metadata)
    op.execute(f"DROP SEQUENCE {CHANGE_SEQUENCE}")
