"""Candidates: participants with a consented competence profile, and their best openings."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from services.matching.api.common import EngineDep, Reader, candidate_in, index_responses
from services.matching.api.filters import candidate_openings_filters
from services.matching.api.schemas import (
    AdviceForCandidate,
    CandidateView,
    OccupationsForCandidate,
    OpeningsForCandidate,
)
from services.matching.domain.candidates import Candidate
from services.matching.domain.filters import RankingFilters, unknown_filters
from services.matching.domain.scoring import waited_days
from services.matching.events import OpeningKind
from shared.paging import Limit, Offset, Page, page
from shared.query_params import refuses_unknown_query

router = APIRouter(prefix="/candidates", tags=["candidates"])


def _document(candidate: Candidate, today: date) -> dict[str, Any]:
    return {
        "participant_id": str(candidate.participant_id),
        "municipality": candidate.municipality,
        "engagement": candidate.engagement,
        "settled_on": candidate.settled_on.isoformat() if candidate.settled_on else None,
        "waited_days": waited_days(candidate, today),
        "profile": candidate.profile_document(),
        "leaves_on": candidate.leaves_on.isoformat() if candidate.leaves_on else None,
    }


@router.get(
    "",
    response_model=Page[CandidateView],
    summary="Kandidatene i kommunen din / Candidates of your municipality",
    description="Participants whose consented competence profile this service has received. "
    "`engagement` is `in_placement` or `employed` for those in a placement or job today, "
    "`placement_scheduled` or `job_scheduled` for a start dated ahead. Someone who moved to "
    "another municipality, emigrated or died is no candidate from that day on; a move announced "
    "ahead shows as `leaves_on`. Rekkefølge: id. / Order: participant id.",
    responses=index_responses(401, 403, 422),
)
async def list_candidates(
    request: Request,
    engine: EngineDep,
    principal: Reader,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    partition = engine.partitions.get(principal.municipality)
    records = partition.records.values() if partition is not None else ()
    ordered = sorted(records, key=lambda c: str(c.participant_id))
    shown = [_document(c, engine.today) for c in ordered[offset : offset + limit]]
    return page(request, shown, limit=limit, offset=offset, total=len(ordered))


@router.get(
    "/{participant_id}",
    response_model=CandidateView,
    summary="Én kandidats profil (med samtykke) / One candidate's consented profile",
    responses=index_responses(401, 403, 404),
)
async def get_candidate(
    participant_id: uuid.UUID, engine: EngineDep, principal: Reader
) -> dict[str, Any]:
    candidate = candidate_in(engine, principal, participant_id)
    return _document(candidate, engine.today)


_OPENINGS_FILTERS = candidate_openings_filters("limit", "min_score", "include_excluded", "kind")


@router.get(
    "/{participant_id}/openings",
    response_model=OpeningsForCandidate,
    summary="De beste åpne mulighetene for en kandidat / Best open openings for a candidate",
    description="Open openings of your municipality, best first, each explained like "
    "`/openings/{id}/candidates/{participant_id}`; equal scores: the opening that starts "
    "first. Filters narrow the list before the best are taken (see "
    "`docs/matching/filters-and-advice.md`); an unknown query parameter answers 422 "
    "`unknown-filter` naming it.",
    responses=index_responses(401, 403, 404, 422),
)
async def list_best_openings(
    participant_id: uuid.UUID,
    engine: EngineDep,
    principal: Reader,
    filters: Annotated[RankingFilters, Depends(_OPENINGS_FILTERS)],
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    min_score: Annotated[float, Query(ge=0, le=100)] = 0.0,
    include_excluded: bool = False,
    kind: Annotated[list[OpeningKind] | None, Query()] = None,
) -> dict[str, Any]:
    candidate = candidate_in(engine, principal, participant_id)
    items = engine.rank_openings(
        candidate,
        engine.open_specs(principal.municipality, kind),
        limit=limit,
        include_excluded=include_excluded,
        min_score=min_score,
        filters=filters,
    )
    return {"participant_id": str(participant_id), "openings": items}


def _known(*names: str) -> Callable[[Request], None]:
    @refuses_unknown_query
    def refuse(request: Request) -> None:
        unknown_filters(request.query_params.keys(), names)

    return refuse


@router.get(
    "/{participant_id}/advice",
    response_model=AdviceForCandidate,
    summary="Ferdigheter som ville åpnet flest muligheter / Skills that would open the most "
    "openings",
    description="The essential skills of your municipality's open openings the candidate "
    "lacks, each tried as if held and the openings scored again: best first by openings "
    "lifted to `strong`, then by openings lifted to a better band, each with the openings "
    "it lifts (score and band before and after). Openings the candidate is excluded from "
    "(licence, qualification) are not counted.",
    responses=index_responses(401, 403, 404, 422),
)
async def get_skill_advice(
    participant_id: uuid.UUID,
    engine: EngineDep,
    principal: Reader,
    _: Annotated[None, Depends(_known("limit", "kind"))],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    kind: Annotated[list[OpeningKind] | None, Query()] = None,
) -> dict[str, Any]:
    candidate = candidate_in(engine, principal, participant_id)
    specs = engine.open_specs(principal.municipality, kind)
    return {
        "participant_id": str(participant_id),
        "openings_considered": len(specs),
        "skills": engine.skill_advice(candidate, specs, limit=limit),
    }


@router.get(
    "/{participant_id}/occupations",
    response_model=OccupationsForCandidate,
    summary="Yrker kandidaten er nærmest / Occupations the candidate is closest to",
    description="ESCO occupations by closeness: 100 × the occupation, essential-skill and "
    "optional-skill factors of the score (related skills and unconfirmed suggestions count "
    "as in the score), with the skills held, related and missing.",
    responses=index_responses(401, 403, 404, 422),
)
async def list_occupation_suggestions(
    participant_id: uuid.UUID,
    engine: EngineDep,
    principal: Reader,
    _: Annotated[None, Depends(_known("limit"))],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    candidate = candidate_in(engine, principal, participant_id)
    return {
        "participant_id": str(participant_id),
        "occupations": engine.occupation_suggestions(candidate, limit=limit),
    }
