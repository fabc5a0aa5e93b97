"""Participants: registration, personal details, settlement, moving out, reading back."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import EmailStr, Field, field_validator
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.no import fodselsnummer

from services.participants import application, audit, domain, queries
from services.participants import events as ev
from services.participants.api.common import (
    CaseworkerAsks,
    ChangeAccepted,
    Command,
    Reader,
    ReaderReads,
    Reading,
    command_route,
    decide,
    perform,
    perform_on,
    read_audited,
    sees_personal_data,
    today,
)
from shared.codes import check_municipality
from shared.dates import Day
from shared.deps import ExpectedVersionDep, IdempotencyKeyHeader, RuntimeDep
from shared.http import problem_responses
from shared.i18n import Locale
from shared.paging import Offset, Page, page_of
from shared.problems import Forbidden

router = APIRouter(prefix="/participants", tags=["participants"])


def valid_national_id(value: str) -> str:
    try:
        return str(fodselsnummer.validate(value))
    except StdnumError as exc:
        raise ValueError(f"not a valid fødselsnummer or D-number ({exc})") from exc


class RegisterParticipant(Command):
    """A person to register; the national id is a fødselsnummer or a D-number."""

    given_name: str = Field(min_length=1, max_length=200)
    family_name: str = Field(min_length=1, max_length=200)
    birth_date: Day = Field(description="Must be the birth date the national id encodes")
    national_id: str = Field(description="11 digits: fødselsnummer or D-number (first digit + 4)")
    gender: ev.Gender = ev.Gender.unknown
    phone: str | None = Field(default=None, max_length=40)
    email: EmailStr | None = None

    _national_id = field_validator("national_id")(classmethod(lambda cls, v: valid_national_id(v)))


class Registered(Command):
    id: uuid.UUID
    version: int


class PersonalDetailsChange(Command):
    """Only the fields to change. A new national id (D-number → fødselsnummer) keeps the old
    one findable and never splits the person's history."""

    given_name: str | None = Field(default=None, min_length=1, max_length=200)
    family_name: str | None = Field(default=None, min_length=1, max_length=200)
    birth_date: Day | None = Field(
        default=None,
        description="A correction; must agree with the national id, and a new birth year is "
        "published (`participant.birth_year_corrected`)",
    )
    national_id: str | None = None
    phone: str | None = Field(default=None, max_length=40)
    email: EmailStr | None = None

    @field_validator("national_id")
    @classmethod
    def _nid(cls, value: str | None) -> str | None:
        return valid_national_id(value) if value is not None else None


class Settle(Command):
    settled_on: Day = Field(description="Date the person was settled (bosatt); not in the future")
    arrival_category: ev.ArrivalCategory
    household_id: uuid.UUID | None = Field(
        default=None,
        description="Join an existing household (family members, family reunification); a new one when left out",
    )
    unaccompanied_minor: bool = Field(
        default=False, description="Enslig mindreårig: only for a person under 18 on settled_on"
    )


class Settled(ChangeAccepted):
    settled_on: date
    arrival_category: ev.ArrivalCategory
    household_id: uuid.UUID
    household_size: int


class MoveOut(Command):
    moved_on: Day = Field(description="May lie ahead: the person is gone from that date on")
    to_municipality: str = Field(
        pattern=r"^\d{4}$", description="Kommunenummer moved to, valid on moved_on"
    )


class Death(Command):
    died_on: Day


class Emigration(Command):
    emigrated_on: Day


class HouseholdDeparture(Command):
    left_on: Day = Field(description="The household is one member smaller from this day")


@router.post(
    "",
    status_code=201,
    response_model=Registered,
    summary="Registrer en deltaker / Register a participant",
    description="Personal details are sealed with the participant's own key; the published "
    "`participant.registered` carries only the pseudonymous id, birth year and gender.",
    responses=problem_responses(401, 403, 409, 422),
)
async def register_participant(
    body: RegisterParticipant,
    asked: CaseworkerAsks,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    details = body.model_dump(mode="json", exclude={"gender"})
    result = await perform(
        asked,
        body,
        application.register_participant,
        details,
        body.birth_date,
        body.gender,
        today(),
    )
    asked.response.headers["Location"] = f"/participants/{result['id']}"
    return result


@router.get(
    "",
    response_model=Page[dict[str, Any]],
    summary="Søk og filtrer deltakere. / Search and filter participants.",
    description="Filtrer på navn (del av fornavn eller etternavn), fødselsnummer (også "
    "gamle D-nummer), status, rådgiver eller program som slutter innen N dager. Analytikere "
    "kan bare filtrere på status og rådgiver og ser ingen personopplysninger. Kodene har "
    "`<felt>_label` ved siden av, på språket `Accept-Language` ber om. / Filter by name (part "
    "of given or family name), either national id (old D-numbers too), status, adviser, or "
    "programmes ending within N days. Analysts may filter by status and adviser only and see "
    "no personal data. Codes have a `<field>_label` beside them in the language "
    "`Accept-Language` asks for. Rekkefølge: planlagt slutt (uten sist), så id. / Order: "
    "planned end (none last), then id.",
    responses=problem_responses(401, 403, 422),
)
async def search_participants(
    request: Request,
    runtime: RuntimeDep,
    principal: Reader,
    name: Annotated[str | None, Query(min_length=2, max_length=100)] = None,
    national_id: Annotated[str | None, Query(pattern=r"^\d{11}$")] = None,
    status: Annotated[
        Literal[
            "registered",
            "settled",
            "in_programme",
            "paused",
            "programme_ended",
            "moved_out",
            "emigrated",
            "deceased",
            "erased",
        ]
        | None,
        Query(description="The status today: facts dated ahead do not count yet"),
    ] = None,
    adviser: Annotated[str | None, Query(max_length=200)] = None,
    ending_within_days: Annotated[int | None, Query(ge=0, le=3650)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
    locale: Locale = "nb",
) -> dict[str, Any]:
    personal = sees_personal_data(principal)
    if not personal and (name or national_id):
        raise Forbidden("Searching by name or national id needs a caseworker or manager role.")
    filters = queries.Filters(name, national_id, status, adviser, ending_within_days)
    async with runtime.db.snapshot() as conn:
        found = await queries.search(
            conn, runtime.settings, principal.municipality, filters, today(), personal, locale
        )
        body = page_of(request, found, limit, offset)
        if personal:
            await audit.record_reads(
                conn, principal, request, [uuid.UUID(r["id"]) for r in body["results"]], "search"
            )
    return body


@router.get(
    "/{participant_id}",
    summary="En deltakers nåværende tilstand. / A participant's current state.",
    description="Saksbehandlere og ledere ser personopplysninger (hver lesing logges, med "
    "formålet fra `X-Purpose`); analytikere ser bare pseudonyme felt. Kodene har "
    "`<felt>_label` ved siden av. / Caseworkers and managers see personal data (each read is "
    "audited, with the purpose from `X-Purpose`); analysts see pseudonymous fields only. "
    "Codes have a `<field>_label` beside them.",
    responses=problem_responses(401, 403, 404),
)
async def get_participant(
    participant_id: uuid.UUID,
    reading: ReaderReads,
    locale: Locale,
) -> dict[str, Any]:
    return await read_audited(
        reading,
        participant_id,
        "read",
        lambda conn, personal: queries.participant(
            conn, participant_id, reading.principal.municipality, personal, locale
        ),
    )


@router.patch(
    "/{participant_id}/personal-details",
    response_model=ChangeAccepted,
    summary="Endre personopplysninger (med historikk) / Change personal details (with history)",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def change_personal_details(
    participant_id: uuid.UUID,
    body: PersonalDetailsChange,
    asked: CaseworkerAsks,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    changes = body.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    change = application.change_personal_details
    return await perform_on(asked, participant_id, body, change, changes, expected, today())


@router.post(
    "/{participant_id}/settlement",
    status_code=201,
    response_model=Settled,
    summary="Registrer bosettingen i en husstand / Record the settlement (bosetting) in a "
    "household",
    description="Appends `participant.settled` with the household id and size. A participant "
    "is settled once: a second settlement answers 409.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def settle_participant(
    participant_id: uuid.UUID,
    body: Settle,
    asked: CaseworkerAsks,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    settle = functools.partial(
        application.settle_participant,
        settled_on=body.settled_on,
        arrival_category=body.arrival_category,
        household_id=body.household_id,
        unaccompanied_minor=body.unaccompanied_minor,
        today=today(),
        expected_version=expected,
    )
    # Joining a household locks its row until the append commits: that needs the
    # command's transaction. A new household is read, then one append.
    return await perform_on(
        asked, participant_id, body, settle, one_write=body.household_id is None
    )


@router.post(
    "/{participant_id}/move-out",
    status_code=201,
    response_model=ChangeAccepted,
    summary="Overføring: deltakeren flyttet til en annen kommune / Transfer: the participant "
    "moved to another municipality",
    description="Ends a running programme with outcome `moved_municipality` and publishes "
    "`participant.moved_out`.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def record_move_out(
    participant_id: uuid.UUID,
    body: MoveOut,
    asked: CaseworkerAsks,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await decide(
        asked,
        participant_id,
        body,
        lambda state: domain.move_out(
            state,
            body.moved_on,
            check_municipality("to_municipality", body.to_municipality, body.moved_on),
            asked.principal.municipality,
            today(),
        ),
        expected,
    )


command_route(
    router,
    "POST",
    "/{participant_id}/death",
    Death,
    lambda b, s, _: domain.die(s, b.died_on, today()),
    name="record_death",
    summary="Registrer at deltakeren er død / Record the participant's death",
    description="Ends a running programme with outcome `deceased` and publishes "
    "`participant.died`. Afterwards only personal-detail corrections and erasure are accepted "
    "(`after-death`).",
)
command_route(
    router,
    "POST",
    "/{participant_id}/emigration",
    Emigration,
    lambda b, s, _: domain.emigrate(s, b.emigrated_on, today()),
    name="record_emigration",
    summary="Registrer at deltakeren har forlatt Norge / Record that the participant left Norway",
    description="Ends a running programme with outcome `emigrated` and publishes "
    "`participant.emigrated`; the participant leaves the result base on that date.",
)
command_route(
    router,
    "POST",
    "/{participant_id}/household-departure",
    HouseholdDeparture,
    lambda b, s, _: domain.leave_household(s, b.left_on, today()),
    name="leave_household",
    summary="Deltakeren flyttet ut av husstanden, men blir i kommunen / The participant left the "
    "household but stays in the municipality",
    description="Publishes `participant.left_household`; the household is one member smaller "
    "from `left_on`.",
)


def _history(
    reading: Reading,
    participant_id: uuid.UUID,
    locale: str,
    action: str,
    query: Callable[..., Awaitable[list[dict[str, Any]]]],
) -> Awaitable[list[dict[str, Any]]]:
    """One of the participant's histories (``query`` reads it from the stream), audited as
    ``action`` when it shows personal data."""
    return read_audited(
        reading,
        participant_id,
        action,
        lambda conn, personal: query(
            conn,
            reading.runtime.store,
            participant_id,
            reading.principal.municipality,
            personal,
            locale,
        ),
    )


@router.get(
    "/{participant_id}/timeline",
    summary="Alt som har skjedd, med vanlige ord. / Everything that happened, in plain words.",
    description="Deltakerens egne hendelser pluss jobber og praksisplasser fra "
    "matchingtjenesten. `text` er på bokmål, nynorsk eller engelsk etter `Accept-Language`; "
    "kodene en hendelse nevner står i `codes` med etiketter i `labels`. Notater vises bare "
    "for saksbehandlere og ledere (logget). / The participant's own events plus jobs and "
    "practice placements from the matching service. `text` is in bokmål, nynorsk or English "
    "by `Accept-Language`; the codes an entry names are in `codes`, their labels in "
    "`labels`. Notes are shown to caseworkers and managers only (audited).",
    responses=problem_responses(401, 403, 404),
)
async def get_timeline(
    participant_id: uuid.UUID,
    reading: ReaderReads,
    locale: Locale,
) -> dict[str, Any]:
    entries = await _history(reading, participant_id, locale, "timeline", queries.timeline)
    return {"participant_id": str(participant_id), "entries": entries}


@router.get(
    "/{participant_id}/plans",
    summary="Gjeldende og tidligere integreringsplaner (hver revisjon). / The current and "
    "past individual plans (every revision).",
    description="Sluttmål, norskmål og aktiviteter med etiketter (`end_goal_label`, "
    "`norwegian_goal_label`, `kind_label`) på språket `Accept-Language` ber om. / End goal, "
    "Norwegian goal and activities with labels in the language `Accept-Language` asks for.",
    responses=problem_responses(401, 403, 404),
)
async def list_plans(
    participant_id: uuid.UUID,
    reading: ReaderReads,
    locale: Locale,
) -> dict[str, Any]:
    revisions = await _history(reading, participant_id, locale, "plans", queries.plans)
    return {
        "participant_id": str(participant_id),
        "current": revisions[-1] if revisions else None,
        "revisions": revisions,
    }
