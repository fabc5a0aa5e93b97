"""The match workflow over HTTP: proposal to placement, job and outcome; conflicts; packages."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import nats

from services.matching.app import create_app
from shared.settings import Settings
from tests.matching.support import (
    MUNICIPALITY,
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
from tests.support import auth, eventually, running


async def _stream_message(settings: Settings, suffix: str) -> dict[str, Any] | None:
    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        message = await js.get_last_msg(
            settings.stream_name("matching"), f"{settings.subject_prefix('matching')}.{suffix}"
        )
        document: dict[str, Any] = json.loads(message.data or b"{}")
        return document
    except Exception:
        return None
    finally:
        await nc.close()


async def _offered(
    client: httpx.AsyncClient, headers: dict[str, str], participant: uuid.UUID, opening: str
) -> str:
    match = await propose(client, headers, participant, opening)
    for step, body in (
        ("interest", {}),
        ("interview", {"on": "2025-08-20"}),
        (
            "offer",
            {
                "on": "2025-08-25",
                "starts_on": "2025-09-01",
                "hours_per_week": 15,
                "permanent": False,
            },
        ),
    ):
        response = await client.post(f"/matches/{match}/{step}", headers=headers, json=body)
        assert response.status_code == 200, response.text
    return str(match)


async def test_from_proposal_to_placement_to_job_with_events_on_the_stream(
    settings: Settings,
) -> None:
    headers = coach(settings)
    cook, person = await cook_candidate(
        settings,
        norwegian={"oral": "A2", "written": "A1"},
        languages=[{"language": "ti", "level": "C1"}],
        education=[{"level": "upper_secondary", "country": "ER", "recognised": False}],
    )
    async with running(create_app(settings)) as client:
        employer = await register_employer(client, headers)
        opening = await publish_opening(
            client,
            headers,
            employer,
            occupation=cook,
            places=1,
            norwegian={"oral": "A2"},
        )
        await wait_for_candidates(client, headers, person)
        match = await _offered(client, headers, person, opening)

        package = await client.get(f"/matches/{match}/package", headers=headers)
        assert package.status_code == 200, package.text
        document = package.json()
        assert document["candidate"]["participant_id"] == str(person)
        assert document["employer"]["name"] == "Fjordhotellet AS"
        assert any(f["applies"] for f in document["financing"])
        assert document["follow_up_plan"]["mentor"]["needed"] is True
        html = await client.get(
            f"/matches/{match}/package", headers={**headers, "Accept": "text/html"}
        )
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        assert "Fjordhotellet AS" in html.text and "Det grunnleggende for arbeidslivet" in html.text
        assert '<html lang="nb">' in html.text
        assert document["opening"]["kind"] == "language_practice"
        assert document["opening"]["kind_label"] == "Språkpraksis"
        assert document["fit"]["band_label"] and all(p["label"] for p in document["fit"]["parts"])
        assert package.headers["content-language"] == "nb"
        english = await client.get(
            f"/matches/{match}/package",
            headers={**headers, "Accept": "text/html", "Accept-Language": "en"},
        )
        assert "Work-life basics" in english.text and english.headers["content-language"] == "en"
        assert {f["code"] for f in document["financing"]} == {
            f["code"]
            for f in (
                await client.get(
                    f"/matches/{match}/package", headers={**headers, "Accept-Language": "en"}
                )
            ).json()["financing"]
        }

        started = await client.post(f"/matches/{match}/start", headers=headers, json={})
        assert started.status_code == 200, started.text
        assert started.json()["status"] == "in_placement"
        status = (await client.get(f"/openings/{opening}", headers=headers)).json()
        assert status["status"] == "filled" and status["places_left"] == 0
        candidate = (await client.get(f"/candidates/{person}", headers=headers)).json()
        assert candidate["engagement"] == "in_placement"

        ended = await end_placement(client, headers, match)
        assert ended.status_code == 200, ended.text
        assert ended.json()["status"] == "employed"
        status = (await client.get(f"/openings/{opening}", headers=headers)).json()
        assert status["status"] == "open" and status["places_left"] == 1
        view = (await client.get(f"/matches/{match}", headers=headers)).json()
        assert [h["status"] for h in view["history"]] == [
            "proposed",
            "interested",
            "interview",
            "offered",
            "in_placement",
            "placement_ended",
            "employed",
        ]

        job = await eventually(lambda: _stream_message(settings, "job.obtained"))
        assert job["type"] == "no.veiviser.matching.job.obtained.v1"
        assert job["data"] == {
            "participant_id": str(person),
            "employer_id": employer,
            "opening_id": opening,
            "match_id": match,
            "starts_on": "2026-01-05",
            "hours_per_week": 37.5,
            "permanent": True,
        }
        placement_end = await eventually(
            lambda: _stream_message(settings, "practice_placement.ended")
        )
        assert placement_end["data"]["outcome"] == "turned_into_job"
        assert await _stream_message(settings, "practice_placement.started") is not None
        proposed = await _stream_message(settings, "match.proposed")
        assert proposed is not None and set(proposed["data"]) >= {
            "match_id",
            "participant_id",
            "opening_id",
            "employer_id",
            "score",
            "band",
        }
        assert await _stream_message(settings, "match.offer_made") is None  # internal


async def test_a_job_opening_publishes_job_obtained_when_started(settings: Settings) -> None:
    headers = coach(settings)
    cook, person = await cook_candidate(settings)
    async with running(create_app(settings)) as client:
        employer = await register_employer(client, headers)
        opening = await publish_opening(client, headers, employer, kind="job", occupation=cook)
        await wait_for_candidates(client, headers, person)
        match = await _offered(client, headers, person, opening)
        started = await client.post(f"/matches/{match}/start", headers=headers, json={})
        assert started.json()["status"] == "employed"
        job = await eventually(lambda: _stream_message(settings, "job.obtained"))
        assert job["data"]["permanent"] is False and job["data"]["hours_per_week"] == 15


async def test_conflicts_declined_filled_duplicate_stale_and_excluded(settings: Settings) -> None:
    headers = coach(settings)
    cook = esco_occupation()[0]
    participants = Participants(settings)
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for person in (first, second):
        await participants.profile(
            person, skills=list(cook.essential_skills), driving_licences=["B"]
        )
    await participants.profile(third, skills=list(cook.essential_skills))
    async with running(create_app(settings)) as client:
        employer = await register_employer(client, headers)
        opening = await publish_opening(
            client,
            headers,
            employer,
            occupation=cook,
            places=1,
            driving_licences=["B"],
        )
        await wait_for_candidates(client, headers, first, second, third)

        excluded = await proposal(client, headers, third, opening)
        assert excluded.status_code == 409
        assert "driving licence class B" in excluded.json()["detail_en"]

        declined = await _offered(client, headers, second, opening)
        no = await client.post(
            f"/matches/{declined}/decline", headers=headers, json={"declined_by": "participant"}
        )
        assert no.status_code == 200
        cannot = await client.post(f"/matches/{declined}/start", headers=headers, json={})
        assert cannot.status_code == 409
        assert "declined" in cannot.json()["detail_en"]
        assert cannot.headers["content-type"] == "application/problem+json"

        match = await _offered(client, headers, first, opening)
        again = await proposal(client, headers, first, opening)
        assert again.status_code == 409
        stale = await client.post(
            f"/matches/{match}/start", headers={**headers, "If-Match": '"1"'}, json={}
        )
        assert stale.status_code == 409 and stale.json()["current_version"] == 4
        assert (
            await client.post(f"/matches/{match}/start", headers=headers, json={})
        ).status_code == 200

        # The opening is filled: a new proposal and another start are refused.
        full = await proposal(client, headers, second, opening)
        assert full.status_code == 409 and "filled" in full.json()["detail_en"]
        changed = await client.put(
            f"/openings/{opening}",
            headers=headers,
            json={
                "esco_occupation": cook.uri,
                "places": 2,
                "hours_per_week": 15,
                "starts_on": "2025-09-01",
                "municipality_code": MUNICIPALITY,
                "title": "Kitchen",
                "driving_licences": ["B"],
            },
        )
        assert changed.status_code == 200, changed.text
        late = await _offered(client, headers, second, opening)
        shrink = await client.put(
            f"/openings/{opening}",
            headers=headers,
            json={
                "esco_occupation": cook.uri,
                "places": 1,
                "hours_per_week": 15,
                "starts_on": "2025-09-01",
                "municipality_code": MUNICIPALITY,
                "title": "Kitchen",
                "driving_licences": ["B"],
            },
        )
        assert shrink.status_code == 200
        filled = await client.post(f"/matches/{late}/start", headers=headers, json={})
        assert filled.status_code == 409 and "filled" in filled.json()["detail_en"]

        closed = await client.post(
            f"/openings/{opening}/closure", headers=headers, json={"reason": "filled"}
        )
        assert closed.status_code == 200
        twice = await client.post(
            f"/openings/{opening}/closure", headers=headers, json={"reason": "filled"}
        )
        assert twice.status_code == 409


async def test_concurrent_starts_for_the_last_place_exactly_one_wins(settings: Settings) -> None:
    headers = coach(settings)
    cook = esco_occupation()[0]
    participants = Participants(settings)
    people = [uuid.uuid4() for _ in range(4)]
    for person in people:
        await participants.profile(person, skills=list(cook.essential_skills))
    async with running(create_app(settings)) as client:
        employer = await register_employer(client, headers)
        opening = await publish_opening(client, headers, employer, occupation=cook, places=1)
        await wait_for_candidates(client, headers, *people)
        matches = [await _offered(client, headers, person, opening) for person in people]
        answers = await asyncio.gather(
            *(client.post(f"/matches/{m}/start", headers=headers, json={}) for m in matches)
        )
        codes = sorted(a.status_code for a in answers)
        assert codes == [200, 409, 409, 409], [a.text for a in answers]
        view = (await client.get(f"/openings/{opening}", headers=headers)).json()
        assert view["places_taken"] == 1 and view["status"] == "filled"
        started = (
            await client.get("/matches", headers=headers, params={"status": "in_placement"})
        ).json()["results"]
        assert len(started) == 1


async def test_bad_input_is_a_422_naming_each_unknown_code(settings: Settings) -> None:
    headers = coach(settings)
    async with running(create_app(settings)) as client:
        bad_orgnr = await client.post(
            "/employers",
            headers=headers,
            json={
                "organisation_number": "974760674",
                "name": "X",
                "industry": "care",
                "municipality_code": MUNICIPALITY,
                "mentor_capacity": 1,
            },
        )
        assert bad_orgnr.status_code == 422
        assert "organisation_number" in [e["field"] for e in bad_orgnr.json()["errors"]]

        employer = await register_employer(client, headers)
        duplicate = await client.post(
            "/employers",
            headers=headers,
            json={
                "organisation_number": "974760673",
                "name": "Same",
                "industry": "care",
                "municipality_code": MUNICIPALITY,
                "mentor_capacity": 1,
            },
        )
        assert duplicate.status_code == 409

        unknown_skill = "http://data.europa.eu/esco/skill/00000000-0000-0000-0000-000000000000"
        response = await client.post(
            "/openings",
            headers=headers,
            json={
                "employer_id": employer,
                "kind": "job",
                "title": "Nonsense",
                "isco_code": "9999",
                "essential_skills": [unknown_skill],
                "optional_skills": ["not-a-uri"],
                "driving_licences": ["Q"],
                "places": 1,
                "hours_per_week": 20,
                "starts_on": "2025-09-01",
                "municipality_code": MUNICIPALITY,
            },
        )
        assert response.status_code == 422, response.text
        problem = response.json()
        fields = {e["field"]: e["message"] for e in problem["errors"]}
        assert fields.keys() == {
            "isco_code",
            "essential_skills.0",
            "optional_skills.0",
            "driving_licences.0",
        }
        assert unknown_skill in fields["essential_skills.0"]
        assert "9999" in problem["detail_en"] and "not-a-uri" in problem["detail_en"]

        extra = await client.post(
            "/openings", headers=headers, json={"employer_id": employer, "salary": 1}
        )
        assert extra.status_code == 422
        assert "salary" in [e["field"] for e in extra.json()["errors"]]

        opening = await publish_opening(client, headers, employer)
        elsewhere = coach(settings, municipality="0301")
        assert (await client.get(f"/openings/{opening}", headers=elsewhere)).status_code == 404
        assert (await client.get(f"/employers/{employer}", headers=elsewhere)).status_code == 404
        assert (
            await client.get(f"/openings/{opening}/candidates", headers=elsewhere)
        ).status_code == 404
        caseworker = auth(settings, ["caseworker"])
        assert (await client.get("/openings", headers=caseworker)).status_code == 403
        assert (await client.get("/openings")).status_code == 401

        contract = (await client.get("/asyncapi.json")).json()
        assert "job_obtained_v1" in contract["channels"]
