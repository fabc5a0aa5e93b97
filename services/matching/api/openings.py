"""Openings: jobs, language practice, work training and apprenticeships; and their candidates."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from services.matching import application, queries
from services.matching.api.common import (
    CommandDep,
    Created,
    EngineDep,
    ListDep,
    Reader,
    TaxonomyDep,
    candidate_in,
    index_responses,
    opening_in,
    read,
)
from services.matching.api.filters import opening_candidates_filters
from services.matching.api.schemas import CandidatesForOpening, Explanation, Opening
from services.matching.domain import OPENING, OpeningStatus
from services.matching.domain.filters import RankingFilters
from services.matching.events import (
    CloseReason,
    NorwegianRequirement,
    OpeningKind,
    Qualification,
)
from shared.codes import DRIVING_LICENCE_CLASSES, MunicipalityCode
from shared.dates import Day, today
from shared.deps import ExpectedVersionDep, IdempotencyKeyHeader, RuntimeDep
from shared.http import problem_responses
from shared.paging import DEFAULT_LIMIT, Limit, Offset, Page

router = APIRouter(prefix="/openings", tags=["openings"])


class OpeningTermsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    isco_code: str | None = Field(
        default=None,
        pattern=r"^\d{4}$",
        description="ISCO-08 / STYRK-08 unit group; taken from `esco_occupation` when left out",
    )
    esco_occupation: str | None = Field(
        default=None,
        max_length=200,
        description="ESCO occupation URI; when given without skills, its essential and optional "
        "skills become the opening's",
    )
    essential_skills: list[str] | None = Field(
        default=None, max_length=100, description="ESCO skill URIs"
    )
    optional_skills: list[str] | None = Field(
        default=None, max_length=100, description="ESCO skill URIs"
    )
    other_skills: list[str] = Field(
        default_factory=list, max_length=50, description="Free text, shown but not scored"
    )
    norwegian: NorwegianRequirement = Field(
        default_factory=NorwegianRequirement, description="Minimum CEFR level per sub-skill"
    )
    driving_licences: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="Hard requirement: førerkortklasser from the kit's closed list "
        f"({', '.join(sorted(DRIVING_LICENCE_CLASSES))}); others are a 422 naming each",
    )
    qualifications: list[Qualification] = Field(
        default_factory=list,
        max_length=10,
        description="Hard requirement: education/certificates, e.g. vocational in field 0913",
    )
    places: int = Field(ge=1, le=1000)
    hours_per_week: float = Field(gt=0, le=60)
    starts_on: Day = Field(description="When the work starts (a plan; may lie ahead)")
    municipality_code: MunicipalityCode = Field(description="Where the work is")
    commute_possible: bool = True
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)


class PublishOpening(OpeningTermsIn):
    employer_id: uuid.UUID
    kind: OpeningKind


class CloseOpening(BaseModel):
    model_config = ConfigDict(extra="forbid")

    closed_on: Day | None = Field(default=None, description="Today when left out; not after today")
    reason: CloseReason


def _terms_input(body: OpeningTermsIn) -> dict[str, Any]:
    return body.model_dump(exclude={"title", "description", "other_skills"})


@router.post(
    "",
    status_code=201,
    response_model=Created,
    summary="Publiser en mulighet / Publish an opening",
    description="Unknown ISCO/STYRK codes, ESCO occupations, ESCO skill URIs or licence "
    "classes answer 422 naming each one. Appends `opening.published`.",
    responses=problem_responses(401, 403, 422),
)
async def publish_opening(
    body: PublishOpening,
    taxonomy: TaxonomyDep,
    command: CommandDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    terms = application.validate_terms(taxonomy, _terms_input(body))
    return await command.run(
        application.publish_opening,
        employer_id=body.employer_id,
        kind=body.kind,
        terms=terms,
        title=body.title,
        description=body.description,
        other_skills=body.other_skills,
        body=body,
        created="/openings",
    )


@router.get(
    "",
    response_model=Page[Opening],
    summary="Mulighetene i kommunen din / Openings of your municipality",
    description="Rekkefølge: publisert, så id. / Order: published, then id.",
    responses=problem_responses(401, 403, 422),
)
async def list_openings(
    listing: ListDep,
    principal: Reader,
    status: OpeningStatus | None = None,
    kind: OpeningKind | None = None,
    employer_id: uuid.UUID | None = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    return await listing.page(
        queries.list_openings,
        principal.municipality,
        status=status.value if status else None,
        kind=kind,
        employer_id=employer_id,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/{opening_id}",
    response_model=Opening,
    summary="Én mulighet / One opening",
    responses=problem_responses(401, 403, 404),
)
async def get_opening(
    opening_id: uuid.UUID, runtime: RuntimeDep, principal: Reader
) -> dict[str, Any]:
    return await read(runtime, queries.opening_view, opening_id, principal.municipality)


@router.put(
    "/{opening_id}",
    summary="Endre vilkårene for en mulighet / Change an opening's terms",
    description="Replaces the terms (same body as publishing, without employer and kind) and "
    "appends `opening.changed` when they differ. Places cannot go below the places taken "
    "(409); a closed opening cannot change (409). Send `If-Match` to guard against lost "
    "updates.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def change_opening(
    opening_id: uuid.UUID,
    body: OpeningTermsIn,
    taxonomy: TaxonomyDep,
    command: CommandDep,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    terms = application.validate_terms(taxonomy, _terms_input(body))
    return await command.run(
        application.change_opening,
        opening_id,
        terms=terms,
        details=(body.title, body.description, tuple(body.other_skills)),
        expected_version=expected,
        body=body,
        on=(OPENING, opening_id),
    )


@router.post(
    "/{opening_id}/closure",
    summary="Lukk en mulighet / Close an opening",
    description="Appends `opening.closed`; a closed opening takes no more candidates.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def close_opening(
    opening_id: uuid.UUID,
    body: CloseOpening,
    command: CommandDep,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await command.run(
        application.close_opening,
        opening_id,
        closed_on=body.closed_on or today(),
        reason=body.reason,
        expected_version=expected,
        body=body,
        on=(OPENING, opening_id),
    )


_CANDIDATES_FILTERS = opening_candidates_filters(
    "limit", "min_score", "include_excluded", "available_only"
)


@router.get(
    "/{opening_id}/candidates",
    response_model=CandidatesForOpening,
    summary="De beste kandidatene til en mulighet / Best candidates for an opening",
    description="Top candidates of your municipality, best first, each with the parts of the "
    "score (the factors multiply out to the score), matched, related, unconfirmed and missing "
    "skills and a band. Equal scores: the one who has waited longest since settlement first. "
    "Candidates failing a hard requirement are left out unless `include_excluded`; those "
    "already in a placement or job are left out unless `available_only=false` (they are "
    "marked by `engagement`). Filters narrow the list before the best are taken (see "
    "`docs/matching/filters-and-advice.md`); an unknown query parameter answers 422 "
    "`unknown-filter` naming it.",
    responses=index_responses(401, 403, 404, 422),
)
async def list_best_candidates(
    opening_id: uuid.UUID,
    engine: EngineDep,
    principal: Reader,
    filters: Annotated[RankingFilters, Depends(_CANDIDATES_FILTERS)],
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    min_score: Annotated[float, Query(ge=0, le=100)] = 0.0,
    include_excluded: bool = False,
    available_only: bool = True,
) -> dict[str, Any]:
    spec = opening_in(engine, principal, opening_id)
    items = engine.rank_candidates(
        spec,
        principal.municipality,
        limit=limit,
        available_only=available_only,
        include_excluded=include_excluded,
        min_score=min_score,
        filters=filters,
    )
    return {"opening_id": str(opening_id), "status": spec.status, "candidates": items}


@router.get(
    "/{opening_id}/candidates/{participant_id}",
    response_model=Explanation,
    summary="Forklar én kandidats poeng for en mulighet / Explain one candidate's score for an "
    "opening",
    description="The parts of the score (value, weight and factor = 1 − weight × (1 − value); "
    "100 × the product of the factors is the score), matched, related, unconfirmed and "
    "missing skills, the band and any failed hard requirement.",
    responses=index_responses(401, 403, 404),
)
async def explain_candidate(
    opening_id: uuid.UUID, participant_id: uuid.UUID, engine: EngineDep, principal: Reader
) -> dict[str, Any]:
    spec = opening_in(engine, principal, opening_id)
    candidate = candidate_in(engine, principal, participant_id)
    return engine.explain_pair(candidate, spec)
