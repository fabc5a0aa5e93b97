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

metadata = sa.MetaData()


def _recorded() -> sa.Column[object]:
    return sa.Column(
        "recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def _municipality() -> sa.Column[object]:
    return sa.Column("municipality", sa.String(4), nullable=False)


def _event_id() -> sa.Column[object]:
    return sa.Column("event_id", pg.UUID(as_uuid=True), primary_key=True)


# -- facts from participants ---------------------------------------------------------------

settlements = sa.Table(
    "settlements",
    metadata,
    sa.Column("participant_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("municipality", sa.String(4), nullable=False),
    sa.Column("settled_on", sa.Date, nullable=False),
    sa.Column("arrival_category", sa.Text, nullable=False),
    _recorded(),
    sa.Column("household_id", pg.UUID(as_uuid=True)),
    sa.Column("household_size", sa.Integer),
    sa.Column("unaccompanied_minor", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("event_id", pg.UUID(as_uuid=True)),
    sa.Index("settlements_by_municipality_date", "municipality", "settled_on"),
)

registrations = sa.Table(
    "registrations",
    metadata,
    sa.Column("participant_id", pg.UUID(as_uuid=True), primary_key=True),
    _municipality(),
    sa.Column("birth_year", sa.Integer),
    sa.Column("gender", sa.Text),
    _recorded(),
    sa.Index("registrations_by_municipality", "municipality"),
)

competence_profiles = sa.Table(
    "competence_profiles",
    metadata,
    _event_id(),
    sa.Column("participant_id", pg.UUID(as_uuid=True), nullable=False),
    _municipality(),
    sa.Column("education_level", sa.Text),
    sa.Column("norwegian_oral", sa.Text),
    sa.Column("norwegian_written", sa.Text),
    sa.Column("norwegian_reading", sa.Text),
    sa.Column("norwegian_listening", sa.Text),
    _recorded(),
    sa.Index("competence_profiles_by_municipality", "municipality"),
)

programme_starts = sa.Table(
    "programme_starts",
    metadata,
    _event_id(),
    sa.Column("participant_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("programme_id", pg.UUID(as_uuid=True), nullable=False),
    _municipality(),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("starts_on", sa.Date, nullable=False),
    sa.Column("planned_end", sa.Date),
    _recorded(),
    sa.Index("programme_starts_by_municipality", "municipality"),
)

programme_pauses = sa.Table(
    "programme_pauses",
    metadata,
    _event_id(),
    sa.Column("participant_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("programme_id", pg.UUID(as_uuid=True), nullable=False),
    _municipality(),
    sa.Column("change", sa.Text, nullable=False, comment="interrupted or resumed"),
    sa.Column("pause_kind", sa.Text),
    sa.Column("on_date", sa.Date, nullable=False),
    sa.Column("planned_end", sa.Date),
    _recorded(),
    sa.Index("programme_pauses_by_municipality", "municipality"),
)

plan_revisions = sa.Table(
    "plan_revisions",
    metadata,
    _event_id(),
    sa.Column("participant_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("programme_id", pg.UUID(as_uuid=True), nullable=False),
    _municipality(),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("hours_per_week", sa.Float, nullable=False),
    sa.Column("full_time", sa.Boolean, nullable=False),
    _recorded(),
    sa.Index("plan_revisions_by_municipality", "municipality"),
)

programme_completions = sa.Table(
    "programme_completions",
    metadata,
    _event_id(),
    sa.Column("participant_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("programme_id", pg.UUID(as_uuid=True), nullable=False),
    _municipality(),
    sa.Column("ended_on", sa.Date, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("outcome", sa.Text),
    sa.Column("hours_per_week", sa.Float),
    _recorded(),
    sa.Index("programme_completions_by_municipality", "municipality"),
)

norwegian_tests = sa.Table(
    "norwegian_tests",
    metadata,
    _event_id(),
    sa.Column("participant_id", pg.UUID(as_uuid=True), nullable=False),
    _municipality(),
    sa.Column("sub_test", sa.Text, nullable=False),
    sa.Column("level", sa.Text, nullable=False),
    sa.Column("taken_on", sa.Date, nullable=False),
    _recorded(),
    sa.Index("norwegian_tests_by_municipality", "municipality"),
)

follow_up_statuses = sa.Table(
    "follow_up_statuses",
    metadata,
    _event_id(),
    sa.Column("participant_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("programme_id", pg.UUID(as_uuid=True), nullable=False),
    _municipality(),
    sa.Column("reference_year", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("preliminary", sa.Boolean, nullable=False),
    _recorded(),
    sa.Index("follow_up_statuses_by_municipality", "municipality"),
)

moves_out = sa.Table(
    "moves_out",
    metadata,
    _event_id(),
    sa.Column("participant_id", pg.UUID(as_uuid=True), nullable=False),
    _municipality(),
    sa.Column("moved_on", sa.Date, nullable=False),
    sa.Column("to_municipality", sa.String(4)),
    _recorded(),
    sa.Index("moves_out_by_municipality", "municipality"),
)

base_exits = sa.Table(
    "base_exits",
    metadata,
    _event_id(),
    sa.Column("participant_id", pg.UUID(as_uuid=True), nullable=False),
    _municipality(),
    sa.Column("left_on", sa.Date, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    _recorded(),
    sa.Index("base_exits_by_municipality", "municipality"),
)
"""Deaths and emigrations: the person leaves the base from ``left_on`` (``died``,
``emigrated``). Moves to another municipality stay in ``moves_out``."""

birth_year_corrections = sa.Table(
    "birth_year_corrections",
    metadata,
    _event_id(),
    sa.Column("participant_id", pg.UUID(as_uuid=True), nullable=False),
    _municipality(),
    sa.Column("birth_year", sa.Integer, nullable=False),
    _recorded(),
    sa.Index("birth_year_corrections_by_municipality", "municipality"),
)

erasures = sa.Table(
    "erasures",
    metadata,
    _event_id(),
    sa.Column("alias", pg.UUID(as_uuid=True), nullable=False),
    _municipality(),
    _recorded(),
)

# -- facts from matching ------------------------------------------------------------------

jobs = sa.Table(
    "jobs",
    metadata,
    _event_id(),
    sa.Column("participant_id", pg.UUID(as_uuid=True), nullable=False),
    _municipality(),
    sa.Column("employer_id", pg.UUID(as_uuid=True)),
    sa.Column("match_id", pg.UUID(as_uuid=True)),
    sa.Column("starts_on", sa.Date, nullable=False),
    sa.Column("hours_per_week", sa.Float),
    sa.Column("permanent", sa.Boolean),
    _recorded(),
    sa.Index("jobs_by_municipality", "municipality"),
)

practice_placements = sa.Table(
    "practice_placements",
    metadata,
    _event_id(),
    sa.Column("placement_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("participant_id", pg.UUID(as_uuid=True), nullable=False),
    _municipality(),
    sa.Column("change", sa.Text, nullable=False, comment="started or ended"),
    sa.Column("kind", sa.Text),
    sa.Column("on_date", sa.Date, nullable=False),
    sa.Column("hours_per_week", sa.Float),
    sa.Column("outcome", sa.Text),
    _recorded(),
    sa.Index("practice_placements_by_municipality", "municipality"),
)

# -- facts from housing -------------------------------------------------------------------

housing_applications = sa.Table(
    "housing_applications",
    metadata,
    _event_id(),
    sa.Column("application_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("household_id", pg.UUID(as_uuid=True), nullable=False),
    _municipality(),
    sa.Column("household_size", sa.Integer),
    sa.Column("received_on", sa.Date, nullable=False),
    sa.Column("urgency", sa.Text),
    _recorded(),
    sa.Index("housing_applications_by_municipality", "municipality"),
)

housing_decisions = sa.Table(
    "housing_decisions",
    metadata,
    _event_id(),
    sa.Column("application_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("household_id", pg.UUID(as_uuid=True), nullable=False),
    _municipality(),
    sa.Column("decision", sa.Text, nullable=False),
    sa.Column("decided_on", sa.Date, nullable=False),
    _recorded(),
    sa.Index("housing_decisions_by_municipality", "municipality"),
)

placements = sa.Table(
    "placements",
    metadata,
    _event_id(),
    sa.Column("placement_id", pg.UUID(as_uuid=True), nullable=False),
    sa.Column("household_id", pg.UUID(as_uuid=True), nullable=False),
    _municipality(),
    sa.Column("change", sa.Text, nullable=False, comment="started or ended"),
    sa.Column("dwelling_id", pg.UUID(as_uuid=True)),
    sa.Column("application_id", pg.UUID(as_uuid=True)),
    sa.Column("on_date", sa.Date, nullable=False),
    sa.Column("reason", sa.Text),
    _recorded(),
    sa.Index("placements_by_municipality", "municipality"),
)

evictions = sa.Table(
    "evictions",
    metadata,
    _event_id(),
    sa.Column("placement_id", pg.UUID(as_uuid=True)),
    sa.Column("household_id", pg.UUID(as_uuid=True), nullable=False),
    _municipality(),
    sa.Column("evicted_on", sa.Date, nullable=False),
    sa.Column("grounds", sa.Text),
    _recorded(),
    sa.Index("evictions_by_municipality", "municipality"),
)

ownerships = sa.Table(
    "ownerships",
    metadata,
    _event_id(),
    sa.Column("household_id", pg.UUID(as_uuid=True), nullable=False),
    _municipality(),
    sa.Column("became_owner_on", sa.Date, nullable=False),
    sa.Column("route", sa.Text, nullable=False),
    sa.Column("dwelling_id", pg.UUID(as_uuid=True)),
    sa.Column("price", sa.BigInteger),
    _recorded(),
    sa.Index("ownerships_by_municipality", "municipality"),
)

# -- configuration: versions of the service's own events -----------------------------------

goal_versions = sa.Table(
    "goal_versions",
    metadata,
    sa.Column("municipality", sa.String(4), primary_key=True),
    sa.Column("goal_key", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("plan_level", sa.Text, nullable=False),
    sa.Column("parent_key", sa.Text),
    sa.Column("title_nb", sa.Text, nullable=False),
    sa.Column("title_en", sa.Text, nullable=False),
    sa.Column("owner_unit", sa.Text, nullable=False),
    sa.Column("from_year", sa.Integer, nullable=False),
    sa.Column("to_year", sa.Integer, nullable=False),
    sa.Column("indicator_keys", pg.ARRAY(sa.Text), nullable=False),
)

indicator_versions = sa.Table(
    "indicator_versions",
    metadata,
    sa.Column("municipality", sa.String(4), primary_key=True),
    sa.Column("indicator_key", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
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

threshold_versions = sa.Table(
    "threshold_versions",
    metadata,
    sa.Column("municipality", sa.String(4), primary_key=True),
    sa.Column("indicator_key", sa.Text, primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("bands", pg.JSONB, nullable=False),
    sa.Column("gap_policy", sa.Text, nullable=False),
)

comments = sa.Table(
    "comments",
    metadata,
    _event_id(),
    _municipality(),
    sa.Column("indicator_key", sa.Text, nullable=False),
    sa.Column("period", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("comments_by_indicator", "municipality", "indicator_key", "period"),
)

manual_values = sa.Table(
    "manual_values",
    metadata,
    _event_id(),
    _municipality(),
    sa.Column("indicator_key", sa.Text, nullable=False),
    sa.Column("period", sa.Text, nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("source", sa.Text),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("manual_values_by_indicator", "municipality", "indicator_key", "period"),
)

indicator_levels = sa.Table(
    "indicator_levels",
    metadata,
    sa.Column("municipality", sa.String(4), primary_key=True),
    sa.Column("indicator_key", sa.Text, primary_key=True),
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("level", sa.Text, nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("preliminary", sa.Boolean),
)

# -- bookkeeping (not a projection: survives rebuilds) --------------------------------------

municipality_data = sa.Table(
    "municipality_data",
    metadata,
    sa.Column("municipality", sa.String(4), primary_key=True),
    sa.Column("data_version", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("evaluated_version", sa.BigInteger, nullable=False, server_default="0"),
    comment="Bumped by every applied fact or configuration change; the level evaluator "
    "re-evaluates a municipality whose data_version moved past evaluated_version, and "
    "snapshot caches key on data_version.",
)

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
    erasures,
)
MATCHING_FACTS = (jobs, practice_placements)
HOUSING_FACTS = (housing_applications, housing_decisions, placements, evictions, ownerships)
PARTICIPANT_KEYED = (
    settlements,
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
    jobs,
    practice_placements,
)
"""Tables whose ``participant_id`` an erasure replaces by an unlinkable alias."""
