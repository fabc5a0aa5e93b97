"""Editing the plan in the dashboard: goals, indicators, thresholds per year, settings,
comments and approval (docs/mrs/plan-editing.md).

The forms post to the dashboard, which runs the same use cases as the API
(``application``) through the kit's command pipeline: one set of rules, one audit trail
(the events' metadata says who and when). Only a manager edits; an analyst sees the
plan without edit controls and a POST of theirs is refused (403).

CSRF: the session is a cookie, so every form carries a per-session token in a hidden
field — an HMAC of the session's own token, which another site can neither read nor
compute — and a POST without it (or with another session's) is refused with 403 before
anything is run. The cookie is SameSite=Strict besides.
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Concatenate, ParamSpec
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.indicators import application
from services.indicators.api import reports
from services.indicators.commands import (
    ApprovalIn,
    CommentIn,
    GoalChange,
    GoalIn,
    IndicatorChange,
    IndicatorIn,
    SettingsIn,
    ThresholdsIn,
)
from services.indicators.dashboard.labels import content_lang, label, texts
from services.indicators.dashboard.pages import (
    CSRF_FIELD,
    DASHBOARD_QUERY,
    EDITORS,
    _as_of,
    _lang,
    _principal,
    _render,
    _safe_next,
    _url,
    can_edit,
    session_form_token,
)
from services.indicators.domain.asof import parse_as_of
from services.indicators.domain.catalogue import BUILT_INS
from services.indicators.domain.plan import PLAN_LEVELS, Plan
from services.indicators.loader import load_plan
from shared.auth import Principal
from shared.commands import CommandResult
from shared.events import Metadata, utcnow
from shared.problems import Conflict, Forbidden, InvalidInput
from shared.rules import RuleViolation
from shared.service import Runtime

PLAN_VIEWERS = frozenset({"manager", "analyst"})
LEVELS = ("desired", "acceptable", "not_approved")

router = APIRouter(prefix="/dashboard", tags=["dashboard"], dependencies=[DASHBOARD_QUERY])

Form = Mapping[str, list[str]]
P = ParamSpec("P")


class FormErrors(Exception):
    """A form that could not be saved: the errors to show in it, in the page's language."""

    def __init__(self, errors: list[dict[str, str]], summary: str, status: int = 422) -> None:
        super().__init__(summary)
        self.errors = errors
        self.summary = summary
        self.status = status


@dataclass(frozen=True)
class Shown:
    """How a page with forms is shown: fresh, or again after a failed save — which form
    failed, its errors, and what was typed (so nothing typed is lost)."""

    failed: FormErrors | None = None
    form_name: str | None = None
    typed: Form = field(default_factory=dict)

    def context(self) -> dict[str, Any]:
        """The response's status and the templates' form variables."""
        failed = self.failed
        return {
            "status": failed.status if failed else 200,
            "errors": failed.errors if failed else [],
            "summary": failed.summary if failed else None,
            "form_name": self.form_name,
            "values": {k: v[0] for k, v in self.typed.items() if v},
        }


FRESH = Shown()


async def _form(request: Request) -> dict[str, list[str]]:
    return parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)


def _one(form: Mapping[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[0].strip()


def _optional(form: Mapping[str, list[str]], name: str) -> str | None:
    return _one(form, name) or None


async def _editor(request: Request, form: Mapping[str, list[str]]) -> Principal:
    """The manager posting ``form``, after the CSRF check; 403 for anyone else."""

    sent = _one(form, CSRF_FIELD)
    expected = session_form_token(request) or ""
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden(label("csrf_failed", _lang(request)))
    return await _principal(request, EDITORS)


# -- errors in bokmål (or the page's language) ---------------------------------------------

_PYDANTIC: dict[str, str] = {
    "missing": "required",
    "string_too_short": "required",
    "string_too_long": "too_long",
    "string_pattern_mismatch": "key_pattern",
    "int_parsing": "not_a_number",
    "int_from_float": "not_a_whole_number",
    "float_parsing": "not_a_number",
    "greater_than_equal": "too_small",
    "less_than_equal": "too_large",
    "literal_error": "not_a_choice",
    "too_short": "required",
    "too_long": "too_long",
}


def _field_label(field: str, lang: str) -> str:
    head = field.split(".")[0]
    return label(f"field_{head}", lang) if head else ""


def _message(error: Mapping[str, Any], lang: str) -> str:
    kind = str(error.get("type") or "")
    known = _PYDANTIC.get(kind) or {
        "unknown_indicator": "unknown_indicator",
        "invalid_thresholds": "invalid_thresholds",
        "nothing_to_approve": "nothing_to_approve",
    }.get(kind)
    if known is not None:
        return label(f"error_{known}", lang)
    field = str(error.get("field") or "")
    by_field = {
        "to_year": "error_to_year",
        "parent_key": "error_parent_key",
        "indicator_keys": "error_indicator_keys",
        "unit": "error_unit",
        "direction": "error_direction",
    }.get(field.split(".")[0])
    if by_field is not None and lang != "en":
        return label(by_field, lang)
    if lang == "en":
        return str(error.get("message") or "")
    return f"{label('error_invalid', lang)} ({error.get('message')})"


def _shown(errors: list[dict[str, Any]], lang: str) -> list[dict[str, str]]:
    return [
        {
            "field": str(e.get("field") or ""),
            "label": _field_label(str(e.get("field") or ""), lang),
            "message": _message(e, lang),
        }
        for e in errors
    ]


def _invalid(errors: list[dict[str, Any]], lang: str) -> FormErrors:
    return FormErrors(_shown(errors, lang), label("form_invalid", lang))


def _refused(exc: RuleViolation, lang: str, fields: Sequence[str]) -> FormErrors:
    """A rule's refusal, shown at ``fields`` (``""``: above the form)."""
    shown = exc.detail_in(lang, texts())
    return FormErrors(
        [{"field": f, "label": _field_label(f, lang), "message": shown} for f in fields],
        exc.title_in(lang, texts()),
        exc.status,
    )


def _validated(model: type[BaseModel], data: dict[str, Any], lang: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            {
                "field": ".".join(str(p) for p in e["loc"]),
                "message": e["msg"],
                "type": e["type"],
            }
            for e in exc.errors()
        ]
        raise _invalid(errors, lang) from exc


async def _run(
    request: Request,
    principal: Principal,
    use_case: Callable[
        Concatenate[Runtime, AsyncConnection, Metadata, P], Awaitable[CommandResult]
    ],
    *args: P.args,
    **kwargs: P.kwargs,
) -> CommandResult:
    """Run one change as the API would (same use case, transaction and audit)."""

    runtime: Runtime = request.app.state.runtime
    metadata = runtime.metadata(principal, request)
    lang = _lang(request)
    try:
        return await runtime.command(
            lambda conn: use_case(runtime, conn, metadata, *args, **kwargs),
            principal=principal,
            request=request,
        )
    except InvalidInput as exc:
        raise _invalid(list(exc.extensions.get("errors") or []), lang) from exc
    except RuleViolation as exc:
        raise _refused(exc, lang, exc.fields or ("",)) from exc
    except Conflict as exc:
        version = exc.extensions.get("current_version")
        message = (
            label("conflict_moved_on", lang).format(version=version)
            if version is not None and lang != "en"
            else exc.detail
        )
        raise FormErrors([{"field": "", "label": "", "message": message}], message, 409) from exc


def _back(request: Request, path: str, **params: str) -> Response:
    return RedirectResponse(_url(_lang(request), path, **params), status_code=303)


async def _post_form(
    request: Request,
    form_name: str,
    save: Callable[[Form, Principal], Awaitable[Response]],
    again: Callable[[Request, Principal, Shown], Awaitable[Response]] | None = None,
) -> Response:
    """A form's POST: the manager (after the CSRF check) saves, or the page (by default
    the plan page) shows the form again with its errors (422) and what was typed."""
    form = await _form(request)
    principal = await _editor(request, form)
    try:
        return await save(form, principal)
    except FormErrors as failed:
        return await (again or _plan_page)(request, principal, Shown(failed, form_name, form))


def _form_page(
    request: Request, principal: Principal, template: str, shown: Shown, **context: Any
) -> Response:
    return _render(
        request,
        template,
        municipality=principal.municipality,
        form_token=session_form_token(request),
        **shown.context(),
        **context,
    )


# -- the plan page -------------------------------------------------------------------------


async def _plans(request: Request, principal: Principal) -> tuple[Plan, Plan, dict[str, Any]]:
    """The draft (as recorded), the plan in force, and the versions."""
    runtime: Runtime = request.app.state.runtime
    async with runtime.db.snapshot() as conn:
        draft = await load_plan(conn, principal.municipality, None, draft=True)
        approved = await load_plan(conn, principal.municipality, None)
        status = await application.plan_status(conn, principal.municipality)
    return draft, approved, status


def _draft_marks(draft: Plan, approved: Plan) -> dict[str, set[str]]:
    """What the draft changes against the plan in force (shown marked as draft)."""
    return {
        "goals": {
            key
            for key, goal in draft.goals.items()
            if key not in approved.goals or approved.goals[key].version != goal.version
        },
        "indicators": {
            key
            for key, d in draft.definitions.items()
            if key not in approved.definitions or approved.definitions[key].version != d.version
        },
        "thresholds": {
            key
            for (key, year), th in draft.thresholds.items()
            if (key, year) not in approved.thresholds
            or approved.thresholds[(key, year)].version != th.version
        },
    }


async def _plan_page(request: Request, principal: Principal, shown: Shown = FRESH) -> Response:

    editing = can_edit(principal)
    draft, approved, status = await _plans(request, principal)
    plan = draft if editing else approved
    return _form_page(
        request,
        principal,
        "plan.html",
        shown,
        page_title=label("plan", _lang(request)),
        plan=plan,
        tree=plan.goal_tree(),
        approved_plan=approved,
        versions=status,
        marks=_draft_marks(draft, approved) if editing else {},
        can_edit=editing,
        levels=PLAN_LEVELS,
        catalogue=sorted(BUILT_INS.values(), key=lambda b: b.key),
        saved=request.query_params.get("saved"),
        goal=None,
        # The new-goal form keeps the indicators ticked when it is shown again.
        chosen=set(shown.typed.get("indicator_keys", [])) if shown.form_name == "goal" else set(),
    )


@router.get(
    "/plan",
    response_class=HTMLResponse,
    summary="Planen: mål, indikatorer, godkjenning / The plan: goals, indicators, approval",
)
async def plan_page(request: Request) -> Response:

    principal = await _principal(request, PLAN_VIEWERS)
    return await _plan_page(request, principal)


def _goal_data(form: Form) -> dict[str, Any]:
    return {
        "plan_level": _one(form, "plan_level"),
        "parent_key": _optional(form, "parent_key"),
        "title_nb": _one(form, "title_nb"),
        "title_en": _one(form, "title_en") or _one(form, "title_nb"),
        "owner_unit": _one(form, "owner_unit"),
        "from_year": _one(form, "from_year"),
        "to_year": _one(form, "to_year") or _one(form, "from_year"),
        "indicator_keys": [k for k in form.get("indicator_keys", []) if k],
    }


@router.post(
    "/plan/goals",
    response_class=HTMLResponse,
    summary="Legg til et mål (skjema) / Add a goal (form)",
)
async def add_goal(request: Request) -> Response:

    async def save(form: Form, principal: Principal) -> Response:
        body = _validated(GoalIn, {"key": _one(form, "key"), **_goal_data(form)}, _lang(request))
        change = GoalChange.model_validate(body.model_dump(exclude={"key"}))
        await _run(
            request,
            principal,
            application.define_goal,
            body.key,
            change,
            revise=False,
            expected=None,
        )
        return _back(request, "/dashboard/plan", saved="goal")

    return await _post_form(request, "goal", save)


async def _goal_page(
    request: Request, principal: Principal, shown: Shown = FRESH, *, key: str
) -> Response:

    draft, _, status = await _plans(request, principal)
    goal = draft.goals.get(key)
    if goal is None:
        raise InvalidInput(f"Unknown goal {key!r}.", [{"field": "key", "message": "no such goal"}])
    return _form_page(
        request,
        principal,
        "goal.html",
        shown,
        page_title=f"{label('edit_goal', _lang(request))} {key}",
        plan=draft,
        goal=goal,
        versions=status,
        can_edit=True,
        levels=PLAN_LEVELS,
        chosen=set(shown.typed.get("indicator_keys", []))
        if shown.typed
        else set(goal.indicator_keys),
    )


@router.get(
    "/plan/goals/{key}",
    response_class=HTMLResponse,
    summary="Endre et mål (skjema) / Change a goal (form)",
)
async def goal_page(request: Request, key: str) -> Response:

    principal = await _principal(request, EDITORS)
    return await _goal_page(request, principal, key=key)


@router.post(
    "/plan/goals/{key}",
    response_class=HTMLResponse,
    summary="Endre et mål (skjema) / Change a goal (form)",
)
async def submit_goal_revision(request: Request, key: str) -> Response:

    async def save(form: Form, principal: Principal) -> Response:
        change = _validated(GoalChange, _goal_data(form), _lang(request))
        await _run(
            request, principal, application.define_goal, key, change, revise=True, expected=None
        )
        return _back(request, "/dashboard/plan", saved="goal")

    return await _post_form(request, "goal", save, partial(_goal_page, key=key))


@router.post(
    "/plan/indicators",
    response_class=HTMLResponse,
    summary="Legg til en indikator (skjema) / Add an indicator (form)",
)
async def add_indicator(request: Request) -> Response:

    async def save(form: Form, principal: Principal) -> Response:
        lang = _lang(request)
        built_in = _one(form, "from_catalogue")
        if built_in not in BUILT_INS:
            raise FormErrors(
                [
                    {
                        "field": "from_catalogue",
                        "label": _field_label("from_catalogue", lang),
                        "message": label("error_not_a_choice", lang),
                    }
                ],
                label("form_invalid", lang),
            )
        key = _one(form, "key") or built_in
        fields: dict[str, Any] = {"from_catalogue": built_in}
        for name in ("title_nb", "title_en"):
            if _one(form, name):
                fields[name] = _one(form, name)
        _validated(IndicatorIn, {"key": key}, lang)
        change = _validated(IndicatorChange, fields, lang)
        await _run(
            request,
            principal,
            application.define_indicator,
            key,
            change,
            redefine=False,
            expected=None,
        )
        return _back(request, f"/dashboard/plan/indicators/{key}", saved="indicator")

    return await _post_form(request, "indicator", save)


async def _indicator_page(
    request: Request, principal: Principal, shown: Shown = FRESH, *, key: str
) -> Response:

    draft, approved, status = await _plans(request, principal)
    definition = application.require_definition(draft, key)
    thresholds = sorted(
        ((year, th) for (k, year), th in draft.thresholds.items() if k == key),
        key=lambda item: item[0],
    )
    return _form_page(
        request,
        principal,
        "plan_indicator.html",
        shown,
        page_title=definition.title(content_lang(_lang(request))),
        d=definition,
        thresholds=thresholds,
        marks=_draft_marks(draft, approved),
        versions=status,
        can_edit=True,
        band_levels=LEVELS,
        saved=request.query_params.get("saved"),
    )


@router.get(
    "/plan/indicators/{key}",
    response_class=HTMLResponse,
    summary="En indikators terskler / An indicator's thresholds",
)
async def plan_indicator_page(request: Request, key: str) -> Response:

    principal = await _principal(request, EDITORS)
    return await _indicator_page(request, principal, key=key)


def _number(form: Form, name: str) -> float | str | None:
    raw = _one(form, name).replace(" ", "").replace(",", ".")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        return raw  # pydantic names it (float_parsing)


def _bands(form: Form) -> list[dict[str, Any]]:
    """The bands the form gives: a level with neither end given is left out."""
    bands = []
    for level in LEVELS:
        lower, upper = _number(form, f"{level}_lower"), _number(form, f"{level}_upper")
        if lower is None and upper is None and not _one(form, f"{level}_open"):
            continue
        bands.append(
            {
                "level": level,
                "lower": lower,
                "lower_inclusive": (_one(form, f"{level}_lower_inclusive") == "on")
                if lower is not None
                else None,
                "upper": upper,
                "upper_inclusive": (_one(form, f"{level}_upper_inclusive") == "on")
                if upper is not None
                else None,
            }
        )
    return bands


@router.post(
    "/plan/indicators/{key}/thresholds",
    response_class=HTMLResponse,
    summary="Sett terskler for år (skjema) / Set thresholds for years (form)",
)
async def submit_thresholds(request: Request, key: str) -> Response:

    async def save(form: Form, principal: Principal) -> Response:
        body = _validated(
            ThresholdsIn,
            {
                "from_year": _one(form, "from_year"),
                "to_year": _optional(form, "to_year"),
                "gap_policy": _one(form, "gap_policy") or "unclassified",
                "bands": _bands(form),
            },
            _lang(request),
        )
        await _run(request, principal, application.set_thresholds, key, body, None)
        return _back(request, f"/dashboard/plan/indicators/{key}", saved="thresholds")

    return await _post_form(request, "thresholds", save, partial(_indicator_page, key=key))


@router.post(
    "/plan/settings",
    response_class=HTMLResponse,
    summary="Planens innstillinger (skjema) / The plan's settings (form)",
)
async def submit_settings(request: Request) -> Response:

    async def save(form: Form, principal: Principal) -> Response:
        body = _validated(
            SettingsIn, {"suppression_min_n": _one(form, "suppression_min_n")}, _lang(request)
        )
        await _run(request, principal, application.change_settings, body)
        return _back(request, "/dashboard/plan", saved="settings")

    return await _post_form(request, "settings", save)


@router.post(
    "/plan/approve",
    response_class=HTMLResponse,
    summary="Godkjenn planen (skjema) / Approve the plan (form)",
)
async def submit_plan_approval(request: Request) -> Response:

    async def save(form: Form, principal: Principal) -> Response:
        body = _validated(ApprovalIn, {"version": _one(form, "version")}, _lang(request))
        await _run(request, principal, application.approve_plan, body)
        return _back(request, "/dashboard/plan", saved="approved")

    return await _post_form(request, "approve", save)


# -- comments, where the leader sees the deviation ----------------------------------------


def _return_to(form: Form, key: str) -> str:
    return _safe_next(_one(form, "next") or f"/dashboard/indicators/{key}")


@router.post(
    "/indicators/{key}/comments",
    response_class=HTMLResponse,
    summary="Kommenter (skjema) / Comment (form)",
)
async def submit_comment(request: Request, key: str) -> Response:

    async def save(form: Form, principal: Principal) -> Response:
        body = _validated(
            CommentIn,
            {
                "period": _one(form, "period"),
                "text": _one(form, "text"),
                "level": _optional(form, "level"),
            },
            _lang(request),
        )
        await _run(request, principal, application.record_comment, key, body)
        return RedirectResponse(_return_to(form, key), status_code=303)

    async def again(request: Request, principal: Principal, shown: Shown) -> Response:
        # The comment form sits on the indicator's page: its errors get a page of their own.
        return _form_page(
            request,
            principal,
            "form_errors.html",
            shown,
            page_title=label("form_invalid", _lang(request)),
            back=_return_to(shown.typed, key),
        )

    return await _post_form(request, "comment", save, again)


# -- the council report: download, lock as reported, the locked ones -----------------------
# The API's report routes are called as they are (same rendering, same locking command):
# the dashboard only signs in with the cookie instead of a bearer token.


@router.get(
    "/reports",
    response_class=HTMLResponse,
    summary="Rapporten til kommunestyret (HTML) / The council report (HTML)",
)
async def reports_page(request: Request) -> Response:
    principal = await _principal(request, PLAN_VIEWERS)
    return await _reports_page(request, principal)


async def _reports_page(
    request: Request, principal: Principal, shown: Shown = FRESH, *, period: str | None = None
) -> Response:
    runtime: Runtime = request.app.state.runtime
    as_of = parse_as_of(None, utcnow())
    period = period or request.query_params.get("period") or str(as_of.known_on.year)
    locked = await reports.locked_summaries(runtime, principal)
    return _form_page(
        request,
        principal,
        "reports.html",
        shown,
        page_title=label("report", _lang(request)),
        period=str(application.parse_period(period)),
        locked=locked,
        just_locked=request.query_params.get("locked"),
        can_edit=can_edit(principal),
        today=as_of.known_on.isoformat(),
    )


REPORT_FORMATS = ("pdf", "xlsx", "html")


def _report_format(wanted: str) -> str:
    if wanted not in REPORT_FORMATS:
        raise InvalidInput(
            "format: pdf, xlsx or html.", [{"field": "format", "message": "pdf, xlsx or html"}]
        )
    return wanted


@router.get(
    "/reports/{period}/download",
    summary="Rapporten til kommunestyret som PDF, XLSX "
    "eller HTML / The council report as PDF, XLSX or HTML",
)
async def download_report(request: Request, period: str) -> Response:
    principal = await _principal(request, PLAN_VIEWERS)
    as_of, _ = _as_of(request)
    wanted = _report_format(request.query_params.get("format") or "pdf")
    response: Response = await reports.get_report(
        period,
        request,
        request.app.state.runtime,
        request.app.state.indicators,
        principal,
        as_of,
        wanted,
        _lang(request),
    )
    return response


@router.get(
    "/reports/locked/{report_id}.{format}",
    summary="En låst rapport, byte for byte (PDF, XLSX) / "
    "A locked report, byte for byte (PDF, XLSX)",
)
async def download_locked(request: Request, report_id: uuid.UUID, format: str) -> Response:
    principal = await _principal(request, PLAN_VIEWERS)
    response: Response = await reports.get_locked(
        report_id, request.app.state.runtime, principal, _report_format(format)
    )
    return response


@router.post(
    "/reports/{period}/lock", response_class=HTMLResponse, summary="Lås (skjema) / Lock (form)"
)
async def submit_report_lock(request: Request, period: str) -> Response:

    async def save(form: Form, principal: Principal) -> Response:
        lang = _lang(request)
        body = _validated(
            reports.LockIn,
            {
                "reported_to": _one(form, "reported_to"),
                "reported_on": _one(form, "reported_on"),
                "title": _optional(form, "title"),
                "lang": lang,
            },
            lang,
        )
        try:
            locked = await reports.lock_report(
                period, body, request, request.app.state.runtime, request.app.state.indicators,
                principal,
            )  # fmt: skip
        except RuleViolation as exc:
            raise _refused(exc, lang, ("",)) from exc
        except InvalidInput as exc:
            raise _invalid(list(exc.extensions.get("errors") or []), lang) from exc
        report_id = json.loads(bytes(locked.body))["report_id"]
        return _back(request, "/dashboard/reports", period=period, locked=report_id)

    return await _post_form(request, "lock", save, partial(_reports_page, period=period))
