"""Indicators: MRS — facts from participants, housing and matching with their source's
recorded time, configuration versions (goals, definitions, thresholds, comments, manual
values), published levels and the evaluator's bookkeeping.

The new tables are created from ``services.indicators.tables`` as it stands at this
revision; a later change to one of them comes with its own explicit migration.
"""

from alembic import op

from services.indicators import tables
from shared.kit_migrations import add_columns, create_tables, drop_columns, drop_tables

revision = "0003"
down_revision = "0002"

NEW_TABLES = [t for t in tables.metadata.sorted_tables if t.name != "settlements"]
SETTLEMENT_COLUMNS = {
    "recorded_at": "timestamptz NOT NULL DEFAULT now()",
    "household_id": "uuid",
    "household_size": "integer",
    "unaccompanied_minor": "boolean NOT NULL DEFAULT false",
    "event_id": "uuid",
}


def upgrade() -> None:
    add_columns("settlements", SETTLEMENT_COLUMNS)
    # Rows settled before this revision get their source's recorded time from the inbox.
    op.execute(
        """
        UPDATE settlements s
        SET recorded_at = (r.payload->>'recordedtime')::timestamptz,
            event_id = r.event_id,
            household_id = (r.payload->'data'->>'household_id')::uuid,
            household_size = (r.payload->'data'->>'household_size')::integer,
            unaccompanied_minor = coalesce((r.payload->'data'->>'unaccompanied_minor')::boolean, false)
        FROM received_events r
        WHERE r.type = 'participants.participant.settled.v1'
          AND (r.payload->'data'->>'participant_id')::uuid = s.participant_id
        """
    )
    create_tables(tables.metadata, NEW_TABLES)


def downgrade() -> None:
    drop_tables(tables.metadata, NEW_TABLES)
    drop_columns("settlements", SETTLEMENT_COLUMNS)
