"""Gap detection: streams.published_version, consumer_streams, the feed cursor."""

from shared.kit_migrations import upgrade_kit_tables

revision = "kit0003"
down_revision = "kit0002"


def upgrade() -> None:
    upgrade_kit_tables()


def downgrade() -> None:
    # Older code ignores the new column, table and cursor; nothing to undo.
    pass
