"""Participants: ``minor_shared_home_stays``, the unaccompanied minors' stays in shared
homes as the housing service publishes them, held against the minors' phases."""

from services.participants.tables import metadata, minor_shared_home_stays
from shared.kit_migrations import create_tables, drop_tables

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    create_tables(metadata, [minor_shared_home_stays])


def downgrade() -> None:
    drop_tables(metadata, [minor_shared_home_stays])
