"""The outbox wakeup: a commit that adds outbox rows notifies the relays."""

from shared.kit_migrations import drop_outbox_wakeup, upgrade_kit_tables

revision = "kit0004"
down_revision = "kit0003"


def upgrade() -> None:
    upgrade_kit_tables()


def downgrade() -> None:
    drop_outbox_wakeup()
