"""Allocations: share scarce places (e.g. this month's language practice) for the best total fit."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from services.matching import application
from services.matching.api.common import EngineDep, JobCoach, index_responses
from services.matching.api.schemas import AllocationResult
from services.matching.domain.allocation import AllocationRequest, allocate, not_candidates
from services.matching.domain.candidates import Candidate
from services.matching.events import OpeningKind
from shared.commands import CommandResult, answer
from shared.dates import Day, today
from shared.deps import IdempotencyKeyHeader, RuntimeDep
from shared.problems import InvalidInput, field_error

router = APIRouter(prefix="/allocations", tags=["allocations"])


class Allocate(BaseModel):
    """Which places to fill, from whom, and how."""

    model_config = ConfigDict(extra="forbid")

    opening_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=500, description="Open openings; all open ones when left out"
    )
    kinds: list[OpeningKind] | None = Field(
        default=None, description="Only openings of these kinds (when opening_ids is left out)"
    )
    participant_ids: list[uuid.UUID] | None = Field(
        default=None,
        max_length=5000,
        description="Candidates to place; every available candidate when left out",
    )
    favour_waiting: bool = Field(
        default=False, description="Add points for time since settlement (longest wait: most)"
    )
    min_score: float = Field(default=0.0, ge=0, le=100, description="Never place below this")
    propose: bool = Field(
        default=False, description="Also propose a match for every assignment (one transaction)"
    )
    today: Day | None = Field(default=None, description="Reference day for waiting time")


@router.post(
    "",
    response_model=AllocationResult,
    summary="Fordel plasser på kandidater for best samlet treff / Allocate places to candidates "
    "for the best total fit",
    description="Assigns at most one place per candidate and no more candidates than places, "
    "maximising the sum of scores (plus waiting points with `favour_waiting`) under the hard "
    "requirements, with `scipy.optimize.linear_sum_assignment`. Every candidate left out gets "
    "the reasons per opening: a failed hard requirement, a score under the minimum, or places "
    "that went to others for a higher total fit. Candidates already in a placement or job are "
    "not placed. With `propose` every assignment becomes a proposed match.",
    responses=index_responses(401, 403, 409, 422),
)
async def allocate_places(
    body: Allocate,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    engine: EngineDep,
    principal: JobCoach,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    municipality = principal.municipality
    if body.opening_ids is None:
        specs = engine.open_specs(municipality, body.kinds)
    else:
        specs = []
        errors = []
        for i, opening_id in enumerate(dict.fromkeys(body.opening_ids)):
            spec = engine.spec(municipality, opening_id)
            if spec is None or spec.status != "open":
                errors.append(
                    field_error(f"opening_ids.{i}", f"no open opening {opening_id}", "not_open")
                )
            else:
                specs.append(spec)
        if errors:
            raise InvalidInput("Some openings are not open openings of your municipality.", errors)
    places = [engine.places_left(spec.opening_id) for spec in specs]

    pool: list[Candidate] = []
    missing: list[uuid.UUID] = []
    engaged: list[uuid.UUID] = []
    if body.participant_ids is None:
        partition = engine.partitions.get(municipality)
        records = partition.records.values() if partition else []
        pool = sorted(
            (c for c in records if c.engagement is None), key=lambda c: str(c.participant_id)
        )
    else:
        for participant_id in dict.fromkeys(body.participant_ids):
            candidate = engine.candidate(municipality, participant_id)
            if candidate is None:
                missing.append(participant_id)
            elif candidate.engagement is not None:
                engaged.append(participant_id)
            else:
                pool.append(candidate)

    result = allocate(
        pool,
        specs,
        places,
        engine.score_pairs(pool, specs),
        AllocationRequest(body.favour_waiting, body.min_score, body.today or today()),
        engine.settings,
    )
    result["unplaced"] += not_candidates(
        missing, "no_candidate", "no consented competence profile in your municipality"
    )
    result["unplaced"] += not_candidates(
        engaged, "engaged", "already in a practice placement or a job"
    )
    if not body.propose:
        return result

    metadata = runtime.metadata(principal, request)

    async def propose_all(conn: AsyncConnection) -> CommandResult:
        for assignment in result["assignments"]:
            proposed = await application.propose_match(
                runtime,
                conn,
                metadata,
                engine,
                participant_id=uuid.UUID(assignment["participant_id"]),
                opening_id=uuid.UUID(assignment["opening_id"]),
            )
            assignment["match_id"] = proposed.body["id"]
        return CommandResult(200, result)

    return await answer(request, response, principal, propose_all, body=body)
