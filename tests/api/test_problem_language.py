"""Problem details and labels in the request's language; the codes never change.

Bokmål without ``Accept-Language``, English with ``en``, nynorsk with ``nn``; every
translated answer says ``Content-Language`` and ``Vary: Accept-Language``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from services.participants.app import create_app
from shared.settings import Settings
from tests.support import auth, national_id, running

EN = {"Accept-Language": "en"}
NN = {"Accept-Language": "nn-NO, nb;q=0.5"}


def _person() -> dict[str, Any]:
    birth = date(1990, 3, 4)
    return {
        "given_name": "Hanna",
        "family_name": "Berhe",
        "birth_date": birth.isoformat(),
        "national_id": national_id(birth),
    }


async def _settled(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    created = await client.post("/participants", headers=headers, json=_person())
    assert created.status_code == 201, created.text
    pid = str(created.json()["id"])
    body = {"settled_on": "2024-01-10", "arrival_category": "asylum_reception"}
    settled = await client.post(f"/participants/{pid}/settlement", headers=headers, json=body)
    assert settled.status_code == 201, settled.text
    return pid


def _translated(response: httpx.Response, locale: str) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["content-language"] == locale
    assert "Accept-Language" in response.headers["vary"]
    body: dict[str, Any] = response.json()
    return body


async def test_a_409_is_in_bokmal_by_default_and_in_english_on_request(
    settings: Settings,
) -> None:
    headers = auth(settings, ["caseworker"])
    body = {"settled_on": "2024-02-01", "arrival_category": "asylum_reception"}
    async with running(create_app(settings)) as client:
        pid = await _settled(client, headers)
        url = f"/participants/{pid}/settlement"
        answers = {
            locale: await client.post(url, headers=headers | extra, json=body)
            for locale, extra in (("nb", {}), ("en", EN), ("nn", NN))
        }
    assert {a.status_code for a in answers.values()} == {409}
    nb, en, nn = (_translated(answers[k], k) for k in ("nb", "en", "nn"))
    assert nb["code"] == en["code"] == nn["code"] == "already-settled"
    assert nb["type"] == en["type"] == "https://veiviser.no/problems/already-settled"
    assert nb["title"] == "Allerede bosatt"
    assert nb["detail"].startswith("En person bosettes én gang.")
    assert nn["title"] == "Allereie busett"
    assert en["title"] == "Already settled"
    # English readers get the domain's own sentence; Norwegian ones keep it beside.
    assert en["detail"] == nb["detail_en"] == en["detail_en"]
    assert nb["facts"] == en["facts"]


async def test_a_422_names_the_field_in_bokmal_and_keeps_pydantics_english(
    settings: Settings,
) -> None:
    headers = auth(settings, ["caseworker"])
    bad = _person() | {"birth_date": "not-a-date"}
    future = _person() | {"birth_date": (date.today() + timedelta(days=3)).isoformat()}
    async with running(create_app(settings)) as client:
        nb = _translated(await client.post("/participants", headers=headers, json=bad), "nb")
        en = _translated(await client.post("/participants", headers=headers | EN, json=bad), "en")
        rule_nb = _translated(
            await client.post("/participants", headers=headers, json=future), "nb"
        )
        rule_en = _translated(
            await client.post("/participants", headers=headers | EN, json=future), "en"
        )
    assert nb["status"] == en["status"] == 422
    assert nb["code"] == en["code"] == "validation-error"
    assert nb["title"] == "Ugyldig inndata" and en["title"] == "Invalid input"
    assert nb["detail"] == "Ugyldig inndata i: birth_date."
    assert en["detail"] == "Invalid input in: birth_date."
    (field_nb,) = nb["errors"]
    (field_en,) = en["errors"]
    assert field_nb["field"] == field_en["field"] == "birth_date"
    assert field_nb["type"] == field_en["type"]
    assert field_nb["message"].startswith("Må være en dato")
    assert field_nb["message_en"] == field_en["message"]
    # A rule's 422: the same code in both languages, the field named in the bokmål text.
    assert rule_nb["code"] == rule_en["code"]
    assert rule_nb["title"] != rule_en["title"]
    assert "birth_date" in rule_nb["detail"]
    assert rule_nb["errors"][0]["field"] == "birth_date"


async def test_the_timeline_labels_its_codes_in_bokmal_nynorsk_and_english(
    settings: Settings,
) -> None:
    headers = auth(settings, ["caseworker"])
    async with running(create_app(settings)) as client:
        pid = await _settled(client, headers)
        url = f"/participants/{pid}/timeline"
        answers = {
            locale: await client.get(url, headers=headers | extra)
            for locale, extra in (("nb", {}), ("nn", NN), ("en", EN))
        }
        summary = await client.get(f"/participants/{pid}", headers=headers | NN)
    settled = {}
    for locale, answer in answers.items():
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-language"] == locale
        assert "Accept-Language" in answer.headers["vary"]
        entries = answer.json()["entries"]
        settled[locale] = next(e for e in entries if e["type"].endswith("participant.settled.v1"))
    assert {e["codes"]["arrival_category"] for e in settled.values()} == {"asylum_reception"}
    assert settled["nb"]["labels"]["arrival_category"] == "Fra asylmottak"
    assert settled["nn"]["labels"]["arrival_category"] == "Frå asylmottak"
    assert settled["en"]["labels"]["arrival_category"] == "From a reception centre"
    assert settled["nb"]["text"] == "Bosatt: Fra asylmottak, husstandsstørrelse 1"
    assert settled["nn"]["text"] == "Busett: Frå asylmottak, husstandsstorleik 1"
    assert settled["en"]["text"] == "Settled: From a reception centre, household size 1"
    view = summary.json()
    assert view["status"] == "settled" and view["status_label"] == "Busett"
    assert view["arrival_category_label"] == "Frå asylmottak"
