"""The candidates read model follows every participants event that changes it.

Each test records a fact in the participants service over HTTP, then sees the change in
the matching service over HTTP (both apps in-process, real PostgreSQL and NATS).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
import httpx

from services.matching.app import create_app as matching_app
from services.participants.app import create_app as participants_app
from shared.dates import today
from shared.settings import Settings
from tests.matching.support import (
    esco_occupation,
    propose,
    publish_opening,
    register_employer,
)
from tests.support import auth, eventually, running, settled_participant

SETTLED_ON = "2024-03-01"


@dataclass
class Stack:
    participants: httpx.AsyncClient
    matching: httpx.AsyncClient
    headers: dict[str, str]
    settings: Settings

    async def person(self, **profile: Any) -> str:
        """A settled participant with a competence profile (``profile`` is the PUT body)."""
        person = await settled_participant(self.participants, self.headers, settled_on=SETTLED_ON)
        await self.profile(person, **profile)
        return person

    async def profile(self, person: str, **body: Any) -> None:
        response = await self.participants.put(
            f"/participants/{person}/competence-profile", headers=self.headers, json=body
        )
        assert response.status_code in (200, 201), response.text

    async def fact(self, person: str, path: str, body: dict[str, Any]) -> None:
        response = await self.participants.post(
            f"/participants/{person}/{path}", headers=self.headers, json=body
        )
        assert response.status_code in (200, 201), response.text

    async def candidate(self, person: str) -> dict[str, Any] | None:
        response = await self.matching.get(f"/candidates/{person}", headers=self.headers)
        return response.json() if response.status_code == 200 else None

    async def until(self, person: str, check: Any) -> dict[str, Any]:
        """The candidate once ``check(candidate)`` holds."""

        async def seen() -> dict[str, Any] | None:
            found = await self.candidate(person)
            return found if found is not None and check(found) else None

        result: dict[str, Any] = await eventually(seen)
        return result

    async def gone(self, person: str) -> None:
        async def absent() -> bool:
            response = await self.matching.get(f"/candidates/{person}", headers=self.headers)
            return response.status_code == 404

        await eventually(absent)

    async def inbox(self, person: str) -> list[dict[str, Any]]:
        """Every inbox copy in matching that names ``person``, as stored."""
        conn = await asyncpg.connect(
            self.settings.service_database_url("matching", driver="postgresql")
        )
        try:
            rows = await conn.fetch(
                "SELECT type, payload FROM received_events "
                "WHERE payload::text LIKE '%' || $1 || '%' ORDER BY seq",
                person,
            )
        finally:
            await conn.close()
        return [{"type": r["type"], "payload": json.loads(r["payload"])} for r in rows]


@asynccontextmanager
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    headers = auth(settings, ["caseworker", "job_coach"])
    async with (
        running(participants_app(settings)) as participants,
        running(matching_app(settings)) as matching,
    ):
        yield Stack(participants, matching, headers, settings)


CONSENT_ALL = {
    "work_experience": True,
    "education": True,
    "skills": True,
    "languages": True,
    "norwegian": True,
    "driving_licences": True,
    "wishes": True,
}


async def test_settlement_and_a_replaced_profile_with_a_withdrawn_consent(
    settings: Settings,
) -> None:
    cook = esco_occupation()[0]
    async with stack(settings) as s:
        person = await s.person(
            work_experience=[{"isco_code": cook.isco_code, "years": 4}],
            skills=list(cook.essential_skills),
            driving_licences=["B"],
            languages=[{"language": "ti", "level": "C1"}],
            consent=CONSENT_ALL,
        )
        found = await s.until(person, lambda c: c["profile"]["driving_licences"] == ["B"])
        assert found["settled_on"] == SETTLED_ON and found["waited_days"] > 0
        employer = await register_employer(s.matching, s.headers)
        opening = await publish_opening(
            s.matching, s.headers, employer, kind="job", driving_licences=["B"]
        )
        fit = await s.matching.get(f"/openings/{opening}/candidates/{person}", headers=s.headers)
        assert fit.status_code == 200 and fit.json()["excluded"] is False

        # The next profile replaces the first: licences are no longer shared.
        await s.profile(
            person,
            work_experience=[{"isco_code": cook.isco_code, "years": 4}],
            skills=list(cook.essential_skills),
            driving_licences=["B"],
            consent={**CONSENT_ALL, "driving_licences": False, "languages": False},
        )
        found = await s.until(person, lambda c: not c["profile"]["consent"]["driving_licences"])
        assert found["profile"]["driving_licences"] == [] and found["profile"]["languages"] == []
        fit = (
            await s.matching.get(f"/openings/{opening}/candidates/{person}", headers=s.headers)
        ).json()
        assert fit["excluded"] is True
        assert [e["reason"] for e in fit["exclusions"]] == ["not_shared"]
        assert "not shared driving licences" in fit["exclusion_reasons"][0]
        assert "driving_licences" in fit["not_shared"]

        # Shared, and there is none: a different reason.
        await s.profile(person, skills=list(cook.essential_skills), consent=CONSENT_ALL)
        await s.until(person, lambda c: c["profile"]["consent"]["driving_licences"])
        fit = (
            await s.matching.get(f"/openings/{opening}/candidates/{person}", headers=s.headers)
        ).json()
        assert [e["reason"] for e in fit["exclusions"]] == ["has_none"]
        assert "has no driving licence" in fit["exclusion_reasons"][0]


async def test_norwegian_tests_after_the_profile_count_only_while_norwegian_is_shared(
    settings: Settings,
) -> None:
    async with stack(settings) as s:
        person = await s.person(consent={"norwegian": True, "skills": True})
        await s.until(person, lambda c: c["profile"]["consent"]["norwegian"])
        await s.fact(
            person, "norwegian-tests", {"sub_test": "oral", "level": "B1", "taken_on": "2024-09-01"}
        )
        found = await s.until(person, lambda c: c["profile"]["norwegian"]["oral"] == "B1")
        assert found["profile"]["norwegian"]["written"] is None
        inbox = [row for row in await s.inbox(person) if "norwegian_test" in row["type"]]
        assert inbox[0]["payload"]["data"] == {
            "participant_id": person,
            "sub_test": "oral",
            "level": "B1",
        }

        # Consent withdrawn: the levels leave the candidate and every inbox copy.
        await s.profile(person, consent={"norwegian": False, "skills": True})
        found = await s.until(person, lambda c: not c["profile"]["consent"]["norwegian"])
        assert set(found["profile"]["norwegian"].values()) == {None}
        await s.fact(
            person,
            "norwegian-tests",
            {"sub_test": "written", "level": "B2", "taken_on": "2024-10-01"},
        )

        async def settled_in_inbox() -> bool:
            rows = [r for r in await s.inbox(person) if "norwegian_test" in r["type"]]
            return len(rows) == 2

        await eventually(settled_in_inbox)
        found = await s.candidate(person)
        assert found is not None and set(found["profile"]["norwegian"].values()) == {None}
        for row in await s.inbox(person):
            text = json.dumps(row["payload"]["data"])
            assert "B1" not in text and "B2" not in text, row


async def test_a_move_to_another_municipality_ends_the_candidacy_from_its_date(
    settings: Settings,
) -> None:
    cook = esco_occupation()[0]
    async with stack(settings) as s:
        leaving = await s.person(skills=list(cook.essential_skills), consent=CONSENT_ALL)
        ahead = await s.person(skills=list(cook.essential_skills), consent=CONSENT_ALL)
        await s.until(leaving, lambda c: True)
        await s.until(ahead, lambda c: True)

        await s.fact(leaving, "move-out", {"moved_on": "2025-06-30", "to_municipality": "0301"})
        await s.gone(leaving)
        listed = (await s.matching.get("/candidates", headers=s.headers)).json()["results"]
        assert [c["participant_id"] for c in listed] == [ahead]

        # Announced ahead: still a candidate until then, and nothing starts on or after it.
        moves_on = today() + timedelta(days=60)
        await s.fact(
            ahead, "move-out", {"moved_on": moves_on.isoformat(), "to_municipality": "0301"}
        )
        found = await s.until(ahead, lambda c: c["leaves_on"] is not None)
        assert found["leaves_on"] == moves_on.isoformat()
        employer = await register_employer(s.matching, s.headers)
        opening = await publish_opening(s.matching, s.headers, employer, occupation=cook)
        match = await propose(s.matching, s.headers, ahead, opening)
        assert (
            await s.matching.post(f"/matches/{match}/interest", headers=s.headers, json={})
        ).status_code == 200
        offer = await s.matching.post(
            f"/matches/{match}/offer",
            headers=s.headers,
            json={"starts_on": (moves_on + timedelta(days=1)).isoformat(), "hours_per_week": 15},
        )
        assert offer.status_code == 200, offer.text
        refused = await s.matching.post(f"/matches/{match}/start", headers=s.headers, json={})
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "candidate-left"
        assert refused.json()["facts"]["left_on"] == moves_on.isoformat()
        started = await s.matching.post(
            f"/matches/{match}/start",
            headers=s.headers,
            json={"starts_on": (moves_on - timedelta(days=30)).isoformat()},
        )
        assert started.status_code == 200, started.text
        found = await s.until(ahead, lambda c: c["engagement"] is not None)
        assert found["engagement"] == "placement_scheduled"


async def test_death_and_emigration_end_the_candidacy(settings: Settings) -> None:
    async with stack(settings) as s:
        died = await s.person(skills=[], consent=CONSENT_ALL)
        emigrated = await s.person(skills=[], consent=CONSENT_ALL)
        stays = await s.person(skills=[], consent=CONSENT_ALL)
        for person in (died, emigrated, stays):
            await s.until(person, lambda c: True)
        await s.fact(died, "death", {"died_on": "2025-02-01"})
        await s.fact(emigrated, "emigration", {"emigrated_on": "2025-03-01"})
        await s.gone(died)
        await s.gone(emigrated)
        listed = (await s.matching.get("/candidates", headers=s.headers)).json()["results"]
        assert [c["participant_id"] for c in listed] == [stays]
        allocation = (
            await s.matching.post(
                "/allocations", headers=s.headers, json={"participant_ids": [died, emigrated]}
            )
        ).json()
        assert {u["reasons"][0]["reason"] for u in allocation["unplaced"]} == {"no_candidate"}


async def test_erasure_forgets_the_candidate_and_scrubs_the_inbox(settings: Settings) -> None:
    cook = esco_occupation()[0]
    async with stack(settings) as s:
        person = await s.person(skills=list(cook.essential_skills), consent=CONSENT_ALL)
        await s.until(person, lambda c: True)
        await s.fact(
            person, "norwegian-tests", {"sub_test": "oral", "level": "A2", "taken_on": "2024-09-01"}
        )
        await s.until(person, lambda c: c["profile"]["norwegian"]["oral"] == "A2")
        erased = await s.participants.delete(
            f"/participants/{person}/personal-data",
            headers=auth(settings, ["privacy_officer"]),
        )
        assert erased.status_code in (200, 202, 204), erased.text
        await s.gone(person)
        inbox = await s.inbox(person)
        assert [row["type"] for row in inbox] == ["participants.participant.erased.v1"]
        assert inbox[0]["payload"]["data"] == {"participant_id": person}


async def test_a_programme_ending_in_a_move_ends_the_candidacy_until_corrected(
    settings: Settings,
) -> None:
    async with stack(settings) as s:
        person = await s.person(skills=[], consent=CONSENT_ALL)
        await s.until(person, lambda c: True)
        await s.fact(
            person,
            "programme",
            {"kind": "introduction", "starts_on": "2024-04-01", "adviser": "adviser-7"},
        )
        await s.fact(
            person,
            "programme/completion",
            {"ended_on": "2025-06-30", "reason": "completed", "outcome": "moved_municipality"},
        )
        await s.gone(person)

        corrected = await s.participants.put(
            f"/participants/{person}/programme/outcome",
            headers=s.headers,
            json={"outcome": "nav_measure", "correction": True},
        )
        assert corrected.status_code in (200, 201), corrected.text
        found = await s.until(person, lambda c: True)
        assert found["leaves_on"] is None
