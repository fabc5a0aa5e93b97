"""Across services: a profile recorded in participants becomes a candidate here, and the
job obtained here reaches the participant's timeline there."""

from __future__ import annotations

from services.matching.app import create_app as matching_app
from services.participants.app import create_app as participants_app
from shared.settings import Settings
from tests.matching.support import esco_occupation, start_in_a_job
from tests.support import auth, eventually, running, settled_participant


async def test_job_obtained_reaches_the_participants_timeline(settings: Settings) -> None:
    headers = auth(settings, ["caseworker", "job_coach"])
    cook = esco_occupation()[0]
    async with (
        running(participants_app(settings)) as participants,
        running(matching_app(settings)) as matching,
    ):
        person = await settled_participant(participants, headers)
        profile = await participants.put(
            f"/participants/{person}/competence-profile",
            headers=headers,
            json={
                "work_experience": [{"isco_code": cook.isco_code, "years": 4}],
                "skills": list(cook.essential_skills),
                "constraints": "never shared",
                "consent": {"work_experience": True, "skills": True},
            },
        )
        assert profile.status_code == 201, profile.text

        async def candidate() -> dict[str, object] | None:
            response = await matching.get(f"/candidates/{person}", headers=headers)
            return response.json() if response.status_code == 200 else None

        found = await eventually(candidate)
        assert found["settled_on"] == "2024-03-01"
        assert "constraints" not in str(found)

        await start_in_a_job(matching, headers, person, cook)

        async def on_timeline() -> bool:
            response = await participants.get(f"/participants/{person}/timeline", headers=headers)
            types = [entry["type"] for entry in response.json()["entries"]]
            return "matching.job.obtained.v1" in types

        await eventually(on_timeline)
