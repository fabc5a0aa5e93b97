"""Dashboard sign-in: no token in addresses, a CSRF-protected form, cookies set safely."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.requests import Request

from services.indicators.app import create_app
from services.indicators.dashboard.pages import COOKIE, CSRF_COOKIE, DashboardSettings
from services.indicators.seed import seed_drammen
from shared.settings import Settings
from tests.support import running, token


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    """Set-Cookie headers by cookie name (the whole header, attributes included)."""
    found = {}
    for header in response.headers.get_list("set-cookie"):
        found[header.split("=", 1)[0]] = header
    return found


def _csrf_field(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the sign-in form carries a CSRF token"
    return match[1]


async def _form(client: httpx.AsyncClient) -> tuple[str, str]:
    """The sign-in form's CSRF field and the CSRF cookie set with it."""
    form = await client.get("/dashboard/login?next=/dashboard%3Fperiod%3D2016")
    assert form.status_code == 200
    cookie = _set_cookies(form)[CSRF_COOKIE]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert form.headers["cache-control"] == "no-store"
    return _csrf_field(form.text), cookie.split(";", 1)[0].split("=", 1)[1]


async def test_a_token_in_the_address_is_never_accepted(settings: Settings) -> None:
    bearer = token(settings, ["manager"], "3301")
    app = create_app(settings, evaluation_interval=3600)
    async with running(app) as client:
        answer = await client.get(f"/dashboard?period=2016&token={bearer}")
        assert answer.status_code == 303
        assert COOKIE not in _set_cookies(answer), "no session from an address"
        assert bearer not in answer.headers["location"]
        form = await client.get(answer.headers["location"])
        assert bearer not in form.text
        assert 'value="/dashboard?period=2016"' in form.text, "back to the page, minus token"
        assert (
            "does not belong in the address"
            in (await client.get(answer.headers["location"] + "&lang=en")).text
        )
        # Even a signed-in browser does not get a page for an address with a token in it.
        client.cookies.set(COOKIE, bearer, path="/dashboard")
        again = await client.get(f"/dashboard?period=2016&token={bearer}")
        assert again.status_code == 303
        assert again.headers["location"].startswith("/dashboard/login")
        # The sign-in form never carries a token forward in its ``next``.
        form = await client.get(f"/dashboard/login?next=/dashboard%3Ftoken%3D{bearer}")
        assert bearer not in form.text


async def test_the_sign_in_form_needs_its_csrf_token(settings: Settings) -> None:
    bearer = token(settings, ["manager"], "3301")
    app = create_app(settings, evaluation_interval=3600)
    async with running(app) as client:
        field, cookie = await _form(client)
        assert field == cookie
        body = {"token": bearer, "next": "/dashboard?period=2016"}
        for sent, jar in ((None, cookie), ("forged", cookie), (field, None)):
            client.cookies.clear()
            if jar is not None:
                client.cookies.set(CSRF_COOKIE, jar, path="/dashboard/login")
            data = body | ({"csrf_token": sent} if sent is not None else {})
            refused = await client.post("/dashboard/login", data=data)
            assert refused.status_code == 403, (sent, jar)
            assert COOKIE not in _set_cookies(refused)
        client.cookies.clear()
        client.cookies.set(CSRF_COOKIE, cookie, path="/dashboard/login")
        signed_in = await client.post("/dashboard/login", data=body | {"csrf_token": field})
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/dashboard?period=2016"
        session = _set_cookies(signed_in)[COOKIE]
        assert "HttpOnly" in session and "SameSite=strict" in session
        assert "Path=/dashboard" in session
        assert "Secure" not in session, "plain http in development: auto leaves Secure off"
        assert bearer not in signed_in.headers["location"]


@pytest.mark.parametrize(
    ("setting", "base", "secure"),
    [
        ("auto", "http://test", False),
        ("auto", "https://test", True),
        ("always", "http://test", True),
        ("never", "https://test", False),
    ],
)
async def test_cookies_are_secure_behind_tls(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, setting: str, base: str, secure: bool
) -> None:
    monkeypatch.setenv("VEIVISER_DASHBOARD_SECURE_COOKIES", setting)
    app = create_app(settings, evaluation_interval=3600)
    assert app.state.dashboard_settings.secure_cookies == setting
    async with running(app) as client:
        client.base_url = httpx.URL(base)
        field, cookie = await _form(client)
        client.cookies.set(CSRF_COOKIE, cookie, path="/dashboard/login")
        signed_in = await client.post(
            "/dashboard/login",
            data={"token": token(settings, ["manager"], "3301"), "csrf_token": field},
        )
        assert signed_in.status_code == 303
        assert ("Secure" in _set_cookies(signed_in)[COOKIE]) is secure


def test_outside_development_auto_means_secure(settings: Settings) -> None:
    production = settings.model_copy(update={"env": "production"})
    scope = {
        "type": "http",
        "scheme": "http",
        "path": "/dashboard",
        "headers": [],
        "query_string": b"",
    }
    assert DashboardSettings().secure(Request(scope), production) is True
    assert DashboardSettings().secure(Request(scope), settings) is False
    assert DashboardSettings(secure_cookies="never").secure(Request(scope), production) is False


async def test_dashboard_years_outside_the_window_are_a_4xx(settings: Settings) -> None:
    app = create_app(settings, evaluation_interval=3600)
    async with running(app) as client:
        await seed_drammen(app.state.runtime, "3301")
        client.cookies.set(COOKIE, token(settings, ["manager"], "3301"), path="/dashboard")
        for path in (
            "/dashboard/export/series/persons_settled.csv?from_year=9999&to_year=9999",
            "/dashboard/export/series/persons_settled.csv?from_year=1&to_year=2",
            "/dashboard/survival?from_year=9999&to_year=9999",
            "/dashboard?period=2016&as_of=9999-12-31",
        ):
            answer = await client.get(path)
            assert 400 <= answer.status_code < 500, (path, answer.status_code, answer.text)
