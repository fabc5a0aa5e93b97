"""Filters on the ranked lists, ties by waiting time, and unknown filters, over HTTP."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from services.matching.app import create_app
from shared.dates import today
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


def _ids(body: dict[str, Any], key: str = "candidates") -> list[str]:
    return [item["participant_id" if key == "candidates" else "opening_id"] for item in body[key]]


async def test_filters_narrow_both_lists_and_equal_scores_go_to_the_longest_wait(
    settings: Settings,
) -> None:
    headers = coach(settings)
    target, other = esco_occupation(min_essential=3)[:2]
    skills = list(target.essential_skills)
    participants = Participants(settings)
    people = {name: uuid.uuid4() for name in ("b2_car", "a2", "b1_away", "early", "late")}
    await participants.profile(
        people["b2_car"],
        skills=skills,
        norwegian={"oral": "B2", "written": "B1"},
        driving_licences=["B"],
        wishes={"hours_per_week": 37.5},
    )
    await participants.profile(people["a2"], skills=skills, norwegian={"oral": "A2"})
    await participants.profile(
        people["b1_away"],
        skills=skills[:1],
        norwegian={"oral": "B1"},
        wishes={"hours_per_week": 20},
    )
    # Two identical profiles: only the settlement tells them apart.
    for name, settled in (("early", date(2021, 2, 1)), ("late", date(2024, 6, 1))):
        await participants.profile(people[name], skills=skills, norwegian={"oral": "A2"})
        await participants.settled(people[name], settled)
    async with running(create_app(settings)) as client:
        employer = await register_employer(client, headers)
        opening = await publish_opening(
            client, headers, employer, kind="job", occupation=target, title=target.label
        )
        elsewhere = await publish_opening(
            client,
            headers,
            employer,
            kind="job",
            occupation=other,
            title=other.label,
            municipality_code="3303",
            hours_per_week=20,
            norwegian={"oral": "B2"},
            driving_licences=["B"],
        )
        await wait_for_candidates(client, headers, *people.values())
        url = f"/openings/{opening}/candidates"

        everyone = (await client.get(url, headers=headers)).json()
        assert set(_ids(everyone)) == {str(p) for p in people.values()}
        early, late = str(people["early"]), str(people["late"])
        ranked = _ids(everyone)
        scores = {item["participant_id"]: item["score"] for item in everyone["candidates"]}
        assert scores[early] == scores[late] and ranked.index(early) < ranked.index(late)

        async def only(**query: Any) -> set[str]:
            response = await client.get(url, headers=headers, params=query)
            assert response.status_code == 200, response.text
            return set(_ids(response.json()))

        assert await only(norwegian_oral="B1") == {str(people["b2_car"]), str(people["b1_away"])}
        assert await only(driving_licence="B") == {str(people["b2_car"])}
        assert await only(min_hours=30) == {str(people["b2_car"])}
        assert await only(max_waited_days=(today() - date(2023, 1, 1)).days) == {late}
        assert await only(min_waited_days=(today() - date(2023, 1, 1)).days) == {early}
        assert await only(municipality="3303") == set()
        assert await only(available_from="2026-03-01") == {str(p) for p in people.values()}
        weak = await only(band="weak")
        assert str(people["b1_away"]) in weak and str(people["b2_car"]) not in weak
        strong_or_partial = await only(band=["strong", "partial"])
        assert not weak & strong_or_partial
        assert weak | strong_or_partial == {str(p) for p in people.values()}

        unknown = await client.get(url, headers=headers, params={"colour": "red", "limit": 3})
        assert unknown.status_code == 422, unknown.text
        problem = unknown.json()
        assert problem["code"] == "unknown-filter"
        assert "colour" in problem["detail"] and problem["facts"]["unknown"] == ["colour"]
        bad_licence = await client.get(url, headers=headers, params={"driving_licence": "Q"})
        assert bad_licence.status_code == 422

        openings_url = f"/candidates/{people['b2_car']}/openings"

        async def openings(**query: Any) -> list[str]:
            response = await client.get(openings_url, headers=headers, params=query)
            assert response.status_code == 200, response.text
            return _ids(response.json(), "openings")

        assert set(await openings()) == {opening, elsewhere}
        assert await openings(municipality="3303") == [elsewhere]
        assert await openings(min_hours=18) == [elsewhere]
        assert await openings(max_hours=17) == [opening]
        assert await openings(norwegian_oral="B1") == [opening]
        assert set(await openings(driving_licence="B")) == {opening, elsewhere}
        assert await openings(driving_licence="AM") == [opening]
        assert await openings(commute="local") == [opening]
        waiting = await client.get(openings_url, headers=headers, params={"min_waited_days": 1})
        assert waiting.status_code == 422 and waiting.json()["code"] == "unknown-filter"
