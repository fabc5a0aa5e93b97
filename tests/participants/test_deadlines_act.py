"""The Act's deadlines and the municipality's own on GET /deadlines."""

from __future__ import annotations

from datetime import date, timedelta

import httpx

from services.participants.domain.deadlines import add_months
from shared import dates
from tests.participants.conftest import person
from tests.participants.test_nir import Case, _settings
from tests.support import auth

TODAY = dates.today()


async def _settled(client: httpx.AsyncClient, headers: dict[str, str], on: date) -> Case:
    case = Case(client, headers)
    created = await client.post("/participants", headers=headers, json=person())
    assert created.status_code == 201, created.text
    case.pid = created.json()["id"]
    await case.ok(
        "POST",
        "/settlement",
        {"settled_on": on.isoformat(), "arrival_category": "resettlement_refugee"},
    )
    return case


def _of(lists: dict[str, object], pid: str) -> dict[str, dict[str, object]]:
    entries = lists["act_deadlines"]["deadlines"]  # type: ignore[index]
    return {d["deadline"]: d for d in entries if d["participant_id"] == pid}  # type: ignore[index]


async def test_the_acts_deadlines_run_from_settlement_and_close_when_met(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    late = await _settled(client, caseworker, TODAY - timedelta(days=120))
    fresh = await _settled(client, caseworker, TODAY - timedelta(days=10))

    lists = (await client.get("/deadlines", headers=caseworker)).json()
    overdue = _of(lists, late.pid)
    assert set(overdue) == {
        "programme_decision",
        "programme_start",
        "competence_mapping",
        "career_guidance",
        "integration_plan",
        "norwegian_training_right",
    }
    start = overdue["programme_start"]
    due = add_months(TODAY - timedelta(days=120), 3)
    assert start["due_on"] == due.isoformat()
    assert start["days_left"] == (due - TODAY).days < 0 and start["overdue"] is True
    assert start["label"] == "Oppstart i introduksjonsprogram"
    assert "§ 12" in start["source"]
    assert start["after"] == {
        "fact": "settled_on",
        "on": (TODAY - timedelta(days=120)).isoformat(),
        "label": "Bosetting",
    }
    right = overdue["norwegian_training_right"]
    assert right["due_on"] == add_months(TODAY - timedelta(days=120), 36).isoformat()
    soon = _of(lists, fresh.pid)["programme_decision"]
    assert soon["days_left"] > 0 and soon["overdue"] is False
    days = [d["days_left"] for d in lists["act_deadlines"]["deadlines"]]
    assert days == sorted(days)
    assert lists["act_deadlines"]["deadlines"][0]["personal_data"]["given_name"] == "Amina"

    # Meeting the facts closes the deadlines; the mapping's education shortens the right.
    await late.ok(
        "POST",
        "/competence-mapping",
        {
            "mapped_on": (TODAY - timedelta(days=5)).isoformat(),
            "education_level": "bachelor",
            "upper_secondary_completed": True,
        },
    )
    await late.ok(
        "POST",
        "/act/categories",
        {"category": "refugee", "valid_from": (TODAY - timedelta(days=120)).isoformat()},
    )
    await late.ok(
        "POST",
        "/programme",
        {"kind": "introduction", "starts_on": TODAY.isoformat(), "adviser": "adviser-2"},
    )
    after = _of((await client.get("/deadlines", headers=caseworker)).json(), late.pid)
    assert "competence_mapping" not in after and "programme_start" not in after
    assert "programme_decision" in after and "career_guidance" in after
    assert after["norwegian_training_right"]["due_on"] == (
        add_months(TODAY - timedelta(days=120), 18).isoformat()
    )

    own = await client.get(f"/participants/{late.pid}/deadlines", headers=caseworker)
    assert own.status_code == 200, own.text
    assert {d["deadline"] for d in own.json()["act_deadlines"]} == set(after)
    assert own.json()["act_deadlines"][0]["days_left"] == min(
        d["days_left"] for d in after.values()
    )
    assert {p["field"] for p in own.json()["nir_problems"]} == {
        "decision",
        "activities",
        "end_goal",
        "integration_contract",
    }
    foreign = await client.get(
        f"/participants/{late.pid}/deadlines",
        headers=auth(_settings(client), ["caseworker"], "4601"),
    )
    assert foreign.status_code == 404

    english = await client.get("/deadlines", headers={**caseworker, "Accept-Language": "en"})
    labels = {d["deadline"]: d["label"] for d in english.json()["act_deadlines"]["deadlines"]}
    assert labels["programme_decision"] == "Decision on the introduction programme"

    # An analyst sees the deadlines without names.
    analyst = auth(_settings(client), ["analyst"])
    plain = (await client.get("/deadlines", headers=analyst)).json()
    named = (await client.get("/deadlines", headers=caseworker)).json()
    assert plain["act_deadlines"]["count"] == named["act_deadlines"]["count"]
    assert named["act_deadlines"]["count"] == lists["act_deadlines"]["count"] - 2
    assert all("personal_data" not in d for d in plain["act_deadlines"]["deadlines"])


async def test_a_municipality_adds_retires_and_sees_its_own_deadlines(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    manager = auth(_settings(client), ["manager"])
    rule = {
        "code": "plan-within-30-days",
        "after": "programme_started",
        "met_by": "plan_revised",
        "days": 30,
        "label_nb": "Plan innen 30 dager etter programstart",
        "label_en": "Plan within 30 days of programme start",
    }
    forbidden = await client.post(
        "/deadlines/rules", headers=auth(_settings(client), ["analyst"]), json=rule
    )
    assert forbidden.status_code == 403
    created = await client.post("/deadlines/rules", headers=manager, json=rule)
    assert created.status_code == 201, created.text
    assert [r["code"] for r in created.json()["municipal"]] == ["plan-within-30-days"]
    again = await client.post("/deadlines/rules", headers=manager, json=rule)
    assert again.status_code == 409 and again.json()["code"] == "deadline-rule-exists"
    same = await client.post(
        "/deadlines/rules",
        headers=manager,
        json={**rule, "code": "x-same", "met_by": "programme_started"},
    )
    assert same.status_code == 422 and same.json()["code"] == "deadline-same-fact"
    unknown = await client.post(
        "/deadlines/rules", headers=manager, json={**rule, "code": "x-unknown", "after": "birthday"}
    )
    assert unknown.status_code == 422

    started = TODAY - timedelta(days=40)
    case = await _settled(client, caseworker, TODAY - timedelta(days=60))
    await case.ok(
        "POST",
        "/programme",
        {"kind": "introduction", "starts_on": started.isoformat(), "adviser": "adviser-3"},
    )
    other = await Case(client, caseworker).build()
    lists = (await client.get("/deadlines", headers=caseworker)).json()
    own = lists["municipal_deadlines"]["deadlines"]
    assert [(d["participant_id"], d["deadline"]) for d in own] == [
        (case.pid, "plan-within-30-days")
    ]
    assert own[0]["days_left"] == -10 and own[0]["overdue"] is True
    assert own[0]["label"] == "Plan innen 30 dager etter programstart"
    assert other.pid not in {d["participant_id"] for d in own}
    english = await client.get("/deadlines", headers={**caseworker, "Accept-Language": "en"})
    assert english.json()["municipal_deadlines"]["deadlines"][0]["label"] == rule["label_en"]

    served = (await client.get("/deadlines/rules", headers=caseworker)).json()
    assert {t["name"] for t in served["act"]} >= {"programme_start", "norwegian_training_right"}
    assert all(e["source"] for t in served["act"] for e in t["entries"])
    assert "plan_revised" in {f["code"] for f in served["facts"]}

    retired = await client.delete("/deadlines/rules/plan-within-30-days", headers=manager)
    assert retired.status_code == 200 and retired.json()["municipal"] == []
    gone = await client.delete("/deadlines/rules/plan-within-30-days", headers=manager)
    assert gone.status_code == 409 and gone.json()["code"] == "no-deadline-rule"
    assert (await client.get("/deadlines", headers=caseworker)).json()["municipal_deadlines"][
        "count"
    ] == 0
