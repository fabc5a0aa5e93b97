"""The introduction benefit (introduksjonsstønad): its facts, the monthly payment basis
per participant and for the municipality's payroll (CSV), absence summaries, and the
dated tables the amounts come from."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from services.participants import application, audit
from services.participants import events as ev
from services.participants.api.common import (
    Command,
    Reader,
    ReaderReads,
    Reading,
    command_route,
    sees_personal_data,
    today,
)
from services.participants.domain import benefit as b
from services.participants.queries import benefit as q
from shared.csvio import csv_download
from shared.dates import Day
from shared.deps import RuntimeDep
from shared.http import problem_responses
from shared.i18n import Catalog, Locale, catalog
from shared.rules import DATE_ORDER

router = APIRouter(tags=["benefit"])

Year = Annotated[int, Path(ge=2021, le=2199, description="Year (år)")]
Month = Annotated[int, Path(ge=1, le=12, description="Month 1–12 (måned)")]
ERRORS = problem_responses(401, 403, 404, 409, 422)


def _texts() -> Catalog:
    return catalog("shared", "services.participants")


class Labelled(BaseModel):
    code: str
    label: str


class ActivityAbsence(BaseModel):
    activity: Labelled
    hours_planned: float
    valid_hours: float
    invalid_hours: float
    unauthorised_leave_hours: float
    unauthorised_leave_days: int


class AbsenceTotals(BaseModel):
    from_date: date
    to_date: date
    hours_planned: float = Field(description="Hours the plan holds on paid programme days")
    valid_hours: float = Field(description="Gyldig fravær")
    invalid_hours: float = Field(description="Ugyldig fravær (trekk time for time)")
    unauthorised_leave_hours: float
    unauthorised_leave_days: int = Field(description="Permisjon uten tillatelse (hele dager)")
    per_activity: list[ActivityAbsence]


class AbsenceSummary(AbsenceTotals):
    participant_id: uuid.UUID


class BasisDays(BaseModel):
    in_month: int
    paid: int = Field(description="Days that earn the benefit (programme days and paid leave)")
    in_programme: int
    paid_leave: int
    unpaid_leave: int
    interrupted: int


class BasisLine(BaseModel):
    """One explained line: what it is, the rule, the amount (kroner, øre) and the values."""

    model_config = ConfigDict(extra="allow")
    code: str = Field(
        description="base_rate, invalid_absence, unauthorised_leave, child_supplement, rounding"
    )
    label: str
    rule: str = Field(description="The section of the Act, or the rounding rule")
    amount: float = Field(description="Kroner, rounded to øre; deductions are negative")
    exact_amount: str = Field(description="The exact amount as a fraction, before rounding")
    values: dict[str, Any] | None = Field(default=None, description="The table values used")
    sources: dict[str, str] | None = None


class PaymentBasis(BaseModel):
    participant_id: uuid.UUID
    year: int
    month: int
    from_date: date
    to_date: date
    preliminary: bool = Field(description="The month is not over yet")
    currency: str
    days: BasisDays
    hours_planned: float
    absence: AbsenceTotals
    gross: float
    child_supplement: float
    deductions: float
    amount: float = Field(description="gross − deductions + child_supplement, kroner and øre")
    single_decision_required: bool = Field(
        description="The deduction needs an individual decision (enkeltvedtak)"
    )
    lines: list[BasisLine]


class MunicipalityBasis(BaseModel):
    year: int
    month: int
    count: int
    totals: dict[str, float]
    participants: list[PaymentBasis]


class DatedEntry(BaseModel):
    valid_from: date
    value: Any
    source: str


class DatedTableOut(BaseModel):
    name: str
    description: str
    entries: list[DatedEntry]


class ChildBody(Command):
    child_id: uuid.UUID = Field(
        description="A pseudonymous id for the child, chosen by the caller (never a name or "
        "national id)"
    )
    born_on: Day = Field(description="The child's birth date (the supplement's age bands)")
    supported_from: Day = Field(
        description="First day the participant provides for the child; a programme day"
    )


class ChildEndBody(Command):
    child_id: uuid.UUID = Field(description="The child's pseudonymous id, as recorded")
    supported_until: Day = Field(description="Last day the participant provides for the child")


class LivingSituationBody(Command):
    from_date: Day = Field(description="From this day; a programme day")
    lives_with_parent: bool = Field(
        description="Lives with at least one parent (bor sammen med minst én av foreldrene)"
    )


class CoupleSituationBody(Command):
    from_date: Day = Field(description="From this day; a programme day")
    partner_in_programme: bool = Field(
        description="The spouse or cohabitant (ektefelle eller samboer) also takes part in "
        "the introduction programme"
    )


class LeaveBenefitBody(Command):
    leave_from: Day = Field(description="The first day of the leave (permisjon) decided on")
    with_benefit: bool = Field(description="Paid leave (med stønad) or not (uten stønad)")
    ground: ev.LeaveBenefitGround = Field(description="Why (grunnlag for permisjonen)")


command_route(
    router,
    "POST",
    "/participants/{participant_id}/benefit/children",
    ChildBody,
    lambda body, s, seal: b.record_child(
        s, body.child_id, body.born_on, body.supported_from, today(), lambda t: seal(t) or ""
    ),
    name="record_benefit_child",
    summary="Registrer barn deltakeren forsørger (barnetillegg). / Record a child the "
    "participant provides for (child supplement).",
    description="Barnetillegget betales per barn under aldersgrensen i tabellen "
    "(integreringsloven § 20). `child-over-age` for et barn over grensen, "
    "`benefit-outside-programme` for en dato utenfor introduksjonsprogrammet. / The child "
    "supplement is paid per child under the table's age limit (integreringsloven § 20).",
    seals_text=True,
)
command_route(
    router,
    "POST",
    "/participants/{participant_id}/benefit/child-endings",
    ChildEndBody,
    lambda body, s, _: b.end_child(s, body.child_id, body.supported_until, today()),
    name="end_benefit_child",
    summary="Avslutt forsørgelse av et barn. / End the support of a child.",
    description="Barnetillegget for barnet stopper etter `supported_until`. / The child's "
    "supplement stops after `supported_until`.",
)
command_route(
    router,
    "POST",
    "/participants/{participant_id}/benefit/living-situation",
    LivingSituationBody,
    lambda body, s, _: b.record_living_situation(
        s, body.from_date, body.lives_with_parent, today()
    ),
    name="record_living_situation",
    summary="Registrer om deltakeren bor med foreldre. / Record whether the participant "
    "lives with a parent.",
    description="Under 25 år gir det 1/3 av full stønad i stedet for 2/3 (integreringsloven "
    "§ 20); fra 25 år er det uten betydning (`young-rate-age`). / Under 25 it sets one "
    "third of the full rate instead of two thirds; from 25 it does not apply.",
)
command_route(
    router,
    "POST",
    "/participants/{participant_id}/benefit/couple-situation",
    CoupleSituationBody,
    lambda body, s, _: b.record_couple_situation(
        s, body.from_date, body.partner_in_programme, today()
    ),
    name="record_couple_situation",
    summary="Registrer om ektefelle eller samboer også deltar i programmet. / Record whether "
    "the spouse or cohabitant also takes part.",
    description="Ektefeller eller samboere som begge deltar og ikke har barn, får 5/6 stønad "
    "hver (integreringsloven § 20 fjerde ledd, fra endringen i 2024). Barn er de som er "
    "registrert for barnetillegg. / Spouses or cohabitants who both take part and have no "
    "children get 5/6 each (§ 20 fourth paragraph, 2024 amendment).",
)
command_route(
    router,
    "POST",
    "/participants/{participant_id}/benefit/leave-decisions",
    LeaveBenefitBody,
    lambda body, s, _: b.decide_leave_benefit(
        s, body.leave_from, body.with_benefit, body.ground, today()
    ),
    name="decide_leave_benefit",
    summary="Vedta permisjon med eller uten stønad. / Decide whether a leave is paid.",
    description="En permisjon uten vedtak er uten stønad; et avbrudd gir aldri stønad "
    "(`no-such-leave`), og permisjon ved langvarig sykdom er uten stønad "
    "(`unpaid-leave-ground`, integreringsloven § 17, integreringsforskriften). / A leave "
    "without a decision is unpaid; an interruption is never paid.",
)


@router.get(
    "/benefit/rates",
    summary="Satstabellene for introduksjonsstønad. / The introduction benefit's rate tables.",
    description="Grunnbeløpet (G) per 1. mai, satsene (2 G, unge under 25), delingstallene, "
    "barnetillegget og grensen for enkeltvedtak, hver verdi med gyldig-fra-dato og kilde. / "
    "G by 1 May, the rates, divisors, child supplement and the decision threshold, each with "
    "its valid-from date and source.",
    response_model=dict[str, DatedTableOut],
    responses=problem_responses(401, 403),
)
async def list_benefit_rates(principal: Reader) -> dict[str, Any]:
    return {name: table.as_json() for name, table in b.tables().items()}


@router.get(
    "/participants/{participant_id}/benefit/{year}/{month}",
    summary="Utbetalingsgrunnlag for én måned. / One month's payment basis.",
    description="Timer planlagt, fravær (gyldig/ugyldig, per aktivitet), trekk, barnetillegg "
    "og beløp, hver linje med ledetekst, regel (§) og tabellverdiene som er brukt. En måned "
    "uten dag i introduksjonsprogram gir 409 `benefit-month-outside-programme`. / Hours "
    "planned, absence, deductions, supplement and amount, each line with its label, rule "
    "and table values; a month without a programme day is 409.",
    response_model=PaymentBasis,
    responses=ERRORS,
)
async def get_participant_benefit_basis(
    participant_id: uuid.UUID,
    year: Year,
    month: Month,
    request: Request,
    runtime: RuntimeDep,
    principal: Reader,
    locale: Locale,
) -> dict[str, Any]:
    async with runtime.db.snapshot() as conn:
        state, _ = await application.load(runtime, conn, participant_id, principal.municipality)
        return q.basis(state, year, month, locale, _texts(), today())


def _period(from_date: date | None, to_date: date | None) -> tuple[date, date]:
    end = to_date or today()
    start = from_date or date(end.year, end.month, 1)
    if start > end:
        raise DATE_ORDER.violation(
            f"from {start.isoformat()} is after to {end.isoformat()}.",
            "from",
            "to",
            **{"from": start, "to": end},
        )
    return start, end


@router.get(
    "/participants/{participant_id}/absence-summary",
    summary="Fraværsoversikt for en periode. / Absence summary for a period.",
    description="Gyldig og ugyldig fravær og permisjon uten tillatelse, totalt og per "
    "aktivitet, ved siden av planlagte timer, fra `from` til og med `to` (standard: denne "
    "måneden til i dag). / Valid and invalid absence and unauthorised leave, in all and per "
    "activity, beside the hours planned, from `from` to `to` inclusive.",
    response_model=AbsenceSummary,
    responses=ERRORS,
)
async def get_absence_summary(
    participant_id: uuid.UUID,
    runtime: RuntimeDep,
    principal: Reader,
    locale: Locale,
    from_date: Annotated[Day | None, Query(alias="from")] = None,
    to_date: Annotated[Day | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    start, end = _period(from_date, to_date)
    async with runtime.db.snapshot() as conn:
        state, _ = await application.load(runtime, conn, participant_id, principal.municipality)
    summary = q.absence_totals(state, start, end, locale, _texts())
    return {"participant_id": str(participant_id), **summary}


async def _municipality_basis(
    reading: Reading, year: int, month: int, locale: str
) -> tuple[list[dict[str, Any]], dict[uuid.UUID, dict[str, Any]]]:
    runtime, principal = reading.runtime, reading.principal
    texts = _texts()
    bases: list[dict[str, Any]] = []
    async with runtime.db.snapshot() as conn:
        for participant_id in await q.participants_in(conn, principal.municipality):
            state, _ = await application.load(runtime, conn, participant_id, principal.municipality)
            if not b.in_programme_in(state, b.month_days(year, month)):
                continue
            bases.append(q.basis(state, year, month, locale, texts, today()))
        details: dict[uuid.UUID, dict[str, Any]] = {}
        if sees_personal_data(principal) and bases:
            ids = [uuid.UUID(basis["participant_id"]) for basis in bases]
            details = await q.personal(conn, ids)
            await audit.record_reads(conn, principal, reading.request, ids, "benefit_payroll")
    return bases, details


def _csv(
    bases: list[dict[str, Any]],
    details: dict[uuid.UUID, dict[str, Any]],
    year: int,
    month: int,
    locale: str,
) -> Response:
    rows = [q.csv_row(basis, details.get(uuid.UUID(basis["participant_id"]))) for basis in bases]
    return csv_download(
        f"introduksjonsstonad-{year}-{month:02d}.csv",
        q.csv_header(locale, _texts()),
        rows,
        norwegian_excel=True,
    )


CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "CSV for Norwegian Excel (`;`, decimal comma, UTF-8 BOM)",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


@router.get(
    "/benefit/{year}/{month}.csv",
    summary="Utbetalingsgrunnlag for kommunen som CSV (lønnssystem). / The municipality's "
    "payment basis as CSV (payroll).",
    description="Én rad per deltaker med minst én programdag i måneden; norske kolonnenavn, "
    "beløp i kroner med to desimaler (øre), desimalkomma og `;` som skilletegn. Fødselsnummer "
    "og navn bare for saksbehandler og leder (lesingen logges). / One row per participant with "
    "a programme day in the month; amounts in kroner with two decimals; national id and name "
    "only for caseworkers and managers (audited).",
    response_class=Response,
    responses={**CSV_RESPONSE, **problem_responses(401, 403, 422)},
)
async def get_municipality_benefit_basis_csv(
    year: Year,
    month: Month,
    reading: ReaderReads,
    locale: Locale,
) -> Response:
    bases, details = await _municipality_basis(reading, year, month, locale)
    return _csv(bases, details, year, month, locale)


@router.get(
    "/benefit/{year}/{month}",
    summary="Utbetalingsgrunnlag for kommunen. / The municipality's payment basis.",
    description="Hver deltakers grunnlag for måneden (som `…/participants/{id}/benefit/"
    "{year}/{month}`); med `Accept: text/csv` samme CSV som `….csv`. / Every participant's "
    "basis for the month; with `Accept: text/csv` the same CSV as `….csv`.",
    response_model=MunicipalityBasis,
    responses={**CSV_RESPONSE, **problem_responses(401, 403, 422)},
)
async def get_municipality_benefit_basis(
    year: Year,
    month: Month,
    reading: ReaderReads,
    locale: Locale,
) -> Any:
    bases, details = await _municipality_basis(reading, year, month, locale)
    if "text/csv" in reading.request.headers.get("accept", ""):
        return _csv(bases, details, year, month, locale)
    totals = {
        key: round(sum(basis[key] for basis in bases), 2)
        for key in ("gross", "child_supplement", "deductions", "amount")
    }
    return {
        "year": year,
        "month": month,
        "count": len(bases),
        "totals": totals,
        "participants": bases,
    }
