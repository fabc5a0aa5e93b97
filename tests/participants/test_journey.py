"""A participant's whole journey over HTTP, and the rules that guard it."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx

from deploy.services import service_projections
from shared.db import Database
from shared.events import utcnow
from shared.replay import rebuild
from shared.settings import Settings
from tests.participants.conftest import event_types, person, registered_and_settled
from tests.support import auth, eventually, national_id, publish_foreign_event, stream_messages

SKILL = "http://data.europa.eu/esco/skill/0005c151-5b5a-4a66-8aac-60e734beb1ab"


async def _events(settings: Settings, pid: str) -> list[str]:
    """The participant's event types without the service's prefix."""
    return [name.split(".", 1)[1] for name in await event_types(settings, pid)]


async def test_whole_journey_from_registration_to_final_follow_up_status(
    client: httpx.AsyncClient, caseworker: dict[str, str], settings: Settings
) -> None:
    pid = await registered_and_settled(client, caseworker)
    first = (await client.get(f"/participants/{pid}", headers=caseworker)).json()
    household = first["household_id"]
    partner = await client.post("/participants", headers=caseworker, json=person(date(1993, 2, 1)))
    joined = await client.post(
        f"/participants/{partner.json()['id']}/settlement",
        headers=caseworker,
        json={
            "settled_on": "2024-06-01",
            "arrival_category": "family_reunification",
            "household_id": household,
        },
    )
    assert joined.json()["household_size"] == 2

    started = await client.post(
        f"/participants/{pid}/programme",
        headers=caseworker,
        json={"kind": "introduction", "starts_on": "2024-02-01", "adviser": "adviser-7"},
    )
    assert started.status_code == 201, started.text
    state = (await client.get(f"/participants/{pid}", headers=caseworker)).json()
    assert state["programme"]["planned_end"] == "2026-02-01"  # two years by default

    plan = {
        "valid_from": "2024-02-05",
        "end_goal": "work",
        "norwegian_goal": "B1",
        "goal_description": "Work as a health worker",
        "activities": [
            {
                "kind": "norwegian_training",
                "hours_per_week": 15,
                "provider": "Voksenopplæringen",
                "starts_on": "2024-02-05",
            },
            {
                "kind": "social_studies",
                "hours_per_week": 5,
                "starts_on": "2024-02-05",
                "ends_on": "2024-06-30",
            },
        ],
    }
    assert (
        await client.put(f"/participants/{pid}/plan", headers=caseworker, json=plan)
    ).status_code == 201
    plans = (await client.get(f"/participants/{pid}/plans", headers=caseworker)).json()
    assert plans["current"]["hours_per_week"] == 20
    assert plans["current"]["below_full_time"] is True
    assert plans["current"]["missing_hours"] == 17.5
    plan["activities"].append(
        {
            "kind": "language_practice",
            "hours_per_week": 17.5,
            "provider": "Drammen sykehjem",
            "starts_on": "2024-03-01",
        }
    )
    plan["valid_from"] = "2024-03-01"
    await client.put(f"/participants/{pid}/plan", headers=caseworker, json=plan)
    plans = (await client.get(f"/participants/{pid}/plans", headers=caseworker)).json()
    assert [r["revision"] for r in plans["revisions"]] == [1, 2]
    assert plans["current"]["full_time"] is True
    assert plans["current"]["goal_description"] == "Work as a health worker"
    assert plans["current"]["end_goal_label"] == "Arbeid"
    assert plans["current"]["activities"][-1]["kind_label"] == "Språkpraksis"

    follow = await client.post(
        f"/participants/{pid}/follow-ups",
        headers=caseworker,
        json={"held_on": "2024-03-04", "adviser": "adviser-7", "note": "Wants to be a nurse"},
    )
    assert follow.status_code == 201
    absence = await client.post(
        f"/participants/{pid}/absences",
        headers=caseworker,
        json={"on": "2024-03-05", "hours": 3, "valid_reason": False},
    )
    assert absence.status_code == 201
    for sub_test, level in (("oral", "A2"), ("oral", "B1"), ("written", "A2")):
        await client.post(
            f"/participants/{pid}/norwegian-tests",
            headers=caseworker,
            json={"sub_test": sub_test, "level": level, "taken_on": "2024-09-01"},
        )
    profile = {
        "education": [{"level": "upper_secondary", "country": "ER", "years": 12}],
        "work_experience": [
            {"isco_code": "5322", "years": 3, "description": "Cared for elderly at home"}
        ],
        "skills": [SKILL],
        "free_text_skills": ["Tigrinya interpreting"],
        "languages": [{"language": "ti", "level": "C1"}],
        "driving_licences": ["B"],
        "wishes": {"occupations": ["5321"], "hours_per_week": 37.5, "municipalities": ["3301"]},
        "constraints": "Back pain: no heavy lifting",
        "consent": {"work_experience": True, "skills": True, "norwegian": True},
    }
    recorded = await client.put(
        f"/participants/{pid}/competence-profile", headers=caseworker, json=profile
    )
    assert recorded.status_code == 201, recorded.text

    await client.post(
        f"/participants/{pid}/programme/interruption",
        headers=caseworker,
        json={"kind": "leave", "from_date": "2025-01-01"},
    )
    resumed = await client.post(
        f"/participants/{pid}/programme/resumption",
        headers=caseworker,
        json={"resumed_on": "2025-03-01"},
    )
    assert resumed.status_code == 201
    state = (await client.get(f"/participants/{pid}", headers=caseworker)).json()
    assert state["programme"]["planned_end"] == "2026-04-01"  # moved by the 59-day leave
    assert state["norwegian"] == {"oral": "B1", "written": "A2"}

    completed = await client.post(
        f"/participants/{pid}/programme/completion",
        headers=caseworker,
        json={
            "ended_on": "2025-06-30",
            "reason": "completed",
            "outcome": "work_full_time",
            "hours_per_week": 37.5,
        },
    )
    assert completed.status_code == 201, completed.text
    for preliminary in (True, False):
        status = await client.post(
            f"/participants/{pid}/follow-up-status",
            headers=caseworker,
            json={"status": "employed", "preliminary": preliminary},
        )
        assert status.status_code == 201
    state = (await client.get(f"/participants/{pid}", headers=caseworker)).json()
    assert state["status"] == "programme_ended"
    assert state["programme"]["outcome"] == "work_full_time"
    assert state["programme"]["follow_up_status"] == "employed"
    assert state["programme"]["follow_up_preliminary"] is False

    timeline = (await client.get(f"/participants/{pid}/timeline", headers=caseworker)).json()[
        "entries"
    ]
    # Bokmål by default; the codes the texts name stay codes beside them.
    texts = [entry["text"] for entry in timeline]
    assert "Registrert som deltaker" in texts
    assert any(t.startswith("Bosatt: Overføringsflyktning") for t in texts)
    assert any("under fulltid" in t for t in texts)
    assert "Status i november 2026: I arbeid (endelig)" in texts
    settled = next(e for e in timeline if e["type"].endswith("participant.settled.v1"))
    assert settled["codes"] == {"arrival_category": "resettlement_refugee"}
    assert settled["labels"] == {"arrival_category": "Overføringsflyktning"}
    notes = [e["details"]["note"] for e in timeline if e["type"].endswith("conversation_held.v2")]
    assert notes == ["Wants to be a nurse"]
    assert await _events(settings, pid) == [
        "participant.registered.v1",
        "participant.personal_details_recorded.v1",
        "participant.settled.v1",
        "programme.started.v2",
        "programme.adviser_assigned.v1",
        "plan.revised.v2",
        "plan.goal_described.v1",
        "plan.providers_recorded.v1",
        "plan.revised.v2",
        "plan.goal_described.v1",
        "plan.providers_recorded.v1",
        "follow_up.conversation_held.v2",
        "absence.recorded.v1",
        "norwegian_test.recorded.v1",
        "norwegian_test.recorded.v1",
        "norwegian_test.recorded.v1",
        "competence_profile.recorded.v1",
        "competence_profile.updated.v1",
        "programme.interrupted.v1",
        "programme.resumed.v1",
        "programme.completed.v1",
        "follow_up_status.recorded.v1",
        "follow_up_status.recorded.v1",
    ]

    async def published() -> list[dict[str, Any]]:
        messages = await stream_messages(settings, "participants")
        return messages if len(messages) >= 15 else []

    messages = await eventually(published)
    shared_profile = next(
        m for m in messages if m["type"].endswith("competence_profile.updated.v1")
    )["data"]
    assert shared_profile["occupations"] == [{"isco_code": "5322", "years": 3.0}]
    assert shared_profile["skills"] == [SKILL]
    assert shared_profile["norwegian"]["oral"] == "B1"
    assert shared_profile["education"] == [] and shared_profile["languages"] == []
    wire = str(messages)
    for secret in (
        "Amina",
        "Haile",
        "Tigrinya",
        "Back pain",
        "nurse",
        "health worker",
        "Cared for elderly",
    ):
        assert secret not in wire
    assert not any(
        m["type"].endswith(("personal_details_recorded.v1", "conversation_held.v1"))
        for m in messages
    )


async def test_d_number_changed_to_fodselsnummer_is_found_by_both(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    birth = date(1990, 12, 24)
    d_number = national_id(birth, d_number=True)
    fnr = national_id(birth)
    created = await client.post(
        "/participants", headers=caseworker, json=person(birth) | {"national_id": d_number}
    )
    pid = created.json()["id"]
    changed = await client.patch(
        f"/participants/{pid}/personal-details",
        headers=caseworker,
        json={"national_id": fnr, "family_name": "Haile-Berhe"},
    )
    assert changed.status_code == 200, changed.text
    for number in (d_number, fnr):
        found = (await client.get(f"/participants?national_id={number}", headers=caseworker)).json()
        assert [r["id"] for r in found["results"]] == [pid]
    view = (await client.get(f"/participants/{pid}", headers=caseworker)).json()
    assert view["personal_data"]["national_id"] == fnr
    assert view["personal_data"]["previous_national_ids"] == [d_number]
    assert view["personal_data"]["family_name"] == "Haile-Berhe"
    assert (await client.get("/participants?name=haile-b", headers=caseworker)).json()["count"] == 1
    other = await client.post("/participants", headers=caseworker, json=person(date(1985, 1, 1)))
    clash = await client.patch(
        f"/participants/{other.json()['id']}/personal-details",
        headers=caseworker,
        json={"national_id": d_number},
    )
    assert clash.status_code == 409
    assert clash.json()["existing_id"] == pid


async def test_one_national_id_registered_at_once_gives_one_participant(
    client: httpx.AsyncClient, caseworker: dict[str, str], settings: Settings
) -> None:
    """Registrations racing with one national id: the lookup's key decides, one wins."""
    body = person(date(1988, 3, 9))
    tries = await asyncio.gather(
        *(client.post("/participants", headers=caseworker, json=body) for _ in range(6))
    )
    assert sorted(r.status_code for r in tries) == [201, 409, 409, 409, 409, 409]
    [winner] = [r.json()["id"] for r in tries if r.status_code == 201]
    assert {r.json()["existing_id"] for r in tries if r.status_code == 409} == {winner}
    found = await client.get(f"/participants?national_id={body['national_id']}", headers=caseworker)
    assert [r["id"] for r in found.json()["results"]] == [winner]
    conn = await asyncpg.connect(settings.service_database_url("participants", driver="postgresql"))
    try:
        # The losers left no key, stream or lookup row behind.
        assert await conn.fetchval("SELECT count(*) FROM participant_keys") == 1
        assert await conn.fetchval("SELECT count(*) FROM streams") == 1
        assert await conn.fetchval("SELECT count(*) FROM person_lookup") == 1
    finally:
        await conn.close()


async def test_two_participants_changed_to_one_national_id_at_once(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    birth = date(1980, 2, 2)
    own = [national_id(birth, individual) for individual in (101, 102, 103)]
    wanted = national_id(birth, 104)
    ids = []
    for number in own:
        created = await client.post(
            "/participants", headers=caseworker, json=person(birth) | {"national_id": number}
        )
        ids.append(created.json()["id"])
    changes = await asyncio.gather(
        *(
            client.patch(
                f"/participants/{pid}/personal-details",
                headers=caseworker,
                json={"national_id": wanted},
            )
            for pid in ids
        )
    )
    assert sorted(r.status_code for r in changes) == [200, 409, 409]
    [holder] = [pid for pid, r in zip(ids, changes, strict=True) if r.status_code == 200]
    assert {r.json()["existing_id"] for r in changes if r.status_code == 409} == {holder}
    found = await client.get(f"/participants?national_id={wanted}", headers=caseworker)
    assert [r["id"] for r in found.json()["results"]] == [holder]
    # The number the holder had before still finds it; the others keep theirs.
    for pid, number in zip(ids, own, strict=True):
        again = await client.get(f"/participants?national_id={number}", headers=caseworker)
        assert [r["id"] for r in again.json()["results"]] == [pid]


async def test_impossible_transitions_are_409_and_append_nothing(
    client: httpx.AsyncClient, caseworker: dict[str, str], settings: Settings
) -> None:
    pid = await registered_and_settled(client, caseworker)
    before = await _events(settings, pid)
    never_started = await client.post(
        f"/participants/{pid}/programme/completion",
        headers=caseworker,
        json={"ended_on": "2024-06-30", "reason": "completed", "outcome": "other"},
    )
    assert never_started.status_code == 409
    assert never_started.json()["code"] == "no-programme"
    early_status = await client.post(
        f"/participants/{pid}/follow-up-status",
        headers=caseworker,
        json={"status": "employed", "preliminary": True},
    )
    assert early_status.status_code == 409
    settle_again = await client.post(
        f"/participants/{pid}/settlement",
        headers=caseworker,
        json={"settled_on": "2024-01-11", "arrival_category": "other"},
    )
    assert settle_again.status_code == 409
    assert await _events(settings, pid) == before

    start = {"kind": "introduction", "starts_on": "2024-02-01", "adviser": "adviser-7"}
    assert (
        await client.post(f"/participants/{pid}/programme", headers=caseworker, json=start)
    ).status_code == 201
    second = await client.post(
        f"/participants/{pid}/programme", headers=caseworker, json=start | {"kind": "qualification"}
    )
    assert second.status_code == 409
    assert second.json()["code"] == "programme-running"
    not_paused = await client.post(
        f"/participants/{pid}/programme/resumption",
        headers=caseworker,
        json={"resumed_on": "2024-03-01"},
    )
    assert not_paused.status_code == 409
    work_without_hours = await client.post(
        f"/participants/{pid}/programme/completion",
        headers=caseworker,
        json={"ended_on": "2024-06-30", "reason": "completed", "outcome": "work_full_time"},
    )
    assert work_without_hours.status_code == 422
    assert work_without_hours.json()["errors"][0]["field"] == "hours_per_week"
    part_time_too_long = await client.post(
        f"/participants/{pid}/programme/completion",
        headers=caseworker,
        json={
            "ended_on": "2024-06-30",
            "reason": "completed",
            "outcome": "work_part_time",
            "hours_per_week": 35,
        },
    )
    assert part_time_too_long.status_code == 422
    unknown_codes = await client.put(
        f"/participants/{pid}/competence-profile",
        headers=caseworker,
        json={
            "skills": ["http://data.europa.eu/esco/skill/not-a-skill"],
            "work_experience": [{"isco_code": "9999", "years": 1}],
        },
    )
    assert unknown_codes.status_code == 422
    messages = [e["message"] for e in unknown_codes.json()["errors"]]
    assert any("not-a-skill" in m for m in messages) and any("9999" in m for m in messages)
    assert len(await _events(settings, pid)) == len(before) + 2  # started, adviser (sealed)


async def test_deadline_lists_and_caseload(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    today = utcnow().date()
    ending = await registered_and_settled(client, caseworker)
    await client.post(
        f"/participants/{ending}/programme",
        headers=caseworker,
        json={
            "kind": "introduction",
            "starts_on": (today - timedelta(days=600)).isoformat(),
            "planned_end": (today + timedelta(days=30)).isoformat(),
            "adviser": "adviser-9",
        },
    )
    await client.post(
        f"/participants/{ending}/follow-ups",
        headers=caseworker,
        json={"held_on": (today - timedelta(days=2)).isoformat(), "adviser": "adviser-9"},
    )
    ended = await registered_and_settled(client, caseworker)
    await client.post(
        f"/participants/{ended}/programme",
        headers=caseworker,
        json={"kind": "introduction", "starts_on": "2024-02-01", "adviser": "adviser-9"},
    )
    await client.post(
        f"/participants/{ended}/programme/completion",
        headers=caseworker,
        json={"ended_on": "2025-01-31", "reason": "interrupted"},
    )
    lists = (await client.get("/deadlines", headers=caseworker)).json()
    assert [p["id"] for p in lists["programmes_ending"]["participants"]] == [ending]
    assert [p["id"] for p in lists["plans_below_full_time"]["participants"]] == [ending]
    assert lists["no_recent_follow_up"]["count"] == 0
    assert [p["id"] for p in lists["ended_without_outcome"]["participants"]] == [ended]
    assert lists["programmes_ending"]["participants"][0]["personal_data"]["given_name"] == "Amina"
    stale = (await client.get("/deadlines?follow_up_days=1", headers=caseworker)).json()
    assert [p["id"] for p in stale["no_recent_follow_up"]["participants"]] == [ending]

    registered = await client.put(
        f"/participants/{ended}/programme/outcome",
        headers=caseworker,
        json={"outcome": "nav_measure"},
    )
    assert registered.status_code == 201
    again = await client.put(
        f"/participants/{ended}/programme/outcome", headers=caseworker, json={"outcome": "other"}
    )
    assert again.status_code == 409
    assert (await client.get("/deadlines", headers=caseworker)).json()["ended_without_outcome"][
        "count"
    ] == 0

    caseload = (await client.get("/advisers/adviser-9/caseload", headers=caseworker)).json()
    assert [p["id"] for p in caseload["results"]] == [ending]
    analyst = (
        await client.get(
            "/advisers/adviser-9/caseload", headers=auth(_settings(client), ["analyst"])
        )
    ).json()
    assert "personal_data" not in analyst["results"][0]
    ending_soon = (
        await client.get("/participants?ending_within_days=60", headers=caseworker)
    ).json()
    assert [p["id"] for p in ending_soon["results"]] == [ending]


def _settings(client: httpx.AsyncClient) -> Settings:
    transport = client._transport
    app = transport.app  # type: ignore[attr-defined]
    settings: Settings = app.state.settings
    return settings


async def test_job_obtained_in_matching_reaches_the_timeline(
    client: httpx.AsyncClient, caseworker: dict[str, str], settings: Settings
) -> None:
    pid = await registered_and_settled(client, caseworker)
    await publish_foreign_event(
        settings,
        "matching",
        "matching.job.obtained.v1",
        {
            "participant_id": pid,
            "employer_id": "emp-1",
            "opening_id": "open-1",
            "match_id": "match-1",
            "starts_on": "2025-08-01",
            "hours_per_week": 37.5,
            "permanent": True,
        },
    )

    async def shown() -> list[str]:
        entries = (await client.get(f"/participants/{pid}/timeline", headers=caseworker)).json()[
            "entries"
        ]
        return [e["text"] for e in entries if e["type"].startswith("matching.")]

    assert await eventually(shown) == ["Fikk jobb (fast) hos arbeidsgiver emp-1, 37,5 t/uke"]


async def _timeline_rows(settings: Settings) -> list[tuple[object, ...]]:
    conn = await asyncpg.connect(settings.service_database_url("participants", driver="postgresql"))
    try:
        return [tuple(r) for r in await conn.fetch("SELECT * FROM matching_timeline ORDER BY 1")]
    finally:
        await conn.close()


async def test_matching_timeline_rebuilt_equals_the_incremental_one(
    client: httpx.AsyncClient, caseworker: dict[str, str], settings: Settings
) -> None:
    kept = await registered_and_settled(client, caseworker)
    erased = await registered_and_settled(client, caseworker)
    officer = auth(settings, ["privacy_officer"])
    gone = await client.delete(f"/participants/{erased}/personal-data", headers=officer)
    assert gone.status_code == 200, gone.text
    placement = {"participant_id": kept, "employer_id": "emp-2", "kind": "work_practice"}
    for type_name, data in [
        ("matching.practice_placement.started.v1", {**placement, "starts_on": "2025-03-01"}),
        ("matching.job.obtained.v1", {"participant_id": erased, "starts_on": "2025-04-01"}),
        ("matching.opening.published.v1", {"participant_id": kept, "starts_on": "2025-04-01"}),
        ("matching.practice_placement.ended.v1", {**placement, "ends_on": "2025-05-31"}),
    ]:
        await publish_foreign_event(settings, "matching", type_name, data)

    async def both_shown() -> list[tuple[object, ...]] | None:
        rows = await _timeline_rows(settings)
        return rows if len(rows) == 2 else None

    incremental = await eventually(both_shown)
    projections, store = service_projections("participants", settings)
    [timeline] = [p for p in projections if p.name == "matching_timeline"]
    db = Database.for_service(settings, "participants", pool_size=1)
    try:
        assert await rebuild(db, store, timeline) == 4
    finally:
        await db.dispose()
    assert await _timeline_rows(settings) == incremental
