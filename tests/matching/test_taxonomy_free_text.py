"""Across services: free text in a participant's profile reaches matching as confirmed
skills marked as such and unconfirmed suggestions with their similarity, never as text."""

from __future__ import annotations

from typing import Any

from services.matching.app import create_app as matching_app
from services.participants.app import create_app as participants_app
from shared.settings import Settings
from shared.taxonomy import load
from tests.support import auth, eventually, running, settled_participant

SKILL = {label: uri for uri, label in load().skills.items()}
LOAD, UNLOAD = SKILL["load cargo"], SKILL["unload cargo"]


async def test_confirmed_and_suggested_skills_reach_the_candidate(settings: Settings) -> None:
    headers = auth(settings, ["caseworker", "job_coach"])
    async with (
        running(participants_app(settings)) as participants,
        running(matching_app(settings)) as matching,
    ):
        person = await settled_participant(participants, headers)
        recorded = await participants.put(
            f"/participants/{person}/competence-profile",
            headers=headers,
            json={
                "skills": [SKILL["communicate with customers"]],
                "free_text_skills": ["Lastet og losset gods fra lastebiler på et lager"],
                "consent": {"skills": True},
            },
        )
        assert recorded.status_code == 201, recorded.text

        async def candidate(check: Any) -> dict[str, Any] | None:
            response = await matching.get(f"/candidates/{person}", headers=headers)
            if response.status_code != 200 or not check(response.json()["profile"]):
                return None
            profile: dict[str, Any] = response.json()["profile"]
            return profile

        first = await eventually(lambda: candidate(lambda p: p["suggested_skills"]))
        suggested = {s["uri"]: s["similarity"] for s in first["suggested_skills"]}
        assert {LOAD, UNLOAD} <= suggested.keys()
        assert all(0 < value <= 1 for value in suggested.values())
        assert first["skills_from_free_text"] == []
        assert "Lastet" not in str(first)

        decided = await participants.post(
            f"/participants/{person}/competence/suggestions/confirm",
            headers=headers,
            json={"confirm": [LOAD]},
        )
        assert decided.status_code == 201, decided.text
        latest = await eventually(lambda: candidate(lambda p: p["skills_from_free_text"]))
        assert latest["skills_from_free_text"] == [LOAD]
        assert LOAD in latest["skills"]
        remaining = {s["uri"] for s in latest["suggested_skills"]}
        assert UNLOAD in remaining and LOAD not in remaining
