"""The participation certificate (deltakerbevis): printable, Norwegian, no free text."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tests.participants.conftest import person
from tests.participants.test_nir import ENDED, STARTS, Case, _settings
from tests.support import auth


async def test_the_certificate_names_period_elements_hours_and_level_without_free_text(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    case = await Case(client, caseworker).build()
    await case.ok(
        "POST",
        "/norwegian-tests",
        {"sub_test": "oral", "level": "B1", "taken_on": (STARTS + timedelta(days=90)).isoformat()},
    )
    await case.ok(
        "POST",
        "/absences",
        {
            "on": (STARTS + timedelta(days=7)).isoformat(),
            "hours": 3,
            "valid_reason": True,
            "note": "Hos legen med barnet",
        },
    )
    await case.ok(
        "POST",
        "/follow-ups",
        {
            "held_on": (STARTS + timedelta(days=8)).isoformat(),
            "adviser": "adviser-1",
            "note": "Snakket om helse",
        },
    )
    await case.ok(
        "POST",
        "/programme/completion",
        {"ended_on": ENDED.isoformat(), "reason": "interrupted", "end_reason": "illness"},
    )

    answer = await case.send("GET", "/certificate")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    html = answer.text
    assert '<html lang="nb">' in html and "<h1>Deltakerbevis</h1>" in html
    assert "Amina Haile" in html and "14.06.1991" in html
    assert f"{STARTS:%d.%m.%Y} – {ENDED:%d.%m.%Y}" in html
    assert "Avbrutt" in html and "Sykdom" in html and "Sluttmål" in html
    assert "Opplæring i norsk" in html and "Språkpraksis" in html
    weeks = ((ENDED - STARTS).days + 1) / 7
    total = round(15 * weeks, 1) + round(22.5 * weeks, 1)
    assert f"{round(total, 1):g}".replace(".", ",") in html
    assert "Muntlig" in html and "B1" in html
    assert "@media print" in html
    for free_text in (
        "Hemmelig",
        "Voksenopplæringen",
        "adviser-1",
        "Hos legen",
        "Snakket",
        "Kontraktens",
    ):
        assert free_text not in html

    path = f"/participants/{case.pid}/certificate"
    english = await client.get(path, headers={**caseworker, "Accept-Language": "en"})
    assert "Participation certificate" in english.text and "Illness" in english.text
    nynorsk = await client.get(path, headers={**caseworker, "Accept-Language": "nn"})
    assert "Deltakarbevis" in nynorsk.text

    analyst = await client.get(
        f"/participants/{case.pid}/certificate", headers=auth(_settings(client), ["analyst"])
    )
    assert analyst.status_code == 403
    audit = await client.get(
        f"/participants/{case.pid}/audit", headers=auth(_settings(client), ["privacy_officer"])
    )
    assert "certificate" in {read["action"] for read in audit.json()["results"]}


async def test_no_certificate_before_the_programme_has_started(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    created = await client.post("/participants", headers=caseworker, json=person())
    pid = created.json()["id"]
    missing = await client.get(f"/participants/{pid}/certificate", headers=caseworker)
    assert missing.status_code == 404
