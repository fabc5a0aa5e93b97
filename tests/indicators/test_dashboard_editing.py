"""Editing the plan in the dashboard, end to end in headless Chromium (Playwright) against a
real uvicorn server on real PostgreSQL and NATS: a manager adds an indicator from the
catalogue, sets thresholds, creates a goal, sees the draft scorecard's colours change,
approves, and explains a deviation on the scorecard row; an analyst sees no edit
controls and a POST of theirs is refused; a POST without the form token is refused."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import httpx
from openpyxl import load_workbook
from pypdf import PdfReader

from services.indicators.app import create_app
from services.indicators.dashboard.pages import form_token
from shared.settings import Settings
from tests.indicators import cohort
from tests.indicators.feeder import EventFeeder
from tests.indicators.test_dashboard import CHROMIUM, GREEN, RED, chromium_page, serving
from tests.support import auth, running, token

PERSONS = 'tr[data-indicator="persons_settled"]'


async def test_a_manager_edits_and_approves_the_plan_and_an_analyst_only_reads(
    settings: Settings,
) -> None:
    assert await asyncio.to_thread(CHROMIUM.exists), "needs /usr/bin/chromium"
    feeding = create_app(settings, evaluation_interval=3600)
    async with running(feeding), EventFeeder(settings) as feeder:
        await cohort.build(feeder)  # 9 refugees settled in Drammen in 2016
        await feeder.wait_applied()

    manager_token = token(settings, ["manager"], "3301", sub="leder-kari")
    analyst_token = token(settings, ["analyst"], "3301", sub="analytiker-ola")
    manager_api = auth(settings, ["manager"], "3301")
    with serving(create_app(settings, evaluation_interval=3600)) as base:
        # Cookie-authenticated forms need the session's form token: without it, or with
        # another session's, nothing is stored.
        async with (
            httpx.AsyncClient(base_url=base, cookies={"veiviser_token": manager_token}) as raw,
            httpx.AsyncClient(base_url=base, cookies={"veiviser_token": analyst_token}) as other,
        ):
            goal_form = {
                "key": "kp-uten-token",
                "plan_level": "kommuneplan",
                "title_nb": "Uten token",
                "owner_unit": "Enhet",
                "from_year": "2016",
            }
            for extra in ({}, {"csrf_token": "feil"}, {"csrf_token": form_token(analyst_token)}):
                refused = await raw.post("/dashboard/plan/goals", data=goal_form | extra)
                assert refused.status_code == 403, refused.text
            # An analyst's own valid form token does not make them an editor.
            analyst_post = await other.post(
                "/dashboard/plan/goals", data=goal_form | {"csrf_token": form_token(analyst_token)}
            )
            assert analyst_post.status_code == 403, analyst_post.text
            nothing = (await raw.get("/indicators/plan", headers=manager_api)).json()
            assert nothing["current_version"] == 0

        async with chromium_page() as (browser, context, page):
            await _sign_in(page, base, manager_token)

            async def colour(selector: str) -> str:
                return str(
                    await page.locator(selector).first.evaluate(
                        "el => getComputedStyle(el).backgroundColor"
                    )
                )

            # The plan page: nothing approved yet.
            await page.goto(f"{base}/dashboard/plan")
            assert "ingen versjon er godkjent" in await page.inner_text("#version-line")

            # An indicator from the catalogue.
            await page.select_option("#catalogue", "persons_settled")
            await page.click("#save-indicator")
            await page.wait_for_selector("#thresholds-form")
            assert "/dashboard/plan/indicators/persons_settled" in page.url

            # Thresholds that contradict each other: refused in bokmål, nothing stored.
            await _thresholds(page, "2016", desired_from="5", not_approved_below="8")
            errors = await page.inner_text("#thresholds-errors")
            assert "Skjemaet ble ikke lagret" in errors
            assert "overlapper" in errors
            # Not a number: also in bokmål.
            await _thresholds(page, "2016", desired_from="åtte", not_approved_below="8")
            assert "må være et tall" in await page.inner_text("#thresholds-errors")
            # Desired from 8 people, not approved under 8.
            await _thresholds(page, "2016", desired_from="8", not_approved_below="8")
            await page.wait_for_selector("#saved")
            assert "≥ 8" in await page.inner_text('#plan-thresholds tr[data-year="2016"]')

            # A goal: first with its years the wrong way round (bokmål error, the typed
            # fields kept), then right.
            await page.goto(f"{base}/dashboard/plan")
            await page.fill("#goal-form input[name=key]", "kp-bosetting")
            await page.select_option("#goal-form select[name=plan_level]", "kommuneplan")
            await page.fill("#goal-form input[name=title_nb]", "Bosetting etter vedtak")
            await page.fill("#goal-form input[name=owner_unit]", "Flyktningtjenesten")
            await page.fill("#goal-form input[name=from_year]", "2016")
            await page.fill("#goal-form input[name=to_year]", "2015")
            await page.check('#goal-form input[value="persons_settled"]')
            await page.click("#save-goal")
            await page.wait_for_selector("#goal-errors")
            assert "kan ikke være før fra-året" in await page.inner_text("#goal-errors")
            assert await page.input_value("#goal-form input[name=title_nb]") == (
                "Bosetting etter vedtak"
            )
            await page.fill("#goal-form input[name=to_year]", "2016")
            await page.check('#goal-form input[value="persons_settled"]')
            await page.click("#save-goal")
            await page.wait_for_selector("#saved")
            row = page.locator('#plan-goals tr[data-goal="kp-bosetting"]')
            assert "Utkast" in await row.inner_text()

            # The scorecard in force shows nothing yet; the draft preview (marked) shows
            # the goal green: 9 settled, desired from 8.
            await page.goto(f"{base}/dashboard?period=2016")
            assert await page.locator("tr[data-goal]").count() == 0
            await page.click("#draft-toggle")
            await page.wait_for_selector("#draft-mark")
            assert await colour(f"{PERSONS} .light") == GREEN
            assert await colour('tr[data-goal="kp-bosetting"] .goal-light') == GREEN

            # Raise the bar to 10: the draft's colours change to red.
            await page.goto(f"{base}/dashboard/plan/indicators/persons_settled")
            await _thresholds(page, "2016", desired_from="10", not_approved_below="10")
            await page.wait_for_selector("#saved")
            await page.goto(f"{base}/dashboard?period=2016&draft=1")
            assert await colour(f"{PERSONS} .light") == RED
            assert await colour('tr[data-goal="kp-bosetting"] .goal-light') == RED

            # Approve from the plan page: the draft's changes, who made them, then in force.
            await page.goto(f"{base}/dashboard/plan")
            changes = await page.inner_text("#draft-changes")
            assert "4 endringer venter på godkjenning" in changes
            assert changes.count("leder-kari") == 4
            assert "Terskler satt" in changes and "Nytt mål" in changes
            await page.click("#approve")
            await page.wait_for_selector("#saved")
            assert "godkjent versjon 4 (leder-kari" in await page.inner_text("#version-line")
            await page.goto(f"{base}/dashboard?period=2016")
            assert await page.locator("#draft-mark").count() == 0
            assert await colour(f"{PERSONS} .light") == RED
            assert await colour('tr[data-goal="kp-bosetting"] .goal-light') == RED

            # The leader explains the deviation where they see it: on the scorecard row.
            await page.click(f"{PERSONS} details.comment-box summary")
            await page.fill(
                f"{PERSONS} form.comment-form textarea",
                "Kommunen bosatte 9 av 10 vedtatte; én familie kom i januar.",
            )
            await page.click(f"{PERSONS} form.comment-form button")
            await page.wait_for_selector(f"{PERSONS} p.comment")
            assert "9 av 10" in await page.inner_text(f"{PERSONS} p.comment")
            assert "/dashboard?period=2016" in page.url
            # … tied to indicator, period and level, and shown on the indicator page.
            async with httpx.AsyncClient(base_url=base) as api:
                said = (
                    await api.get(
                        "/indicators/definitions/persons_settled/comments",
                        headers=manager_api,
                    )
                ).json()["results"]
            assert [(c["period"], c["level"], c["author"]) for c in said] == [
                ("2016", "not_approved", "leder-kari")
            ]
            await page.click(f"{PERSONS} a.indicator-link")
            await page.wait_for_selector("#comment-form")
            assert "9 av 10" in await page.inner_text("#comments")

            # Lock the report as reported to the council, and download it as locked.
            await page.goto(f"{base}/dashboard/reports?period=2016")
            await page.fill("#lock-form input[name=reported_to]", "bystyret")
            await page.fill("#lock-form input[name=reported_on]", "2026-11-20")
            await page.click("#lock-report")
            await page.wait_for_selector("#locked-reports tr.saved")
            locked = page.locator("#locked-reports tr.saved")
            assert "bystyret" in await locked.inner_text()
            async with page.expect_download() as pdf_download:
                await locked.locator("a.locked-pdf").click()
            pdf = (await (await pdf_download.value).path()).read_bytes()
            text = " ".join(
                page_.extract_text() or "" for page_ in PdfReader(io.BytesIO(pdf)).pages
            )
            assert "Drammen" in text and "Bosetting etter vedtak" in text
            assert "9 av 10" in text, "the leader's comment is in the report"
            assert "bystyret" in text
            async with page.expect_download() as xlsx_download:
                await locked.locator("a.locked-xlsx").click()
            workbook = load_workbook(
                io.BytesIO((await (await xlsx_download.value).path()).read_bytes())
            )
            cells = [
                cell.value
                for sheet in workbook.worksheets
                for row in sheet.iter_rows()
                for cell in row
                if cell.value is not None
            ]
            assert "Bosetting etter vedtak" in " ".join(str(c) for c in cells)
            assert any(isinstance(c, str) and "9 av 10" in c for c in cells), (
                "the comment is in the spreadsheet"
            )
            assert 9 in cells, "the value, as a number"
            # Locking the same report twice is refused, shown in the form.
            await page.fill("#lock-form input[name=reported_to]", "bystyret")
            again = await _submit(page, "#lock-report")
            assert again == 409
            assert "låst" in (await page.inner_text("#lock-errors")).lower()

            # The plan's suppression threshold raised to 10 in the settings form: at
            # once, an agency looking at Drammen sees 9 people hidden; Drammen sees 9.
            await page.goto(f"{base}/dashboard/plan")
            await page.fill("#settings-form input[name=suppression_min_n]", "4")
            assert await _submit(page, "#save-settings") == 422
            assert "under minstegrensen 5" in await page.inner_text("#settings-errors")
            await page.fill("#settings-form input[name=suppression_min_n]", "10")
            await page.click("#save-settings")
            await page.wait_for_selector("#saved")
            national = await browser.new_context(locale="nb-NO")
            agency = await national.new_page()
            await _sign_in(agency, base, token(settings, ["agency"], "0301"))
            await agency.goto(f"{base}/dashboard?period=2016&municipality=3301")
            assert await agency.inner_text(f"{PERSONS} .value") == ":"
            assert await agency.get_attribute(f"{PERSONS}", "data-level") == "suppressed"
            # The goal's light (the worst of its indicators) would give it away too.
            goal_light = 'tr[data-goal="kp-bosetting"] .goal-light'
            assert await agency.get_attribute(goal_light, "data-level") == "suppressed"
            await national.close()
            await page.goto(f"{base}/dashboard?period=2016")
            assert await page.inner_text(f"{PERSONS} .value") == "9"
            assert await colour('tr[data-goal="kp-bosetting"] .goal-light') == RED

            # An analyst reads the same plan and scorecard, without edit controls.
            reader = await browser.new_context(locale="nb-NO")
            analyst = await reader.new_page()
            await _sign_in(analyst, base, analyst_token)
            await analyst.goto(f"{base}/dashboard/plan")
            await analyst.wait_for_selector("#read-only")
            assert await analyst.locator("form").count() == 0
            assert await analyst.locator("#approve").count() == 0
            assert await analyst.locator('#plan-goals tr[data-goal="kp-bosetting"]').count()
            await analyst.goto(f"{base}/dashboard?period=2016")
            assert await analyst.locator("details.comment-box").count() == 0
            assert await analyst.locator("#draft-toggle").count() == 0
            assert "9 av 10" in await analyst.inner_text(f"{PERSONS} p.comment")
            await analyst.goto(f"{base}/dashboard/indicators/persons_settled?period=2016")
            assert await analyst.locator("#comment-form").count() == 0
            await analyst.goto(f"{base}/dashboard/reports?period=2016")
            assert await analyst.locator("#lock-form").count() == 0
            assert await analyst.locator("#locked-reports a.locked-pdf").count() == 1
            refused = await analyst.goto(f"{base}/dashboard/plan/goals/kp-bosetting")
            assert refused is not None and refused.status == 403
            await reader.close()
            await context.close()


async def _submit(page: Any, button: str) -> int:
    """Click a form's submit button; the status of the page it posts to."""
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await page.click(button)
    status = (await posted.value).status
    await page.wait_for_load_state()
    return int(status)


async def _sign_in(page: Any, base: str, bearer: str) -> None:
    await page.goto(f"{base}/dashboard/login")
    await page.fill("textarea[name=token]", bearer)
    await page.click("#login")
    await page.wait_for_selector("table#scorecard")


async def _thresholds(page: Any, year: str, *, desired_from: str, not_approved_below: str) -> None:
    """Fill the thresholds form: desired from a value (inclusive), not approved below one."""
    form = "#thresholds-form"
    await page.fill(f"{form} input[name=from_year]", year)
    await page.fill(f"{form} input[name=desired_lower]", desired_from)
    await page.check(f"{form} input[name=desired_lower_inclusive]")
    await page.fill(f"{form} input[name=desired_upper]", "")
    await page.fill(f"{form} input[name=not_approved_lower]", "")
    await page.fill(f"{form} input[name=not_approved_upper]", not_approved_below)
    await page.uncheck(f"{form} input[name=not_approved_upper_inclusive]")
    await page.fill(f"{form} input[name=acceptable_lower]", "")
    await page.fill(f"{form} input[name=acceptable_upper]", "")
    await page.click("#save-thresholds")
    await page.wait_for_load_state()
