"""Read models of the housing service (besides the kit's tables).

All of them are projections: dropped and rebuilt from events by ``veiviser replay
housing``. ``households`` and ``household_members`` come from the participants
service's published events; the rest from housing's own events.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from shared.columns import UUID, key_table, moment, municipality, stream_version

metadata = sa.MetaData()

dwellings = sa.Table(
    "dwellings",
    metadata,
    sa.Column("dwelling_id", UUID, primary_key=True),
    municipality(),
    sa.Column("address", sa.Text),
    sa.Column("district", sa.Text, nullable=False),
    sa.Column("rooms", sa.Integer, nullable=False),
    sa.Column("size_m2", sa.Numeric(8, 2), nullable=False),
    sa.Column("floor", sa.Integer, nullable=False),
    sa.Column("has_lift", sa.Boolean, nullable=False),
    sa.Column("accessible", sa.Boolean, nullable=False),
    sa.Column("ownership", sa.Text, nullable=False),
    sa.Column("standard", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("status_since", sa.Date, nullable=False),
    sa.Column("valuation", sa.BigInteger),
    sa.Column("registered_on", sa.Date, nullable=False),
    sa.Column("current_placement_id", UUID),
    sa.Column("current_household_id", UUID),
    stream_version(),
    sa.Index("dwellings_by_status", "municipality", "status"),
    sa.Index("dwellings_by_district", "municipality", "district"),
)

applications = sa.Table(
    "housing_applications",
    metadata,
    sa.Column("application_id", UUID, primary_key=True),
    municipality(),
    sa.Column("household_id", UUID, nullable=False, index=True),
    sa.Column("household_size", sa.Integer, nullable=False),
    sa.Column("member_ages", pg.ARRAY(sa.Integer), nullable=False, server_default="{}"),
    sa.Column("needs_wheelchair_access", sa.Boolean, nullable=False, server_default="false"),
    sa.Column("needs_step_free", sa.Boolean, nullable=False, server_default="false"),
    sa.Column("district_wishes", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
    # The household's ages and needs were destroyed with a member's erasure.
    sa.Column("needs_erased", sa.Boolean, nullable=False, server_default="false"),
    sa.Column("urgency", sa.Text, nullable=False),
    sa.Column("urgency_rank", sa.SmallInteger, nullable=False),
    sa.Column("received_on", sa.Date, nullable=False),
    # pending | accepted | rejected | withdrawn | housed
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("accepted_on", sa.Date),
    sa.Column("decided_on", sa.Date),
    sa.Column("placement_id", UUID),
    # The household waits from received_on until (not including) waiting_until: the
    # date it was rejected, withdrew, or moved in. NULL while it still waits. This
    # interval is what keeps the month-end history.
    sa.Column("waiting_until", sa.Date),
    sa.Index(
        "applications_waiting_order",
        "municipality",
        "status",
        "urgency_rank",
        "received_on",
    ),
    sa.Index("applications_by_received", "municipality", "received_on"),
)

application_member_needs = sa.Table(
    "application_member_needs",
    metadata,
    # One member's needs, opened from its sealed event; deleted on the member's erasure.
    sa.Column("application_id", UUID, primary_key=True),
    sa.Column("participant_id", UUID, primary_key=True, index=True),
    sa.Column("needs_wheelchair_access", sa.Boolean, nullable=False),
    sa.Column("needs_step_free", sa.Boolean, nullable=False),
)

placements = sa.Table(
    "placements",
    metadata,
    sa.Column("placement_id", UUID, primary_key=True),
    municipality(),
    sa.Column("household_id", UUID, nullable=False, index=True),
    sa.Column("dwelling_id", UUID, nullable=False, index=True),
    sa.Column("application_id", UUID, nullable=False),
    sa.Column("household_size", sa.Integer, nullable=False),
    sa.Column("starts_on", sa.Date, nullable=False),
    sa.Column("ends_on", sa.Date),
    sa.Column("end_reason", sa.Text),
    sa.Column("evicted_on", sa.Date),
    sa.Column("eviction_grounds", sa.Text),
    sa.Index("placements_by_start", "municipality", "starts_on"),
)

rent_to_own = sa.Table(
    "rent_to_own_agreements",
    metadata,
    sa.Column("agreement_id", UUID, primary_key=True),
    municipality(),
    sa.Column("household_id", UUID, nullable=False, index=True),
    sa.Column("dwelling_id", UUID, nullable=False),
    sa.Column("placement_id", UUID, nullable=False),
    sa.Column("agreed_on", sa.Date, nullable=False),
    sa.Column("rent_period_years", sa.Integer, nullable=False),
    sa.Column("price", sa.BigInteger, nullable=False),
    sa.Column("purchase_from", sa.Date, nullable=False),
    # active | completed | lapsed
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("closed_on", sa.Date),
)

start_loans = sa.Table(
    "start_loans",
    metadata,
    sa.Column("loan_id", UUID, primary_key=True),
    municipality(),
    sa.Column("household_id", UUID, nullable=False, index=True),
    sa.Column("applied_on", sa.Date, nullable=False),
    sa.Column("purchase_price", sa.BigInteger, nullable=False),
    sa.Column("requested_amount", sa.BigInteger, nullable=False),
    sa.Column("assessed_income", sa.BigInteger, nullable=False),
    sa.Column("introduction_benefit", sa.BigInteger, nullable=False),
    # applied | approved | rejected | disbursed | used
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("decided_on", sa.Date),
    sa.Column("loan_amount", sa.BigInteger),
    sa.Column("grant_amount", sa.BigInteger),
    sa.Column("rate_kind", sa.Text),
    sa.Column("interest_rate_percent", sa.Numeric(6, 3)),
    sa.Column("interest_only_years", sa.Integer),
    sa.Column("term_years", sa.Integer),
    sa.Column("disbursed_on", sa.Date),
    sa.Column("used_on", sa.Date),
)

ownerships = sa.Table(
    "ownerships",
    metadata,
    sa.Column("household_id", UUID, primary_key=True),
    municipality(),
    sa.Column("became_owner_on", sa.Date, nullable=False),
    sa.Column("route", sa.Text, nullable=False),
    sa.Column("dwelling_id", UUID),
    sa.Column("price", sa.BigInteger, nullable=False),
    sa.Column("agreement_id", UUID),
    sa.Column("loan_id", UUID),
    sa.Index("ownerships_by_date", "municipality", "became_owner_on"),
)

rent_rates = sa.Table(
    "rent_rates",
    metadata,
    municipality(primary_key=True),
    sa.Column("valid_from", sa.Date, primary_key=True),
    sa.Column("fdv_per_m2_year_low", sa.Numeric(10, 2), nullable=False),
    sa.Column("fdv_per_m2_year_normal", sa.Numeric(10, 2), nullable=False),
    sa.Column("fdv_per_m2_year_high", sa.Numeric(10, 2), nullable=False),
    sa.Column("government_bond_rate_percent", sa.Numeric(6, 3), nullable=False),
    sa.Column("capital_markup_points", sa.Numeric(6, 3), nullable=False),
    moment("recorded_at"),
    stream_version(),
)

households = sa.Table(
    "households",
    metadata,
    sa.Column("household_id", UUID, primary_key=True),
    municipality(),
    sa.Column("settled_on", sa.Date, nullable=False),
    # The size settled (the largest reported, or the members settled if more); the size on
    # a date subtracts the members gone by then (see queries.household_on).
    sa.Column("household_size", sa.Integer, nullable=False),
    sa.Column("members_settled", sa.Integer, nullable=False),
    sa.Column("unaccompanied_minor", sa.Boolean, nullable=False),
    # Set once every settled member is gone: the last departure's date and reason
    # (moved_away, emigrated, deceased, left_household, erased). May lie in the future
    # (a move-out announced ahead); readers compare it with their date.
    sa.Column("left_on", sa.Date),
    sa.Column("left_reason", sa.Text),
    municipality("left_to_municipality", nullable=True),
    sa.Index("households_by_settlement", "municipality", "settled_on"),
)

household_members = sa.Table(
    "household_members",
    metadata,
    sa.Column("participant_id", UUID, primary_key=True),
    sa.Column("household_id", UUID, nullable=False, index=True),
    municipality(),
    sa.Column("settled_on", sa.Date, nullable=False),
    sa.Column("reported_household_size", sa.Integer),
    sa.Column("unaccompanied_minor", sa.Boolean, nullable=False),
    # The member is part of the household until (not including) gone_on.
    sa.Column("gone_on", sa.Date),
    sa.Column("gone_reason", sa.Text),
    municipality("to_municipality", nullable=True),
)

birth_years = sa.Table(
    "participant_birth_years",
    metadata,
    # From participant.registered and participant.birth_year_corrected; arrives before
    # the settlement, so apart from the members.
    sa.Column("participant_id", UUID, primary_key=True),
    sa.Column("birth_year", sa.Integer, nullable=False),
)

# Not a projection: the keys that seal one member's needs; destroyed on their erasure.
person_keys = key_table("person_keys", metadata, "participant_id")

# Not a projection: the keys that seal a household's application needs (ages,
# accessibility) in the unpublished events. Destroying a key on a member's erasure
# makes every sealed copy unreadable.
household_keys = key_table("household_keys", metadata, "household_id")

settlement_plans = sa.Table(
    "settlement_plans",
    metadata,
    # One row per municipality and settlement year: IMDi's request (anmodning), the
    # council's decision (vedtak) and the monthly plan, as they stand after the last event.
    municipality(primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("requested_on", sa.Date),
    # {"singles": n, "families": {"<size>": n}, "unaccompanied_minors": n}
    sa.Column("request", pg.JSONB),
    sa.Column("requested_persons", sa.Integer),
    sa.Column("decided_on", sa.Date),
    sa.Column("decided_persons", sa.Integer),
    sa.Column("decided_unaccompanied_minors", sa.Integer),
    sa.Column("planned_on", sa.Date),
    # [{"month": 1..12, "households": {"<size>": n}, "unaccompanied_minors": n}]
    sa.Column("plan", pg.JSONB),
    stream_version(),
)

settlement_measures = sa.Table(
    "settlement_measures",
    metadata,
    # A measure of the preparedness plan (beredskapsplan) that adds dwellings for settlement.
    sa.Column("measure_id", UUID, primary_key=True),
    municipality(),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("rooms", sa.Integer, nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("decided_on", sa.Date, nullable=False),
    sa.Column("lead_time_months", sa.Integer, nullable=False),
    sa.Column("owner", sa.Text, nullable=False),
    sa.Column("withdrawn_on", sa.Date),
    sa.Index("settlement_measures_by_year", "municipality", "year"),
)

# --- housing school (boligskole; migration 0006) ---------------------------------------

housing_school_courses = sa.Table(
    "housing_school_courses",
    metadata,
    sa.Column("course_id", UUID, primary_key=True),
    municipality(index=True),
    sa.Column("starts_on", sa.Date, nullable=False),
    sa.Column("sessions", sa.Integer, nullable=False),
    sa.Column("required_sessions", sa.Integer, nullable=False),
    sa.Column("held", pg.JSONB, nullable=False, server_default="[]"),
    stream_version(),
)

housing_school_attendance = sa.Table(
    "housing_school_attendance",
    metadata,
    sa.Column("course_id", UUID, primary_key=True),
    sa.Column("household_id", UUID, primary_key=True),
    municipality(index=True),
    sa.Column("sessions_attended", sa.Integer, nullable=False),
    sa.Column("completed_on", sa.Date),
)
"""Per household and course: sessions attended, and the day it completed the course."""

tenancy_follow_ups = sa.Table(
    "tenancy_follow_ups",
    metadata,
    sa.Column("record_id", UUID, primary_key=True),
    municipality(index=True),
    sa.Column("household_id", UUID, nullable=False, index=True),
    # visit | damage | complaint
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("volunteer_id", UUID),
    sa.Column("on", sa.Date, nullable=False),
)
"""Host-family visits and tenancy incidents, one row each."""
