"""The dashboard: server-rendered HTML for managers and politicians.

Pages: the scorecard with traffic lights per goal (``/dashboard``), one indicator with
its time series and thresholds drawn, its comments and its drill-down
(``/dashboard/indicators/{key}``), and the survival curves (``/dashboard/survival``).
Every table has a CSV export. Bokmål by default, English with ``?lang=en``; print
styles hide navigation and keep the colours.

Signing in: browsers do not send bearer headers, so the dashboard takes the same token
from a cookie. ``/dashboard/login`` is a small form to paste a token (from ``veiviser
token --role manager --municipality 3301`` in development, or the identity provider);
it posts the token in the body, never in the address: addresses end up in browser
history, proxy logs and Referer headers. A ``?token=`` in an address is never accepted
(the page answers with the sign-in form, without the token). The form carries a CSRF
token (double submit: a random value in a cookie and in a hidden field, compared in
constant time), so another site cannot sign a browser in with its own token. The
session cookie is HttpOnly, SameSite=Strict, limited to ``/dashboard``, and ``Secure``
behind TLS: ``VEIVISER_DASHBOARD_SECURE_COOKIES`` is ``auto`` (Secure when the request
came over https — set uvicorn's ``--proxy-headers`` behind a TLS-terminating proxy),
``always`` or ``never``; outside development ``auto`` means ``always``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
from collections.abc import Callable, Sequence
from functools import partial
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import DictLoader, Environment, select_autoescape
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.indicators import application, queries
from services.indicators.api.common import scope
from services.indicators.api.survival import fitted_model, model_for
from services.indicators.dashboard.charts import series_svg, survival_svg
from services.indicators.dashboard.labels import (
    LANGUAGES,
    LEVEL_COLOURS,
    TEXTS,
    content_lang,
    label,
    with_unit,
)
from services.indicators.dashboard.templates import TEMPLATES
from services.indicators.domain import suppression
from services.indicators.domain.asof import AsOf, AsOfError, parse_as_of
from services.indicators.domain.periods import Period
from services.indicators.domain.scoring import GoalCard, IndicatorValue
from services.indicators.domain.survival import protect_curves
from services.indicators.exports import (
    MEMBER_HEADER,
    VALUE_HEADER,
    csv_response,
    member_rows,
    scorecard_rows,
    value_row,
)
from services.indicators.loader import load_plan
from shared.auth import Principal, TokenVerifier
from shared.csvio import HeaderStyle
from shared.events import utcnow
from shared.i18n import catalog, negotiate
from shared.problems import Forbidden, InvalidInput, Problem, Unauthorized
from shared.query_params import reads_query
from shared.rules import RuleViolation
from shared.settings import Settings

COOKIE = "veiviser_token"
CSRF_COOKIE = "veiviser_csrf"
CSRF_FIELD = "csrf_token"
SESSION_SECONDS = 12 * 3600


class DashboardSettings(BaseSettings):
    """How the dashboard's cookies are set (``VEIVISER_DASHBOARD_*``)."""

    model_config = SettingsConfigDict(env_prefix="VEIVISER_DASHBOARD_", extra="ignore")

    secure_cookies: Literal["auto", "always", "never"] = "auto"
    """``auto``: Secure when the request came over https (always outside development)."""

    def secure(self, request: Request, settings: Settings | None) -> bool:
        if self.secure_cookies != "auto":
            return self.secure_cookies == "always"
        if settings is not None and settings.env != "development":
            return True
        return request.url.scheme == "https"


READERS = frozenset({"manager", "analyst", "caseworker", "agency"})
DRILLDOWN_ROLES = frozenset({"manager", "analyst", "caseworker"})
EDITORS = frozenset({"manager"})
"""Who changes the plan, comments and approves (the issue: manager edits, analyst reads)."""


def form_token(session: str) -> str:
    """The session's CSRF token for forms: an HMAC of the session token, so it is useless
    with any other session and cannot be computed without the (HttpOnly) session cookie."""
    return hmac.new(session.encode(), b"veiviser-dashboard-form", hashlib.sha256).hexdigest()


def session_form_token(request: Request) -> str | None:
    session = request.cookies.get(COOKIE)
    return form_token(session) if session else None


def can_edit(principal: Principal) -> bool:
    return principal.has_any(EDITORS)


SERIES_YEARS = {"year": 5, "quarter": 3, "month": 2}
"""How many years an indicator page's series shows, by the indicator's granularity."""

DASHBOARD_QUERY = reads_query(
    *("lang", "token", "as_of", "period", "draft", "headers", "from_year", "to_year"),
    *("next", "refused", "saved", "locked", "format"),
)
"""What the pages read from ``request.query_params`` themselves (the kit refuses others)."""
router = APIRouter(prefix="/dashboard", tags=["dashboard"], dependencies=[DASHBOARD_QUERY])
environment = Environment(
    loader=DictLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


class LoginRequired(Exception):
    def __init__(self, target: str) -> None:
        self.target = target


class TokenInAddress(Exception):
    """``?token=`` was given: refused; the sign-in form, with the address without it."""

    def __init__(self, target: str) -> None:
        self.target = target


def _lang(request: Request) -> str:
    """``?lang=`` (nb, nn, en) if given, else what ``Accept-Language`` asks for; bokmål last.

    Remembered on the request, so the answer says ``Content-Language`` (and ``Vary``).
    """
    asked = request.query_params.get("lang")
    lang = asked if asked in LANGUAGES else negotiate(request.headers.get("accept-language"))
    request.state.locale = lang
    return lang


def _headers(request: Request) -> HeaderStyle:
    """``?headers=codes`` for CSV column codes; column names in the page's language otherwise."""
    return "codes" if request.query_params.get("headers") == "codes" else "labels"


def _without(request: Request, *names: str) -> str:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in names]
    return request.url.path + (f"?{urlencode(kept)}" if kept else "")


async def _principal(request: Request, roles: frozenset[str] = READERS) -> Principal:
    if "token" in request.query_params:
        raise TokenInAddress(_without(request, "token"))
    token = request.cookies.get(COOKIE)
    if not token:
        raise LoginRequired(_without(request))
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        principal = await verifier.verify(token)
    except Unauthorized as exc:
        raise LoginRequired(_without(request)) from exc
    if not principal.has_any(roles):
        raise Forbidden(f"This page needs one of the roles: {', '.join(sorted(roles))}.")
    return principal


def _as_of(request: Request) -> tuple[AsOf, str]:
    raw = request.query_params.get("as_of") or ""
    try:
        return parse_as_of(raw or None, utcnow()), raw
    except AsOfError as exc:
        raise InvalidInput(f"as_of: {exc}.", [{"field": "as_of", "message": str(exc)}]) from exc
    except RuleViolation as exc:
        raise InvalidInput(exc.message, [{"field": "as_of", "message": exc.message}]) from exc


def _url(lang: str, path: str, **params: Any) -> str:
    """A dashboard address: ``params`` without the empty ones, and the page's language
    unless it is bokmål (the default)."""
    query = {k: v for k, v in params.items() if v not in (None, "")}
    if lang != "nb":
        query["lang"] = lang
    return path + (f"?{urlencode(query)}" if query else "")


def _render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = _lang(request)

    def fmt(value: Any, unit: str, decimals: int = 1) -> str:
        return with_unit(value, unit, lang, decimals)

    other = [
        (k, _safe_next(v) if k == "next" else v)
        for k, v in request.query_params.multi_items()
        if k not in ("lang", "token")
    ]
    other.append(("lang", "nb" if lang == "en" else "en"))
    switch = request.url.path + (f"?{urlencode(other)}" if other else "")
    html = environment.get_template(template).render(
        lang=lang,
        data_lang=content_lang(lang),
        L=lambda key: label(key, lang),
        url=partial(_url, lang),
        fmt=fmt,
        colours=LEVEL_COLOURS,
        switch_lang=switch,
        **context,
    )
    return HTMLResponse(html, status_code=status)


def _default_period(request: Request, as_of: AsOf) -> str:
    return request.query_params.get("period") or str(as_of.known_on.year)


@router.get("", response_class=HTMLResponse, summary="Målekortet (HTML) / The scorecard (HTML)")
async def scorecard_page(
    request: Request,
    municipality: Annotated[str | None, Query(pattern=r"^\d{4}$")] = None,
) -> Response:
    principal = await _principal(request)
    as_of, raw = _as_of(request)
    period_text = _default_period(request, as_of)
    period = application.parse_period(period_text)
    where = scope(principal, municipality)
    runtime, state = request.app.state.runtime, request.app.state.indicators
    editing = can_edit(principal) and where == principal.municipality
    # A manager previews the draft (marked); everyone else sees the plan in force.
    draft = editing and request.query_params.get("draft") == "1"
    if draft:
        async with queries.consistent(runtime) as conn:
            known = await application.knowledge(conn, state.cache, where, as_of, draft=True)
        card = known.scorecard(queries.to_date(period, as_of))
    else:
        known, card = await queries.scorecard_for(runtime, state, where, period, as_of)
    min_n = known.plan.settings.suppression_min_n

    def hide(value: IndicatorValue) -> bool:
        # Another municipality's scorecard (agency) leaves that municipality: small
        # values hidden by its plan's threshold, as in the API.
        return where != principal.municipality and suppression.protect(value, min_n).suppressed

    versions = None
    comments: dict[tuple[str, str], list[dict[str, Any]]] = {}
    if where == principal.municipality:
        for comment in await queries.comments_for(runtime, where, as_of, None, None):
            comments.setdefault((comment["indicator_key"], comment["period"]), []).append(comment)
    if editing:
        async with runtime.db.snapshot() as conn:
            versions = await application.plan_status(conn, where)
    return _render(
        request,
        "scorecard.html",
        page_title=label("scorecard", _lang(request)),
        municipality=where,
        period=str(period),
        as_of_raw=raw,
        as_of_label=raw or label("now", _lang(request)),
        cards=card.goals,
        ungrouped=card.ungrouped,
        can_edit=editing,
        draft=draft,
        versions=versions,
        comments=comments,
        form_token=session_form_token(request),
        here=_without(request),
        hidden=hide,
        hidden_goals=_goals_giving_away(card.goals, hide),
    )


def _goals_giving_away(
    cards: Sequence[GoalCard], hide: Callable[[IndicatorValue], bool]
) -> set[str]:
    """Goals whose light would give a hidden value away: a goal's light is the worst of its
    own and its sub-goals' indicators, so it is hidden when any of those is."""
    found: set[str] = set()
    for i, card in enumerate(cards):
        depth = card.depth
        below = list(itertools.takewhile(lambda c: c.depth > depth, cards[i + 1 :]))  # noqa: B023
        if any(hide(v) for c in (card, *below) for v in c.values):
            found.add(card.goal.key)
    return found


@router.get(
    "/indicators/{key}",
    response_class=HTMLResponse,
    summary="Én indikator (HTML) / One indicator (HTML)",
)
async def indicator_page(request: Request, key: str) -> Response:
    principal = await _principal(request)
    as_of, raw = _as_of(request)
    runtime, state = request.app.state.runtime, request.app.state.indicators
    where = principal.municipality
    known = await queries.knowledge_for(runtime, state, where, as_of)
    definition = application.require_definition(known.plan, key)
    period_text = request.query_params.get("period")
    period = (
        application.parse_period(period_text)
        if period_text
        else Period.containing(as_of.known_on, definition.granularity)
    )
    _, value = await queries.value_for(runtime, state, where, key, period, as_of)
    years = SERIES_YEARS[definition.granularity]
    _, points = await queries.series_for(
        runtime, state, where, key, period.year - years + 1, period.year, as_of
    )
    comments = await queries.comments_for(runtime, where, as_of, key, None)
    return _render(
        request,
        "indicator.html",
        can_edit=can_edit(principal),
        form_token=session_form_token(request),
        here=_without(request),
        page_title=definition.title(content_lang(_lang(request))),
        municipality=where,
        d=definition,
        v=value,
        period=str(period),
        as_of_raw=raw,
        points=points,
        chart=series_svg(points, definition.title(content_lang(_lang(request)))),
        comments=comments,
    )


async def _drilldown(request: Request, key: str) -> tuple[Principal, str, Period, IndicatorValue]:
    """The value whose units a drill-down lists, with who asks and the as-of they gave."""
    principal = await _principal(request, DRILLDOWN_ROLES)
    as_of, raw = _as_of(request)
    period = application.parse_period(request.query_params.get("period") or "")
    _, value = await queries.value_for(
        request.app.state.runtime,
        request.app.state.indicators,
        principal.municipality,
        key,
        period,
        as_of,
    )
    return principal, raw, period, value


@router.get(
    "/indicators/{key}/drilldown",
    response_class=HTMLResponse,
    summary="Nedbryting (HTML) / Drill-down (HTML)",
)
async def drilldown_page(request: Request, key: str) -> Response:
    principal, raw, period, value = await _drilldown(request, key)
    members = value.result.members if value.result else ()
    groups = [
        ("in_numerator", [m for m in members if m.in_numerator]),
        ("denominator_only", [m for m in members if m.in_denominator and not m.in_numerator]),
        ("left_out", [m for m in members if not m.in_denominator and not m.in_numerator]),
    ]
    return _render(
        request,
        "drilldown.html",
        page_title=label("drilldown", _lang(request)),
        municipality=principal.municipality,
        d=value.definition,
        v=value,
        period=str(period),
        as_of_raw=raw,
        as_of_label=raw or label("now", _lang(request)),
        groups=[(name, items) for name, items in groups if items or name != "left_out"],
    )


def _years(request: Request, as_of: AsOf) -> tuple[int, int]:
    """The years ``from_year``–``to_year`` asked for: by default the five up to as-of."""
    try:
        to_year = int(request.query_params.get("to_year") or as_of.known_on.year)
        from_year = int(request.query_params.get("from_year") or to_year - 4)
    except ValueError as exc:
        raise InvalidInput(
            "from_year and to_year are years.", [{"field": "from_year", "message": str(exc)}]
        ) from exc
    return from_year, to_year


def _cohort_years(request: Request, as_of: AsOf) -> tuple[int, int]:
    from_year, to_year = _years(request, as_of)
    if not 1990 <= from_year <= to_year <= 2100:
        raise InvalidInput(
            "from_year must not exceed to_year (1990–2100).",
            [{"field": "from_year", "message": "out of range"}],
        )
    return from_year, to_year


@router.get(
    "/survival",
    response_class=HTMLResponse,
    summary="Overlevelseskurver (HTML) / Survival curves (HTML)",
)
async def survival_page(request: Request) -> Response:
    principal = await _principal(request)
    as_of, raw = _as_of(request)
    from_year, to_year = _cohort_years(request, as_of)
    runtime = request.app.state.runtime
    curves, _ = await queries.kaplan_meier_for(
        runtime, principal.municipality, from_year, to_year, as_of
    )
    model: dict[str, Any] | None = None
    model_error = None
    try:
        model = await fitted_model(runtime, request.app.state.indicators, from_year, to_year, as_of)
        model = await model_for(runtime, model, principal, as_of)
        # The table prints these two raw: a hidden row shows the symbol, not "None".
        model["municipalities"] = [
            {**m, "persons": suppression.SYMBOL, "observed_transitions": suppression.SYMBOL}
            if m["suppressed"]
            else m
            for m in model["municipalities"]
        ]
    except InvalidInput as exc:
        model_error = exc.detail
    return _render(
        request,
        "survival.html",
        page_title=label("survival", _lang(request)),
        municipality=principal.municipality,
        curves=curves,
        chart=survival_svg(curves, label("survival", _lang(request))),
        model=model,
        model_error=model_error,
        from_year=from_year,
        to_year=to_year,
        as_of_raw=raw,
        as_of_label=raw or label("now", _lang(request)),
    )


# -- CSV exports (same tables, same numbers) --------------------------------------------------


@router.get("/export/scorecard.csv", summary="Målekortet som CSV / The scorecard as CSV")
async def export_scorecard(request: Request) -> Response:
    principal = await _principal(request)
    as_of, _ = _as_of(request)
    period = application.parse_period(_default_period(request, as_of))
    known, card = await queries.scorecard_for(
        request.app.state.runtime,
        request.app.state.indicators,
        principal.municipality,
        period,
        as_of,
    )
    lang = _lang(request)
    header, rows = scorecard_rows(card, content_lang(lang), known.plan.settings.suppression_min_n)
    return csv_response(
        f"scorecard-{principal.municipality}-{period}.csv", header, rows, lang, _headers(request)
    )


@router.get(
    "/export/series/{key}.csv", summary="En indikators serie som CSV / An indicator's series as CSV"
)
async def export_series(request: Request, key: str) -> Response:
    principal = await _principal(request)
    as_of, _ = _as_of(request)
    first, last = _years(request, as_of)
    known, points = await queries.series_for(
        request.app.state.runtime,
        request.app.state.indicators,
        principal.municipality,
        key,
        first,
        last,
        as_of,
    )
    lang = _lang(request)
    return csv_response(
        f"{key}-series.csv",
        VALUE_HEADER,
        [value_row(p, content_lang(lang), known.plan.settings.suppression_min_n) for p in points],
        lang,
        _headers(request),
    )


@router.get("/export/drilldown/{key}.csv", summary="En nedbryting som CSV / A drill-down as CSV")
async def export_drilldown(request: Request, key: str) -> Response:
    principal, _, period, value = await _drilldown(request, key)
    members = value.result.members if value.result else ()
    reserved = await queries.research_reserved(request.app.state.runtime, principal.municipality)
    return csv_response(
        f"{key}-{period}-drilldown.csv",
        MEMBER_HEADER,
        member_rows(members, content_lang(_lang(request)), reserved),
        _lang(request),
        _headers(request),
    )


@router.get(
    "/export/survival.csv", summary="Kaplan–Meier-punktene som CSV / Kaplan–Meier points as CSV"
)
async def export_survival(request: Request) -> Response:
    principal = await _principal(request)
    as_of, _ = _as_of(request)
    from_year, to_year = _cohort_years(request, as_of)
    curves, _ = await queries.kaplan_meier_for(
        request.app.state.runtime, principal.municipality, from_year, to_year, as_of
    )
    # A CSV leaves the municipality: the plan's threshold, as the API's CSV.
    async with request.app.state.runtime.db.snapshot() as conn:
        plan = await load_plan(conn, principal.municipality, as_of.moment)
    curves = protect_curves(curves, plan.settings.suppression_min_n)
    return csv_response(
        f"kaplan-meier-{principal.municipality}.csv",
        [
            "cohort",
            "day",
            "share_in_work_or_education",
            "share_lower_95",
            "share_upper_95",
            "at_risk",
            "events",
            "censored",
        ],
        [[c["cohort"], *[suppression.SYMBOL] * 7] for c in curves if c["suppressed"]]
        + [
            [
                c["cohort"],
                p["day"],
                p["share_in_work_or_education"],
                None if p["survival_upper_95"] is None else round(1 - p["survival_upper_95"], 6),
                None if p["survival_lower_95"] is None else round(1 - p["survival_lower_95"], 6),
                p["at_risk"],
                p["events"],
                p["censored"],
            ]
            for c in curves
            for p in c["points"]
        ],
        _lang(request),
        _headers(request),
    )


# -- signing in -------------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/dashboard") and not target.startswith("//"):
        path, _, query = target.partition("?")
        kept = [(k, v) for k, values in parse_qs(query).items() for v in values if k != "token"]
        return path + (f"?{urlencode(kept)}" if kept else "")
    return "/dashboard"


def _cookie_settings(request: Request) -> bool:
    dashboard: DashboardSettings = request.app.state.dashboard_settings
    runtime = getattr(request.app.state, "runtime", None)
    return dashboard.secure(request, getattr(runtime, "settings", None))


def _login_page(
    request: Request, target: str, error: str | None = None, status: int = 200
) -> Response:
    """The sign-in form with a fresh CSRF token, in its cookie and in the form."""
    csrf = secrets.token_urlsafe(32)
    response = _render(
        request,
        "login.html",
        status=status,
        page_title=label("login", _lang(request)),
        municipality=None,
        next=target,
        error=error,
        csrf_token=csrf,
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        httponly=True,
        samesite="strict",
        secure=_cookie_settings(request),
        path="/dashboard/login",
        max_age=3600,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(
    "/login", response_class=HTMLResponse, summary="Logg inn med et token / Sign in with a token"
)
async def login_form(request: Request) -> Response:
    refused = request.query_params.get("refused") == "token_in_address"
    return _login_page(
        request,
        _safe_next(request.query_params.get("next")),
        label("token_in_address", _lang(request)) if refused else None,
    )


@router.post(
    "/login", response_class=HTMLResponse, summary="Logg inn med et token / Sign in with a token"
)
async def login(request: Request) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()
    target = _safe_next((form.get("next") or [""])[0])
    sent = (form.get(CSRF_FIELD) or [""])[0]
    expected = request.cookies.get(CSRF_COOKIE) or ""
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return _login_page(request, target, label("csrf_failed", _lang(request)), status=403)
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        await verifier.verify(token)
    except Unauthorized as exc:
        return _login_page(request, target, exc.detail, status=401)
    response = _with_cookie(
        RedirectResponse(target, status_code=303), token, _cookie_settings(request)
    )
    response.delete_cookie(CSRF_COOKIE, path="/dashboard/login")
    return response


@router.get("/logout", summary="Logg ut / Sign out")
async def logout() -> Response:
    response = RedirectResponse("/dashboard/login", status_code=303)
    response.delete_cookie(COOKIE, path="/dashboard")
    return response


def _with_cookie(response: Response, token: str, secure: bool) -> Response:
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/dashboard",
        max_age=SESSION_SECONDS,
    )
    return response


def install_dashboard(app: FastAPI) -> None:
    """Add the dashboard's routes and its HTML answers to sign-in and problems."""
    # Imported here: the editing routes build on this module's helpers.
    from services.indicators.dashboard.editing import router as editing

    app.include_router(router)
    app.include_router(editing)
    app.state.dashboard_settings = DashboardSettings()
    previous: Callable[..., Any] | None = app.exception_handlers.get(Problem)

    async def on_login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return RedirectResponse(
            f"/dashboard/login?{urlencode({'next': exc.target})}", status_code=303
        )

    async def on_token_in_address(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, TokenInAddress)
        # A redirect, so the token also leaves the browser's address bar and history entry.
        query = {"next": _safe_next(exc.target), "refused": "token_in_address"}
        if _lang(request) != "nb":
            query["lang"] = _lang(request)
        response = RedirectResponse(f"/dashboard/login?{urlencode(query)}", status_code=303)
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        if request.url.path.startswith("/dashboard") and not request.url.path.endswith(".csv"):
            lang = _lang(request)
            heading = label("forbidden" if exc.status == 403 else "error", lang)
            shown = exc.body(request.url.path, lang, catalog(*TEXTS))
            return _render(
                request,
                "problem.html",
                status=exc.status,
                page_title=heading,
                municipality=None,
                heading=heading,
                detail=shown["detail"],
                errors=shown.get("errors", []),
            )
        assert previous is not None
        response: Response = await previous(request, exc)
        return response

    app.add_exception_handler(LoginRequired, on_login_required)
    app.add_exception_handler(TokenInAddress, on_token_in_address)
    app.add_exception_handler(Problem, on_problem)
