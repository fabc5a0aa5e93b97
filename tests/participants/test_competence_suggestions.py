"""Free text that counts: suggestions from free text, confirmed or rejected by a caseworker,
published as URIs with their similarity (never the text)."""

from __future__ import annotations

from typing import Any

import httpx

from shared.settings import Settings
from shared.taxonomy import load
from tests.participants.conftest import registered_and_settled
from tests.support import auth, eventually, stream_messages

SKILL = {label: uri for uri, label in load().skills.items()}
LOAD, UNLOAD = SKILL["load cargo"], SKILL["unload cargo"]
FREE_TEXT = "Lastet og losset gods fra lastebiler"
DESCRIPTION = "Kokk på restaurant, fulgte reglene for hygiene og mattrygghet"


def _profile(**extra: Any) -> dict[str, Any]:
    return {
        "work_experience": [{"isco_code": "5120", "years": 5, "description": DESCRIPTION}],
        "free_text_skills": [FREE_TEXT],
        "consent": {"skills": True, "work_experience": True},
        **extra,
    }


async def _shared_profiles(settings: Settings, count: int) -> list[dict[str, Any]]:
    async def published() -> list[dict[str, Any]]:
        messages = await stream_messages(settings, "participants")
        shared = [
            m["data"] for m in messages if m["type"].endswith("competence_profile.updated.v1")
        ]
        return shared if len(shared) >= count else []

    found: list[dict[str, Any]] = await eventually(published)
    return found


async def test_suggestions_confirmed_become_skills_marked_as_from_free_text(
    client: httpx.AsyncClient, caseworker: dict[str, str], settings: Settings
) -> None:
    pid = await registered_and_settled(client, caseworker)
    recorded = await client.put(
        f"/participants/{pid}/competence-profile", headers=caseworker, json=_profile()
    )
    assert recorded.status_code == 201, recorded.text

    answer = await client.get(f"/participants/{pid}/competence/suggestions", headers=caseworker)
    assert answer.status_code == 200, answer.text
    skills = {s["uri"]: s for s in answer.json()["skills"]}
    assert {LOAD, UNLOAD} <= skills.keys()
    assert skills[LOAD]["sources"] == ["free_text_skills.0"]
    assert skills[LOAD]["label_nb"] == "laste gods"
    assert 0 < skills[LOAD]["similarity"] <= 1
    occupations = answer.json()["occupations"]
    assert occupations[0]["code"] == "5120"
    assert occupations[0]["sources"] == ["work_experience.0.description"]

    first = (await _shared_profiles(settings, 1))[-1]
    suggested = {s["uri"]: s["similarity"] for s in first["suggested_skills"]}
    assert suggested[LOAD] == skills[LOAD]["similarity"]
    assert first["skills"] == [] and first["skills_from_free_text"] == []

    decided = await client.post(
        f"/participants/{pid}/competence/suggestions/confirm",
        headers=caseworker,
        json={"confirm": [LOAD], "reject": [UNLOAD]},
    )
    assert decided.status_code == 201, decided.text

    again = await client.get(f"/participants/{pid}/competence/suggestions", headers=caseworker)
    left = {s["uri"] for s in again.json()["skills"]}
    assert LOAD not in left and UNLOAD not in left
    shown = (await client.get(f"/participants/{pid}/competence-profile", headers=caseworker)).json()
    assert shown["skills"] == [{"uri": LOAD, "label": "laste gods", "from_free_text": True}]
    assert shown["skills_from_free_text"] == [LOAD]
    assert shown["rejected_suggestions"] == [UNLOAD]
    assert shown["free_text_skills"] == [FREE_TEXT]

    latest = (await _shared_profiles(settings, 2))[-1]
    assert latest["skills"] == [LOAD]
    assert latest["skills_from_free_text"] == [LOAD]
    published = {s["uri"] for s in latest["suggested_skills"]}
    assert LOAD not in published and UNLOAD not in published
    wire = str(await stream_messages(settings, "participants"))
    for secret in ("Lastet", "lastebiler", "Kokk", "restaurant", "mattrygghet"):
        assert secret not in wire


async def test_nothing_from_free_text_is_published_without_consent_to_share_skills(
    client: httpx.AsyncClient, caseworker: dict[str, str], settings: Settings
) -> None:
    pid = await registered_and_settled(client, caseworker)
    body = _profile(
        skills=[LOAD],
        skills_from_free_text=[LOAD],
        consent={"work_experience": True},
    )
    recorded = await client.put(
        f"/participants/{pid}/competence-profile", headers=caseworker, json=body
    )
    assert recorded.status_code == 201, recorded.text
    shared = (await _shared_profiles(settings, 1))[-1]
    assert shared["skills"] == [] and shared["skills_from_free_text"] == []
    assert shared["suggested_skills"] == []
    assert shared["occupations"] == [{"isco_code": "5120", "years": 5.0}]


async def test_decisions_on_suggestions_are_refused_with_codes(
    client: httpx.AsyncClient, caseworker: dict[str, str], settings: Settings
) -> None:
    pid = await registered_and_settled(client, caseworker)
    confirm = f"/participants/{pid}/competence/suggestions/confirm"
    suggestions = f"/participants/{pid}/competence/suggestions"
    none_yet = await client.get(suggestions, headers=caseworker)
    assert none_yet.status_code == 404
    await client.put(f"/participants/{pid}/competence-profile", headers=caseworker, json=_profile())

    cases: list[tuple[dict[str, Any], str]] = [
        ({"confirm": [SKILL["communicate with customers"]]}, "not-a-suggestion"),
        ({"reject": ["http://data.europa.eu/esco/skill/unknown"]}, "not-a-suggestion"),
        ({"confirm": [LOAD], "reject": [LOAD]}, "suggestion-decided-twice"),
        ({}, "missing-field"),
    ]
    for body, code in cases:
        refused = await client.post(confirm, headers=caseworker, json=body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == code, refused.json()
    extra = await client.post(confirm, headers=caseworker, json={"confirm": [LOAD], "x": 1})
    assert extra.status_code == 422

    not_held = await client.put(
        f"/participants/{pid}/competence-profile",
        headers=caseworker,
        json=_profile(skills_from_free_text=[LOAD]),
    )
    assert not_held.status_code == 422
    assert any(e["field"] == "skills_from_free_text" for e in not_held.json()["errors"])

    elsewhere = auth(settings, ["caseworker"], "0301")
    for answer in (
        await client.get(suggestions, headers=elsewhere),
        await client.post(confirm, headers=elsewhere, json={"confirm": [LOAD]}),
    ):
        assert answer.status_code == 404, answer.text
    # Nothing was decided by the refusals: both are still suggested.
    still = await client.get(suggestions, headers=caseworker)
    assert {LOAD, UNLOAD} <= {s["uri"] for s in still.json()["skills"]}
