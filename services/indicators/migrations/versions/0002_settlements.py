"""Indicators: settlements read model."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    # Frozen copy of the table as it was at this revision (later columns come in 0003).
    op.create_table(
        "settlements",
        sa.Column("participant_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("municipality", sa.String(4), nullable=False),
        sa.Column("settled_on", sa.Date, nullable=False),
        sa.Column("arrival_category", sa.Text, nullable=False),
    )
    op.create_index(
        "settlements_by_municipality_date", "settlements", ["municipality", "settled_on"]
    )


def downgrade() -> None:
    op.drop_table("settlements")
