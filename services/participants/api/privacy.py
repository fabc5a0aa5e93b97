"""Erasure and the audit log (privacy officer)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request

from services.participants import application, audit
from services.participants.api.common import PrivacyOfficer, PrivacyOfficerAsks, perform_on
from shared.deps import IdempotencyKeyHeader, RuntimeDep
from shared.http import problem_responses
from shared.paging import DEFAULT_LIMIT, Limit, Offset, Page, page
from shared.problems import NotFound

router = APIRouter(tags=["privacy"])


@router.delete(
    "/participants/{participant_id}/personal-data",
    summary="Slett en deltakers personopplysninger / Erase a participant's personal data",
    description="Destroys the participant's key: every sealed copy in the event store and the "
    "read models becomes unreadable, lookups by national id are removed, and "
    "`participant.erased` is published so other services forget what they hold. Pseudonymous "
    "facts (dates, categories) stay for statistics.",
    responses=problem_responses(401, 403, 404, 409),
)
async def erase_personal_data(
    participant_id: uuid.UUID,
    asked: PrivacyOfficerAsks,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await perform_on(asked, participant_id, None, application.erase)


class AuditTrail(Page[dict[str, Any]]):
    """One page of the reads of a participant's personal data."""

    participant_id: uuid.UUID


@router.get(
    "/participants/{participant_id}/audit",
    response_model=AuditTrail,
    summary="Hvem som leste deltakerens personopplysninger, når og hvorfor / Who read this "
    "participant's personal data, when and why",
    description="Rekkefølge: tidspunkt, så id (eldste først). / Order: time, then id (oldest "
    "first).",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_audit_trail(
    participant_id: uuid.UUID,
    request: Request,
    runtime: RuntimeDep,
    principal: PrivacyOfficer,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    async with runtime.db.snapshot() as conn:
        if (
            await runtime.store.stream_municipality(conn, str(participant_id))
            != principal.municipality
        ):
            raise NotFound(
                f"No participant {participant_id} in municipality {principal.municipality}."
            )
        reads, total = await audit.reads_of(
            conn, participant_id, principal.municipality, limit=limit, offset=offset
        )
    answer = page(request, reads, limit=limit, offset=offset, total=total)
    return {"participant_id": str(participant_id), **answer}
