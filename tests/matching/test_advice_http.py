"""Skill-gap advice and occupation suggestions for a participant, over HTTP."""

from __future__ import annotations

import uuid

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
from tests.support import auth, running


async def test_the_missing_skill_that_lifts_most_openings_comes_first_with_those_openings(
    settings: Settings,
) -> None:
    headers = coach(settings)
    occupations = esco_occupation(min_essential=3)
    target = occupations[0]
    missing, *held = sorted(target.essential_skills)
    participants = Participants(settings)
    person = uuid.uuid4()
    await participants.profile(
        person,
        skills=held,
        norwegian={"oral": "B2", "written": "B2", "reading": "B2", "listening": "B2"},
        wishes={"hours_per_week": 37.5},
    )
    expert = uuid.uuid4()
    await participants.profile(
        expert,
        skills=list(target.essential_skills),
        occupations=[{"isco_code": target.isco_code, "years": 4}],
    )
    async with running(create_app(settings)) as client:
        employer = await register_employer(client, headers)
        lifted = [
            await publish_opening(
                client,
                headers,
                employer,
                kind="job",
                isco_code=target.isco_code,
                essential_skills=list(target.essential_skills),
                optional_skills=[],
                hours_per_week=37.5,
                title=f"{target.label} {i}",
            )
            for i in range(2)
        ]
        unrelated = await publish_opening(
            client, headers, employer, kind="job", occupation=occupations[5], title="other"
        )
        await wait_for_candidates(client, headers, person, expert)

        before = (await client.get(f"/candidates/{person}/openings", headers=headers)).json()
        bands = {item["opening_id"]: item["band"] for item in before["openings"]}
        assert all(bands[o] != "strong" for o in lifted)

        response = await client.get(f"/candidates/{person}/advice", headers=headers)
        assert response.status_code == 200, response.text
        advice = response.json()
        assert advice["openings_considered"] == 3
        first = advice["skills"][0]
        assert first["skill"]["uri"] == missing
        assert first["openings_lifted"] == 2 and first["openings_to_strong"] == 2
        assert {o["opening_id"] for o in first["openings"]} == set(lifted)
        assert unrelated not in {o["opening_id"] for s in advice["skills"] for o in s["openings"]}
        for opening in first["openings"]:
            assert opening["band_after"] == "strong" and opening["band_before"] != "strong"
            assert opening["score_after"] > opening["score_before"]
        for item in advice["skills"]:
            assert item["skill"]["uri"] not in held

        response = await client.get(
            f"/candidates/{person}/occupations", headers=headers, params={"limit": 5}
        )
        assert response.status_code == 200, response.text
        suggested = response.json()["occupations"]
        assert len(suggested) == 5
        closeness = [o["closeness"] for o in suggested]
        assert closeness == sorted(closeness, reverse=True)
        for occupation in suggested:
            assert {s["uri"] for s in occupation["matched_skills"]} <= set(held)
            assert occupation["matched_skills"] or occupation["related_skills"]

        response = await client.get(
            f"/candidates/{expert}/occupations", headers=headers, params={"limit": 50}
        )
        suggested = response.json()["occupations"]
        top = next(o for o in suggested if o["uri"] == target.uri)
        assert top["closeness"] == suggested[0]["closeness"]
        assert {s["uri"] for s in top["matched_skills"]} == set(target.essential_skills)
        assert top["missing_skills"] == [] and top["title"]

        unknown = await client.get(
            f"/candidates/{person}/advice", headers=headers, params={"colour": "red"}
        )
        assert unknown.status_code == 422 and unknown.json()["code"] == "unknown-filter"
        elsewhere = auth(settings, ["job_coach"], "0301")
        assert (
            await client.get(f"/candidates/{person}/advice", headers=elsewhere)
        ).status_code == 404
        assert (
            await client.get(f"/candidates/{person}/occupations", headers=elsewhere)
        ).status_code == 404
        caseworker = auth(settings, ["caseworker"])
        assert (
            await client.get(f"/candidates/{person}/occupations", headers=caseworker)
        ).status_code == 403
