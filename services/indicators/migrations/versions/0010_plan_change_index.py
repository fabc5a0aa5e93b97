"""Indicators: an index for the plan's change history (``loader.plan_changes``).

Every approval and every plan page reads one municipality's plan events by type from the
kit's ``events`` table; without this index that is a scan of every event of every
municipality (EXPLAIN ANALYZE at 300,000 events: parallel seq scan 57.7 ms; with the
index a bitmap index scan, 0.27 ms — docs/mrs/uncertainty-and-suppression.md).
"""

from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.execute(
        "CREATE INDEX IF NOT EXISTS events_municipality_type "
        "ON events (municipality, type, position)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS events_municipality_type")
