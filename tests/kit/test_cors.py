"""CORS from the settings, for every service (the kit's ``Cors`` middleware): preflights of
an allowed origin pass, anything else is refused with problem details and no CORS headers;
answers to an allowed origin expose the headers a front-end reads."""

from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError

from shared.settings import Settings
from tests.kit.minimal_service import create_app as kit_app
from tests.support import auth, running

APP = "https://saksbehandling.drammen.kommune.no"
OTHER = "https://evil.example"


def _cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


def _preflight(origin: str, method: str = "POST", headers: str = "") -> dict[str, str]:
    asked = {"Origin": origin, "Access-Control-Request-Method": method}
    return asked | ({"Access-Control-Request-Headers": headers} if headers else {})


def _allowing(settings: Settings, *origins: str) -> Settings:
    return settings.model_copy(update={"cors_allowed_origins": list(origins)})


async def test_an_allowed_origins_preflight_gets_the_methods_and_headers(
    settings: Settings,
) -> None:
    async with running(kit_app(_allowing(settings, APP))) as client:
        answer = await client.options(
            "/notes",
            headers=_preflight(
                APP,
                headers="authorization, content-type, idempotency-key, if-match, x-correlation-id",
            ),
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["access-control-allow-origin"] == APP
        methods = answer.headers["access-control-allow-methods"].split(", ")
        assert {"GET", "POST", "PUT", "PATCH", "DELETE"} <= set(methods)
        allowed = answer.headers["access-control-allow-headers"].lower().split(", ")
        assert {"authorization", "idempotency-key", "if-match", "if-none-match"} <= set(allowed)
        assert answer.headers["access-control-max-age"] == "600"
        assert "access-control-allow-credentials" not in answer.headers
        assert "Origin" in answer.headers["vary"]


async def test_a_preflight_from_another_origin_is_refused_with_no_cors_headers(
    settings: Settings,
) -> None:
    async with running(kit_app(_allowing(settings, APP))) as client:
        refused = await client.options("/notes", headers=_preflight(OTHER, headers="authorization"))
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        body = refused.json()
        assert body["code"] == "cors-preflight-refused"
        assert body["refused"] == ["origin"]
        assert body["title"] == "Forespørsel fra annet opphav er ikke tillatt"
        assert _cors_headers(refused) == {}

        # An allowed origin asking for a header or method not on the list is refused too.
        header = await client.options("/notes", headers=_preflight(APP, headers="x-secret"))
        assert header.status_code == 403 and header.json()["refused"] == ["headers"]
        assert _cors_headers(header) == {}
        method = await client.options(
            "/notes", headers=_preflight(APP, "TRACE") | {"Accept-Language": "en"}
        )
        assert method.status_code == 403 and method.json()["refused"] == ["method"]
        assert method.json()["title"] == "Cross-origin request not allowed"


async def test_no_origin_is_allowed_by_default(settings: Settings) -> None:
    assert Settings().cors_allowed_origins == []
    async with running(kit_app(settings)) as client:
        # Before: 405 (no route takes OPTIONS). Now: refused as a preflight.
        refused = await client.options("/whoami", headers=_preflight(APP, "GET"))
        assert refused.status_code == 403
        assert refused.json()["code"] == "cors-preflight-refused"
        plain = await client.get("/whoami", headers=auth(settings) | {"Origin": APP})
        assert plain.status_code == 200
        assert _cors_headers(plain) == {}


async def test_answers_to_an_allowed_origin_expose_what_a_front_end_reads(
    settings: Settings,
) -> None:
    async with running(kit_app(_allowing(settings, APP))) as client:
        created = await client.post(
            "/notes",
            json={"text": "hei"},
            headers=auth(settings) | {"Origin": APP, "Idempotency-Key": "k-1"},
        )
        assert created.status_code == 201, created.text
        assert created.headers["access-control-allow-origin"] == APP
        exposed = set(created.headers["access-control-expose-headers"].split(", "))
        assert {
            "Location",
            "ETag",
            "Idempotency-Key",
            "Idempotent-Replayed",
            "X-Correlation-Id",
            "Content-Language",
            "Deprecation",
            "Sunset",
            "Stream-Version",
        } <= exposed
        assert "Origin" in created.headers["vary"]

        # Errors too: a page must be able to read the problem details of a 401 or a 413.
        unauthorised = await client.get("/whoami", headers={"Origin": APP})
        assert unauthorised.status_code == 401
        assert unauthorised.headers["access-control-allow-origin"] == APP
        too_large = await client.post(
            "/upload", content=b"x" * (settings.max_request_bytes + 1), headers={"Origin": APP}
        )
        assert too_large.status_code == 413
        assert too_large.headers["access-control-allow-origin"] == APP


async def test_answers_to_another_origin_carry_no_cors_headers(settings: Settings) -> None:
    async with running(kit_app(_allowing(settings, APP))) as client:
        answer = await client.get("/whoami", headers=auth(settings) | {"Origin": OTHER})
        assert answer.status_code == 200
        assert _cors_headers(answer) == {}
        assert "Origin" in answer.headers["vary"]


def test_origins_are_read_as_a_comma_separated_or_json_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VEIVISER_CORS_ALLOWED_ORIGINS", f"{APP}/, http://localhost:5173")
    assert Settings().cors_allowed_origins == [APP, "http://localhost:5173"]
    monkeypatch.setenv("VEIVISER_CORS_ALLOWED_ORIGINS", f'["{APP}"]')
    monkeypatch.setenv("VEIVISER_CORS_ALLOWED_HEADERS", "Authorization,Content-Type")
    settings = Settings()
    assert settings.cors_allowed_origins == [APP]
    assert settings.cors_allowed_headers == ["Authorization", "Content-Type"]
    for wrong in ("drammen.kommune.no", "ftp://x.no", f"{APP}/path"):
        monkeypatch.setenv("VEIVISER_CORS_ALLOWED_ORIGINS", wrong)
        with pytest.raises(ValidationError, match="CORS origin"):
            Settings()


async def test_a_500_still_lets_an_allowed_page_read_its_correlation_id(
    settings: Settings,
) -> None:
    app = kit_app(_allowing(settings, APP))
    async with app.router.lifespan_context(app):
        # The 500 of an unhandled error leaves from outside every middleware.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            failed = await client.post(
                "/boom/runtime",
                json={"value": "x"},
                headers={"Origin": APP, "X-Correlation-Id": "cors-500"},
            )
            assert failed.status_code == 500
            assert failed.headers["access-control-allow-origin"] == APP
            assert "X-Correlation-Id" in failed.headers["access-control-expose-headers"]
            assert failed.headers["x-correlation-id"] == "cors-500"
            other = await client.post(
                "/boom/runtime", json={"value": "x"}, headers={"Origin": OTHER}
            )
            assert other.status_code == 500 and _cors_headers(other) == {}
