"""Participants: keys, summary read model, national-id lookup."""

from services.participants.tables import metadata
from shared.kit_migrations import tables_as_declared

revision = "0002"
down_revision = "0001"

upgrade, downgrade = tables_as_declared(metadata)
