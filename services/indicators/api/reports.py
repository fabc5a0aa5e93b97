"""Reports for the council: the plan's goals and indicators for a period, as XLSX or
print-ready HTML (PDF and frozen reports come later)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.indicators import application, queries
from services.indicators.api.common import AsOfDep, Editor, StateDep, resource_router
from services.indicators.dashboard.labels import content_lang
from services.indicators.docs import AS_OF
from services.indicators.domain.report import Report, build_report, check_has_plan
from services.indicators.reports import texts_for
from services.indicators.reports.html import render_html
from services.indicators.reports.xlsx import render_xlsx
from shared.auth import Principal
from shared.codes import municipality_name
from shared.deps import RuntimeDep
from shared.events import utcnow
from shared.http import problem_responses
from shared.i18n import negotiate
from shared.service import Runtime

router = resource_router()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def report_for(
    runtime: Runtime,
    state: queries.IndicatorsState,
    principal: Principal,
    period: str,
    as_of: AsOfDep,
    lang: str,
) -> Report:
    """The report of the caller's municipality for ``period`` as known at ``as_of``."""
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
    moment = as_of.moment or utcnow()
    return build_report(
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
    )


@router.get(
    "/reports/{period}",
    summary="Målrapport for kommunestyret som XLSX eller utskriftsklar HTML. / The goal "
    "report for the council as XLSX or print-ready HTML",
    description="Planens mål med indikatorer, terskler, verdier, nivå, n, trend mot samme "
    "periode i fjor og ledelsens kommentarer, kjent per as-of-tidspunktet. Rapporten er "
    "offentlig: verdier som bygger på færre personer enn planens terskel prikkes. En periode "
    "uten mål i planen gir 422 `report-without-plan`. Bokmål som standard; `lang` eller "
    "`Accept-Language` for nynorsk/engelsk. / The plan's goals with their indicators, "
    "thresholds, values, levels, n, trend against the same period last year and the "
    "management's comments, as known at the as-of moment. The report is public: values "
    "resting on fewer people than the plan's threshold are suppressed. A period without "
    "goals in the plan gives 422 `report-without-plan`. Bokmål by default; `lang` or "
    "`Accept-Language` for nynorsk/English.\n\n" + AS_OF,
    responses={
        **problem_responses(401, 403, 422),
        200: {"content": {XLSX: {}, "text/html": {}}, "description": "The report"},
    },
    response_class=Response,
)
async def get_report(
    period: Annotated[
        str,
        Path(
            description="Tertial (2025-T1), år (2025) eller en annen periode. / A tertial "
            "(2025-T1), a year (2025) or any other period the scorecard takes.",
        ),
    ],
    request: Request,
    runtime: RuntimeDep,
    state: StateDep,
    principal: Editor,
    as_of: AsOfDep,
    format: Annotated[str, Query(pattern="^(xlsx|html)$", description="xlsx or html")] = "html",
    lang: Annotated[
        str | None,
        Query(pattern="^(nb|nn|en)$", description="Språk / language (default Accept-Language)"),
    ] = None,
) -> Response:
    chosen = lang or negotiate(request.headers.get("accept-language"))
    request.state.locale = chosen
    report = await report_for(runtime, state, principal, period, as_of, chosen)
    name = f"rapport-{report.municipality}-{report.period}"
    if format == "xlsx":
        return Response(
            render_xlsx(report, chosen),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return HTMLResponse(render_html(report, chosen))
