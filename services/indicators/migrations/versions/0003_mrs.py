"""Indicators: MRS — facts from participants, housing and matching with their source's
recorded time, configuration versions (goals, definitions, thresholds, comments, manual
values), published levels and the evaluator's bookkeeping.

The new tables are created from ``services.indicators.tables`` as it stands at this
revision; a later change to one of them comes with its own explicit migration.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from services.indicators import tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NEW_TABLES = [t for t in tables.metadata.sorted_tables if t.name != "settlements"]


def upgrade() -> None:
    op.execute(
        "ALTER TABLE settlements "
        "ADD COLUMN IF NOT EXISTS recorded_at timestamptz NOT NULL DEFAULT now(), "
        "ADD COLUMN IF NOT EXISTS household_id uuid, "
        "ADD COLUMN IF NOT EXISTS household_size integer, "
        "ADD COLUMN IF NOT EXISTS unaccompanied_minor boolean NOT NULL DEFAULT false, "
        "ADD COLUMN IF NOT EXISTS event_id uuid"
    )
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
    tables.metadata.create_all(op.get_bind(), tables=NEW_TABLES, checkfirst=True)


def downgrade() -> None:
    tables.metadata.drop_all(op.get_bind(), tables=NEW_TABLES)
    op.execute(
        "ALTER TABLE settlements DROP COLUMN recorded_at, DROP COLUMN household_id, "
        "DROP COLUMN household_size, DROP COLUMN unaccompanied_minor, DROP COLUMN event_id"
    )
