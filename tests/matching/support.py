"""Helpers for the matching tests: participants' events on JetStream, employers, openings."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import nats

from services.matching.domain.scoring import OpeningSpec
from services.matching.events import OpeningKind, OpeningTerms
from shared import taxonomy
from shared.events import Envelope
from shared.settings import Settings
from tests.support import auth, ensure_stream, eventually

MUNICIPALITY = "3301"
ORGNR = "974760673"  # a valid organisation number (mod 11)


def coach(settings: Settings, municipality: str = MUNICIPALITY) -> dict[str, str]:
    return auth(settings, ["job_coach"], municipality)


class Participants:
    """Publishes the participants service's events the way its outbox relay would."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.versions: dict[uuid.UUID, int] = {}
        self.published: list[Envelope] = []

    async def publish(
        self, type_name: str, data: dict[str, Any], municipality: str = MUNICIPALITY
    ) -> Envelope:
        participant_id = uuid.UUID(str(data["participant_id"]))
        version = self.versions.get(participant_id, 0) + 1
        self.versions[participant_id] = version
        envelope = Envelope.recorded_now(
            type_name,
            data,
            service="participants",
            stream_id=str(participant_id),
            municipality=municipality,
            stream_version=version,
            actor="caseworker-1",
        )
        _, aggregate, event, _ = type_name.split(".")
        nc = await nats.connect(self.settings.nats_url)
        try:
            js = nc.jetstream()
            await ensure_stream(js, self.settings, "participants")
            await js.publish(
                f"{self.settings.subject_prefix('participants')}.{aggregate}.{event}",
                envelope.to_json(),
                headers={"Nats-Msg-Id": str(envelope.id)},
            )
        finally:
            await nc.close()
        self.published.append(envelope)
        return envelope

    async def profile(
        self, participant_id: uuid.UUID, municipality: str = MUNICIPALITY, **parts: Any
    ) -> Envelope:
        return await self.publish(
            "participants.competence_profile.updated.v1",
            {"participant_id": str(participant_id), **parts},
            municipality,
        )

    async def settled(
        self, participant_id: uuid.UUID, settled_on: date, municipality: str = MUNICIPALITY
    ) -> Envelope:
        return await self.publish(
            "participants.participant.settled.v1",
            {
                "participant_id": str(participant_id),
                "settled_on": settled_on.isoformat(),
                "arrival_category": "resettlement_refugee",
            },
            municipality,
        )

    async def erased(self, participant_id: uuid.UUID, municipality: str = MUNICIPALITY) -> Envelope:
        return await self.publish(
            "participants.participant.erased.v1",
            {"participant_id": str(participant_id)},
            municipality,
        )


async def wait_for_candidates(
    client: httpx.AsyncClient, headers: dict[str, str], *participant_ids: uuid.UUID
) -> None:
    async def arrived() -> bool:
        for pid in participant_ids:
            response = await client.get(f"/candidates/{pid}", headers=headers)
            if response.status_code != 200:
                return False
        return True

    await eventually(arrived)


async def register_employer(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> str:
    body = {
        "organisation_number": ORGNR,
        "name": "Fjordhotellet AS",
        "industry": "hospitality",
        "municipality_code": MUNICIPALITY,
        "mentor_capacity": 3,
        "contact": {"name": "Kari Nordmann", "phone": "+47 900 00 000"},
        "agreements": [
            {"description": "70 % of practice participants go on to paid work", "target_share": 0.7}
        ],
        **overrides,
    }
    response = await client.post("/employers", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def esco_occupation(min_essential: int = 3) -> list[Any]:
    """ESCO occupations with at least ``min_essential`` essential skills, one per unit group,
    none of whose essential skills are a subset of another's (so each can be told apart)."""
    seen: set[str] = set()
    found: list[Any] = []
    for occupation in sorted(taxonomy.load().occupations.values(), key=lambda o: o.uri):
        skills = set(occupation.essential_skills)
        if len(skills) < min_essential or occupation.isco_code in seen:
            continue
        if any(
            skills <= set(o.essential_skills) or set(o.essential_skills) <= skills for o in found
        ):
            continue
        seen.add(occupation.isco_code)
        found.append(occupation)
    return found


async def cook_candidate(settings: Settings, **profile: Any) -> tuple[Any, uuid.UUID]:
    """The first of :func:`esco_occupation` and a new person whose competence profile,
    published as the participants service would, holds its essential skills and
    ``profile``."""
    cook = esco_occupation()[0]
    person = uuid.uuid4()
    await Participants(settings).profile(person, skills=list(cook.essential_skills), **profile)
    return cook, person


async def publish_opening(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    employer_id: str,
    occupation: Any = None,
    **overrides: Any,
) -> str:
    """Publish an opening; for ``occupation`` (an ESCO occupation) instead of an ISCO code."""
    if occupation is not None:
        overrides = {"esco_occupation": occupation.uri, "isco_code": None, **overrides}
    body = {
        "employer_id": employer_id,
        "kind": "language_practice",
        "title": "Language practice in the kitchen",
        "isco_code": "9412",
        "places": 2,
        "hours_per_week": 15,
        "starts_on": "2025-09-01",
        "municipality_code": MUNICIPALITY,
        **overrides,
    }
    response = await client.post("/openings", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def proposal(
    client: httpx.AsyncClient, headers: dict[str, str], participant: Any, opening: str
) -> httpx.Response:
    """The answer to proposing ``participant`` (an id) for ``opening``."""
    return await client.post(
        "/matches",
        headers=headers,
        json={"participant_id": str(participant), "opening_id": opening},
    )


async def propose(
    client: httpx.AsyncClient, headers: dict[str, str], participant: Any, opening: str
) -> str:
    """Propose ``participant`` for ``opening``; the new match's id."""
    proposed = await proposal(client, headers, participant, opening)
    assert proposed.status_code == 201, proposed.text
    return str(proposed.json()["id"])


JOB_AFTER_PLACEMENT = {"starts_on": "2026-01-05", "hours_per_week": 37.5, "permanent": True}
"""The job a placement ended on 2025-12-19 turns into."""


async def end_placement(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    match: str,
    outcome: str = "turned_into_job",
    job: dict[str, Any] | None = JOB_AFTER_PLACEMENT,
) -> httpx.Response:
    """The answer to ending ``match``'s placement on 2025-12-19 with ``outcome`` and ``job``."""
    return await client.post(
        f"/matches/{match}/end",
        headers=headers,
        json={"ends_on": "2025-12-19", "outcome": outcome, "job": job},
    )


async def start_in_a_job(
    client: httpx.AsyncClient, headers: dict[str, str], participant: Any, occupation: Any
) -> str:
    """Take ``participant`` from a proposal for a new job opening to starting in it
    (interest, a permanent full-time offer, start); the match's id."""
    employer = await register_employer(client, headers)
    opening = await publish_opening(client, headers, employer, kind="job", occupation=occupation)
    match = await propose(client, headers, participant, opening)
    for step, body in (
        ("interest", {}),
        (
            "offer",
            {
                "on": "2025-08-01",
                "starts_on": "2025-09-01",
                "hours_per_week": 37.5,
                "permanent": True,
            },
        ),
        ("start", {}),
    ):
        response = await client.post(f"/matches/{match}/{step}", headers=headers, json=body)
        assert response.status_code == 200, response.text
    return match


def opening_spec(
    occupation: Any,
    kind: OpeningKind = OpeningKind.language_practice,
    mentor_capacity_left: int = 1,
    **terms: Any,
) -> OpeningSpec:
    """An opening for ``occupation``'s essential skills: one place, 15 hours a week from
    1 September 2025 in 3301, unless ``terms`` say otherwise."""
    return OpeningSpec(
        uuid.uuid4(),
        uuid.uuid4(),
        kind,
        OpeningTerms(
            **{
                "isco_code": occupation.isco_code,
                "essential_skills": occupation.essential_skills,
                "places": 1,
                "hours_per_week": 15,
                "starts_on": date(2025, 9, 1),
                "municipality_code": "3301",
                **terms,
            }
        ),
        mentor_capacity_left=mentor_capacity_left,
    )
