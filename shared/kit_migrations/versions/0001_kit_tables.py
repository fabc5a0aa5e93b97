"""The service kit's tables: event store, outbox, inbox, checkpoints, dead letters.

The root of every service's history.
"""

from shared.kit_migrations import create_kit_tables as upgrade
from shared.kit_migrations import drop_kit_tables as downgrade

revision = "0001"
down_revision = None

__all__ = ["downgrade", "upgrade"]
