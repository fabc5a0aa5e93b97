"""The person's own rights in the participants service: the history of personal details,
a household's members, and the access export's own part and partial answer."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx

from services.housing.app import create_app as housing_app
from services.indicators.app import create_app as indicators_app
from services.participants.app import create_app as participants_app
from shared.access import AccessClient
from shared.settings import Settings
from tests.participants.conftest import person
from tests.support import auth, running


async def _registered(client: httpx.AsyncClient, headers: dict[str, str], **extra: Any) -> str:
    answer = await client.post("/participants", headers=headers, json=person(**extra))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def _settle(
    client: httpx.AsyncClient, headers: dict[str, str], pid: str, household: str | None = None
) -> str:
    body: dict[str, Any] = {"settled_on": "2024-03-01", "arrival_category": "resettlement_refugee"}
    if household:
        body["household_id"] = household
    answer = await client.post(f"/participants/{pid}/settlement", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["household_id"])


async def test_the_history_of_personal_details_shows_every_recording_and_what_it_changed(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    caseworker = auth(settings, ["caseworker"])
    pid = await _registered(client, caseworker, phone="+47 900 00 001")
    for change in ({"family_name": "Tesfaye"}, {"phone": "+47 900 00 002"}):
        answer = await client.patch(
            f"/participants/{pid}/personal-details", headers=caseworker, json=change
        )
        assert answer.status_code == 200, answer.text

    answer = await client.get(f"/participants/{pid}/personal-details/history", headers=caseworker)
    assert answer.status_code == 200, answer.text
    history = answer.json()
    assert history["count"] == 3 and not history["erased"]
    first, renamed, new_phone = history["entries"]
    assert first["first"] and first["changed"] == []
    assert first["details"]["family_name"] == "Haile"
    assert first["details"]["phone"] == "+47 900 00 001"
    assert renamed["changed"] == ["family_name"] and renamed["changed_labels"] == ["Etternavn"]
    assert renamed["details"]["family_name"] == "Tesfaye"
    assert new_phone["changed"] == ["phone"] and new_phone["details"]["phone"] == "+47 900 00 002"
    assert first["version"] < renamed["version"] < new_phone["version"]

    english = await client.get(
        f"/participants/{pid}/personal-details/history",
        headers={**caseworker, "Accept-Language": "en"},
    )
    assert english.json()["entries"][1]["changed_labels"] == ["Family name"]

    officer = auth(settings, ["privacy_officer"])
    assert (
        await client.get(f"/participants/{pid}/personal-details/history", headers=officer)
    ).status_code == 200
    for roles in (["analyst"], ["job_coach"]):
        refused = await client.get(
            f"/participants/{pid}/personal-details/history", headers=auth(settings, roles)
        )
        assert refused.status_code == 403, refused.text
    elsewhere = await client.get(
        f"/participants/{pid}/personal-details/history",
        headers=auth(settings, ["caseworker"], "0301"),
    )
    assert elsewhere.status_code == 404
    malformed = await client.get("/participants/nope/personal-details/history", headers=officer)
    assert malformed.status_code == 422

    trail = (await client.get(f"/participants/{pid}/audit", headers=officer)).json()["results"]
    assert [r["action"] for r in trail].count("personal_details_history") == 3

    erased = await client.delete(f"/participants/{pid}/personal-data", headers=officer)
    assert erased.status_code in (200, 201), erased.text
    after = (
        await client.get(f"/participants/{pid}/personal-details/history", headers=caseworker)
    ).json()
    assert after["erased"] and after["count"] == 3
    assert all(entry["details"] is None for entry in after["entries"])


async def test_a_households_members_are_listed_with_names_only_for_roles_that_see_them(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    caseworker = auth(settings, ["caseworker"])
    mother = await _registered(client, caseworker)
    son = await _registered(client, caseworker, birth=date(2012, 2, 3), given_name="Yonas")
    household = await _settle(client, caseworker, mother)
    assert await _settle(client, caseworker, son, household) == household

    answer = await client.get(f"/households/{household}", headers=caseworker)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["members_counted"] == 2 and body["count"] == 2
    by_id = {m["participant_id"]: m for m in body["members"]}
    assert by_id[mother]["personal_data"] == {"given_name": "Amina", "family_name": "Haile"}
    assert by_id[son]["personal_data"]["given_name"] == "Yonas"
    assert by_id[son]["birth_year"] == 2012
    assert by_id[son]["status"] == "settled" and by_id[son]["status_label"] == "Bosatt"
    assert all(m["in_household"] for m in body["members"])

    via_person = await client.get(f"/participants/{son}/household", headers=caseworker)
    assert via_person.status_code == 200 and via_person.json() == body

    analyst = await client.get(f"/households/{household}", headers=auth(settings, ["analyst"]))
    assert analyst.status_code == 200
    assert all(m["personal_data"] is None for m in analyst.json()["members"])
    assert {m["participant_id"] for m in analyst.json()["members"]} == {mother, son}

    officer = auth(settings, ["privacy_officer"])
    reads = (await client.get(f"/participants/{son}/audit", headers=officer)).json()["results"]
    assert [r["action"] for r in reads].count("household_members") == 2

    refused = await client.get(f"/households/{household}", headers=auth(settings, ["job_coach"]))
    assert refused.status_code == 403
    for path in (f"/households/{uuid.uuid4()}", f"/households/{household}"):
        other = auth(settings, ["caseworker"], "0301") if path.endswith(household) else caseworker
        assert (await client.get(path, headers=other)).status_code == 404
    unsettled = await _registered(client, caseworker)
    assert (
        await client.get(f"/participants/{unsettled}/household", headers=caseworker)
    ).status_code == 404
    assert (await client.get("/households/42", headers=caseworker)).status_code == 422


async def test_the_export_opens_own_sealed_data_and_marks_a_missing_service(
    settings: Settings,
) -> None:
    caseworker = auth(settings, ["caseworker"])
    officer = auth(settings, ["privacy_officer"])
    app = participants_app(settings)
    housing = housing_app(settings)
    indicators = indicators_app(settings)
    async with (
        running(app) as client,
        running(housing),
        running(indicators),
    ):
        # Housing and indicators answer in-process; matching's URL leads nowhere.
        app.state.access_client = AccessClient(
            settings.model_copy(update={"matching_url": "http://127.0.0.1:9"}),
            "participants",
            transports={
                "housing": httpx.ASGITransport(app=housing),
                "indicators": httpx.ASGITransport(app=indicators),
            },
        )
        pid = await _registered(client, caseworker, phone="+47 911 11 111")
        await _settle(client, caseworker, pid)

        refused = await client.get(f"/participants/{pid}/access-export", headers=caseworker)
        assert refused.status_code == 403
        elsewhere = auth(settings, ["privacy_officer"], "0301")
        assert (
            await client.get(f"/participants/{pid}/access-export", headers=elsewhere)
        ).status_code == 404

        answer = await client.get(f"/participants/{pid}/access-export", headers=officer)
        assert answer.status_code == 200, answer.text
        export = answer.json()
        assert export["complete"] is False and export["missing"] == ["matching"]
        parts = {part["service"]: part for part in export["parts"]}
        assert list(parts) == ["participants", "housing", "matching", "indicators"]
        assert parts["matching"]["status"] == "missing"
        assert parts["matching"]["missing_reason"].startswith("unreachable")
        assert parts["housing"]["status"] == "included" and parts["housing"]["pseudonymous"]

        own = parts["participants"]
        assert own["pseudonymous"] is False
        assert any("integreringsloven § 41" in basis for basis in own["legal_basis"])
        data = own["data"]
        details = [e for e in data["events"] if e["type"].endswith("personal_details_recorded.v1")]
        assert details[0]["data"]["sealed"]["opened"] is True
        assert details[0]["data"]["sealed"]["content"]["phone"] == "+47 911 11 111"
        tables = {t["table"]: t["rows"] for t in data["read_models"]}
        assert "participant_keys" not in tables
        summary = tables["participant_summary"][0]
        assert summary["sealed_details"]["content"]["given_name"] == "Amina"
        assert [r["action"] for r in tables["audit_log"]] == ["access_export"]
        assert tables["households"][0]["members"] == 1
        assert any(s["field"] == "sealed" and s["opened"] >= 1 for s in data["sealed"])

        page = await client.get(
            f"/participants/{pid}/access-export.html",
            headers={**officer, "Accept-Language": "en"},
        )
        assert page.status_code == 200 and page.headers["content-language"] == "en"
        assert "WARNING: This export is incomplete" in page.text
        assert "+47 911 11 111" in page.text and "Amina" in page.text
        bokmal = await client.get(f"/participants/{pid}/access-export.html", headers=officer)
        assert "Innsyn: opplysninger lagret om deg" in bokmal.text
        assert "ADVARSEL" in bokmal.text
        assert "Dine rettigheter" in bokmal.text and "Datatilsynet" in bokmal.text

        # Once erased, the key is gone: the pseudonymous facts remain, nothing sealed opens.
        erased = await client.delete(f"/participants/{pid}/personal-data", headers=officer)
        assert erased.status_code in (200, 201), erased.text
        after = (await client.get(f"/participants/{pid}/access-export", headers=officer)).json()
        own_after = after["parts"][0]["data"]
        sealed_events = [e for e in own_after["events"] if "sealed" in e["data"]]
        assert sealed_events and all(
            e["data"]["sealed"] == {"sealed": True, "opened": False, "content": None}
            for e in sealed_events
        )
        assert all(item["opened"] == 0 for item in own_after["sealed"])
        assert "+47 911 11 111" not in str(after)
        assert "participants.participant.erased.v1" in {e["type"] for e in own_after["events"]}
