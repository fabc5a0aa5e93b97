"""The kit's own migration steps, one Alembic revision in every service's history.

The kit's tables live in each service's database, so each service's Alembic history
carries the same kit revisions on a branch labelled ``kit`` beside its own
(``shared.migrate.upgrade`` goes to every head). A service's revision file only names
the step; what the step does is written once, here.
"""

from __future__ import annotations

from alembic import op

from shared.tables import upgrade_kit_tables


def kit0002_upgrade() -> None:
    """Outbox parking (stream_id, parked_at): brings the kit's tables to their current shape."""
    upgrade_kit_tables(op)


def kit0002_downgrade() -> None:
    # The columns are harmless to older code; nothing to undo.
    pass
