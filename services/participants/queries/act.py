"""Reading the person under the Integration Act back: rights and duties on a day, the
category history, decisions and complaints, mapping and guidance, the programme length
the Act allows, the full-time rule per week and per year, and the integration contract
with every revision.

Labels come from the ``act`` catalogs (services/participants/locale/*/act.po); codes stay
beside them. Personal data (the contract's content, the grounds of decisions and
complaints) is unsealed only for callers allowed to see it.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import application, personal_data
from services.participants import events as ev
from services.participants.domain import act
from services.participants.domain.act import ActRecord, CategoryPeriod, Tables
from services.participants.domain.state import Participant
from shared.dates import add_days
from shared.i18n import Catalog, catalog
from shared.problems import NotFound
from shared.service import Runtime


def texts() -> Catalog:
    return catalog("shared", "services.participants")


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


async def _history(
    runtime: Runtime, conn: AsyncConnection, participant_id: uuid.UUID, municipality: str
) -> tuple[Participant, list[Any]]:
    """The folded participant and its decoded events; another municipality's is 404."""
    store = runtime.store
    if await store.stream_municipality(conn, str(participant_id)) != municipality:
        raise NotFound(f"No participant {participant_id} in municipality {municipality}.")
    envelopes = await store.load(conn, str(participant_id))
    state = await application.fold(runtime, conn, participant_id, envelopes)
    return state, [store.decode(e) for e in envelopes]


def _label(t: Catalog, vocabulary: str, code: str | None, locale: str) -> str | None:
    return None if code is None else t.text(f"{vocabulary}.{code}", locale)


def category_view(period: CategoryPeriod, t: Catalog, locale: str) -> dict[str, Any]:
    return {
        "code": period.category.value,
        "label": _label(t, "act_category", period.category.value, locale),
        "valid_from": period.valid_from.isoformat(),
        "valid_to": _iso(period.valid_to),
        "permit_granted_on": _iso(period.permit_granted_on),
    }


def _basis_view(
    tables: Tables, code: str | None, day: date, t: Catalog, locale: str
) -> dict[str, Any] | None:
    if code is None:
        return None
    found = act.legal_basis(tables, code, day)
    return {
        "code": code,
        "label": t.text(f"legal_basis.{code}", locale),
        "section": found.get("section") if found else None,
    }


def right_view(
    right: act.Right, tables: Tables, day: date, t: Catalog, locale: str
) -> dict[str, Any]:
    return {
        "scheme": right.scheme.value,
        "label": _label(t, "scheme", right.scheme.value, locale),
        "status": right.status,
        "status_label": _label(t, "right_status", right.status, locale),
        "reason": right.reason,
        "reason_label": _label(t, "right_reason", right.reason, locale),
        "legal_basis": _basis_view(tables, right.legal_basis, day, t, locale),
        "hours": right.hours,
        "hours_per_week": right.hours_per_week,
        "weeks_per_year": right.weeks_per_year,
        "age_limits": None
        if right.age_limits is None
        else {"min": right.age_limits[0], "max": right.age_limits[1]},
    }


def _decisions(record: ActRecord, tables: Tables, t: Catalog, locale: str) -> list[dict[str, Any]]:
    views: list[dict[str, Any]] = []
    for decision in record.decisions:
        deadline = int(act._value(tables, "complaint_deadline_days", decision.decided_on) or 21)
        complaints = [
            {
                "complaint_id": str(c.complaint_id),
                "lodged_on": c.lodged_on.isoformat(),
                "late": c.lodged_on > add_days("lodged_on", decision.decided_on, deadline),
                "resolved_on": _iso(c.resolved_on),
                "outcome": c.outcome.value if c.outcome else None,
                "outcome_label": _label(
                    t, "complaint_outcome", c.outcome.value if c.outcome else None, locale
                ),
                "resolved_by": c.resolved_by.value if c.resolved_by else None,
                "resolved_by_label": _label(
                    t, "complaint_body", c.resolved_by.value if c.resolved_by else None, locale
                ),
            }
            for c in record.complaints
            if c.decision_id == decision.decision_id
        ]
        views.append(
            {
                "decision_id": str(decision.decision_id),
                "scheme": decision.scheme.value,
                "scheme_label": _label(t, "scheme", decision.scheme.value, locale),
                "decided_on": decision.decided_on.isoformat(),
                "legal_basis": _basis_view(
                    tables, decision.legal_basis, decision.decided_on, t, locale
                ),
                "granted": decision.granted,
                "category": decision.category.value,
                "complaint_deadline_days": deadline,
                "complaints": complaints,
            }
        )
    return views


def _plan_on(state: Participant, day: date) -> tuple[Any, date, tuple[Any, ...]] | None:
    """The programme on ``day`` (or the latest) and its plan revision in force that day."""
    programme = state.programme_on(day) or state.programme
    if programme is None:
        return None
    plans = [
        (valid_from, activities)
        for programme_id, valid_from, activities in state.plans
        if programme_id == programme.programme_id and valid_from <= day
    ]
    if not plans:
        return None
    valid_from, activities = plans[-1]
    return programme, valid_from, activities


def length_view(
    state: Participant, tables: Tables, t: Catalog, locale: str
) -> dict[str, Any] | None:
    programme = state.programme
    if programme is None or programme.kind != ev.ProgrammeKind.introduction:
        return None
    limit = act.length_limit(state.act, programme.starts_on, state.act.end_goal, tables)
    if limit is None:
        return None
    normal, latest = limit.normal_end(programme.starts_on), limit.latest_end(programme.starts_on)
    planned = programme.base_planned_end
    return {
        "group": limit.group,
        "label": _label(t, "length_group", limit.group, locale),
        "end_goal": state.act.end_goal.value if state.act.end_goal else None,
        "min_months": limit.min_months,
        "max_months": limit.max_months,
        "extension_months": limit.extension_months,
        "legal_basis": {
            "code": limit.legal_basis,
            "label": t.text(f"legal_basis.{limit.legal_basis}", locale),
            "section": None,
        },
        "starts_on": programme.starts_on.isoformat(),
        "planned_end": planned.isoformat(),
        "normal_end": normal.isoformat(),
        "latest_end": latest.isoformat(),
        "within_normal_length": planned <= normal,
        "needs_extension": normal < planned <= latest,
        "source": limit.source,
    }


def full_time_view(state: Participant, day: date, tables: Tables) -> dict[str, Any] | None:
    found = _plan_on(state, day)
    if found is None:
        return None
    programme, valid_from, activities = found
    check = act.full_time_check(activities, valid_from, programme.planned_end, tables)
    return {
        "plan_valid_from": valid_from.isoformat(),
        "hours_per_week": check.hours_per_week,
        "required_per_week": check.required_per_week,
        "full_time_week": check.full_time_week,
        "hours_per_year": check.hours_per_year,
        "required_per_year": check.required_per_year,
        "full_time_year": check.full_time_year,
        "weeks_per_year": check.weeks_per_year,
        "full_time": check.full_time,
    }


async def rights(
    runtime: Runtime,
    conn: AsyncConnection,
    participant_id: uuid.UUID,
    municipality: str,
    day: date,
    locale: str,
) -> dict[str, Any]:
    """The person under the Act on ``day``: category, ages, each right and duty."""
    state, _ = await _history(runtime, conn, participant_id, municipality)
    tables = act.rule_tables()
    t = texts()
    found = act.rights_on(state.act, state, day, tables)
    record = state.act
    decide_before: str | None = None
    years = act._value(tables, "programme_residence_years", day)
    if state.settled_on is not None and years is not None:
        decide_before = _iso(add_days_years(state.settled_on, int(years)))
    return {
        "participant_id": str(participant_id),
        "on": day.isoformat(),
        "category": None if found.category is None else category_view(found.category, t, locale),
        "age": found.age,
        "age_at_permit": found.age_at_permit,
        "rights": [right_view(r, tables, day, t, locale) for r in found.rights],
        "categories": [category_view(p, t, locale) for p in record.categories],
        "decisions": _decisions(record, tables, t, locale),
        "programme_decision_before": decide_before,
        "competence_mapping": None
        if record.mapped_on is None
        else {
            "mapped_on": record.mapped_on.isoformat(),
            "mappings": [d.isoformat() for d in record.mappings],
            "education_level": record.education_level.value if record.education_level else None,
            "upper_secondary_completed": record.upper_secondary_completed,
        },
        "career_guidance": None
        if record.guided_on is None
        else {
            "guided_on": record.guided_on.isoformat(),
            "guidances": [d.isoformat() for d in record.guidances],
        },
        "programme_length": length_view(state, tables, t, locale),
        "full_time": full_time_view(state, day, tables),
    }


def add_days_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


async def contract(
    runtime: Runtime,
    conn: AsyncConnection,
    participant_id: uuid.UUID,
    municipality: str,
    with_personal: bool,
) -> dict[str, Any]:
    """The integration contract with every revision, oldest first; the content in words
    only for callers who see personal data."""
    state, history = await _history(runtime, conn, participant_id, municipality)
    key = await personal_data.load_key(conn, participant_id) if with_personal else None
    contents: dict[int, str | None] = {}
    for event in history:
        if isinstance(event, ev.IntegrationContractContentRecorded) and key is not None:
            contents[event.revision] = personal_data.unseal_text(key, participant_id, event.sealed)
    record = state.act
    programme_id: str | None = None
    for event in history:
        if isinstance(event, ev.IntegrationContractAgreed):
            programme_id = str(event.programme_id)
    revisions = [
        {
            "revision": c.revision,
            "agreed_on": c.agreed_on.isoformat(),
            "plan_revision": c.plan_revision,
            "signed_on": _iso(c.signed_on),
            "signed": c.signed,
            "content": contents.get(c.revision) if with_personal else None,
        }
        for c in record.contract
    ]
    latest = record.contract_revision
    return {
        "participant_id": str(participant_id),
        "contract_id": str(record.contract_id) if record.contract_id else None,
        "programme_id": programme_id,
        "current_revision": latest.revision if latest else None,
        "signed": latest.signed if latest else False,
        "revisions": revisions,
    }


def rule_tables_view() -> dict[str, Any]:
    """Every dated table of the Act, as served read-only."""
    tables = act.rule_tables()
    return {"tables": [tables[name].as_json() for name in sorted(tables)]}
