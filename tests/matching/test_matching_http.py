"""Matching over HTTP with candidates arriving as the participants service's events."""

from __future__ import annotations

import uuid
from datetime import date

from services.matching.app import create_app
from shared.settings import Settings
from tests.matching.support import (
    Participants,
    coach,
    esco_occupation,
    publish_opening,
    register_employer,
    wait_for_candidates,
)
from tests.support import running


async def test_candidate_with_an_occupations_essential_skills_ranks_its_opening_first(
    settings: Settings,
) -> None:
    headers = coach(settings)
    occupations = esco_occupation(min_essential=3)[:8]
    target = occupations[3]
    participants = Participants(settings)
    person = uuid.uuid4()
    await participants.profile(person, skills=list(target.essential_skills))
    async with running(create_app(settings)) as client:
        employer = await register_employer(client, headers)
        opening_of: dict[str, str] = {}
        for occupation in occupations:
            opening_of[occupation.uri] = await publish_opening(
                client,
                headers,
                employer,
                kind="job",
                occupation=occupation,
                title=occupation.label,
            )
        await wait_for_candidates(client, headers, person)

        ranked = await client.get(f"/candidates/{person}/openings", headers=headers)
        assert ranked.status_code == 200, ranked.text
        openings = ranked.json()["openings"]
        assert len(openings) == len(occupations)
        assert openings[0]["opening_id"] == opening_of[target.uri]
        assert openings[0]["score"] > openings[1]["score"]
        best = openings[0]
        assert {s["uri"] for s in best["matched_skills"]} >= set(target.essential_skills)
        assert best["missing_skills"] == []
        for item in openings:
            product = 100.0
            for part in item["parts"]:
                product *= part["factor"]
            assert round(product, 2) == item["score"]

        explained = await client.get(
            f"/openings/{opening_of[target.uri]}/candidates/{person}", headers=headers
        )
        assert explained.status_code == 200
        body = explained.json()
        assert body["score"] == best["score"]
        essential = next(p for p in body["parts"] if p["part"] == "essential_skills")
        assert essential["value"] == 1.0 and essential["factor"] == 1.0
        for part in body["parts"]:
            assert part["factor"] == round(1 - part["weight"] * (1 - part["value"]), 4)

        best_for_opening = await client.get(
            f"/openings/{opening_of[target.uri]}/candidates", headers=headers
        )
        assert [c["participant_id"] for c in best_for_opening.json()["candidates"]] == [str(person)]


async def test_allocation_places_the_best_total_fit_and_says_why_others_were_not_placed(
    settings: Settings,
) -> None:
    headers = coach(settings)
    cook, cleaner = esco_occupation(min_essential=3)[:2]
    participants = Participants(settings)
    people = [uuid.uuid4() for _ in range(5)]
    # 0 and 1 are cooks; 2 is a cook without the required licence; 3 is a cleaner; 4 half a cook.
    await participants.profile(
        people[0],
        skills=list(cook.essential_skills),
        driving_licences=["B"],
        occupations=[{"isco_code": cook.isco_code, "years": 4}],
    )
    await participants.profile(
        people[1], skills=list(cook.essential_skills), driving_licences=["BE"]
    )
    await participants.profile(
        people[2],
        skills=list(cook.essential_skills),
        occupations=[{"isco_code": cook.isco_code, "years": 10}],
    )
    await participants.profile(people[3], skills=list(cleaner.essential_skills))
    await participants.profile(
        people[4], skills=list(cook.essential_skills)[:1], driving_licences=["B"]
    )
    await participants.settled(people[4], date(2022, 1, 1))
    async with running(create_app(settings)) as client:
        employer = await register_employer(client, headers)
        kitchen = await publish_opening(
            client,
            headers,
            employer,
            occupation=cook,
            places=2,
            driving_licences=["B"],
            title="Kitchen",
        )
        cleaning = await publish_opening(
            client,
            headers,
            employer,
            occupation=cleaner,
            places=1,
            title="Cleaning",
        )
        await wait_for_candidates(client, headers, *people)

        response = await client.post(
            "/allocations",
            headers=headers,
            json={"opening_ids": [kitchen, cleaning], "participant_ids": [str(p) for p in people]},
        )
        assert response.status_code == 200, response.text
        result = response.json()
        placed = {a["participant_id"]: a["opening_id"] for a in result["assignments"]}
        assert placed == {
            str(people[0]): kitchen,
            str(people[1]): kitchen,
            str(people[3]): cleaning,
        }
        unplaced = {u["participant_id"]: u["reasons"] for u in result["unplaced"]}
        assert set(unplaced) == {str(people[2]), str(people[4])}
        licence = next(r for r in unplaced[str(people[2])] if r["opening_id"] == kitchen)
        assert licence["reason"] == "hard_requirement"
        assert "driving licence class B" in licence["detail"]
        outcompeted = next(r for r in unplaced[str(people[4])] if r["opening_id"] == kitchen)
        assert outcompeted["reason"] == "places_went_to_others"
        assert result["total_fit"] == round(sum(a["score"] for a in result["assignments"]), 2)

        favoured = await client.post(
            "/allocations",
            headers=headers,
            json={
                "opening_ids": [kitchen],
                "participant_ids": [str(people[1]), str(people[4])],
                "favour_waiting": True,
                "today": "2025-06-01",
            },
        )
        # People[4] waited since 2022 (others: unknown = no wait) and gets the waiting points,
        # but one kitchen place is left for each of them anyway: both are placed.
        assert {a["participant_id"] for a in favoured.json()["assignments"]} == {
            str(people[1]),
            str(people[4]),
        }
