"""The kit's outbox parking (see shared.kit_migrations); a branch beside the service's history.

Revision ID: kit0002
Revises: 0001
"""

from shared.kit_migrations import kit0002_downgrade as downgrade
from shared.kit_migrations import kit0002_upgrade as upgrade

revision = "kit0002"
down_revision = "0001"
branch_labels = ("kit",)
depends_on = None

__all__ = ["downgrade", "upgrade"]
