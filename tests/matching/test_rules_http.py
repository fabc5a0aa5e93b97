"""Refusals over HTTP: stable codes, the fields and facts named, nothing written.

Mentor capacity in allocation and at a start, fields required only in some cases,
dates that are real and in order, and the same 404 for another municipality's id as
for an unknown one.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx

from services.matching.app import create_app
from shared.dates import today
from shared.settings import Settings
from tests.matching.support import (
    Participants,
    coach,
    cook_candidate,
    end_placement,
    esco_occupation,
    proposal,
    propose,
    publish_opening,
    register_employer,
    wait_for_candidates,
)
from tests.support import running


async def _offer(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    participant: uuid.UUID,
    opening: str,
    **offer: Any,
) -> str:
    match = await propose(client, headers, participant, opening)
    interest = await client.post(
        f"/matches/{match}/interest", headers=headers, json={"on": "2025-08-01"}
    )
    assert interest.status_code == 200, interest.text
    body = {"on": "2025-08-02", "starts_on": "2025-09-01", "hours_per_week": 15, **offer}
    offered = await client.post(f"/matches/{match}/offer", headers=headers, json=body)
    assert offered.status_code == 200, offered.text
    return match


async def _version(client: httpx.AsyncClient, headers: dict[str, str], match: str) -> int:
    return int((await client.get(f"/matches/{match}", headers=headers)).json()["version"])


async def test_mentor_capacity_binds_allocation_and_placement_starts(settings: Settings) -> None:
    headers = coach(settings)
    cook = esco_occupation()[0]
    participants = Participants(settings)
    people = [uuid.uuid4() for _ in range(3)]
    for person in people:
        await participants.profile(person, skills=list(cook.essential_skills))
    async with running(create_app(settings)) as client:
        employer = await register_employer(client, headers, mentor_capacity=1)
        first, second = [
            await publish_opening(client, headers, employer, occupation=cook, places=2)
            for _ in range(2)
        ]
        await wait_for_candidates(client, headers, *people)

        allocation = await client.post("/allocations", headers=headers, json={})
        assert allocation.status_code == 200, allocation.text
        result = allocation.json()
        assert len(result["assignments"]) == 1
        reasons = {r["reason"] for u in result["unplaced"] for r in u["reasons"]}
        assert "mentor_capacity" in reasons

        one = await _offer(client, headers, people[0], first)
        two = await _offer(client, headers, people[1], second)
        assert (
            await client.post(f"/matches/{one}/start", headers=headers, json={})
        ).status_code == 200
        before = await _version(client, headers, two)
        refused = await client.post(f"/matches/{two}/start", headers=headers, json={})
        assert refused.status_code == 409, refused.text
        problem = refused.json()
        assert problem["code"] == "mentor-capacity"
        assert problem["type"] == "https://veiviser.no/problems/mentor-capacity"
        assert problem["facts"] == {
            "employer_id": employer,
            "mentor_capacity": 1,
            "mentors_taken": 1,
        }
        assert problem["current_version"] == before
        assert await _version(client, headers, two) == before
        opening = (await client.get(f"/openings/{second}", headers=headers)).json()
        assert opening["places_taken"] == 0

        ended = await client.post(
            f"/matches/{one}/end",
            headers=headers,
            json={"ends_on": "2025-10-31", "outcome": "completed"},
        )
        assert ended.status_code == 200, ended.text
        assert (
            await client.post(f"/matches/{two}/start", headers=headers, json={})
        ).status_code == 200


async def test_fields_required_only_in_some_cases_are_422_missing_field(
    settings: Settings,
) -> None:
    headers = coach(settings)
    cook = esco_occupation()[0]
    participants = Participants(settings)
    worker, trainee = uuid.uuid4(), uuid.uuid4()
    for person in (worker, trainee):
        await participants.profile(person, skills=list(cook.essential_skills))
    async with running(create_app(settings)) as client:
        employer = await register_employer(client, headers)
        job = await publish_opening(client, headers, employer, kind="job", occupation=cook)
        practice = await publish_opening(client, headers, employer, occupation=cook)
        await wait_for_candidates(client, headers, worker, trainee)

        no_occupation = await client.post(
            "/openings",
            headers=headers,
            json={
                "employer_id": employer,
                "kind": "job",
                "title": "Something",
                "places": 1,
                "hours_per_week": 20,
                "starts_on": "2025-09-01",
                "municipality_code": "3301",
            },
        )
        assert no_occupation.status_code == 422 and no_occupation.json()["code"] == "missing-field"
        assert {e["field"] for e in no_occupation.json()["errors"]} == {
            "isco_code",
            "esco_occupation",
        }

        hired = await _offer(client, headers, worker, job)
        missing = await client.post(f"/matches/{hired}/start", headers=headers, json={})
        assert missing.status_code == 422, missing.text
        assert missing.json()["code"] == "missing-field"
        assert [e["field"] for e in missing.json()["errors"]] == ["permanent"]
        started = await client.post(
            f"/matches/{hired}/start", headers=headers, json={"permanent": False}
        )
        assert started.status_code == 200 and started.json()["status"] == "employed"

        placed = await _offer(client, headers, trainee, practice)
        assert (
            await client.post(f"/matches/{placed}/start", headers=headers, json={})
        ).status_code == 200
        no_job = await client.post(
            f"/matches/{placed}/end",
            headers=headers,
            json={"ends_on": "2025-12-19", "outcome": "turned_into_job"},
        )
        assert no_job.status_code == 422 and no_job.json()["code"] == "missing-field"
        assert [e["field"] for e in no_job.json()["errors"]] == ["job"]
        stray = await end_placement(client, headers, placed, "completed")
        assert stray.status_code == 422 and stray.json()["code"] == "job-terms-without-job"


async def test_dates_are_real_in_order_and_not_in_the_future(settings: Settings) -> None:
    headers = coach(settings)
    cook = esco_occupation()[0]
    participants = Participants(settings)
    person, late = uuid.uuid4(), uuid.uuid4()
    await participants.settled(person, date(2024, 3, 1))
    await participants.settled(late, date(2025, 10, 1))
    for who in (person, late):
        await participants.profile(who, skills=list(cook.essential_skills))
    tomorrow = (today() + timedelta(days=1)).isoformat()
    async with running(create_app(settings)) as client:
        employer = await register_employer(client, headers, mentor_capacity=5)
        opening = await publish_opening(client, headers, employer, occupation=cook, places=3)
        await wait_for_candidates(client, headers, person, late)

        year_9999 = await client.post(
            "/openings",
            headers=headers,
            json={
                "employer_id": employer,
                "kind": "job",
                "title": "Far ahead",
                "isco_code": "9412",
                "places": 1,
                "hours_per_week": 20,
                "starts_on": "9999-12-31",
                "municipality_code": "3301",
            },
        )
        assert year_9999.status_code == 422
        assert [e["field"] for e in year_9999.json()["errors"]] == ["starts_on"]

        proposed = await proposal(client, headers, person, opening)
        match = proposed.json()["id"]
        future = await client.post(
            f"/matches/{match}/interest", headers=headers, json={"on": tomorrow}
        )
        assert future.status_code == 422 and future.json()["code"] == "future-fact"
        assert future.json()["errors"][0]["field"] == "on"
        assert await _version(client, headers, match) == 1
        assert (
            await client.post(
                f"/matches/{match}/interest", headers=headers, json={"on": "2025-08-01"}
            )
        ).status_code == 200
        backwards = await client.post(
            f"/matches/{match}/offer",
            headers=headers,
            json={"on": "2025-08-02", "starts_on": "2025-08-01", "hours_per_week": 15},
        )
        assert backwards.status_code == 422 and backwards.json()["code"] == "date-order"
        assert {e["field"] for e in backwards.json()["errors"]} == {"starts_on", "on"}

        started = await _offer(client, headers, late, opening)
        before_settlement = await client.post(f"/matches/{started}/start", headers=headers, json={})
        assert before_settlement.status_code == 422, before_settlement.text
        assert before_settlement.json()["code"] == "date-order"
        assert before_settlement.json()["facts"]["settled_on"] == "2025-10-01"
        assert (
            await client.post(
                f"/matches/{started}/start", headers=headers, json={"starts_on": "2025-10-06"}
            )
        ).status_code == 200
        ended_early = await client.post(
            f"/matches/{started}/end",
            headers=headers,
            json={"ends_on": "2025-10-01", "outcome": "completed"},
        )
        assert ended_early.status_code == 422 and ended_early.json()["code"] == "date-order"
        ended_ahead = await client.post(
            f"/matches/{started}/end",
            headers=headers,
            json={"ends_on": tomorrow, "outcome": "completed"},
        )
        assert ended_ahead.status_code == 422 and ended_ahead.json()["code"] == "future-fact"

        closing = await client.post(
            f"/openings/{opening}/closure",
            headers=headers,
            json={"reason": "filled", "closed_on": tomorrow},
        )
        assert closing.status_code == 422 and closing.json()["code"] == "future-fact"


async def test_another_municipalitys_id_answers_like_an_unknown_one(settings: Settings) -> None:
    headers = coach(settings)
    elsewhere = coach(settings, municipality="0301")
    cook, person = await cook_candidate(settings)
    async with running(create_app(settings)) as client:
        employer = await register_employer(client, headers)
        opening = await publish_opening(client, headers, employer, occupation=cook)
        await wait_for_candidates(client, headers, person)
        match = await _offer(client, headers, person, opening)
        unknown = str(uuid.uuid4())
        commands: list[tuple[str, str, dict[str, Any]]] = [
            ("post", "/matches/{id}/interest", {}),
            ("post", "/matches/{id}/interview", {"on": "2025-08-20"}),
            (
                "post",
                "/matches/{id}/offer",
                {"starts_on": "2025-09-01", "hours_per_week": 10},
            ),
            ("post", "/matches/{id}/decline", {"declined_by": "employer"}),
            ("post", "/matches/{id}/start", {}),
            ("post", "/matches/{id}/end", {"ends_on": "2025-10-01", "outcome": "completed"}),
            ("post", "/openings/{opening}/closure", {"reason": "filled"}),
        ]
        for method, path, body in commands:
            answers = []
            for target in (match, unknown):
                url = path.format(id=target, opening=opening if target == match else unknown)
                for key in (None, f"k-{uuid.uuid4()}"):
                    extra = {"Idempotency-Key": key} if key else {}
                    response = await client.request(
                        method, url, headers={**elsewhere, **extra}, json=body
                    )
                    problem = response.json()
                    answers.append(
                        (
                            response.status_code,
                            problem["code"],
                            problem["detail"].replace(target, "<id>").replace(opening, "<id>"),
                        )
                    )
            assert len(set(answers)) == 1, (path, answers)
            assert answers[0][0] == 404
        # A key the caller used before, for another request, changes nothing: 404 first.
        used = {"Idempotency-Key": "used-before"}
        own = await client.post(
            "/employers",
            headers={**elsewhere, **used},
            json={
                "organisation_number": "974760673",
                "name": "Oslo AS",
                "industry": "care",
                "municipality_code": "0301",
                "mentor_capacity": 1,
            },
        )
        assert own.status_code == 201, own.text
        for target in (match, unknown):
            response = await client.post(
                f"/matches/{target}/interest", headers={**elsewhere, **used}, json={}
            )
            assert response.status_code == 404, response.text
        view = (await client.get(f"/matches/{match}", headers=headers)).json()
        assert view["status"] == "offered" and view["version"] == 3
