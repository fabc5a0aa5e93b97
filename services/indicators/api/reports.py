"""Reports for the council: the plan's goals and indicators for a period as XLSX,
print-ready HTML or PDF; reports locked as reported to the council (frozen, downloaded
byte for byte years later), and what changed since a locked report."""

from __future__ import annotations

import base64
import dataclasses
import uuid
from datetime import date
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from services.indicators import application, queries
from services.indicators import tables as t
from services.indicators.api.common import (
    AsOfDep,
    DrillDowner,
    Editor,
    Manager,
    StateDep,
    resource_router,
)
from services.indicators.api.comparisons import comparisons_for
from services.indicators.dashboard.labels import content_lang
from services.indicators.docs import AS_OF
from services.indicators.domain import frozen
from services.indicators.domain.asof import AsOf, parse_as_of
from services.indicators.domain.report import (
    RegionFigure,
    Report,
    build_report,
    check_has_plan,
    text,
)
from services.indicators.domain.scoring import IndicatorValue
from services.indicators.events import ReportLocked
from services.indicators.reports import texts_for
from services.indicators.reports.changes import late_facts, plan_changes
from services.indicators.reports.html import render_html
from services.indicators.reports.pdf import render_pdf
from services.indicators.reports.xlsx import render_xlsx
from shared.auth import Principal
from shared.codes import municipality_name
from shared.commands import CommandResult
from shared.deps import RuntimeDep
from shared.events import Metadata, utcnow
from shared.eventstore import NO_STREAM
from shared.http import problem_responses
from shared.i18n import negotiate
from shared.paging import DEFAULT_LIMIT, Limit, Offset, Page, count_of, page
from shared.problems import NotFound
from shared.service import Runtime

router = resource_router()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
HTML = "text/html; charset=utf-8"
MEDIA_TYPES = {"html": HTML, "xlsx": XLSX, "pdf": PDF}
REPORT_FILE = {"content": {XLSX: {}, "text/html": {}, PDF: {}}, "description": "The report"}
LangQuery = Annotated[
    str | None,
    Query(pattern="^(nb|nn|en)$", description="Språk / language (default Accept-Language)"),
]
PeriodPath = Annotated[
    str,
    Path(
        description="Tertial (2025-T1), år (2025) eller en annen periode. / A tertial "
        "(2025-T1), a year (2025) or any other period the scorecard takes.",
    ),
]
ReportIdPath = Annotated[uuid.UUID, Path(description="The locked report's id")]


def _language(request: Request, asked: str | None) -> str:
    """The report's language: the one asked for, else the request's Accept-Language (the
    request's problems answer in it too)."""
    chosen = asked or negotiate(request.headers.get("accept-language"))
    request.state.locale = chosen
    return chosen


async def report_for(
    runtime: Runtime,
    state: queries.IndicatorsState,
    principal: Principal,
    period: str,
    as_of: AsOf,
    lang: str,
) -> Report:
    """The report of the caller's municipality for ``period`` as known at ``as_of``."""
    report, _ = await report_and_values(runtime, state, principal, period, as_of, lang)
    return report


async def report_and_values(
    runtime: Runtime,
    state: queries.IndicatorsState,
    principal: Principal,
    period: str,
    as_of: AsOf,
    lang: str,
) -> tuple[Report, list[IndicatorValue]]:
    """The report and the values behind it (with their drill-down members)."""
    where = principal.municipality
    wanted = application.parse_period(period)
    known, card = await queries.scorecard_for(runtime, state, where, wanted, as_of)
    check_has_plan(card)
    changes = queries.scorecard_trends(known, card, as_of)
    # Last year's n, to hide a change against a value resting on too few people.
    _, before = await queries.scorecard_for(
        runtime, state, where, card.period.same_period_last_year(), as_of
    )
    previous_people = {
        v.definition.key: v.people
        for v in [*(v for g in before.goals for v in g.values), *before.ungrouped]
    }
    comments = await queries.comments_for(runtime, where, as_of, None, None)
    values = [*(v for g in card.goals for v in g.values), *card.ungrouped]
    pairs = sorted({(v.definition.key, str(v.period)) for v in values})
    found = await comparisons_for(runtime, where, pairs, as_of.moment)
    label = "label_en" if content_lang(lang) == "en" else "label_nb"
    figures = {
        v.definition.key: [
            RegionFigure(str(f[label]), f["value"])
            for f in found.get((v.definition.key, str(v.period)), [])
        ]
        for v in values
    }
    moment = as_of.moment or utcnow()
    report = build_report(
        card,
        municipality_name=municipality_name(where, card.period.last_day)
        or municipality_name(where)
        or where,
        known_as_of=moment,
        lang=content_lang(lang),
        texts=texts_for(lang),
        changes=changes,
        previous_people=previous_people,
        comments=comments,
        min_n=known.plan.settings.suppression_min_n,
        comparisons=figures,
    )
    return report, values


def render(report: Report, format: str, lang: str) -> bytes:
    """The report in ``format`` (html, xlsx or pdf) as bytes."""
    if format == "xlsx":
        return render_xlsx(report, lang)
    if format == "pdf":
        return render_pdf(report, lang)
    return render_html(report, lang).encode("utf-8")


def _file(content: bytes, format: str, name: str, sha: str | None = None) -> Response:
    headers = {}
    if format != "html":
        headers["Content-Disposition"] = f'attachment; filename="{name}.{format}"'
    if sha is not None:
        headers["ETag"] = f'"{sha}"'
        headers["Digest"] = "sha-256=" + base64.b64encode(bytes.fromhex(sha)).decode()
    if format == "html":
        return HTMLResponse(content, headers=headers)
    return Response(content, media_type=MEDIA_TYPES[format], headers=headers)


# -- locked reports (before /reports/{period}: "locked" is not a period) -------------------


class LockIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reported_to: str = Field(
        min_length=1, max_length=100, description="Who was told, e.g. bystyret, formannskapet"
    )
    reported_on: date = Field(description="The meeting's date, e.g. 2026-11-20")
    title: str | None = Field(
        default=None, min_length=1, max_length=300, description="Default: the report's title"
    )
    kind: str = Field(
        default=frozen.DEFAULT_KIND,
        pattern=r"^[a-z][a-z0-9_]{1,39}$",
        description="The kind of report; a period's report of one kind is locked once",
    )
    lang: str | None = Field(
        default=None, pattern="^(nb|nn|en)$", description="Default Accept-Language (bokmål)"
    )


def report_stream(municipality: str, period: str, kind: str) -> str:
    return f"report-{municipality}-{period}-{kind}"


async def _locked_id(conn: AsyncConnection, municipality: str, period: str, kind: str) -> Any:
    c = t.frozen_reports.c
    return (
        await conn.execute(
            sa.select(c.report_id).where(
                c.municipality == municipality, c.period == period, c.kind == kind
            )
        )
    ).scalar_one_or_none()


def _summary(row: Any) -> dict[str, Any]:
    return {
        "report_id": str(row.report_id),
        "period": row.period,
        "kind": row.kind,
        "reported_to": row.reported_to,
        "reported_on": row.reported_on.isoformat(),
        "title": row.title,
        "lang": row.lang,
        "known_as_of": row.known_as_of.isoformat(),
        "locked_at": row.recorded_at.isoformat(),
        "sha256": row.sha256,
        "drilldown_sha256": row.drilldown_sha256,
        "drilldown_members": row.drilldown_members,
        "links": {
            f: f"/indicators/reports/locked/{row.report_id}?format={f}" for f in frozen.FORMATS
        }
        | {"changes": f"/indicators/reports/locked/{row.report_id}/changes"},
    }


@router.post(
    "/reports/{period}/lock",
    status_code=201,
    summary="Lås rapporten slik den ble rapportert til bystyret. / Lock the report as "
    "reported to the council",
    description="Lagrer rapporten slik den er kjent nå — verdier, plan, n og de ferdige "
    "filene (HTML, XLSX, PDF) byte for byte med SHA-256 — og regner den aldri ut på nytt. "
    "Samme periode og rapporttype to ganger gir 409 `report-already-locked` med id-en til "
    "den låste. / Stores the report as known now — values, plan, n and the rendered files "
    "(HTML, XLSX, PDF) byte for byte with their SHA-256 — and never recomputes it. The "
    "same period and kind twice gives 409 `report-already-locked` with the locked "
    "report's id in `facts`. Manager only.",
    responses=problem_responses(401, 403, 409, 422),
)
async def lock_report(
    period: PeriodPath,
    body: LockIn,
    request: Request,
    runtime: RuntimeDep,
    state: StateDep,
    principal: Manager,
) -> JSONResponse:
    chosen = _language(request, body.lang)
    wanted = str(application.parse_period(period))
    where = principal.municipality
    # No check before rendering: a retry with the same Idempotency-Key must get the stored
    # answer, which the command pipeline gives before the transaction's own check.
    moment = utcnow()
    report, values = await report_and_values(
        runtime, state, principal, wanted, parse_as_of(moment.isoformat(), moment), chosen
    )
    members = frozen.drilldown(values)
    members_sha = frozen.drilldown_sha256(members)
    report = dataclasses.replace(
        report,
        locked_as=text(
            texts_for(chosen),
            "report.reported_to",
            reported_to=body.reported_to,
            reported_on=body.reported_on.strftime("%d.%m.%Y"),
        ),
    )
    files = {f: render(report, f, chosen) for f in frozen.FORMATS}
    sha = {f: frozen.sha256(content) for f, content in files.items()}
    report_id = str(uuid.uuid4())
    title = body.title or f"{texts_for(chosen).get('report.title', 'MRS')} {wanted}"
    event = ReportLocked(
        report_id=report_id,
        period=wanted,
        kind=body.kind,
        reported_to=body.reported_to,
        reported_on=body.reported_on.isoformat(),
        title=title,
        lang="nn" if chosen == "nn" else content_lang(chosen),
        known_as_of=moment.isoformat(),
        snapshot=frozen.snapshot(report),
        files={f: base64.b64encode(content).decode("ascii") for f, content in files.items()},
        sha256=sha,
        drilldown_sha256=members_sha,
        drilldown_members=len(members),
    )
    stream = report_stream(where, wanted, body.kind)

    async def lock(conn: AsyncConnection) -> CommandResult:
        current = await runtime.store.current_version(conn, stream)
        if current != NO_STREAM:
            found = await _locked_id(conn, where, wanted, body.kind)
            raise _already_locked(where, wanted, body.kind, found).at_version(current)
        metadata: Metadata = runtime.metadata(principal, request)
        await runtime.append(
            conn, stream, "report", [event], expected_version=NO_STREAM, metadata=metadata
        )
        if members:
            await conn.execute(
                sa.insert(t.frozen_report_members),
                [_member_row(report_id, where, m) for m in members],
            )
        return CommandResult(
            201,
            {
                "report_id": report_id,
                "period": wanted,
                "kind": body.kind,
                "reported_to": body.reported_to,
                "reported_on": body.reported_on.isoformat(),
                "title": title,
                "known_as_of": moment.isoformat(),
                "sha256": sha,
                "drilldown_sha256": members_sha,
                "drilldown_members": len(members),
                "version": 1,
            },
        )

    result = await runtime.command(
        lock, principal=principal, request=request, body=body.model_dump(mode="json")
    )
    response = JSONResponse(result.body, status_code=result.status_code)
    response.headers["Location"] = f"/indicators/reports/locked/{result.body['report_id']}"
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _member_row(report_id: str, municipality: str, row: dict[str, Any]) -> dict[str, Any]:
    def ident(raw: Any) -> uuid.UUID | None:
        return None if raw is None else uuid.UUID(str(raw))

    return {
        **row,
        "report_id": uuid.UUID(report_id),
        "municipality": municipality,
        "unit_id": ident(row["unit_id"]),
        "participant_id": ident(row["participant_id"]),
        "household_id": ident(row["household_id"]),
        "on_date": None if row["on_date"] is None else date.fromisoformat(row["on_date"]),
    }


def _already_locked(where: str, period: str, kind: str, report_id: Any) -> Any:
    return frozen.REPORT_ALREADY_LOCKED.violation(
        f"period: the {kind} of {where} for {period} is already locked as report {report_id}.",
        "period",
        period=period,
        kind=kind,
        report_id=None if report_id is None else str(report_id),
        locked=None if report_id is None else f"/indicators/reports/locked/{report_id}",
    )


@router.get(
    "/reports/locked",
    response_model=Page[dict[str, Any]],
    summary="Låste rapporter (rapportert til bystyret). / Locked reports (reported to the council)",
    description="Rekkefølge: sist rapportert først, så periode, type og id. / Order: latest "
    "reported first, then period, kind and id.",
    responses=problem_responses(401, 403, 422),
)
async def list_locked(
    request: Request,
    runtime: RuntimeDep,
    principal: Editor,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    query = _locked_query(principal.municipality)
    async with runtime.db.snapshot() as conn:
        total = await count_of(conn, query)
        rows = (await conn.execute(query.limit(limit).offset(offset))).all()
    shown = [_summary(r) for r in rows]
    return page(request, shown, limit=limit, offset=offset, total=total)


def _locked_query(municipality: str) -> sa.Select[Any]:
    c = t.frozen_reports.c
    return (
        sa.select(*(col for col in t.frozen_reports.c if col.name not in _CONTENT))
        .where(c.municipality == municipality)
        .order_by(c.reported_on.desc(), c.period, c.kind, c.report_id)
    )


async def locked_summaries(runtime: Runtime, principal: Principal) -> list[dict[str, Any]]:
    """Every locked report of the principal's municipality, in the list's order (for the
    dashboard's reports page, which shows them all)."""
    async with runtime.db.snapshot() as conn:
        rows = (await conn.execute(_locked_query(principal.municipality))).all()
    return [_summary(r) for r in rows]


_CONTENT = ("html", "xlsx", "pdf", "snapshot")


async def _locked(runtime: Runtime, principal: Principal, report_id: uuid.UUID) -> Any:
    c = t.frozen_reports.c
    async with runtime.db.snapshot() as conn:
        row = (
            await conn.execute(
                sa.select(t.frozen_reports).where(
                    c.report_id == report_id, c.municipality == principal.municipality
                )
            )
        ).one_or_none()
    if row is None:
        # Another municipality's report and an unknown id answer alike.
        raise NotFound(f"No locked report {report_id} in {principal.municipality}.")
    return row


@router.get(
    "/reports/locked/{report_id}",
    summary="En låst rapport byte for byte. / A locked report, byte for byte",
    description="Filen slik den ble låst (aldri regnet ut på nytt); `ETag` og `Digest` "
    "bærer SHA-256. / The file as locked (never recomputed); `ETag` and `Digest` carry "
    "its SHA-256.",
    responses={
        **problem_responses(401, 403, 404),
        200: REPORT_FILE,
    },
    response_class=Response,
)
async def get_locked(
    report_id: ReportIdPath,
    runtime: RuntimeDep,
    principal: Editor,
    format: Annotated[str, Query(pattern="^(xlsx|html|pdf)$")] = "pdf",
) -> Response:
    row = await _locked(runtime, principal, report_id)
    content = bytes(getattr(row, format))
    name = f"rapport-{row.municipality}-{row.period}-{row.reported_on.isoformat()}"
    return _file(content, format, name, row.sha256[format])


@router.get(
    "/reports/locked/{report_id}/drilldown/{key}",
    summary="Drill-down-listen bak en verdi i en låst rapport. / The drill-down list behind a "
    "value of a locked report",
    description="Enhetene (pseudonyme id-er) bak verdien slik de var ved låsingen, med hvorfor "
    "hver er med eller ikke. / The units (pseudonymous ids) behind the value as they were at "
    "the lock, each with why it is in or out; `drilldown_sha256` of the report covers every "
    "list as locked (an erasure since then replaces the person's id by an alias). Roles as "
    "the drill-down: manager, analyst, caseworker.",
    responses=problem_responses(401, 403, 404),
)
async def get_locked_drilldown(
    report_id: ReportIdPath,
    key: Annotated[str, Path(description="The indicator key")],
    runtime: RuntimeDep,
    principal: DrillDowner,
) -> dict[str, Any]:
    row = await _locked(runtime, principal, report_id)
    if key not in frozen.frozen_rows(row.snapshot):
        raise NotFound(f"The locked report {report_id} has no indicator {key!r}.")
    c = t.frozen_report_members.c
    async with runtime.db.snapshot() as conn:
        found = (
            await conn.execute(
                sa.select(t.frozen_report_members)
                .where(c.report_id == report_id, c.indicator_key == key)
                .order_by(c.row)
            )
        ).all()
    members = [
        {
            "subject": m.subject,
            "id": str(m.unit_id or m.participant_id),
            "participant_id": None if m.participant_id is None else str(m.participant_id),
            "household_id": None if m.household_id is None else str(m.household_id),
            "in_numerator": m.in_numerator,
            "in_denominator": m.in_denominator,
            "reason_code": m.reason_code,
            "on": None if m.on_date is None else m.on_date.isoformat(),
            "amount": m.amount,
        }
        for m in found
    ]
    return {
        "report_id": str(report_id),
        "indicator_key": key,
        "period": row.period,
        "known_as_of": row.known_as_of.isoformat(),
        "in_numerator": sum(m["in_numerator"] for m in members),
        "in_denominator_only": sum(m["in_denominator"] and not m["in_numerator"] for m in members),
        "left_out": sum(not m["in_denominator"] and not m["in_numerator"] for m in members),
        "members": members,
    }


@router.get(
    "/reports/locked/{report_id}/changes",
    summary="Hva er endret siden rapporten ble låst. / What changed since the report was locked",
    description="Regner samme periode ut på nytt nå og viser per indikator låst verdi, verdi "
    "nå og forskjellen, og hvorfor: fakta registrert etter låsingen som gjelder perioden "
    "(antall per type), og planendringer etter låsingen. `format=html|pdf` gir den nye "
    "rapporten med de rapporterte verdiene ved siden av. / Recomputes the same period now "
    "and lists per indicator the locked value, the value now and the difference, and why: "
    "facts recorded after the lock that fall in the period (counts by kind) and plan "
    "changes after the lock. `format=html|pdf` gives the recomputed report with the "
    "reported values beside.",
    responses={
        **problem_responses(401, 403, 404, 422),
        200: {"content": {"application/json": {}, "text/html": {}, PDF: {}}},
    },
    response_class=Response,
)
async def get_changes(
    report_id: ReportIdPath,
    runtime: RuntimeDep,
    state: StateDep,
    principal: Editor,
    format: Annotated[str, Query(pattern="^(json|html|pdf)$")] = "json",
) -> Response:
    row = await _locked(runtime, principal, report_id)
    now = utcnow()
    report = await report_for(
        runtime, state, principal, row.period, parse_as_of(None, now), row.lang
    )
    if format != "json":
        shown = frozen.beside(report, row.snapshot, row._mapping)
        name = f"endringer-{row.municipality}-{row.period}"
        return _file(render(shown, format, row.lang), format, name)
    period = application.parse_period(row.period)
    async with runtime.db.snapshot() as conn:
        late = await late_facts(conn, principal.municipality, period, row.known_as_of)
        plan = await plan_changes(conn, principal.municipality, row.known_as_of)
    indicators = frozen.compare(row.snapshot, report)
    for item in indicators:
        item["plan_changes"] = plan["by_indicator"].get(item["indicator_key"], {})
    return JSONResponse(
        {
            **_summary(row),
            "recomputed_at": now.isoformat(),
            "indicators": indicators,
            "changed": sum(1 for i in indicators if i["changed"]),
            "why": {"late_facts": late, "plan_changes": plan["by_kind"]},
        }
    )


# -- the report as of any moment ------------------------------------------------------------


@router.get(
    "/reports/{period}",
    summary="Målrapport for kommunestyret som PDF, XLSX eller utskriftsklar HTML. / The goal "
    "report for the council as PDF, XLSX or print-ready HTML",
    description="Planens mål med indikatorer, terskler, verdier, nivå (farge og tekst), n, "
    "trend mot samme periode i fjor, sammenligningstall og ledelsens kommentarer, kjent per "
    "as-of-tidspunktet. Rapporten er offentlig: verdier som bygger på færre personer enn "
    "planens terskel prikkes. En periode uten mål i planen gir 422 `report-without-plan`. "
    "Bokmål som standard; `lang` eller `Accept-Language` for nynorsk/engelsk. / The plan's "
    "goals with their indicators, thresholds, values, levels (colour and text), n, trend "
    "against the same period last year, comparison figures and the management's comments, "
    "as known at the as-of moment. The report is public: values resting on fewer people "
    "than the plan's threshold are suppressed. A period without goals in the plan gives "
    "422 `report-without-plan`. Bokmål by default; `lang` or `Accept-Language` for "
    "nynorsk/English.\n\n" + AS_OF,
    responses={
        **problem_responses(401, 403, 422),
        200: REPORT_FILE,
    },
    response_class=Response,
)
async def get_report(
    period: PeriodPath,
    request: Request,
    runtime: RuntimeDep,
    state: StateDep,
    principal: Editor,
    as_of: AsOfDep,
    format: Annotated[
        str, Query(pattern="^(xlsx|html|pdf)$", description="pdf, xlsx or html")
    ] = "html",
    lang: LangQuery = None,
) -> Response:
    chosen = _language(request, lang)
    report = await report_for(runtime, state, principal, period, as_of, chosen)
    name = f"rapport-{report.municipality}-{report.period}"
    return _file(render(report, format, chosen), format, name)
