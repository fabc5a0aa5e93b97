"""Reports for the council over HTTP (real PostgreSQL and NATS): the Drammen plan and the
hand-built cohort (tests/indicators/cohort.py) as XLSX and print-ready HTML."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import load_workbook

from shared.settings import Settings
from tests.indicators import cohort
from tests.support import auth

COMMENT = "Få deltakere gikk til heltidsarbeid; tiltak: jobbspesialist."
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def test_report_as_xlsx_and_html_with_suppression_and_a_period_without_plan(
    settings: Settings,
) -> None:
    manager = auth(settings, ["manager"], "3301")
    analyst = auth(settings, ["analyst"], "3301")
    async with cohort.running_in_drammen(settings) as (client, _, _):
        await cohort.homeless_in_2016(client, manager)
        comment = await client.post(
            "/indicators/definitions/exit_work_or_education/comments",
            json={"period": "2016", "text": COMMENT},
            headers=manager,
        )
        assert comment.status_code == 201, comment.text

        # -- XLSX --
        got = await client.get(
            "/indicators/reports/2016", params={"format": "xlsx"}, headers=analyst
        )
        assert got.status_code == 200, got.text
        assert got.headers["content-type"] == XLSX
        book = load_workbook(io.BytesIO(got.content))
        sheet = book["Rapport"]
        assert sheet["A1"].value.startswith("Drammen")
        assert sheet["A3"].value == "Kjent per"
        assert isinstance(sheet["B3"].value, datetime)
        assert sheet["B3"].number_format == "dd.mm.yyyy hh:mm"
        assert sheet.freeze_panes == "C5"
        header = [c.value for c in sheet[4]]
        assert header[:9] == [
            "Mål", "Indikator", "Nøkkel", "Periode", "Målverdi (terskler)",
            "Verdi", "Enhet", "Nivå", "Antall personer (n)",
        ]  # fmt: skip
        assert sheet.column_dimensions["B"].width == 46
        assert "Kjent per" in sheet.oddFooter.left.text
        assert "Kjent per" in sheet.oddHeader.right.text
        rows = {r[2].value: r for r in sheet.iter_rows(min_row=5) if r[2].value}
        # Golden: 3 of 7 left for work or education, 42.9 %, not approved (> 55 desired).
        exit_we = rows["exit_work_or_education"]
        assert exit_we[5].value == 0.429 and exit_we[5].number_format == "0.0%"
        assert exit_we[7].value == "Ikke godkjent"
        assert exit_we[7].fill.fgColor.rgb == "FFC0392B"
        assert exit_we[8].value == 7 and exit_we[8].number_format == "0"
        assert "> 55" in exit_we[4].value
        assert exit_we[13].value == COMMENT
        # Golden: 9 persons settled in 2016, a count with integer format.
        settled = rows["persons_settled"]
        assert settled[5].value == 9 and settled[5].number_format == "0"
        # The report is public: 2 of 4 (oral A2) rests on fewer than 5 people → ":".
        follow = rows["norwegian_oral_a2"]
        assert follow[5].value == ":" and follow[8].value == ":"
        assert follow[7].value == "Prikket" and follow[10].value is None
        notes = [r[0].value for r in sheet.iter_rows(min_row=5) if r[0].value]
        assert any("færre enn 5 personer er prikket" in str(n) for n in notes)

        # -- HTML (English by Accept-Language) and bokmål by default --
        english = await client.get(
            "/indicators/reports/2016", headers={**manager, "Accept-Language": "en"}
        )
        assert english.status_code == 200, english.text
        assert english.headers["content-language"] == "en"
        assert "Known as of" in english.text and "Not approved" in english.text
        page = await client.get("/indicators/reports/2016?format=html", headers=manager)
        assert page.status_code == 200, page.text
        html = page.text
        assert 'class="cover"' in html and 'data-slot="coat-of-arms"' in html
        assert "<h1>Drammen</h1>" in html
        assert "Innhold" in html and 'href="#goal-op-sosialhjelp"' in html
        assert 'id="goal-op-sosialhjelp"' in html
        assert "counter(page)" in html and "size: A4" in html
        assert html.count("Kjent per") >= 3  # cover, page margin box, fixed footer
        row = html.split('data-indicator="exit_work_or_education"', 1)[1].split("</tr>", 1)[0]
        assert "42,9 %" in row and "Ikke godkjent" in row and COMMENT in row
        hidden = html.split('data-indicator="norwegian_oral_a2"', 1)[1]
        hidden = hidden.split("</tr>", 1)[0]
        assert "50,0" not in hidden and "Prikket" in hidden
        assert "færre enn 5 personer er prikket" in html

        # -- a period in which no goal of the plan is valid --
        refused = await client.get("/indicators/reports/1995", headers=manager)
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "report-without-plan"
        # -- bad input and roles --
        bad = await client.get("/indicators/reports/2016-T4", headers=manager)
        assert bad.status_code == 422, bad.text
        caseworker = auth(settings, ["caseworker"], "3301")
        assert (await client.get("/indicators/reports/2016", headers=caseworker)).status_code == 403
