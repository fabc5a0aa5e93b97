"""Participants: the read models of the Integration Act (rights, contract, benefit, NIR,
transfers, access), created from the current metadata like 0002 did.

Every table the metadata declares that the database lacks is created; the tables that
existed before this revision are left as they are.
"""

from services.participants.tables import metadata
from shared.kit_migrations import create_tables, drop_tables

revision = "0004"
down_revision = "0003"

BEFORE = frozenset(
    {
        "audit_log",
        "households",
        "matching_timeline",
        "participant_keys",
        "participant_summary",
        "person_lookup",
    }
)


def upgrade() -> None:
    create_tables(metadata)


def downgrade() -> None:
    drop_tables(metadata, [t for t in metadata.sorted_tables if t.name not in BEFORE])
