"""Tables of the participants service (besides the kit's)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from shared.columns import UUID, key_table, moment, municipality, stream_version, written_at

metadata = sa.MetaData()

participant_keys = key_table("participant_keys", metadata, "participant_id")

participant_summary = sa.Table(
    "participant_summary",
    metadata,
    sa.Column("participant_id", UUID, primary_key=True),
    municipality(index=True),
    sa.Column("birth_year", sa.Integer, nullable=False),
    sa.Column("gender", sa.Text, nullable=False),
    sa.Column("sealed_details", sa.Text),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("settled_on", sa.Date),
    sa.Column("arrival_category", sa.Text),
    sa.Column("household_id", UUID),
    sa.Column("unaccompanied_minor", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("programme_id", UUID),
    sa.Column("programme_kind", sa.Text),
    sa.Column("adviser", sa.Text, index=True),
    sa.Column("programme_starts_on", sa.Date),
    sa.Column("planned_end", sa.Date),
    sa.Column("base_planned_end", sa.Date),
    sa.Column("leaves", pg.JSONB, nullable=False, server_default="[]"),
    sa.Column("paused_since", sa.Date),
    sa.Column("programme_ended_on", sa.Date),
    sa.Column("completion_reason", sa.Text),
    sa.Column("outcome", sa.Text),
    sa.Column("plan_revision", sa.Integer, nullable=False, server_default="0"),
    sa.Column("plan_hours_per_week", sa.Float),
    sa.Column("plan_full_time", sa.Boolean),
    sa.Column("last_follow_up_on", sa.Date),
    sa.Column("follow_up_status", sa.Text),
    sa.Column("follow_up_preliminary", sa.Boolean),
    sa.Column("norwegian", pg.JSONB, nullable=False, server_default="{}"),
    sa.Column("moved_out_on", sa.Date),
    municipality("moved_to", nullable=True),
    sa.Column("emigrated_on", sa.Date),
    sa.Column("died_on", sa.Date),
    sa.Column("left_household_on", sa.Date),
    sa.Column("erased", sa.Boolean, nullable=False, server_default=sa.false()),
    moment("registered_at"),
    stream_version(),
)

person_lookup = sa.Table(
    "person_lookup",
    metadata,
    municipality(primary_key=True),
    sa.Column("national_id_digest", sa.Text, primary_key=True),
    sa.Column("participant_id", UUID, nullable=False, index=True),
)

households = sa.Table(
    "households",
    metadata,
    sa.Column("household_id", UUID, primary_key=True),
    municipality(),
    sa.Column("members", sa.Integer, nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True),
    written_at("at"),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("roles", pg.ARRAY(sa.Text), nullable=False),
    municipality(),
    sa.Column("participant_id", UUID, nullable=False, index=True),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("purpose", sa.Text),
    sa.Column("correlation_id", sa.Text),
)

matching_timeline = sa.Table(
    "matching_timeline",
    metadata,
    sa.Column("event_id", UUID, primary_key=True),
    sa.Column("participant_id", UUID, nullable=False, index=True),
    municipality(),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("occurred_on", sa.Date, nullable=False),
    sa.Column("data", pg.JSONB, nullable=False),
)

minor_shared_home_stays = sa.Table(
    "minor_shared_home_stays",
    metadata,
    sa.Column("placement_id", UUID, primary_key=True),
    sa.Column("participant_id", UUID, nullable=False, index=True),
    municipality(),
    sa.Column("shared_home_id", UUID, nullable=False),
    sa.Column("starts_on", sa.Date, nullable=False),
    sa.Column("ends_on", sa.Date),
    comment="Unaccompanied minors' stays in shared homes, from the housing service's events "
    "(ids and dates only), to hold against the minor's phases.",
)

municipal_transfers = sa.Table(
    "municipal_transfers",
    metadata,
    sa.Column("transfer_id", UUID, primary_key=True),
    sa.Column("participant_id", UUID, nullable=False, index=True),
    municipality("from_municipality", index=True),
    municipality("to_municipality", index=True),
    sa.Column("moved_on", sa.Date, nullable=False),
    sa.Column("delivered", sa.Boolean, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("package", pg.JSONB),
    sa.Column("received_as", UUID),
    sa.Column("decided_on", sa.Date),
    sa.Column("decline_reason", sa.Text),
    moment("recorded_at"),
)

municipal_deadline_rules = sa.Table(
    "municipal_deadline_rules",
    metadata,
    municipality(primary_key=True),
    sa.Column("code", sa.Text, primary_key=True),
    sa.Column("after", sa.Text, nullable=False),
    sa.Column("met_by", sa.Text, nullable=False),
    sa.Column("days", sa.Integer, nullable=False),
    sa.Column("label_nb", sa.Text, nullable=False),
    sa.Column("label_en", sa.Text),
    moment("created_at"),
)
