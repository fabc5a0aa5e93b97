"""The read side of the matching service: employers, openings and matches as shown.

Every lookup is scoped to a municipality: another municipality's id answers the same
404 as an unknown one.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.matching import domain
from services.matching.events import OpeningKind
from services.matching.tables import employers, erased_candidates, matches, openings
from shared.dates import today
from shared.paging import count_of
from shared.problems import NotFound


async def _one(
    conn: AsyncConnection, table: sa.Table, key: str, entity_id: uuid.UUID, municipality: str
) -> Any:
    """The row of ``entity_id`` in ``table`` if it is the municipality's; else 404."""
    row = (
        await conn.execute(
            sa.select(table).where(table.c[key] == entity_id, table.c.municipality == municipality)
        )
    ).one_or_none()
    if row is None:
        noun = key.removesuffix("_id")
        raise NotFound(f"No {noun} {entity_id} in municipality {municipality}.")
    return row


async def employer_view(
    conn: AsyncConnection, employer_id: uuid.UUID, municipality: str
) -> dict[str, Any]:
    row = await _one(conn, employers, "employer_id", employer_id, municipality)
    return _employer_document(row)


def _employer_document(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.employer_id),
        "organisation_number": row.organisation_number,
        "name": row.name,
        "industry": row.industry,
        "municipality_code": row.municipality_code,
        "mentor_capacity": row.mentor_capacity,
        "contact": row.contact,
        "agreements": row.agreements,
        "version": row.version,
    }


async def list_employers(
    conn: AsyncConnection, municipality: str, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of the municipality's employers by name, then id, and how many in all."""
    query = (
        sa.select(employers)
        .where(employers.c.municipality == municipality)
        .order_by(employers.c.name, employers.c.employer_id)
    )
    rows = await conn.execute(query.limit(limit).offset(offset))
    return [_employer_document(row) for row in rows], await count_of(conn, query)


def _opening_document(row: Any) -> dict[str, Any]:
    terms = dict(row.terms)
    return {
        "id": str(row.opening_id),
        "employer_id": str(row.employer_id),
        "kind": row.kind,
        "title": row.title,
        "description": row.description,
        "other_skills": row.other_skills,
        **terms,
        "places_taken": row.places_taken,
        "places_left": max(0, int(terms["places"]) - row.places_taken)
        if row.status != "closed"
        else 0,
        "status": row.status,
        "closed_on": row.closed_on.isoformat() if row.closed_on else None,
        "close_reason": row.close_reason,
        "version": row.version,
    }


async def opening_view(
    conn: AsyncConnection, opening_id: uuid.UUID, municipality: str
) -> dict[str, Any]:
    row = await _one(conn, openings, "opening_id", opening_id, municipality)
    return _opening_document(row)


async def list_openings(
    conn: AsyncConnection,
    municipality: str,
    *,
    status: str | None,
    kind: OpeningKind | None,
    employer_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the filtered openings by publishing time, then id, and how many in all."""
    query = sa.select(openings).where(openings.c.municipality == municipality)
    if status:
        query = query.where(openings.c.status == status)
    if kind:
        query = query.where(openings.c.kind == kind.value)
    if employer_id:
        query = query.where(openings.c.employer_id == employer_id)
    query = query.order_by(openings.c.published_at, openings.c.opening_id)
    rows = await conn.execute(query.limit(limit).offset(offset))
    return [_opening_document(row) for row in rows], await count_of(conn, query)


async def participant_erased(conn: AsyncConnection, participant_id: uuid.UUID) -> bool:
    found = await conn.scalar(
        sa.select(sa.literal(True)).where(erased_candidates.c.participant_id == participant_id)
    )
    return bool(found)


def _match_document(row: Any, erased: bool) -> dict[str, Any]:
    return {
        "id": str(row.match_id),
        "participant_id": str(row.participant_id),
        "opening_id": str(row.opening_id),
        "employer_id": str(row.employer_id),
        "kind": row.kind,
        "status": row.status,
        "score": row.score,
        "band": row.band,
        "proposed_at": row.proposed_at.isoformat(),
        "proposed_by": row.proposed_by,
        "interview_on": row.interview_on.isoformat() if row.interview_on else None,
        "offer": row.offer,
        "declined_by": row.declined_by,
        "placement_id": str(row.placement_id) if row.placement_id else None,
        "started_on": row.started_on.isoformat() if row.started_on else None,
        "ended_on": row.ended_on.isoformat() if row.ended_on else None,
        "outcome": row.outcome,
        "job": row.job,
        "history": row.history,
        "participant_erased": erased,
        "scheduled": row.started_on is not None
        and row.started_on > today()
        and row.status in {s.value for s in domain.ENGAGED_STATUSES},
        "version": row.version,
    }


async def match_view(
    conn: AsyncConnection, match_id: uuid.UUID, municipality: str
) -> dict[str, Any]:
    row = await _one(conn, matches, "match_id", match_id, municipality)
    return _match_document(row, await participant_erased(conn, row.participant_id))


async def list_matches(
    conn: AsyncConnection,
    municipality: str,
    *,
    opening_id: uuid.UUID | None,
    participant_id: uuid.UUID | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the filtered matches by proposal time, then id, and how many in all."""
    query = sa.select(
        matches,
        sa.exists()
        .where(erased_candidates.c.participant_id == matches.c.participant_id)
        .label("erased"),
    ).where(matches.c.municipality == municipality)
    if opening_id:
        query = query.where(matches.c.opening_id == opening_id)
    if participant_id:
        query = query.where(matches.c.participant_id == participant_id)
    if status:
        query = query.where(matches.c.status == status)
    query = query.order_by(matches.c.proposed_at, matches.c.match_id)
    rows = await conn.execute(query.limit(limit).offset(offset))
    return [_match_document(row, bool(row.erased)) for row in rows], await count_of(conn, query)
