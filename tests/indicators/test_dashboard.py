"""The dashboard end to end in headless Chromium (Playwright) against a real uvicorn server."""

from __future__ import annotations

import asyncio
import csv
import io
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn
from fastapi import FastAPI

from deploy.embedded import free_port
from services.indicators.app import create_app
from services.indicators.seed import seed_drammen
from shared.i18n import catalog
from shared.settings import Settings
from tests.indicators import cohort
from tests.indicators.feeder import EventFeeder
from tests.support import auth, running, token

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page


def column(code: str) -> str:
    """The bokmål name of a CSV column."""
    return catalog("shared", "services.indicators").text(f"csv.{code}", "nb")


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
GREEN, AMBER, RED, GREY = (
    "rgb(27, 127, 59)",
    "rgb(242, 183, 5)",
    "rgb(192, 57, 43)",
    "rgb(142, 142, 142)",
)


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app in a real uvicorn server on a free port, in a thread."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@asynccontextmanager
async def chromium_page() -> AsyncIterator[tuple[Browser, BrowserContext, Page]]:
    """Headless Chromium, a context of it in Norwegian that accepts downloads, and a page
    in that context; the browser is closed after."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(accept_downloads=True, locale="nb-NO")
            yield browser, context, await context.new_page()
        finally:
            await browser.close()


async def test_scorecard_indicator_drilldown_and_csv_in_a_browser(settings: Settings) -> None:
    assert await asyncio.to_thread(CHROMIUM.exists), (
        "needs /usr/bin/chromium: `make test` installs it (apt-get install chromium)"
    )
    feeding = create_app(settings, evaluation_interval=3600)
    manager = auth(settings, ["manager"], "3301")
    async with running(feeding) as client, EventFeeder(settings) as feeder:
        await seed_drammen(feeding.state.runtime, "3301")
        await cohort.build(feeder)
        await feeder.wait_applied()
        for key, value in (
            ("homeless", 70),  # 65–100: acceptable
            ("social_assistance_share_of_population", 3.2),  # < 3.5: desired
            ("long_term_social_assistance_with_dependants", 450),  # ≥ 450: not approved
            ("social_assistance_activity_conditions", 50.5),  # in the gap [50, 51)
        ):
            put = await client.put(
                f"/indicators/definitions/{key}/values/2016", json={"value": value}, headers=manager
            )
            assert put.status_code == 200, put.text
        comment = await client.post(
            "/indicators/definitions/exit_work_or_education/comments",
            json={
                "period": "2016",
                "text": "Få deltakere gikk til heltidsarbeid; tiltak: jobbspesialist.",
            },
            headers=manager,
        )
        assert comment.status_code == 201

    bearer = token(settings, ["manager"], "3301")
    with serving(create_app(settings, evaluation_interval=3600)) as base:
        # A Norwegian browser; the dashboard follows its Accept-Language.
        async with chromium_page() as (browser, context, page):
            # A token in the address is never taken: the sign-in form, without it.
            await page.goto(f"{base}/dashboard?period=2016&token={bearer}")
            assert "/dashboard/login" in page.url and "token=" not in page.url
            assert not [c for c in await context.cookies() if c["name"] == "veiviser_token"]
            # Signing in posts the token (with the form's CSRF token) in the body.
            await page.fill("textarea[name=token]", bearer)
            await page.click("#login")
            await page.wait_for_selector("table#scorecard")
            assert "token=" not in page.url
            assert await page.locator("h1").inner_text() == "Målkort 2016 · Kjent per i dag"
            session = next(c for c in await context.cookies() if c["name"] == "veiviser_token")
            assert session["httpOnly"] and session["sameSite"] == "Strict"

            async def colour(selector: str) -> str:
                return str(
                    await page.locator(selector).first.evaluate(
                        "el => getComputedStyle(el).backgroundColor"
                    )
                )

            light = 'tr[data-indicator="{}"] .light'
            assert await colour(light.format("homeless")) == AMBER
            assert await colour(light.format("social_assistance_share_of_population")) == GREEN
            assert await colour(light.format("long_term_social_assistance_with_dependants")) == RED
            assert await colour(light.format("exit_work_or_education")) == RED
            assert await colour(light.format("social_assistance_activity_conditions")) == GREY
            assert await colour('tr[data-goal="op-sosialhjelp"] .goal-light') == RED
            assert await colour('tr[data-goal="op-bolig"] .goal-light') == AMBER
            homeless_value = page.locator('tr[data-indicator="homeless"] .value')
            assert await homeless_value.inner_text() == "70"

            async with page.expect_download() as scorecard_download:
                await page.click("#scorecard-csv")
            scorecard_csv = (await (await scorecard_download.value).path()).read_text("utf-8-sig")
            # People download column names in bokmål (csv.<code> in the catalog).
            rows = list(csv.DictReader(io.StringIO(scorecard_csv), delimiter=";"))
            homeless = next(r for r in rows if r[column("indicator_key")] == "homeless")
            assert (
                homeless[column("value")],
                homeless[column("level")],
                homeless[column("goal_key")],
            ) == (
                "70,0",
                "acceptable",
                "op-bolig",
            )

            # Open an indicator: value, thresholds drawn in the chart, comments.
            await page.click('tr[data-indicator="exit_work_or_education"] a.indicator-link')
            await page.wait_for_selector("#series svg")
            assert "42,9 %" in await page.locator("#current .value").inner_text()
            assert await colour("#current-light") == RED
            assert await page.locator('#series rect.band[data-level="desired"]').count() >= 1
            point = page.locator('#series circle.point[data-period="2016"]')
            assert await point.get_attribute("data-level") == "not_approved"
            assert "jobbspesialist" in await page.locator("#comments").inner_text()
            assert await page.locator("#thresholds").inner_text() != ""

            # Drill down to the programmes behind the number.
            await page.click("#drilldown-link")
            await page.wait_for_selector("table#in_numerator")
            assert await page.locator("table#in_numerator tr[data-id]").count() == 3
            assert await page.locator("table#denominator_only tr[data-id]").count() == 4
            assert await page.locator("table#left_out tr[data-id]").count() == 2
            assert (
                "utfall moved_municipality holdes utenfor"
                in await page.locator("table#left_out").inner_text()
            )
            async with page.expect_download() as drill_download:
                await page.click("#drilldown-csv")
            download = await drill_download.value
            assert download.suggested_filename == "exit_work_or_education-2016-drilldown.csv"
            members = list(
                csv.DictReader(
                    io.StringIO((await download.path()).read_text("utf-8-sig")), delimiter=";"
                )
            )
            assert len(members) == 9
            assert sum(m[column("in_numerator")] == "True" for m in members) == 3
            assert {m[column("reason_code")] for m in members} >= {
                "outcome_counts",
                "outcome_excluded",
            }
            assert any(m[column("reason")].startswith("utfall") for m in members)

            # English on request; print styles hide the navigation.
            await page.click("#language")
            assert "lang=en" in page.url
            assert (await page.locator("h1").inner_text()).startswith("Who is behind the number")
            await page.emulate_media(media="print")
            assert not await page.locator("header").is_visible()
            await page.emulate_media(media="screen")

            await page.goto(f"{base}/dashboard/survival?from_year=2014&to_year=2016")
            assert await page.locator("#km svg polyline.curve").count() == 3
            # Each curve carries its 95 % confidence band (two bounds).
            assert await page.locator("#km svg polyline.ci").count() == 6

            # Without a cookie: the sign-in form, then back to where one was going.
            fresh = await browser.new_context(locale="nb-NO")
            login = await fresh.new_page()
            await login.goto(f"{base}/dashboard?period=2016&lang=en")
            assert "/dashboard/login" in login.url
            await login.fill("textarea[name=token]", bearer)
            await login.click("#login")
            await login.wait_for_selector("table#scorecard")
            assert (await login.locator("h1").inner_text()).startswith("Scorecard 2016")
            await fresh.close()
