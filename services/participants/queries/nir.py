"""NIR reporting: the municipality's dataset for a year and the data-quality report.

Both fold every participant of the municipality (see
:func:`services.participants.queries.deadlines.participant_states`) and read what
:mod:`services.participants.domain.nir` makes of each: the record NIR wants, and what it
would reject or count as «ikke registrert».
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import events as ev
from services.participants.domain import nir
from services.participants.queries.deadlines import TEXTS, participant_states
from shared.csvio import HeaderStyle, header_labels
from shared.eventstore import EventStore
from shared.i18n import catalog

COLUMNS = (
    "participant_id",
    "year",
    "birth_year",
    "gender",
    "settled_on",
    "arrival_category",
    "category",
    "decision_on",
    "decision_granted",
    "legal_basis",
    "competence_mapped_on",
    "career_guidance_on",
    "programme_id",
    "programme_kind",
    "starts_on",
    "ended_on",
    "completion_reason",
    "outcome",
    "end_reason",
    "end_reason_derived",
    "end_goal",
    "norwegian_goal",
    "plan_revisions",
    "contract_agreed_on",
    "contract_signed_on",
    "contract_revisions",
    *(f"hours_{kind.value}" for kind in ev.ActivityKind),
    "absence_valid_hours",
    "absence_invalid_hours",
    "research_reservation",
)
"""The dataset's columns, in order (the CSV header; the JSON rows carry the same keys,
with the hours per activity kind under ``activities``)."""


async def dataset(
    conn: AsyncConnection, store: EventStore, municipality: str, year: int, today: date
) -> list[dict[str, Any]]:
    """Every participant's NIR record for ``year`` as known on ``today``."""
    rows = []
    for state, _ in await participant_states(conn, store, municipality):
        record = nir.record_for_year(state, year, today)
        if record is not None:
            rows.append(record)
    return rows


def csv_row(record: dict[str, Any]) -> list[Any]:
    """One record as a CSV row in :data:`COLUMNS` order."""
    activities = record["activities"]
    flat = {
        **record,
        **{f"hours_{kind.value}": activities.get(kind.value, 0.0) for kind in ev.ActivityKind},
    }
    return [flat.get(column) for column in COLUMNS]


def csv_header(locale: str, style: HeaderStyle = "labels") -> list[str]:
    """The header row: each column's label in ``locale`` (``csv.nir.<column>``), or the
    stable column codes with ``style="codes"``."""
    return header_labels(COLUMNS, locale, catalog(*TEXTS), style, prefix="csv.nir")


async def data_quality(
    conn: AsyncConnection,
    store: EventStore,
    municipality: str,
    year: int,
    today: date,
    locale: str,
    with_personal: bool,
) -> tuple[list[dict[str, Any]], int]:
    """Every problem NIR would reject or count as not registered, most urgent first, and
    how many participants were checked."""
    texts = catalog(*TEXTS)
    views: list[dict[str, Any]] = []
    checked = 0
    for state, details in await participant_states(conn, store, municipality):
        found = nir.problems(state, year, today)
        if nir.programme_in_year(state, year, today) is not None:
            checked += 1
        for problem in found:
            view = problem.view(today)
            view["field_label"] = texts.text(f"nir_field.{problem.field}", locale)
            view["problem_label"] = texts.text(f"nir_problem.{problem.problem}", locale)
            if with_personal:
                view["personal_data"] = (
                    None
                    if details is None
                    else {k: details.get(k) for k in ("given_name", "family_name")}
                )
            views.append(view)
    views.sort(key=lambda v: (v["days_left"], v["field"], v["participant_id"]))
    return views, checked


def end_reasons(day: date, locale: str) -> list[dict[str, Any]]:
    """NIR's end-reason list in force on ``day``, labelled."""
    texts = catalog(*TEXTS)
    return [
        {
            "code": reason.code,
            "label": texts.text(f"end_reason.{reason.code}", locale),
            "group": reason.group,
            "fits": sorted(reason.fits),
            "outcomes": sorted(reason.outcomes) if reason.outcomes is not None else None,
        }
        for reason in nir.end_reasons_on(day).values()
    ]
