"""Tables of the participants service (besides the kit's)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

metadata = sa.MetaData()

participant_keys = sa.Table(
    "participant_keys",
    metadata,
    sa.Column("participant_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("key", sa.LargeBinary, nullable=False),
)

participant_summary = sa.Table(
    "participant_summary",
    metadata,
    sa.Column("participant_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("municipality", sa.String(4), nullable=False, index=True),
    sa.Column("birth_year", sa.Integer, nullable=False),
    sa.Column("sealed_details", sa.Text),
    sa.Column("settled_on", sa.Date),
    sa.Column("arrival_category", sa.Text),
    sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)

person_lookup = sa.Table(
    "person_lookup",
    metadata,
    sa.Column("municipality", sa.String(4), primary_key=True),
    sa.Column("national_id_digest", sa.Text, primary_key=True),
    sa.Column("participant_id", pg.UUID(as_uuid=True), nullable=False),
)
