"""Tables of the matching service (besides the kit's).

Every read model the in-memory index follows carries ``changed_tx`` (the writing
transaction, ``xid8``) and ``change_seq``: the index reads rows changed after its
cursor and below the oldest open transaction that could have written them (the event
store's horizon rule, narrowed to this database: see ``index._HORIZON``), so a row
committed late is never skipped and a rolled-back change never shows. The database
stamps both on every insert and update (the ``matching_touch`` trigger of migration
0006), whoever writes the row and however many rows one statement writes, so the
projections' set-based upserts bump a row's marker as one UPDATE per event did.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from shared.columns import UUID, key_table, moment, municipality, stream_version

metadata = sa.MetaData()

CHANGE_SEQUENCE = "matching_change_seq"

_NULLABLE_JSON = pg.JSONB(none_as_null=True)
"""A JSON column whose ``None`` is SQL NULL: "nothing recorded", never a JSON ``null``."""


def _change_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("changed_tx", sa.Text, nullable=False),
        sa.Column("change_seq", sa.BigInteger, nullable=False),
    ]


TOUCH_FUNCTION = "matching_touch"
"""Trigger function stamping ``changed_tx``/``change_seq`` on every write of a followed row."""

UNSTAMPED = {"changed_tx": None, "change_seq": None}
"""The change columns of a row about to be written: the trigger fills them in."""


def new_row(table: sa.Table, **values: Any) -> dict[str, Any]:
    """A new row of ``table`` with every column named: ``values``, the rest NULL.

    Columns with server defaults must be given in ``values`` (a batch writes every
    column of a new row).
    """
    return {column.name: None for column in table.columns} | values


employers = sa.Table(
    "employers",
    metadata,
    sa.Column("employer_id", UUID, primary_key=True),
    municipality(index=True),
    sa.Column("organisation_number", sa.String(9), nullable=False),
    sa.Column("name", sa.Text, nullable=False, server_default=""),
    sa.Column("industry", sa.Text, nullable=False),
    municipality("municipality_code"),
    sa.Column("mentor_capacity", sa.Integer, nullable=False),
    sa.Column("contact", _NULLABLE_JSON),
    sa.Column("contact_id", UUID),
    sa.Column("agreements", pg.JSONB, nullable=False, server_default="[]"),
    moment("registered_at"),
    stream_version(),
    *_change_columns(),
    sa.UniqueConstraint("municipality", "organisation_number", name="employers_orgnr_key"),
)

openings = sa.Table(
    "openings",
    metadata,
    sa.Column("opening_id", UUID, primary_key=True),
    municipality(index=True),
    sa.Column("employer_id", UUID, nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("terms", pg.JSONB, nullable=False),
    sa.Column("title", sa.Text, nullable=False, server_default=""),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("other_skills", pg.JSONB, nullable=False, server_default="[]"),
    sa.Column("places_taken", sa.Integer, nullable=False, server_default="0"),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("closed_on", sa.Date),
    sa.Column("close_reason", sa.Text),
    moment("published_at"),
    stream_version(),
    *_change_columns(),
)

matches = sa.Table(
    "matches",
    metadata,
    sa.Column("match_id", UUID, primary_key=True),
    municipality(),
    sa.Column("participant_id", UUID, nullable=False, index=True),
    sa.Column("opening_id", UUID, nullable=False, index=True),
    sa.Column("employer_id", UUID, nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("band", sa.Text, nullable=False),
    sa.Column("proposed_by", sa.Text, nullable=False),
    moment("proposed_at"),
    sa.Column("interview_on", sa.Date),
    sa.Column("offer", _NULLABLE_JSON),
    sa.Column("declined_by", sa.Text),
    sa.Column("placement_id", UUID),
    sa.Column("started_on", sa.Date),
    sa.Column("ended_on", sa.Date),
    sa.Column("outcome", sa.Text),
    sa.Column("job", _NULLABLE_JSON),
    sa.Column("history", pg.JSONB, nullable=False, server_default="[]"),
    stream_version(),
    *_change_columns(),
    # One live match per participant and opening; the partial index makes two
    # concurrent proposals of the same pair collide inside the database.
    sa.Index(
        "matches_one_live_per_pair",
        "participant_id",
        "opening_id",
        unique=True,
        postgresql_where=sa.text("status NOT IN ('declined', 'placement_ended')"),
    ),
)

candidates = sa.Table(
    "candidates",
    metadata,
    sa.Column("participant_id", UUID, primary_key=True),
    municipality(index=True),
    sa.Column("profile", _NULLABLE_JSON),
    moment("profile_updated_at", nullable=True),
    sa.Column("settled_on", sa.Date),
    sa.Column("consent", _NULLABLE_JSON),
    sa.Column("norwegian_tests", _NULLABLE_JSON),
    sa.Column("left_on", sa.Date),
    sa.Column("left_because", sa.Text),
    municipality("moved_to", nullable=True),
    sa.Column("programmes", _NULLABLE_JSON),
    *_change_columns(),
)

erased_candidates = sa.Table(
    "erased_candidates",
    metadata,
    sa.Column("participant_id", UUID, primary_key=True),
    moment("erased_at"),
    *_change_columns(),
)

contact_keys = key_table(
    "contact_keys",
    metadata,
    "contact_id",
    sa.Column("employer_id", UUID, nullable=False, index=True),
)
"""Keys of employers' contact persons, outside the event store: deleting one erases them.

Not a read model: a rebuild must not bring back a destroyed key."""

FOLLOWED_TABLES = (employers, openings, matches, candidates, erased_candidates)

# --- the resource bank of volunteers (issue 15; migration 0007) ------------------------


def _unfollowed_change_columns() -> list[sa.Column[Any]]:
    """The change columns :class:`StreamRows` writes, left NULL: the index does not follow
    the volunteer tables, so no trigger stamps them."""
    return [sa.Column("changed_tx", sa.Text), sa.Column("change_seq", sa.BigInteger)]


volunteer_keys = key_table("volunteer_keys", metadata, "volunteer_id")
"""Each volunteer's sealing key, outside the event store: deleting it erases them.

Not a read model: a rebuild must not bring back a destroyed key."""

volunteers = sa.Table(
    "volunteers",
    metadata,
    sa.Column("volunteer_id", UUID, primary_key=True),
    municipality(index=True),
    sa.Column("roles", pg.JSONB, nullable=False),
    sa.Column("languages", pg.JSONB, nullable=False),
    municipality("municipality_code"),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("consented_on", sa.Date, nullable=False),
    sa.Column("skills", pg.JSONB, nullable=False, server_default="[]"),
    sa.Column("areas", pg.JSONB, nullable=False, server_default="[]"),
    sa.Column("slots", pg.JSONB, nullable=False, server_default="[]"),
    sa.Column("available_from", sa.Date),
    sa.Column("available_until", sa.Date),
    sa.Column("sealed", sa.Text),
    sa.Column("certificate", _NULLABLE_JSON),
    sa.Column("approved_on", sa.Date),
    sa.Column("last_contact_on", sa.Date),
    sa.Column("assignments", pg.JSONB, nullable=False, server_default="[]"),
    sa.Column("erased", sa.Boolean, nullable=False, server_default=sa.false()),
    moment("registered_at"),
    stream_version(),
    *_unfollowed_change_columns(),
)
"""Volunteers with their assignments; the personal record stays sealed here too, opened
only when read with the volunteer's key."""

volunteer_needs = sa.Table(
    "volunteer_needs",
    metadata,
    sa.Column("need_id", UUID, primary_key=True),
    municipality(index=True),
    sa.Column("participant_id", UUID),
    sa.Column("household_id", UUID),
    sa.Column("need", pg.JSONB, nullable=False),
    moment("registered_at"),
    stream_version(),
    *_unfollowed_change_columns(),
)

volunteer_gatherings = sa.Table(
    "volunteer_gatherings",
    metadata,
    sa.Column("gathering_id", UUID, primary_key=True),
    municipality(index=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("held_on", sa.Date, nullable=False),
    sa.Column("attended", pg.JSONB, nullable=False),
    stream_version(),
    *_unfollowed_change_columns(),
)
