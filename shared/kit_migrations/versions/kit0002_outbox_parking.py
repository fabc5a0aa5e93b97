"""The kit's outbox parking (stream_id, parked_at); a branch beside the service's history."""

from shared.kit_migrations import upgrade_kit_tables

revision = "kit0002"
down_revision = "0001"
branch_labels = ("kit",)


def upgrade() -> None:
    upgrade_kit_tables()


def downgrade() -> None:
    # The columns are harmless to older code; nothing to undo.
    pass
