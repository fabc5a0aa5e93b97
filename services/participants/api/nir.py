"""NIR (Nasjonalt introduksjonsregister): end reasons, the research reservation, the
municipality's dataset for a year (JSON, CSV, events) and the data-quality report."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import audit, domain
from services.participants import events as ev
from services.participants.api.common import (
    CaseworkerAsks,
    Command,
    Reader,
    command_route,
    perform,
    sees_personal_data,
    today,
)
from services.participants.domain import nir
from services.participants.queries import deadlines as deadline_queries
from services.participants.queries import nir as nir_queries
from shared.commands import CommandResult
from shared.csvio import HeadersQuery, csv_download
from shared.deps import IdempotencyKeyHeader, RuntimeDep
from shared.events import Metadata
from shared.http import problem_responses
from shared.i18n import Locale
from shared.service import Runtime

router = APIRouter(tags=["nir"])
participant_router = APIRouter(prefix="/participants/{participant_id}", tags=["nir"])

Year = Annotated[
    int | None,
    Query(
        ge=2000, le=2199, description="Rapporteringsåret / the reporting year; default this year"
    ),
]


class RecordEndReason(Command):
    end_reason: str = Field(
        pattern=ev.END_REASON_PATTERN, description="A code of NIR's list (GET /nir/end-reasons)"
    )
    correction: bool = Field(
        default=False, description="Replace an end reason already recorded (a correction)"
    )


class ResearchReservation(Command):
    reserved: bool = Field(
        description="true: the participant reserves against research use of directly "
        "identifying data; false: the reservation is withdrawn"
    )


command_route(
    participant_router,
    "PUT",
    "/programme/end-reason",
    RecordEndReason,
    lambda b, s, _: nir.record_end_reason(s, b.end_reason, b.correction),
    name="record_end_reason",
    summary="Registrer avslutningsårsak / Record the end reason",
    description="Avslutningsårsak for et avsluttet program, fra NIRs kodeliste. / The end "
    "reason of the ended programme, a code of NIR's list in force on its end day "
    "(`unknown-end-reason`, 422) that fits how it ended (`end-reason-misfits`, 422); "
    "a second one needs `correction: true` (`end-reason-recorded`, 409). Publishes "
    "`programme.end_reason_recorded`.",
)
command_route(
    participant_router,
    "PUT",
    "/research-reservation",
    ResearchReservation,
    lambda b, s, _: nir.set_research_reservation(s, b.reserved),
    name="set_research_reservation",
    summary="Reservasjon mot bruk til forskning / Research reservation",
    description="Sett eller trekk tilbake deltakerens reservasjon mot bruk av direkte "
    "identifiserende opplysninger til forskning. / Set or withdraw the participant's "
    "reservation against research use of directly identifying data. Publishes "
    "`participant.research_reservation_changed` (the participant id and the flag only); "
    "the NIR dataset carries the flag and every person-level export honours it (see "
    "docs/integration-act/deadlines-and-nir.md). The same value again is "
    "`reservation-unchanged` (409).",
)


class EndReasons(BaseModel):
    on: str
    end_reasons: list[dict[str, Any]]
    tables: list[dict[str, Any]] = Field(description="NIR's dated tables, with their sources")


@router.get(
    "/nir/end-reasons",
    response_model=EndReasons,
    summary="NIRs avslutningsårsaker / NIR's end reasons",
    description="Kodelisten i kraft på en dag, med etiketter, og NIRs daterte tabeller med "
    "kilder. / The code list in force on a day (default today), labelled, and NIR's dated "
    "tables (end reasons, registration deadline, late registration) with their sources.",
    responses=problem_responses(401, 403, 422),
)
async def list_nir_end_reasons(
    principal: Reader,
    locale: Locale,
    on: Annotated[date | None, Query(description="Default today")] = None,
) -> dict[str, Any]:
    day = on or today()
    return {
        "on": day.isoformat(),
        "end_reasons": nir_queries.end_reasons(day, locale),
        "tables": [table.as_json() for table in nir.tables().values()],
    }


class Dataset(BaseModel):
    municipality: str
    year: int
    as_of: str
    late_registration_until: str
    columns: list[str]
    count: int
    records: list[dict[str, Any]] = Field(
        description="One record per participant whose programme ran some day of the year: "
        "pseudonymous id, decision, category, mapping and guidance, programme dates, end "
        "goal and Norwegian goal, contract, planned hours per activity kind "
        "(`activities`), absence hours with and without a valid reason, end reason "
        "(registered, or `end_reason_derived` from a move, emigration or death) and "
        "`research_reservation`. No names, no free text."
    )


@router.get(
    "/nir/dataset",
    response_model=Dataset,
    summary="NIR-datasett for et år / The NIR dataset of a year",
    description="Kommunens NIR-datasett: vedtak, sluttmål, kontrakter, tiltak og timer, "
    "fravær, avslutningsårsaker. / The municipality's NIR dataset for `year`: decisions, end "
    "goals, contracts, activities and hours, absence, end reasons — as JSON, or as CSV with "
    "`format=csv` (Norwegian Excel: semicolons, header labelled in the request's language, "
    "`headers=codes` for the column codes). Pseudonymous: every row "
    "carries `research_reservation`, which the recipient must honour. The same records go "
    "out as `nir.year_reported` events with POST /nir/submissions.",
    responses={
        200: {
            "description": "JSON, or with `format=csv` CSV for Norwegian Excel (`;`, UTF-8 BOM)",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **problem_responses(401, 403, 422),
    },
)
async def get_nir_dataset(
    runtime: RuntimeDep,
    principal: Reader,
    locale: Locale,
    year: Year = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
    headers: HeadersQuery = "labels",
) -> Any:
    on = today()
    wanted = year or on.year
    async with runtime.db.snapshot() as conn:
        records = await nir_queries.dataset(conn, runtime.store, principal.municipality, wanted, on)
    if format == "csv":
        return csv_download(
            f"nir-{principal.municipality}-{wanted}.csv",
            nir_queries.csv_header(locale, headers),
            [nir_queries.csv_row(r) for r in records],
            norwegian_excel=True,
            language=locale,
        )
    return {
        "municipality": principal.municipality,
        "year": wanted,
        "as_of": on.isoformat(),
        "late_registration_until": nir.late_registration_until(wanted).isoformat(),
        "columns": list(nir_queries.COLUMNS),
        "count": len(records),
        "records": records,
    }


class DataQuality(BaseModel):
    municipality: str
    year: int
    as_of: str
    late_registration_until: str
    checked: int = Field(description="Participants whose programme ran some day of the year")
    count: int
    problems: list[dict[str, Any]] = Field(
        description="Each: `participant_id`, `field` and `field_label`, `problem` "
        "(`missing`, `invalid`, `contradicts_outcome`) and `problem_label`, `fact_on`, "
        "`due_on` (NIR's registration deadline: two months after the fact), `days_left` "
        "(negative when overdue), `late_registration_until` and `counts_as_not_registered` "
        "(past the late-registration window, the final figures count it as «ikke "
        "registrert»); most urgent first"
    )


@router.get(
    "/nir/data-quality",
    response_model=DataQuality,
    summary="Datakvalitet i NIR / NIR data quality",
    description="Hver deltaker hvis registrering NIR ville avvist eller telt som «ikke "
    "registrert», med felt og frist — en fristliste. / Every participant whose record NIR "
    "would reject or count as «not registered», with the field and the deadline: a deadline "
    "list with days left or overdue, respecting the late-registration window "
    "(etterregistrering, to the end of February the year after). Caseworkers and managers "
    "also see the name (audited).",
    responses=problem_responses(401, 403, 422),
)
async def get_nir_data_quality(
    request: Request,
    runtime: RuntimeDep,
    principal: Reader,
    locale: Locale,
    year: Year = None,
) -> dict[str, Any]:
    on = today()
    wanted = year or on.year
    personal = sees_personal_data(principal)
    async with runtime.db.snapshot() as conn:
        found, checked = await nir_queries.data_quality(
            conn, runtime.store, principal.municipality, wanted, on, locale, personal
        )
        if personal and found:
            shown = sorted({uuid.UUID(p["participant_id"]) for p in found})
            await audit.record_reads(conn, principal, request, shown, "nir-data-quality")
    return {
        "municipality": principal.municipality,
        "year": wanted,
        "as_of": on.isoformat(),
        "late_registration_until": nir.late_registration_until(wanted).isoformat(),
        "checked": checked,
        "count": len(found),
        "problems": found,
    }


class Submit(Command):
    year: int = Field(ge=2000, le=2199, description="The reporting year")


class Submitted(BaseModel):
    year: int
    reported: int = Field(description="Participants whose record was published (new or changed)")
    unchanged: int
    late_registration_until: str = Field(
        description="The last day a registration for the year counts in the final figures"
    )
    counts_in_final_figures: bool = Field(
        description="false once the late-registration window has closed: NIR still takes "
        "the records, but IMDi's and SSB's final figures for the year do not"
    )


@router.post(
    "/nir/submissions",
    status_code=201,
    response_model=Submitted,
    summary="Send NIR-datasettet som hendelser / Publish the NIR dataset as events",
    description="Publiserer hver deltakers NIR-post for året som `nir.year_reported`. / "
    "Publishes each participant's NIR record for `year` as `participants.nir.year_reported` "
    "(pseudonymous: codes, dates, hours, the research reservation; no free text), only where "
    "it is new or changed since the last submission, so a repeat publishes nothing new.",
    responses=problem_responses(401, 403, 409, 422),
)
async def submit_nir_dataset(
    body: Submit,
    asked: CaseworkerAsks,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    return await perform(asked, body, _report_year, body.year)


async def _report_year(
    runtime: Runtime, conn: AsyncConnection, metadata: Metadata, year: int
) -> CommandResult:
    """Every participant's record for ``year`` that is new or changed since it was last
    reported, as ``nir.year_reported``."""
    on = today()
    reported = unchanged = 0
    for state, _ in await deadline_queries.participant_states(
        conn, runtime.store, metadata.municipality
    ):
        record = nir.record_for_year(state, year, on)
        if record is None or state.participant_id is None:
            continue
        event = nir.year_reported(record)
        snapshot = event.model_dump(mode="json", exclude={"participant_id"})
        if state.nir.reported.get(year) == snapshot:
            unchanged += 1
            continue
        stream_id = str(state.participant_id)
        await runtime.append(
            conn,
            stream_id,
            domain.STREAM_TYPE,
            [event],
            expected_version=await runtime.store.current_version(conn, stream_id),
            metadata=metadata,
        )
        reported += 1
    until = nir.late_registration_until(year)
    return CommandResult(
        201,
        {
            "year": year,
            "reported": reported,
            "unchanged": unchanged,
            "late_registration_until": until.isoformat(),
            "counts_in_final_figures": on <= until,
        },
    )


router.include_router(participant_router)
