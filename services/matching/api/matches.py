"""Matches: propose → interested / declined → interview → offer → started → ended; the package."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from services.matching import application, domain, queries
from services.matching.api.common import (
    CommandDep,
    EngineDep,
    ListDep,
    Reader,
    index_responses,
    read,
)
from services.matching.api.employers import with_status_label
from services.matching.api.schemas import MatchView
from services.matching.domain import MATCH, OPENING, JobTerms, MatchStatus, stream_id
from services.matching.events import DeclinedBy, DeclineReason, PlacementOutcome
from services.matching.package import (
    CONTACT_WITHOUT_CONSENT,
    build_package,
    participants_client,
    render_html,
    render_pdf,
)
from shared.auth import require_roles
from shared.commands import (
    Aggregate,
    Body,
    CommandContext,
    CommandResult,
    Decided,
    command,
)
from shared.dates import Day, today
from shared.deps import ExpectedVersionDep, IdempotencyKeyHeader, RuntimeDep
from shared.events import Event, Metadata
from shared.eventstore import Stream
from shared.http import add_generated_route, problem_responses
from shared.i18n import Locale
from shared.paging import DEFAULT_LIMIT, Limit, Offset, Page
from shared.problems import NotFound
from shared.service import Runtime

router = APIRouter(prefix="/matches", tags=["matches"])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProposeMatch(_Body):
    participant_id: uuid.UUID
    opening_id: uuid.UUID


class OnDate(_Body):
    on: Day | None = Field(default=None, description="Today when left out; not after today")


class Interview(_Body):
    on: Day = Field(description="Day of the interview or first meeting (may lie ahead)")


class Offer(_Body):
    on: Day | None = Field(default=None, description="Today when left out; not after today")
    starts_on: Day = Field(description="On or after `on`; may lie ahead")
    hours_per_week: float = Field(gt=0, le=60)
    permanent: bool | None = Field(default=None, description="Jobs: permanent or temporary")


class Decline(_Body):
    declined_by: DeclinedBy
    on: Day | None = Field(default=None, description="Today when left out; not after today")
    reason: DeclineReason | None = None


class Start(_Body):
    starts_on: Day | None = Field(
        default=None,
        description="The offer's start when left out. A start ahead is scheduled: it holds the "
        "place and a mentor now and counts as a placement or job from its date",
    )
    hours_per_week: float | None = Field(default=None, gt=0, le=60)
    permanent: bool | None = Field(
        default=None,
        description="Jobs: overrides the offer; required (422 `missing-field`) for a job when "
        "the offer did not say",
    )


class JobIn(_Body):
    starts_on: Day = Field(description="On or after the placement's end")
    hours_per_week: float = Field(gt=0, le=60)
    permanent: bool


class End(_Body):
    ends_on: Day = Field(description="Not before the start, not after today")
    outcome: PlacementOutcome
    job: JobIn | None = Field(
        default=None,
        description="Required exactly when the outcome is `turned_into_job` (422 "
        "`missing-field` / `job-terms-without-job`)",
    )


class StepResult(BaseModel):
    id: uuid.UUID
    status: MatchStatus
    version: int
    placement_id: uuid.UUID | None = None


def _today(on: date | None) -> date:
    return on or today()


@router.post(
    "",
    status_code=201,
    summary="Foreslå en kandidat til en mulighet / Propose a candidate for an opening",
    description="Appends `match.proposed` with the score at this moment. 409 when the opening "
    "is not open, the candidate fails a hard requirement, or a live match of the pair exists.",
    responses=index_responses(401, 403, 404, 409, 422),
)
async def propose_match(
    body: ProposeMatch,
    engine: EngineDep,
    command: CommandDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await command.run(
        application.propose_match,
        engine,
        participant_id=body.participant_id,
        opening_id=body.opening_id,
        body=body,
        on=(OPENING, body.opening_id),
        created="/matches",
    )


@router.get(
    "",
    response_model=Page[MatchView],
    summary="Koblingene i kommunen din / Matches of your municipality",
    description="Rekkefølge: foreslått, så id. / Order: proposed, then id.",
    responses=problem_responses(401, 403, 422),
)
async def list_matches(
    listing: ListDep,
    principal: Reader,
    opening_id: uuid.UUID | None = None,
    participant_id: uuid.UUID | None = None,
    status: MatchStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    return await listing.page(
        queries.list_matches,
        principal.municipality,
        opening_id=opening_id,
        participant_id=participant_id,
        status=status.value if status else None,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/{match_id}",
    response_model=MatchView,
    summary="Én kobling / One match",
    responses=problem_responses(401, 403, 404),
)
async def get_match(match_id: uuid.UUID, runtime: RuntimeDep, principal: Reader) -> dict[str, Any]:
    return await read(runtime, queries.match_view, match_id, principal.municipality)


async def _match_state(ctx: CommandContext[Any], stream: Stream) -> domain.Match:
    return domain.fold_match(ctx.runtime.store.decode(e) for e in stream.envelopes)


MATCH_AGGREGATE: Aggregate[domain.Match] = Aggregate(
    stream_type=MATCH,
    noun="match",
    stream_id=lambda path: stream_id(MATCH, path["match_id"]),
    state=_match_state,
    evolve=lambda state, events: domain.fold(state, domain.evolve_match, events),
)


def _answer(ctx: CommandContext[Any], decided: Decided[domain.Match]) -> dict[str, Any]:
    assert decided.state.status is not None
    return {
        "id": str(ctx.path["match_id"]),
        "status": decided.state.status.value,
        "version": decided.version,
    }


def _step(
    path: str,
    body: type[Body],
    decide: Callable[[Body, domain.Match], list[Event]],
    *,
    name: str,
    summary: str,
    description: str | None = None,
) -> None:
    """A step of the workflow on the match's own stream: decide from the body, append."""
    command(
        router,
        "POST",
        path,
        body=body,
        path_params={"match_id": uuid.UUID},
        principal=require_roles("job_coach"),
        aggregate=MATCH_AGGREGATE,
        decide=lambda ctx, state: decide(ctx.body, state),
        respond=_answer,
        name=name,
        summary=summary,
        description=description,
        status_code=200,
        response_model=StepResult,
    )


_step(
    "/{match_id}/interest",
    OnDate,
    lambda body, state: domain.employer_interested(state, _today(body.on), today=today()),
    name="record_interest",
    summary="Arbeidsgiveren er interessert / The employer is interested",
)
_step(
    "/{match_id}/interview",
    Interview,
    lambda body, state: domain.schedule_interview(state, body.on),
    name="record_interview",
    summary="Avtal et intervju / Schedule an interview",
)
_step(
    "/{match_id}/offer",
    Offer,
    lambda body, state: domain.make_offer(
        state, _today(body.on), body.starts_on, body.hours_per_week, body.permanent, today=today()
    ),
    name="record_offer",
    summary="Arbeidsgiveren gir et tilbud / The employer makes an offer",
)
_step(
    "/{match_id}/decline",
    Decline,
    lambda body, state: domain.decline(
        state, body.declined_by, _today(body.on), body.reason, today=today()
    ),
    name="decline_match",
    summary="Arbeidsgiveren eller deltakeren takker nei / The employer or the participant declines",
    description="Appends `match.declined`. A declined match cannot go on or be started (409).",
)


_STEP_ERRORS = problem_responses(401, 403, 404, 409, 422)


def _placement_step(
    path: str,
    body: type[Body],
    use_case: Callable[
        [Runtime, AsyncConnection, Metadata, uuid.UUID, Body, int | None],
        Awaitable[CommandResult],
    ],
    *,
    name: str,
    summary: str,
    description: str,
) -> None:
    """A step that also takes or frees one of the opening's places (two streams), so it
    runs its use case whole instead of the kit's one-stream pipeline."""

    async def endpoint(
        match_id: uuid.UUID,
        payload: BaseModel,
        command: CommandDep,
        expected: ExpectedVersionDep,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> dict[str, Any]:
        return await command.run(
            use_case,
            match_id,
            cast(Body, payload),
            expected,
            body=payload,
            on=(MATCH, match_id),
        )

    signature = inspect.signature(endpoint, eval_str=True)
    add_generated_route(
        router,
        "POST",
        path,
        endpoint,
        [
            p.replace(annotation=body) if p.name == "payload" else p
            for p in signature.parameters.values()
        ],
        name=name,
        return_annotation=signature.return_annotation,
        response_model=StepResult,
        summary=summary,
        description=description,
        responses=_STEP_ERRORS,
    )


def _job(body: End) -> JobTerms | None:
    if body.job is None:
        return None
    return JobTerms(body.job.starts_on, body.job.hours_per_week, body.job.permanent)


_placement_step(
    "/{match_id}/start",
    Start,
    lambda runtime, conn, metadata, match_id, body, expected: application.start_match(
        runtime,
        conn,
        metadata,
        match_id,
        starts_on=body.starts_on,
        hours_per_week=body.hours_per_week,
        permanent=body.permanent,
        expected_version=expected,
    ),
    name="start_match",
    summary="Start praksisen eller jobben / Start the placement or job",
    description="For language practice and work training appends `practice_placement.started`; "
    "for jobs and apprenticeships `job.obtained`. Takes one of the opening's places: a filled "
    "or closed opening, a declined match or one without an offer answer 409. When several "
    "starts compete for the last place exactly one wins.",
)
_placement_step(
    "/{match_id}/end",
    End,
    lambda runtime, conn, metadata, match_id, body, expected: application.end_placement(
        runtime,
        conn,
        metadata,
        match_id,
        ends_on=body.ends_on,
        outcome=body.outcome,
        job=_job(body),
        expected_version=expected,
    ),
    name="end_match",
    summary="Avslutt en praksisplass med resultatet / End a practice placement with its outcome",
    description="Appends `practice_placement.ended` (completed, broke_off, turned_into_job) and "
    "frees the place; `turned_into_job` also appends `job.obtained` with the job's terms.",
)


@router.get(
    "/{match_id}/package",
    summary="Pakken til arbeidsgiveren (JSON, utskriftsvennlig HTML eller PDF). / The package "
    "for the employer (JSON, printable HTML or PDF).",
    description="Kompetanseprofilen deltakeren har samtykket til å dele, matchen, dokumentert "
    "grunnlag for arbeidslivet, oppfølgingsplanen med datoer (mentor, kontaktperson, møter, "
    "deltakerens plan), finansieringsordninger med beløp og vilkår, og arbeidsgiverens avtaler "
    "med status. Deltakeren vises med pseudonym referanse; navn og kontakt bare med "
    "`with_contact=true` og deltakerens samtykke for denne arbeidsgiveren (ellers 422 "
    "`contact-without-consent`). På bokmål; `Accept-Language: en` gir engelsk. HTML med "
    "`Accept: text/html` eller `format=html`, PDF med `Accept: application/pdf` eller "
    "`format=pdf`. 404 når deltakerens opplysninger er slettet. / The consented competence "
    "profile, the fit, documented work-life basics, the dated follow-up plan, financing "
    "options with amounts and conditions, and the employer's agreements with their status. "
    "The participant is a pseudonymous reference; name and contact only with "
    "`with_contact=true` and the participant's consent for this employer (else 422 "
    "`contact-without-consent`; 503 `participants-unavailable` when the participants "
    "service cannot answer). In bokmål; `Accept-Language: en` for English.",
    responses={
        **index_responses(401, 403, 404, 422),
        200: {"content": {"application/json": {}, "text/html": {}, "application/pdf": {}}},
        503: {"description": "The participants service could not answer (with_contact)"},
    },
)
async def get_match_package(
    match_id: uuid.UUID,
    request: Request,
    runtime: RuntimeDep,
    engine: EngineDep,
    principal: Reader,
    locale: Locale,
    format: Annotated[Literal["json", "html", "pdf"] | None, Query()] = None,
    with_contact: Annotated[
        bool,
        Query(description="Navn og kontakt, med samtykke. / Name and contact, with consent."),
    ] = False,
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    municipality = principal.municipality
    async with runtime.db.snapshot() as conn:
        match = await queries.match_view(conn, match_id, municipality)
        opening = await queries.opening_view(conn, uuid.UUID(match["opening_id"]), municipality)
        employer = await queries.employer_view(conn, uuid.UUID(match["employer_id"]), municipality)
        agreements = await application.employer_agreements(
            runtime, conn, uuid.UUID(match["employer_id"]), municipality
        )
    participant_id = uuid.UUID(match["participant_id"])
    candidate = engine.candidate(municipality, participant_id)
    spec = engine.spec(municipality, uuid.UUID(match["opening_id"]))
    if candidate is None or spec is None or match["participant_erased"]:
        raise NotFound(
            "The participant's consented profile is not available (erased or withdrawn)."
        )
    participants = participants_client(request.app, runtime.settings)
    contact = None
    if with_contact:
        contact = await participants.contact(
            participant_id, uuid.UUID(match["employer_id"]), municipality
        )
        if contact is None:
            raise CONTACT_WITHOUT_CONSENT.violation(
                "with_contact=true, but the participant has no consent in force to share name "
                "and contact with this employer: record it in the participants service "
                "(POST /participants/{id}/employer-consents) or leave with_contact out.",
                "with_contact",
                employer_id=match["employer_id"],
            )
    document = build_package(
        match=match,
        opening=opening,
        employer=employer,
        candidate=candidate,
        explanation=engine.explain_pair(candidate, spec),
        mentor_capacity_left=spec.mentor_capacity_left,
        taxonomy=engine.taxonomy,
        locale=locale,
        contact=contact,
        participant_plan=await participants.plan(participant_id, municipality),
        agreements=[with_status_label(a, locale) for a in agreements],
    )
    wants = format or (
        "pdf"
        if accept is not None and "application/pdf" in accept
        else "html"
        if accept is not None and "text/html" in accept
        else "json"
    )
    if wants == "pdf":
        return Response(
            render_pdf(document),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="package-{match_id}.pdf"'},
        )
    if wants == "html":
        return HTMLResponse(render_html(document))
    return document
