"""The kit's tables at their current shape: outbox parking (stream_id, parked_at).

A branch beside the service's own history (``shared.migrate.upgrade`` goes to every
head); it only needs the kit's tables, created by revision 0001.

Revision ID: kit0002
Revises: 0001
"""

from alembic import op

from shared.tables import upgrade_kit_tables

revision = "kit0002"
down_revision = "0001"
branch_labels = ("kit",)
depends_on = None


def upgrade() -> None:
    upgrade_kit_tables(op)


def downgrade() -> None:
    # The columns are harmless to older code; nothing to undo.
    pass
