"""The person under the Integration Act: category, decision (vedtak), complaint (klage),
rights and duties on a day, and the Act's dated tables."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from services.participants import audit
from services.participants import events as ev
from services.participants.api.common import Command, Reader, command_route, today
from services.participants.domain import act, contract
from services.participants.queries import act as queries
from shared.dates import Day
from shared.deps import RuntimeDep
from shared.http import problem_responses
from shared.i18n import Locale

router = APIRouter(prefix="/participants/{participant_id}", tags=["integration act"])
rules_router = APIRouter(prefix="/integration-act", tags=["integration act"])


class RecordCategory(Command):
    """Personens kategori etter integreringsloven fra `valid_from`. / The person's category
    under the Act from `valid_from`."""

    category: ev.ActCategory = Field(
        description="refugee (flyktning), refugee_family (familiegjenforent med flyktning), "
        "collective_protection (kollektiv beskyttelse), ukraine_temporary (kapittel 6A), other"
    )
    valid_from: Day = Field(description="Fra denne dagen / From this day (not in the future)")
    permit_granted_on: Day | None = Field(
        default=None,
        description="Da oppholdstillatelsen ble innvilget; aldersgrensene regnes denne dagen. / "
        "When the residence permit was granted; the age limits are taken on this day.",
    )


class Decide(Command):
    """Vedtak om deltakelse. / The decision on participation."""

    decision_id: uuid.UUID | None = Field(
        default=None, description="Chosen by the client, or generated (read it back)"
    )
    scheme: ev.Scheme = Field(description="introduction_programme, norwegian_training, …")
    decided_on: Day
    legal_basis: str = Field(
        pattern=ev.LEGAL_BASIS_PATTERN,
        max_length=12,
        description="Hjemmel som kode / Legal basis as a code: il-8-1, il-8-3, il-26-1, "
        "il-26-3, il-26-7, il-kap6a (GET /integration-act/rules, table legal_bases)",
    )
    granted: bool = Field(description="Innvilget (true) eller avslått (false)")
    grounds: str | None = Field(
        default=None, max_length=4000, description="Begrunnelse; sealed, never published"
    )


class LodgeComplaint(Command):
    """Klage på et vedtak. / A complaint on a decision."""

    complaint_id: uuid.UUID | None = Field(default=None, description="Chosen or generated")
    decision_id: uuid.UUID
    lodged_on: Day
    grounds: str | None = Field(
        default=None, max_length=4000, description="What the complaint says; sealed"
    )


class ResolveComplaint(Command):
    """Klagens utfall. / The complaint's outcome."""

    complaint_id: uuid.UUID
    resolved_on: Day
    outcome: ev.ComplaintOutcome = Field(
        description="upheld (tatt til følge), rejected (ikke tatt til følge), partly_upheld"
    )
    resolved_by: ev.ComplaintBody = ev.ComplaintBody.municipality


command_route(
    router,
    "POST",
    "/act/categories",
    RecordCategory,
    lambda b, s, _: contract.record_category(
        s, b.category, b.valid_from, b.permit_granted_on, today(), act.rule_tables()
    ),
    name="record_act_category",
    summary="Registrer kategori etter integreringsloven. / Record the category under the Act.",
    description="Første kategori eller en endring; hver endring bevares, og perioder "
    "overlapper aldri (`category-date-order`, `category-unchanged`, "
    "`ukraine-rules-not-in-force`). / The first category or a change; every change is kept "
    "and periods never overlap. Rules: integreringsloven §§ 8, 9, 26–28, kapittel 6A.",
)
command_route(
    router,
    "POST",
    "/act/decisions",
    Decide,
    lambda b, s, seal: contract.decide_participation(
        s,
        b.decision_id or uuid.uuid4(),
        b.scheme,
        b.decided_on,
        b.legal_basis,
        b.granted,
        seal(b.grounds),
        today(),
        act.rule_tables(),
    ),
    name="decide_participation",
    summary="Registrer vedtak om deltakelse. / Record the decision on participation.",
    description="Innvilgelse etter en hjemmel som gir rett krever retten på vedtaksdagen "
    "(`decision-without-right`), kompetansekartlegging først for programmet "
    "(`decision-before-mapping`) og vedtak innen to år etter bosetting etter § 8 "
    "(`programme-residence-limit`). / Granting under a section that gives a right needs the "
    "right on the decision's day (category, age); the programme needs the mapping first and, "
    "under § 8, the decision within two years of settlement. The grounds are sealed.",
    seals_text=True,
)
command_route(
    router,
    "POST",
    "/act/complaints",
    LodgeComplaint,
    lambda b, s, seal: contract.lodge_complaint(
        s, b.complaint_id or uuid.uuid4(), b.decision_id, b.lodged_on, seal(b.grounds), today()
    ),
    name="lodge_complaint",
    summary="Registrer klage på vedtak. / Record a complaint on a decision.",
    description="Klagen gjelder et registrert vedtak (`unknown-decision`), datert samme dag "
    "eller senere (`date-order`), én åpen klage om gangen (`complaint-open`). Klagefristen "
    "(forvaltningsloven § 29) vises som `late` i lesingen. / On a recorded decision, on or "
    "after it, one open complaint at a time; a late complaint is flagged, not refused "
    "(forvaltningsloven § 31).",
    seals_text=True,
)
command_route(
    router,
    "POST",
    "/act/complaints/resolution",
    ResolveComplaint,
    lambda b, s, _: contract.resolve_complaint(
        s, b.complaint_id, b.resolved_on, b.outcome, b.resolved_by, today()
    ),
    name="resolve_complaint",
    summary="Registrer klagens utfall. / Record a complaint's outcome.",
    description="Én gang per klage (`complaint-resolved`), ikke før den kom inn "
    "(`date-order`). / Once per complaint, on or after it was lodged.",
)


class Labelled(BaseModel):
    code: str
    label: str | None = None
    section: str | None = None


class CategoryView(BaseModel):
    code: ev.ActCategory
    label: str | None
    valid_from: date
    valid_to: date | None
    permit_granted_on: date | None


class AgeLimits(BaseModel):
    min: int
    max: int


class RightView(BaseModel):
    scheme: ev.Scheme
    label: str | None
    status: str = Field(description="right_and_duty, right, duty, may_offer, none")
    status_label: str | None
    reason: str = Field(description="category, below_age, above_age, no_category, not_in_force")
    reason_label: str | None
    legal_basis: Labelled | None
    hours: float | None = Field(
        description="Timer som skal gjennomføres / Hours to complete: social studies hours; a "
        "full-time programme year; null where the Act sets a level (Norwegian)"
    )
    hours_per_week: float | None
    weeks_per_year: int | None
    age_limits: AgeLimits | None


class ComplaintView(BaseModel):
    complaint_id: uuid.UUID
    lodged_on: date
    late: bool = Field(description="After the complaint deadline (forvaltningsloven § 29)")
    resolved_on: date | None
    outcome: ev.ComplaintOutcome | None
    outcome_label: str | None
    resolved_by: ev.ComplaintBody | None
    resolved_by_label: str | None


class DecisionView(BaseModel):
    decision_id: uuid.UUID
    scheme: ev.Scheme
    scheme_label: str | None
    decided_on: date
    legal_basis: Labelled | None
    granted: bool
    category: ev.ActCategory
    complaint_deadline_days: int
    complaints: list[ComplaintView]


class MappingView(BaseModel):
    mapped_on: date
    mappings: list[date]
    education_level: ev.EducationLevel | None
    upper_secondary_completed: bool


class GuidanceView(BaseModel):
    guided_on: date
    guidances: list[date]


class LengthView(BaseModel):
    group: str
    label: str | None
    end_goal: ev.EndGoal | None
    min_months: int
    max_months: int
    extension_months: int
    legal_basis: Labelled
    starts_on: date
    planned_end: date = Field(description="Planned end before leave (leave is not counted)")
    normal_end: date
    latest_end: date = Field(description="With the extension (forlengelse) included")
    within_normal_length: bool
    needs_extension: bool
    source: str


class FullTimeView(BaseModel):
    plan_valid_from: date
    hours_per_week: float
    required_per_week: float
    full_time_week: bool
    hours_per_year: float
    required_per_year: float
    full_time_year: bool
    weeks_per_year: int
    full_time: bool


class RightsView(BaseModel):
    participant_id: uuid.UUID
    on: date
    category: CategoryView | None
    age: int | None
    age_at_permit: int | None
    rights: list[RightView]
    categories: list[CategoryView]
    decisions: list[DecisionView]
    programme_decision_before: date | None = Field(
        description="Vedtak etter § 8 må treffes før denne dagen / The § 8 decision is due "
        "before this day (two years after settlement)"
    )
    competence_mapping: MappingView | None
    career_guidance: GuidanceView | None
    programme_length: LengthView | None
    full_time: FullTimeView | None


@router.get(
    "/rights",
    summary="Rett og plikt etter integreringsloven på en dag. / Rights and duties under the "
    "Act on a day.",
    description="Kategori, alder og hver rett og plikt (introduksjonsprogram, opplæring i norsk, "
    "samfunnskunnskap) med hjemmel og timer, kategorihistorikk, vedtak med klager, "
    "kartlegging og karriereveiledning, programlengden loven tillater og fulltidskravet per uke "
    "og per år. / Category, age and each right and duty with its legal basis and hours, the "
    "category history, decisions and complaints, mapping and guidance, the programme length "
    "the Act allows and the full-time rule per week and per year; labels by Accept-Language.",
    response_model=RightsView,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_rights(
    participant_id: uuid.UUID,
    request: Request,
    runtime: RuntimeDep,
    principal: Reader,
    locale: Locale,
    on: Annotated[Day | None, Query(description="Dagen / The day (default today)")] = None,
) -> dict[str, Any]:
    day = on or today()
    async with runtime.db.snapshot() as conn:
        view = await queries.rights(
            runtime, conn, participant_id, principal.municipality, day, locale
        )
        await audit.record_reads(conn, principal, request, [participant_id], "rights")
    return view


class DatedEntry(BaseModel):
    valid_from: date
    value: Any
    source: str


class DatedTableView(BaseModel):
    name: str
    description: str
    entries: list[DatedEntry]


class RulesView(BaseModel):
    tables: list[DatedTableView]


@rules_router.get(
    "/rules",
    summary="Integreringslovens tall som daterte tabeller. / The Act's numbers as dated tables.",
    description="Aldersgrenser, rett og plikt per kategori, hjemler, programlengder, "
    "fulltidskravet og klagefristen, hver verdi med gyldig-fra-dato og kilde (§§). Kun lesing. / "
    "Age limits, rights per category, legal bases, programme lengths, the full-time rule and "
    "the complaint deadline, each value with its valid-from date and source. Read-only.",
    response_model=RulesView,
    responses=problem_responses(401, 403),
)
async def list_integration_act_rules(principal: Reader) -> dict[str, Any]:
    return queries.rule_tables_view()
