"""Commands answer ``Location`` (the resource they changed) and ``Stream-Version`` (its new
version, what the next ``If-Match`` sends), in every service, the same on an idempotent
replay; the kit does it once (``Runtime.command`` and each service's ``resources``)."""

from __future__ import annotations

import uuid
from datetime import date

import httpx

from services.housing.app import RESOURCES as HOUSING
from services.housing.app import create_app as housing_app
from services.indicators.app import RESOURCES as INDICATORS
from services.indicators.app import create_app as indicators_app
from services.matching.app import RESOURCES as MATCHING
from services.matching.app import create_app as matching_app
from services.participants.app import RESOURCES as PARTICIPANTS
from services.participants.app import create_app as participants_app
from shared.settings import Settings
from tests.kit.minimal_service import create_app as kit_app
from tests.matching.support import coach, register_employer
from tests.support import auth, national_id, running


def _answer(response: httpx.Response) -> tuple[str | None, str | None]:
    return response.headers.get("location"), response.headers.get("stream-version")


async def test_a_participant_registered_and_settled_says_where_and_at_which_version(
    settings: Settings,
) -> None:
    headers = auth(settings)
    born = date(1990, 4, 2)
    body = {
        "given_name": "Amina",
        "family_name": "Hassan",
        "birth_date": born.isoformat(),
        "national_id": national_id(born, d_number=True),
    }
    async with running(participants_app(settings)) as client:
        registered = await client.post(
            "/participants", json=body, headers=headers | {"Idempotency-Key": "reg-1"}
        )
        assert registered.status_code == 201, registered.text
        participant = registered.json()["id"]
        location, version = _answer(registered)
        assert location == f"/participants/{participant}" and version is not None
        registered_at = int(version)

        replay = await client.post(
            "/participants", json=body, headers=headers | {"Idempotency-Key": "reg-1"}
        )
        assert replay.status_code == 201
        assert replay.headers["idempotent-replayed"] == "true"
        assert _answer(replay) == _answer(registered)
        assert replay.json() == registered.json()

        settle = {"settled_on": "2024-03-01", "arrival_category": "resettlement_refugee"}
        settled = await client.post(
            f"/participants/{participant}/settlement",
            json=settle,
            headers=headers | {"If-Match": f'"{registered_at}"', "Idempotency-Key": "settle-1"},
        )
        assert settled.status_code == 201, settled.text
        settled_at = str(registered_at + 1)
        assert _answer(settled) == (f"/participants/{participant}", settled_at)
        again = await client.post(
            f"/participants/{participant}/settlement",
            json=settle,
            headers=headers | {"If-Match": f'"{registered_at}"', "Idempotency-Key": "settle-1"},
        )
        assert again.headers["idempotent-replayed"] == "true"
        assert _answer(again) == (f"/participants/{participant}", settled_at)

        # The version read back is the one the command answered.
        read = await client.get(f"/participants/{participant}", headers=headers)
        assert read.json()["version"] == int(settled_at)

        # A refused command says neither.
        stale = await client.post(
            f"/participants/{participant}/move-out",
            json={"moved_out_on": "2024-05-01"},
            headers=headers | {"If-Match": f'W/"{registered_at}"'},
        )
        assert stale.status_code in (409, 422), stale.text
        assert _answer(stale) == (None, None)


async def test_a_housing_command_answers_the_dwelling_and_its_version(settings: Settings) -> None:
    headers = auth(settings, ["housing_officer"])
    async with running(housing_app(settings)) as client:
        created = await client.post(
            "/housing/dwellings",
            json={"address": "Storgata 1", "district": "Sentrum", "rooms": 3, "size_m2": 69},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        dwelling = created.json()["dwelling_id"]
        assert _answer(created)[0] == f"/housing/dwellings/{dwelling}"
        version = created.headers["stream-version"]

        changed = await client.patch(
            f"/housing/dwellings/{dwelling}",
            json={"rooms": 4},
            headers=headers | {"If-Match": f'W/"{version}"'},
        )
        assert changed.status_code == 200, changed.text
        assert _answer(changed) == (f"/housing/dwellings/{dwelling}", str(int(version) + 1))
        followed = await client.get(changed.headers["location"], headers=headers)
        assert followed.status_code == 200 and followed.json()["rooms"] == 4


async def test_matching_indicators_and_the_kit_answer_location_too(settings: Settings) -> None:
    async with running(matching_app(settings)) as client:
        headers = coach(settings)
        employer = await register_employer(client, headers)
        agreement = await client.post(
            f"/employers/{employer}/agreements",
            headers=headers,
            json={
                "measure": "jobs",
                "description": "To faste jobber",
                "target_count": 2,
                "valid_from": "2025-01-01",
                "valid_until": "2026-12-31",
            },
        )
        assert agreement.status_code == 201, agreement.text
        location, version = _answer(agreement)
        assert location == f"/employers/{employer}" and version is not None and int(version) >= 2
        assert (await client.get(location, headers=headers)).status_code == 200

    async with running(indicators_app(settings)) as client:
        manager = auth(settings, ["manager"])
        changed = await client.put(
            "/indicators/settings", json={"suppression_min_n": 7}, headers=manager
        )
        assert changed.status_code == 200, changed.text
        assert _answer(changed) == ("/indicators/plan", "1")

    async with running(kit_app(settings)) as client:
        note = await client.post("/notes", json={"text": "t"}, headers=auth(settings))
        assert _answer(note) == (f"/notes/{note.json()['id']}", "1")


def test_every_stream_a_command_changes_maps_to_a_resource_or_says_why_not() -> None:
    from services.housing.domain import housing_school, settlement_plan, shared_home, streams
    from services.matching.domain import streams as matching_streams
    from services.matching.domain import volunteers
    from services.participants.api.casework import RULES_STREAM_TYPE
    from services.participants.domain.state import STREAM_TYPE

    without = {
        # No resource to read one by (the answer's body says what was recorded).
        "volunteer_gathering",
        "goal",
        "level",
        "comparisons",
        "report",
    }
    declared = {
        "participants": ({STREAM_TYPE, RULES_STREAM_TYPE}, PARTICIPANTS),
        "housing": (
            {
                streams.DWELLING,
                streams.HOUSEHOLD,
                streams.RENT_RATES,
                settlement_plan.SETTLEMENT_PLAN,
                shared_home.SHARED_HOME,
                housing_school.COURSE,
                housing_school.TENANCY_FOLLOW_UP,
            },
            HOUSING,
        ),
        "matching": (
            {
                matching_streams.EMPLOYER,
                matching_streams.OPENING,
                matching_streams.MATCH,
                volunteers.VOLUNTEER,
                volunteers.VOLUNTEER_NEED,
                volunteers.VOLUNTEER_GATHERING,
            },
            MATCHING,
        ),
        "indicators": ({"indicator", "goal", "plan", "level", "comparisons", "report"}, INDICATORS),
    }
    for service, (types, resources) in declared.items():
        assert types - without <= resources.keys(), service
    example = str(uuid.uuid4())
    assert HOUSING["dwelling"](f"dwelling-{example}") == f"/housing/dwellings/{example}"
    assert HOUSING["settlement_plan"]("settlement-plan-3301-2026") == (
        "/housing/settlement-plans/2026"
    )
    assert INDICATORS["indicator"]("indicator-3301-persons_settled") == (
        "/indicators/definitions/persons_settled"
    )
    assert MATCHING["volunteer_need"](f"volunteer_need-{example}") == (
        f"/volunteer-needs/{example}"
    )
