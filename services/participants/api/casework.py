"""Caseloads and deadline lists: what an adviser must act on next."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import audit, domain, queries
from services.participants import events as ev
from services.participants.api.common import (
    Asked,
    Command,
    Reader,
    perform,
    sees_personal_data,
    today,
)
from services.participants.domain import deadlines as deadline_rules
from services.participants.domain import nir
from services.participants.queries import deadlines as deadline_queries
from shared.auth import Principal, require_roles
from shared.commands import CommandResult
from shared.deps import IdempotencyKeyHeader, RuntimeDep
from shared.events import Event, Metadata
from shared.http import problem_responses
from shared.i18n import Locale, catalog
from shared.paging import DEFAULT_LIMIT, Limit, Offset, Page, page_of
from shared.service import Runtime

router = APIRouter(tags=["casework"])


@router.get(
    "/advisers/{adviser}/caseload",
    response_model=Page[dict[str, Any]],
    summary="En veileders saksliste: deltakere med program som pågår / An adviser's caseload: "
    "participants with a running programme",
    description="Rekkefølge: planlagt slutt, så id. / Order: planned end, then id.",
    responses=problem_responses(401, 403, 422),
)
async def get_caseload(
    adviser: Annotated[str, Path(max_length=200)],
    request: Request,
    runtime: RuntimeDep,
    principal: Reader,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    personal = sees_personal_data(principal)
    async with runtime.db.snapshot() as conn:
        rows = await queries.search(
            conn,
            runtime.settings,
            principal.municipality,
            queries.Filters(adviser=adviser),
            today(),
            personal,
        )
        active = [r for r in rows if r["status"] in {"in_programme", "paused"}]
        body = page_of(request, active, limit, offset)
        if personal:
            shown = [uuid.UUID(r["id"]) for r in body["results"]]
            await audit.record_reads(conn, principal, request, shown, "caseload")
    return body


class DeadlineList(BaseModel):
    count: int
    participants: list[dict[str, Any]]


class DeadlineEntries(BaseModel):
    count: int
    deadlines: list[dict[str, Any]] = Field(
        description="Each: `participant_id`, `deadline` (code) and `label`, `kind` (`act` or "
        "`municipal`), `after` (the fact it runs from and its day), `met_by`, `due_on`, "
        "`days_left` (negative when overdue), `overdue`, `source` (the section of the Act)"
    )


class DeadlineLists(BaseModel):
    programmes_ending: DeadlineList
    plans_below_full_time: DeadlineList
    no_recent_follow_up: DeadlineList
    ended_without_outcome: DeadlineList
    act_deadlines: DeadlineEntries
    municipal_deadlines: DeadlineEntries


@router.get(
    "/deadlines",
    response_model=DeadlineLists,
    summary="Fristlister / Deadline lists",
    description="Fristlister for kommunen i tokenet, per i dag. / Deadline lists for the "
    "token's municipality, as of today.\n\n"
    "Four lists of participants: `programmes_ending` (planned end within `within_days`, "
    "default 90), `plans_below_full_time` (current plan under 37.5 h/week or no plan yet), "
    "`no_recent_follow_up` (no follow-up conversation in the last `follow_up_days`, default "
    "14) and `ended_without_outcome` (ended programmes with no outcome registered — IMDi's "
    "most common data fault). Then `act_deadlines`: the deadlines the Integration Act sets "
    "(vedtak, oppstart, kartlegging, karriereveiledning, integreringsplan within three months "
    "of settlement, integreringsloven §§ 10–15; the end of the right to Norwegian training, "
    "§ 28 ff.), and `municipal_deadlines`: the municipality's own (GET /deadlines/rules). "
    "Each deadline has its due day and `days_left`, negative once overdue; most urgent first.",
    responses=problem_responses(401, 403, 422),
)
async def list_deadlines(
    request: Request,
    runtime: RuntimeDep,
    principal: Reader,
    locale: Locale,
    within_days: Annotated[int, Query(ge=1, le=730)] = 90,
    follow_up_days: Annotated[int, Query(ge=1, le=365)] = 14,
) -> dict[str, Any]:
    personal = sees_personal_data(principal)
    on = today()
    async with runtime.db.snapshot() as conn:
        lists = await deadline_queries.lists(
            conn, principal.municipality, on, within_days, follow_up_days, personal
        )
        act, municipal = await deadline_queries.act_and_municipal(
            conn, runtime.store, principal.municipality, on, locale, personal
        )
        if personal:
            shown = {uuid.UUID(r["id"]) for rows in lists.values() for r in rows}
            shown |= deadline_queries.shown_ids([*act, *municipal])
            await audit.record_reads(conn, principal, request, sorted(shown), "deadlines")
    answer: dict[str, Any] = {
        name: {"count": len(rows), "participants": rows} for name, rows in lists.items()
    }
    answer["act_deadlines"] = {"count": len(act), "deadlines": act}
    answer["municipal_deadlines"] = {"count": len(municipal), "deadlines": municipal}
    return answer


DeadlineAdmin = Annotated[Principal, Depends(require_roles("manager"))]


async def _deadline_admin_asks(
    request: Request, response: Response, runtime: RuntimeDep, principal: DeadlineAdmin
) -> Asked:
    return Asked(runtime, request, response, principal)


DeadlineAdminAsks = Annotated[Asked, Depends(_deadline_admin_asks)]
FACT_PATTERN = "^(" + "|".join(deadline_rules.FACTS) + ")$"


class CreateDeadlineRule(Command):
    """A municipality's own deadline: `met_by` within `days` after `after`."""

    code: str = Field(
        pattern=ev.RULE_CODE_PATTERN,
        description="Stable kebab-case code, e.g. `plan-within-30-days`",
    )
    after: str = Field(pattern=FACT_PATTERN, description="The fact the deadline runs from")
    met_by: str = Field(pattern=FACT_PATTERN, description="The fact that meets it")
    days: int = Field(ge=1, le=3650, description="Days after `after`")
    label_nb: str = Field(min_length=1, max_length=200, description="Navnet på bokmål")
    label_en: str | None = Field(default=None, min_length=1, max_length=200)


class DeadlineRule(BaseModel):
    code: str
    after: str
    met_by: str
    days: int
    label_nb: str
    label_en: str | None = None


class DeadlineRules(BaseModel):
    facts: list[dict[str, str]] = Field(description="Every fact a deadline can name, labelled")
    act: list[dict[str, Any]] = Field(
        description="The Act's deadlines as dated rule data (every entry with its source)"
    )
    municipal: list[DeadlineRule]


def _rules_stream(municipality: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"veiviser:deadline-rules:{municipality}"))


RULES_STREAM_TYPE = "municipal_deadline_rules"


async def _rules_view(conn: AsyncConnection, municipality: str, locale: str) -> dict[str, Any]:
    own = await deadline_queries.municipal_rules(conn, municipality)
    return {
        "facts": [
            {"code": fact, "label": deadline_queries.fact_label(fact, locale) or fact}
            for fact in deadline_rules.FACTS
        ],
        "act": [
            {**table.as_json(), "label": deadline_queries.label(name, locale)}
            for name, table in deadline_rules.tables().items()
        ],
        "municipal": [
            {
                "code": r.code,
                "after": r.after,
                "met_by": r.met_by,
                "days": r.days,
                "label_nb": r.label_nb,
                "label_en": r.label_en,
            }
            for r in own
        ],
    }


@router.get(
    "/deadlines/rules",
    response_model=DeadlineRules,
    summary="Fristreglene / The deadline rules",
    description="Lovens frister (datert regeldata med kilde) og kommunens egne. / The Act's "
    "deadlines (dated rule data, each entry with its source) and the municipality's own.",
    responses=problem_responses(401, 403),
)
async def list_deadline_rules(
    runtime: RuntimeDep, principal: Reader, locale: Locale
) -> dict[str, Any]:
    async with runtime.db.snapshot() as conn:
        return await _rules_view(conn, principal.municipality, locale)


async def _change_rules(
    asked: Asked,
    body: BaseModel | None,
    locale: str,
    status_code: int,
    change: Callable[[set[str]], Event],
) -> dict[str, Any]:
    """Append ``change(codes in force)`` to the municipality's deadline-rules stream and
    answer the rules as they are after it."""

    async def work(runtime: Runtime, conn: AsyncConnection, metadata: Metadata) -> CommandResult:
        municipality = metadata.municipality
        known = {r.code for r in await deadline_queries.municipal_rules(conn, municipality)}
        event = change(known)
        stream_id = _rules_stream(municipality)
        await runtime.append(
            conn,
            stream_id,
            RULES_STREAM_TYPE,
            [event],
            expected_version=await runtime.store.current_version(conn, stream_id),
            metadata=metadata,
        )
        return CommandResult(status_code, await _rules_view(conn, municipality, locale))

    return await perform(asked, body, work)


@router.post(
    "/deadlines/rules",
    status_code=201,
    response_model=DeadlineRules,
    summary="Opprett en kommunal frist / Create a municipal deadline",
    description="Kommunens egen interne frist, f.eks. «plan innen 30 dager etter "
    "programstart». / The municipality's own internal deadline, e.g. «plan within 30 days of "
    "programme start» (`after: programme_started`, `met_by: plan_revised`, `days: 30`). It "
    "shows on GET /deadlines under `municipal_deadlines` for every participant it applies "
    "to. A code already in force is `deadline-rule-exists` (409).",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_deadline_rule(
    body: CreateDeadlineRule,
    asked: DeadlineAdminAsks,
    locale: Locale,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    def create(known: set[str]) -> Event:
        deadline_rules.check_rule(body.after, body.met_by)
        if body.code in known:
            raise deadline_rules.DEADLINE_RULE_EXISTS.violation(
                f"A municipal deadline {body.code!r} is in force.", "code"
            )
        return ev.MunicipalDeadlineRuleCreated(**body.model_dump())

    return await _change_rules(asked, body, locale, 201, create)


@router.delete(
    "/deadlines/rules/{code}",
    response_model=DeadlineRules,
    summary="Avvikle en kommunal frist / Retire a municipal deadline",
    description="Fristen vises ikke lenger. / The deadline no longer shows; its history stays "
    "in the municipality's deadline-rules stream. An unknown code is `no-deadline-rule` (409).",
    responses=problem_responses(401, 403, 409, 422),
)
async def retire_deadline_rule(
    code: Annotated[str, Path(pattern=ev.RULE_CODE_PATTERN)],
    asked: DeadlineAdminAsks,
    locale: Locale,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    def retire(known: set[str]) -> Event:
        if code not in known:
            raise deadline_rules.NO_DEADLINE_RULE.violation(
                f"No municipal deadline {code!r} is in force.", "code"
            )
        return ev.MunicipalDeadlineRuleRetired(code=code)

    return await _change_rules(asked, None, locale, 200, retire)


class ParticipantDeadlines(BaseModel):
    participant_id: str
    as_of: str
    act_deadlines: list[dict[str, Any]]
    municipal_deadlines: list[dict[str, Any]]
    nir_problems: list[dict[str, Any]] = Field(
        description="What NIR would reject or count as «ikke registrert» for this year (see "
        "GET /nir/data-quality), with field and deadline"
    )


@router.get(
    "/participants/{participant_id}/deadlines",
    response_model=ParticipantDeadlines,
    summary="Deltakerens frister / The participant's deadlines",
    description="Lovens frister, kommunens egne og det NIR mangler for én deltaker, per i "
    "dag. / The Act's deadlines, the municipality's own and what NIR lacks for one "
    "participant, as of today, most urgent first (`days_left` negative once overdue).",
    responses=problem_responses(401, 403, 404),
)
async def list_participant_deadlines(
    participant_id: uuid.UUID,
    request: Request,
    runtime: RuntimeDep,
    principal: Reader,
    locale: Locale,
) -> dict[str, Any]:
    personal = sees_personal_data(principal)
    on = today()
    async with runtime.db.snapshot() as conn:
        view = await queries.participant(conn, participant_id, principal.municipality, personal)
        envelopes = await runtime.store.load(conn, str(participant_id))
        state = domain.fold(runtime.store.decode(e) for e in envelopes)
        details = view.get("personal_data") if personal else None
        own = await deadline_queries.municipal_rules(conn, principal.municipality)
        act = [
            deadline_queries.deadline_view(state, details, d, on, locale, personal)
            for d in deadline_rules.act_deadlines(state, on)
        ]
        municipal = [
            deadline_queries.deadline_view(state, details, d, on, locale, personal)
            for d in deadline_rules.municipal_deadlines(state, on, own)
        ]
        texts = catalog(*deadline_queries.TEXTS)
        problems = []
        for problem in nir.problems(state, on.year, on):
            item = problem.view(on)
            item["field_label"] = texts.text(f"nir_field.{problem.field}", locale)
            item["problem_label"] = texts.text(f"nir_problem.{problem.problem}", locale)
            problems.append(item)
        if personal:
            await audit.record_reads(conn, principal, request, [participant_id], "deadlines")
    return {
        "participant_id": str(participant_id),
        "as_of": on.isoformat(),
        "act_deadlines": deadline_queries.sorted_views(act),
        "municipal_deadlines": deadline_queries.sorted_views(municipal),
        "nir_problems": sorted(problems, key=lambda p: (p["days_left"], p["field"])),
    }
