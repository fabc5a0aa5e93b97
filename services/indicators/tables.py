"""Tables of the indicators service (besides the kit's).

Fact tables hold one row per received event (append-only, keyed by the event id) with
the source's ``recorded_at``: an as-of query reads the rows recorded by then, so what
was known on a date never changes when later events arrive. Configuration tables are
versions of the service's own events (goals, definitions, thresholds), so the plan in
force on a date can be read back too.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from shared.columns import UUID, moment, municipality

metadata = sa.MetaData()


def _event_id() -> sa.Column[object]:
    return sa.Column("event_id", UUID, primary_key=True)


def _id(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UUID, nullable=nullable)


def fact_table(
    name: str, ids: tuple[str | sa.Column[object], ...], *columns: sa.Column[object]
) -> sa.Table:
    """A fact table: one row per received event, keyed by the event id, with the ids of
    what it is about (``ids``; a name stands for a required UUID), the municipality, the
    fact's own ``columns`` and the source's recorded time; indexed by municipality."""
    return sa.Table(
        name,
        metadata,
        _event_id(),
        *(_id(column) if isinstance(column, str) else column for column in ids),
        municipality(),
        *columns,
        moment("recorded_at", default_now=True),
        sa.Index(f"{name}_by_municipality", "municipality"),
    )


def versions_table(
    name: str, keys: tuple[str | sa.Column[object], ...], *columns: sa.Column[object]
) -> sa.Table:
    """Versions of one piece of the municipality's configuration (the service's own events):
    one row per municipality, key (``keys``; a name stands for a text key) and version, with
    the moment it was recorded, so the configuration in force at a moment can be read back."""
    return sa.Table(
        name,
        metadata,
        municipality(primary_key=True),
        *(
            sa.Column(key, sa.Text, primary_key=True) if isinstance(key, str) else key
            for key in keys
        ),
        sa.Column("version", sa.Integer, primary_key=True),
        moment("recorded_at"),
        *columns,
    )


def per_indicator_period(name: str, *columns: sa.Column[object]) -> sa.Table:
    """What the municipality recorded about an indicator for a period (one row per event),
    read by indicator and period."""
    return sa.Table(
        name,
        metadata,
        _event_id(),
        municipality(),
        sa.Column("indicator_key", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        *columns,
        sa.Index(f"{name}_by_indicator", "municipality", "indicator_key", "period"),
    )


# -- facts from participants ---------------------------------------------------------------

settlements = sa.Table(
    "settlements",
    metadata,
    sa.Column("participant_id", UUID, primary_key=True),
    municipality(),
    sa.Column("settled_on", sa.Date, nullable=False),
    sa.Column("arrival_category", sa.Text, nullable=False),
    moment("recorded_at", default_now=True),
    sa.Column("household_id", UUID),
    sa.Column("household_size", sa.Integer),
    sa.Column("unaccompanied_minor", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("event_id", UUID),
    sa.Index("settlements_by_municipality_date", "municipality", "settled_on"),
)

registrations = sa.Table(
    "registrations",
    metadata,
    sa.Column("participant_id", UUID, primary_key=True),
    municipality(),
    sa.Column("birth_year", sa.Integer),
    sa.Column("gender", sa.Text),
    moment("recorded_at", default_now=True),
    sa.Index("registrations_by_municipality", "municipality"),
)

competence_profiles = fact_table(
    "competence_profiles",
    ("participant_id",),
    sa.Column("education_level", sa.Text),
    sa.Column("norwegian_oral", sa.Text),
    sa.Column("norwegian_written", sa.Text),
    sa.Column("norwegian_reading", sa.Text),
    sa.Column("norwegian_listening", sa.Text),
)

programme_starts = fact_table(
    "programme_starts",
    ("participant_id", "programme_id"),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("starts_on", sa.Date, nullable=False),
    sa.Column("planned_end", sa.Date),
)

programme_pauses = fact_table(
    "programme_pauses",
    ("participant_id", "programme_id"),
    sa.Column("change", sa.Text, nullable=False, comment="interrupted or resumed"),
    sa.Column("pause_kind", sa.Text),
    sa.Column("on_date", sa.Date, nullable=False),
    sa.Column("planned_end", sa.Date),
)

plan_revisions = fact_table(
    "plan_revisions",
    ("participant_id", "programme_id"),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("hours_per_week", sa.Float, nullable=False),
    sa.Column("full_time", sa.Boolean, nullable=False),
)

programme_completions = fact_table(
    "programme_completions",
    ("participant_id", "programme_id"),
    sa.Column("ended_on", sa.Date, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("outcome", sa.Text),
    sa.Column("hours_per_week", sa.Float),
)

norwegian_tests = fact_table(
    "norwegian_tests",
    ("participant_id",),
    sa.Column("sub_test", sa.Text, nullable=False),
    sa.Column("level", sa.Text, nullable=False),
    sa.Column("taken_on", sa.Date, nullable=False),
)

follow_up_statuses = fact_table(
    "follow_up_statuses",
    ("participant_id", "programme_id"),
    sa.Column("reference_year", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("preliminary", sa.Boolean, nullable=False),
)

moves_out = fact_table(
    "moves_out",
    ("participant_id",),
    sa.Column("moved_on", sa.Date, nullable=False),
    municipality("to_municipality", nullable=True),
)

base_exits = fact_table(
    "base_exits",
    ("participant_id",),
    sa.Column("left_on", sa.Date, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)
"""Deaths and emigrations: the person leaves the base from ``left_on`` (``died``,
``emigrated``). Moves to another municipality stay in ``moves_out``."""

research_reservations = fact_table(
    "research_reservations",
    ("participant_id",),
    sa.Column("reserved", sa.Boolean, nullable=False),
)
"""The reservation against research use (participants'
``participant.research_reservation_changed``): the latest row per participant holds; every
person-level export carries it."""

birth_year_corrections = fact_table(
    "birth_year_corrections",
    ("participant_id",),
    sa.Column("birth_year", sa.Integer, nullable=False),
)

act_categories = fact_table(
    "act_categories",
    ("participant_id",),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
)
"""The person's category under the Integration Act (participants'
``act.category_recorded``): the row with the latest ``valid_from`` on or before a day is the
category on that day; every change is a new row (the category history)."""

minor_facts = fact_table(
    "minor_facts",
    ("participant_id",),
    sa.Column("family", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("on_date", sa.Date, nullable=False),
)
"""An unaccompanied minor's dated facts from participants' ``minor.*`` events: ``family``
``phase`` (``kind`` the phase entered), ``outcome`` (``kind`` the outcome) or
``services_ended`` (``kind`` the reason)."""

erasures = sa.Table(
    "erasures",
    metadata,
    _event_id(),
    sa.Column("alias", UUID, nullable=False),
    municipality(),
    moment("recorded_at", default_now=True),
)

# -- facts from matching ------------------------------------------------------------------

jobs = fact_table(
    "jobs",
    ("participant_id",),
    sa.Column("employer_id", UUID),
    sa.Column("match_id", UUID),
    sa.Column("starts_on", sa.Date, nullable=False),
    sa.Column("hours_per_week", sa.Float),
    sa.Column("permanent", sa.Boolean),
)

practice_placements = fact_table(
    "practice_placements",
    ("placement_id", "participant_id"),
    sa.Column("change", sa.Text, nullable=False, comment="started or ended"),
    sa.Column("kind", sa.Text),
    sa.Column("on_date", sa.Date, nullable=False),
    sa.Column("hours_per_week", sa.Float),
    sa.Column("outcome", sa.Text),
)

# -- facts from housing -------------------------------------------------------------------

housing_applications = fact_table(
    "housing_applications",
    ("application_id", "household_id"),
    sa.Column("household_size", sa.Integer),
    sa.Column("received_on", sa.Date, nullable=False),
    sa.Column("urgency", sa.Text),
)

housing_decisions = fact_table(
    "housing_decisions",
    ("application_id", "household_id"),
    sa.Column("decision", sa.Text, nullable=False),
    sa.Column("decided_on", sa.Date, nullable=False),
)

placements = fact_table(
    "placements",
    ("placement_id", "household_id"),
    sa.Column("change", sa.Text, nullable=False, comment="started or ended"),
    sa.Column("dwelling_id", UUID),
    sa.Column("application_id", UUID),
    sa.Column("on_date", sa.Date, nullable=False),
    sa.Column("reason", sa.Text),
)

evictions = fact_table(
    "evictions",
    (_id("placement_id", nullable=True), "household_id"),
    sa.Column("evicted_on", sa.Date, nullable=False),
    sa.Column("grounds", sa.Text),
)

ownerships = fact_table(
    "ownerships",
    ("household_id",),
    sa.Column("became_owner_on", sa.Date, nullable=False),
    sa.Column("route", sa.Text, nullable=False),
    sa.Column("dwelling_id", UUID),
    sa.Column("price", sa.BigInteger),
)

housing_school = fact_table(
    "housing_school",
    ("course_id",),
    sa.Column("change", sa.Text, nullable=False, comment="planned or held"),
    sa.Column("on_date", sa.Date, nullable=False),
    sa.Column("required_sessions", sa.Integer),
    sa.Column("session", sa.Integer),
    sa.Column("attended", pg.ARRAY(UUID)),
)
"""Housing school (boligskole) courses: ``planned`` (``on_date`` the start, with the
sessions that make a household a completer) and each session ``held`` (``on_date`` the
day, ``attended`` the households that came)."""

tenancy_incidents = fact_table(
    "tenancy_incidents",
    ("household_id",),
    sa.Column("kind", sa.Text, nullable=False, comment="damage or complaint"),
    sa.Column("occurred_on", sa.Date, nullable=False),
)

# -- configuration: versions of the service's own events -----------------------------------

goal_versions = versions_table(
    "goal_versions",
    ("goal_key",),
    sa.Column("plan_level", sa.Text, nullable=False),
    sa.Column("parent_key", sa.Text),
    sa.Column("title_nb", sa.Text, nullable=False),
    sa.Column("title_en", sa.Text, nullable=False),
    sa.Column("owner_unit", sa.Text, nullable=False),
    sa.Column("from_year", sa.Integer, nullable=False),
    sa.Column("to_year", sa.Integer, nullable=False),
    sa.Column("indicator_keys", pg.ARRAY(sa.Text), nullable=False),
)

indicator_versions = versions_table(
    "indicator_versions",
    ("indicator_key",),
    sa.Column("title_nb", sa.Text, nullable=False),
    sa.Column("title_en", sa.Text, nullable=False),
    sa.Column("unit", sa.Text, nullable=False),
    sa.Column("direction", sa.Text, nullable=False),
    sa.Column("granularity", sa.Text, nullable=False),
    sa.Column("method", sa.Text, nullable=False),
    sa.Column("source", sa.Text),
    sa.Column("rule", sa.Text),
    sa.Column("parameters", pg.JSONB, nullable=False),
    sa.Column("decimals", sa.Integer, nullable=False),
)

threshold_versions = versions_table(
    "threshold_versions",
    ("indicator_key", sa.Column("year", sa.Integer, primary_key=True)),
    sa.Column("bands", pg.JSONB, nullable=False),
    sa.Column("gap_policy", sa.Text, nullable=False),
)

comments = per_indicator_period(
    "comments",
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("author", sa.Text, nullable=False),
    moment("recorded_at"),
    sa.Column("level", sa.Text),
)

plan_settings = versions_table(
    "plan_settings", (), sa.Column("suppression_min_n", sa.Integer, nullable=False)
)
"""Versions of the plan's settings (``indicators.plan.settings_changed.v1``)."""

plan_approvals = sa.Table(
    "plan_approvals",
    metadata,
    municipality(primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("plan_version", sa.Integer, nullable=False),
    moment("approved_through"),
    sa.Column("approved_by", sa.Text, nullable=False),
    moment("recorded_at"),
)
"""Approvals of plan versions (``indicators.plan.approved.v1``); the plan in force at a
moment is the plan as recorded by ``approved_through`` of the latest approval by then."""

manual_values = per_indicator_period(
    "manual_values",
    sa.Column("value", sa.Float),
    sa.Column("source", sa.Text),
    moment("recorded_at"),
)

indicator_levels = sa.Table(
    "indicator_levels",
    metadata,
    municipality(primary_key=True),
    sa.Column("indicator_key", sa.Text, primary_key=True),
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("level", sa.Text, nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("version", sa.Integer, nullable=False),
    moment("recorded_at"),
    sa.Column("preliminary", sa.Boolean),
)

# -- bookkeeping (not a projection: survives rebuilds) --------------------------------------

municipality_data = sa.Table(
    "municipality_data",
    metadata,
    municipality(primary_key=True),
    sa.Column("data_version", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("evaluated_version", sa.BigInteger, nullable=False, server_default="0"),
    comment="Bumped by every applied fact or configuration change; the level evaluator "
    "re-evaluates a municipality whose data_version moved past evaluated_version, and "
    "snapshot caches key on data_version.",
)

frozen_report_members = sa.Table(
    "frozen_report_members",
    metadata,
    sa.Column("report_id", UUID, primary_key=True),
    sa.Column("indicator_key", sa.Text, primary_key=True),
    sa.Column("row", sa.Integer, primary_key=True),
    municipality(),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("unit_id", UUID, comment="null when the unit is the participant"),
    sa.Column("participant_id", UUID),
    sa.Column("household_id", UUID),
    sa.Column("in_numerator", sa.Boolean, nullable=False),
    sa.Column("in_denominator", sa.Boolean, nullable=False),
    sa.Column("reason_code", sa.Text, nullable=False),
    sa.Column("on_date", sa.Date),
    sa.Column("amount", sa.Float),
)
"""The drill-down lists of a locked report as they stood at the lock (pseudonymous ids,
as the drill-down shows them), written with the lock's event, which carries only their
SHA-256. Listed here, before ``PARTICIPANT_KEYED``, so an erasure unlinks a person in the
archive too; a person who is a unit (``subject`` participant) is kept only as
``participant_id`` for that reason."""

PARTICIPANT_FACTS = (
    registrations,
    competence_profiles,
    programme_starts,
    programme_pauses,
    plan_revisions,
    programme_completions,
    norwegian_tests,
    follow_up_statuses,
    moves_out,
    base_exits,
    birth_year_corrections,
    research_reservations,
    act_categories,
    minor_facts,
    erasures,
)
MATCHING_FACTS = (jobs, practice_placements)
HOUSING_FACTS = (
    housing_applications,
    housing_decisions,
    placements,
    evictions,
    ownerships,
    housing_school,
    tenancy_incidents,
)
PARTICIPANT_KEYED = tuple(
    table for table in metadata.tables.values() if "participant_id" in table.c
)
"""Tables whose ``participant_id`` an erasure replaces by an unlinkable alias."""

comparison_values = sa.Table(
    "comparison_values",
    metadata,
    sa.Column("event_id", UUID, primary_key=True),
    sa.Column("row", sa.Integer, primary_key=True),
    sa.Column("indicator_key", sa.Text, nullable=False),
    sa.Column("period", sa.Text, nullable=False),
    sa.Column("region_kind", sa.Text, nullable=False),
    sa.Column("region_code", sa.Text, nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("source", sa.Text, nullable=False),
    municipality("imported_by"),
    moment("recorded_at"),
    sa.Index("comparison_values_by_key", "indicator_key", "period", "region_kind", "region_code"),
)
"""Comparison figures (``indicators.comparisons.imported.v1``): national data, the same for
every municipality; the latest import of a key, period and region holds."""

frozen_reports = sa.Table(
    "frozen_reports",
    metadata,
    sa.Column("report_id", UUID, primary_key=True),
    municipality(),
    sa.Column("period", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("reported_to", sa.Text, nullable=False),
    sa.Column("reported_on", sa.Date, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("lang", sa.Text, nullable=False),
    moment("known_as_of"),
    sa.Column("snapshot", pg.JSONB, nullable=False),
    sa.Column("html", sa.LargeBinary, nullable=False),
    sa.Column("xlsx", sa.LargeBinary, nullable=False),
    sa.Column("pdf", sa.LargeBinary, nullable=False),
    sa.Column("sha256", pg.JSONB, nullable=False),
    sa.Column("drilldown_sha256", sa.Text),
    sa.Column("drilldown_members", sa.Integer, nullable=False, server_default="0"),
    moment("recorded_at"),
    sa.UniqueConstraint("municipality", "period", "kind", name="frozen_reports_once"),
)
"""Reports locked as reported to the council (``indicators.report.locked.v1``): the report's
values as locked and its rendered files byte for byte, with a SHA-256 of each. Never
recomputed; ``/changes`` recomputes beside it."""
