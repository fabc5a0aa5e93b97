"""Tables of the indicators service (besides the kit's)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

metadata = sa.MetaData()

settlements = sa.Table(
    "settlements",
    metadata,
    sa.Column("participant_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("municipality", sa.String(4), nullable=False),
    sa.Column("settled_on", sa.Date, nullable=False),
    sa.Column("arrival_category", sa.Text, nullable=False),
    sa.Index("settlements_by_municipality_date", "municipality", "settled_on"),
)
