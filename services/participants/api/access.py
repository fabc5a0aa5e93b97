"""The person's own rights: the access export (innsyn), personal-details history, households.

The access export gathers what all four services store about one participant, for the
municipality's privacy officer (personvernombud): this service's own part (sealed values
opened with the participant's key) and, over HTTP with this service's service token,
the parts of housing, matching and indicators (``GET /access/participants/{id}`` in
each; see :mod:`shared.access`).

A service that cannot be reached does not stop the export: the answer is a *partial*
export, ``complete: false``, with the missing service named in ``missing`` and its
part marked ``status: missing`` with the reason (the HTML shows a warning on top). The
privacy officer can hand over what is there in time and ask again for the rest; a
partial export is never mistaken for a complete one.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from services.participants import audit
from services.participants.api.common import CASEWORK
from services.participants.queries import access as queries
from shared.access import AccessClient, AccessPart, AccessUnavailable
from shared.auth import Principal, require_roles
from shared.deps import RuntimeDep
from shared.http import problem_responses
from shared.i18n import Catalog, Locale, catalog
from shared.service import Runtime

router = APIRouter(tags=["access"])

OTHER_SERVICES = ("housing", "matching", "indicators")
"""The services whose parts the export gathers over HTTP, in the export's order."""

PERSONAL_DETAILS_ROLES = frozenset({*CASEWORK, "privacy_officer"})
"""Roles that may read a participant's personal details and their history."""

HOUSEHOLD_ROLES = frozenset({*PERSONAL_DETAILS_ROLES, "analyst"})
"""Roles that may list a household's members (names only with personal-details roles)."""

PrivacyOfficer = Annotated[Principal, Depends(require_roles("privacy_officer"))]
DetailsReader = Annotated[Principal, Depends(require_roles(*PERSONAL_DETAILS_ROLES))]
HouseholdReader = Annotated[Principal, Depends(require_roles(*HOUSEHOLD_ROLES))]


def _texts() -> Catalog:
    return catalog("shared", "services.participants")


class ExportPart(BaseModel):
    service: str
    service_label: str
    status: str = Field(description="`included`, or `missing` when the service did not answer.")
    status_label: str
    missing_reason: str | None = None
    purpose: str | None = None
    purpose_label: str | None = None
    legal_basis: list[str] = Field(default_factory=list)
    pseudonymous: bool | None = None
    data: AccessPart | None = None


class AccessExport(BaseModel):
    participant_id: uuid.UUID
    municipality: str
    generated_at: str
    generated_by: str
    locale: str
    complete: bool = Field(description="False when a service's part is missing (see `missing`).")
    missing: list[str] = Field(description="Services whose part is missing.")
    parts: list[ExportPart]


class HistoryEntry(BaseModel):
    version: int
    recorded_at: str
    actor: str
    first: bool
    changed: list[str]
    changed_labels: list[str]
    details: dict[str, Any] | None


class PersonalDetailsHistory(BaseModel):
    participant_id: uuid.UUID
    erased: bool
    count: int
    entries: list[HistoryEntry]


class HouseholdMember(BaseModel):
    participant_id: uuid.UUID
    status: str
    status_label: str
    birth_year: int | None
    gender: str | None
    settled_on: str | None
    unaccompanied_minor: bool
    left_household_on: str | None
    moved_out_on: str | None
    emigrated_on: str | None
    died_on: str | None
    erased: bool
    in_household: bool
    personal_data: dict[str, Any] | None = Field(
        default=None, description="Names; only for roles that see personal data (audited)."
    )


class Household(BaseModel):
    household_id: uuid.UUID
    municipality: str
    members_counted: int = Field(description="Settled members still counted in the household.")
    count: int
    members: list[HouseholdMember]


def _client(request: Request, runtime: Runtime) -> AccessClient:
    """The app's client for other services' parts (tests put one with in-process transports)."""
    client = getattr(request.app.state, "access_client", None)
    if not isinstance(client, AccessClient):
        client = AccessClient(runtime.settings, "participants")
        request.app.state.access_client = client
    return client


async def _export(
    request: Request, runtime: Runtime, principal: Principal, participant_id: uuid.UUID, locale: str
) -> AccessExport:
    async with runtime.db.snapshot() as conn:
        await queries.require_participant(
            conn, runtime.store, participant_id, principal.municipality
        )
        # The export is a read of personal data like any other: audited first, so the
        # audit rows it shows include this very export.
        await audit.record_reads(conn, principal, request, [participant_id], "access_export")
        own = await queries.own_part(conn, participant_id, principal.municipality)
    client = _client(request, runtime)

    async def other(service: str) -> AccessPart | AccessUnavailable:
        try:
            return await client.part(service, participant_id, principal.municipality)
        except AccessUnavailable as exc:
            return exc

    answers = await asyncio.gather(*(other(service) for service in OTHER_SERVICES))
    texts = _texts()
    parts = [_part(own, texts, locale)]
    for service, answer in zip(OTHER_SERVICES, answers, strict=True):
        if isinstance(answer, AccessPart):
            parts.append(_part(answer, texts, locale))
        else:
            parts.append(
                ExportPart(
                    service=service,
                    service_label=texts.text(f"access.service.{service}", locale),
                    status="missing",
                    status_label=texts.text("access.status.missing", locale),
                    missing_reason=answer.reason,
                )
            )
    missing = [part.service for part in parts if part.status == "missing"]
    return AccessExport(
        participant_id=participant_id,
        municipality=principal.municipality,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        generated_by=principal.subject,
        locale=locale,
        complete=not missing,
        missing=missing,
        parts=parts,
    )


def _part(part: AccessPart, texts: Catalog, locale: str) -> ExportPart:
    return ExportPart(
        service=part.service,
        service_label=texts.text(f"access.service.{part.service}", locale),
        status="included",
        status_label=texts.text("access.status.included", locale),
        purpose=part.purpose,
        purpose_label=texts.text(f"access.purpose.{part.purpose}", locale),
        legal_basis=part.legal_basis,
        pseudonymous=part.pseudonymous,
        data=part,
    )


@router.get(
    "/participants/{participant_id}/access-export",
    response_model=AccessExport,
    summary="Innsyn: alt som er lagret om en deltaker, fra alle fire tjenester. / Access "
    "export: everything stored about a participant, from all four services.",
    description="For personvernombudet (rollen privacy_officer) i deltakerens kommune "
    "(personvernforordningen art. 15). Hver del sier tjeneste, formål, rettslig grunnlag, "
    "data og hva som er forseglet eller pseudonymt. Svarer en tjeneste ikke, er eksporten "
    "ufullstendig: `complete` er false og `missing` nevner tjenesten. Lesingen logges. / "
    "For the privacy officer of the participant's municipality (GDPR art. 15). Each part "
    "gives the service, purpose, legal basis, data and what is sealed or pseudonymous. If a "
    "service does not answer, the export is partial: `complete` is false and `missing` names "
    "the service. The read is audited.",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_access_export(
    participant_id: uuid.UUID,
    request: Request,
    runtime: RuntimeDep,
    locale: Locale,
    principal: PrivacyOfficer,
) -> AccessExport:
    return await _export(request, runtime, principal, participant_id, locale)


@cache
def _templates() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("services.participants", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["pretty"] = _pretty
    return environment


def _pretty(value: Any) -> str:
    """A stored value as a person reads it: text as it is, structures as indented JSON."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def render(export: AccessExport, texts: Catalog) -> str:
    """The export as a printable HTML page in the export's locale."""

    def t(key: str, **params: Any) -> str:
        return texts.text(key, export.locale, **params)

    return _templates().get_template("innsyn.html").render(export=export, t=t)


@router.get(
    "/participants/{participant_id}/access-export.html",
    response_class=HTMLResponse,
    summary="Innsyn som utskrivbar side (bokmål; engelsk eller nynorsk med Accept-Language). / "
    "The access export as a printable page (bokmål; English or nynorsk by Accept-Language).",
    description="Det samme innholdet som JSON-eksporten, lesbart for den registrerte. En "
    "ufullstendig eksport har en tydelig advarsel øverst. Lesingen logges. / The same content "
    "as the JSON export, readable for the data subject. A partial export carries a clear "
    "warning on top. The read is audited.",
    responses={
        200: {"content": {"text/html": {}}, "description": "The printable export"},
        **problem_responses(401, 403, 404, 422),
    },
)
async def get_access_export_html(
    participant_id: uuid.UUID,
    request: Request,
    runtime: RuntimeDep,
    locale: Locale,
    principal: PrivacyOfficer,
) -> HTMLResponse:
    export = await _export(request, runtime, principal, participant_id, locale)
    return HTMLResponse(render(export, _texts()), headers={"Content-Language": locale})


@router.get(
    "/participants/{participant_id}/personal-details/history",
    response_model=PersonalDetailsHistory,
    summary="Historikken over personopplysninger (tidligere navn, telefon, ID-nummer). / The "
    "history of personal details (former names, phones, ID numbers).",
    description="Hver registrering av personopplysningene, eldste først, med hva som ble "
    "endret. For saksbehandler og leder i kommunen og personvernombudet; lesingen logges. "
    "Etter sletting kan innholdet ikke leses. / Every recording of the personal details, "
    "oldest first, with what changed. For the municipality's caseworkers and managers and "
    "the privacy officer; the read is audited. After erasure the content cannot be read.",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_personal_details_history(
    participant_id: uuid.UUID,
    request: Request,
    runtime: RuntimeDep,
    locale: Locale,
    principal: DetailsReader,
) -> PersonalDetailsHistory:
    texts = _texts()
    async with runtime.db.snapshot() as conn:
        history = await queries.personal_details_history(
            conn, runtime.store, participant_id, principal.municipality
        )
        await audit.record_reads(
            conn, principal, request, [participant_id], "personal_details_history"
        )
    for entry in history["entries"]:
        entry["changed_labels"] = [
            texts.text(f"access.detail.{name}", locale) for name in entry["changed"]
        ]
    return PersonalDetailsHistory.model_validate(history)


async def _household(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    locale: str,
    household_id: uuid.UUID | None,
    participant_id: uuid.UUID | None,
) -> Household:
    named = principal.has_any(PERSONAL_DETAILS_ROLES)
    texts = _texts()
    async with runtime.db.snapshot() as conn:
        if participant_id is not None:
            household_id = await queries.household_of(
                conn, runtime.store, participant_id, principal.municipality
            )
        assert household_id is not None
        household = await queries.household_members(
            conn, household_id, principal.municipality, named
        )
        if named:
            await audit.record_reads(
                conn,
                principal,
                request,
                [uuid.UUID(m["participant_id"]) for m in household["members"]],
                "household_members",
            )
    for member in household["members"]:
        member["status_label"] = texts.text(f"access.member_status.{member['status']}", locale)
    return Household.model_validate(household)


_HOUSEHOLD_DESCRIPTION = (
    "Alle som er bosatt i husstanden, også de som har flyttet ut, er døde eller utvandret, med "
    "status og datoer. Navn bare for roller som ser personopplysninger (saksbehandler, leder, "
    "personvernombud; lesingen logges); analytikere ser pseudonyme felt. / Everyone settled in "
    "the household, also those who left, died or emigrated, with status and dates. Names only "
    "for roles that see personal data (caseworker, manager, privacy officer; audited); "
    "analysts see pseudonymous fields."
)


@router.get(
    "/households/{household_id}",
    response_model=Household,
    summary="Medlemmene i en husstand. / The members of a household.",
    description=_HOUSEHOLD_DESCRIPTION,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_household(
    household_id: uuid.UUID,
    request: Request,
    runtime: RuntimeDep,
    locale: Locale,
    principal: HouseholdReader,
) -> Household:
    return await _household(request, runtime, principal, locale, household_id, None)


@router.get(
    "/participants/{participant_id}/household",
    response_model=Household,
    summary="Husstanden deltakeren ble bosatt i, med medlemmene. / The household the "
    "participant was settled in, with its members.",
    description=_HOUSEHOLD_DESCRIPTION,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_participant_household(
    participant_id: uuid.UUID,
    request: Request,
    runtime: RuntimeDep,
    locale: Locale,
    principal: HouseholdReader,
) -> Household:
    return await _household(request, runtime, principal, locale, None, participant_id)
