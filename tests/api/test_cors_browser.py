"""CORS in a real browser: headless Chromium loads a page from one origin (a small static
HTTP server) that calls the participants service on another with ``fetch()``.

From the allowed origin the page registers a participant with a bearer token and reads
``Location``, ``Stream-Version``, ``ETag`` and ``X-Correlation-Id`` from the answers, and an
``If-None-Match`` read gets 304. From an origin not on the list the browser's preflight is
refused, so the request is never sent and the page sees a network error."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from deploy.embedded import free_port
from services.participants.app import create_app
from shared.settings import Settings
from tests.indicators.test_dashboard import CHROMIUM, CHROMIUM_ARGS, serving
from tests.support import auth, national_id, token

PAGE = b"""<!doctype html>
<html lang="nb"><head><meta charset="utf-8"><title>Front-end</title></head>
<body><p>Et kommunalt skjermbilde</p>
<script>
window.register = async (api, bearer, body) => {
  try {
    const created = await fetch(api + "/participants", {
      method: "POST",
      headers: {
        "Authorization": "Bearer " + bearer,
        "Content-Type": "application/json",
        "Idempotency-Key": crypto.randomUUID(),
        "X-Correlation-Id": "page-4711",
      },
      body: JSON.stringify(body),
    });
    const answer = {
      status: created.status,
      location: created.headers.get("Location"),
      version: created.headers.get("Stream-Version"),
      correlation: created.headers.get("X-Correlation-Id"),
      id: (await created.json()).id,
    };
    const read = await fetch(api + answer.location, {
      headers: {"Authorization": "Bearer " + bearer},
    });
    answer.read_status = read.status;
    answer.etag = read.headers.get("ETag");
    answer.read_correlation = read.headers.get("X-Correlation-Id");
    answer.language = read.headers.get("Content-Language");
    const again = await fetch(api + answer.location, {
      headers: {"Authorization": "Bearer " + bearer, "If-None-Match": answer.etag},
    });
    answer.again_status = again.status;
    return answer;
  } catch (error) {
    return {error: String(error)};
  }
};
</script></body></html>
"""


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@contextmanager
def static_site(port: int) -> Iterator[str]:
    """The page, served by a plain HTTP server on ``port`` in a thread."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _Page)
    thread = threading.Thread(target=server.serve_forever, name="static-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _person() -> dict[str, str]:
    born = date(1988, 8, 8)
    return {
        "given_name": "Leyla",
        "family_name": "Ahmadi",
        "birth_date": born.isoformat(),
        "national_id": national_id(born, d_number=True),
    }


async def test_a_page_on_an_allowed_origin_calls_the_api_and_another_origin_is_blocked(
    settings: Settings,
) -> None:
    assert await asyncio.to_thread(CHROMIUM.exists), "needs /usr/bin/chromium"
    from playwright.async_api import async_playwright

    allowed_port, other_port = free_port(), free_port()
    allowed_origin = f"http://127.0.0.1:{allowed_port}"
    configured = settings.model_copy(update={"cors_allowed_origins": [allowed_origin]})
    bearer = token(configured)
    with (
        serving(create_app(configured)) as api,
        static_site(allowed_port) as allowed,
        static_site(other_port) as other,
    ):
        async with httpx.AsyncClient(base_url=api) as client:
            # The same preflight the browser sends, by hand.
            preflight = await client.options(
                "/participants",
                headers={
                    "Origin": allowed_origin,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "authorization,content-type,"
                    "idempotency-key,x-correlation-id",
                },
            )
            assert preflight.status_code == 200, preflight.text
            refused = await client.options(
                "/participants",
                headers={"Origin": other, "Access-Control-Request-Method": "POST"},
            )
            assert refused.status_code == 403
            assert refused.json()["code"] == "cors-preflight-refused"
            before = await client.get("/participants", headers=auth(configured))
            assert before.status_code == 200

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
            try:
                page = await browser.new_page(locale="nb-NO")
                await page.goto(allowed)
                answer = await page.evaluate(
                    "([api, bearer, body]) => window.register(api, bearer, body)",
                    [api, bearer, _person()],
                )
                assert "error" not in answer, answer
                assert answer["status"] == 201
                assert answer["location"] == f"/participants/{answer['id']}"
                assert answer["version"] is not None and int(answer["version"]) >= 1
                assert answer["correlation"] == "page-4711"
                assert answer["read_status"] == 200
                assert answer["etag"] and answer["etag"].startswith('"')
                assert answer["read_correlation"]
                assert answer["language"] == "nb"
                assert answer["again_status"] == 304

                blocked_page = await browser.new_page(locale="nb-NO")
                await blocked_page.goto(other)
                blocked = await blocked_page.evaluate(
                    "([api, bearer, body]) => window.register(api, bearer, body)",
                    [api, bearer, _person()],
                )
                assert blocked == {"error": "TypeError: Failed to fetch"}, blocked
            finally:
                await browser.close()

        async with httpx.AsyncClient(base_url=api) as client:
            # The blocked page's POST never reached the service: one participant only.
            after = await client.get("/participants", headers=auth(configured))
            assert _count(after.json()) == _count(before.json()) + 1


def _count(listing: Any) -> int:
    items = listing.get("results", listing.get("participants", listing.get("items")))
    assert isinstance(items, list), listing
    return len(items)
