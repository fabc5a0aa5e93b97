"""The access export (innsyn, GDPR art. 15) across the running stack.

One stack of real processes (a private nats-server and the four uvicorn services) serves
every test in this module: a person is settled (participants), housed (housing, with
needs sealed under housing's own keys), profiled and placed in a job (matching) and
counted (indicators); the privacy officer's export then holds each service's part,
gathered over HTTP with the participants service's service token. Last, matching is
killed and the export says that its part is missing.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from shared.auth import issue_service_token
from shared.settings import Settings
from tests.housing.helpers import accepted_application, dwelling, place, wait_for_household
from tests.integration.processes import Stack, stack
from tests.matching.support import esco_occupation, start_in_a_job
from tests.support import (
    adopt_persons_settled,
    auth,
    delete_streams,
    eventually,
    persons_settled_counts,
    private_environment,
    record_competence,
    settled_participant,
)

pytestmark = pytest.mark.timeout(300)


@dataclass
class World:
    running: Stack
    settings: Settings
    person: str
    household: str
    match: str


async def _traffic(running: Stack) -> World:
    """The person's journey through all four services, over HTTP to the processes."""
    settings = running.settings
    everyone = auth(settings, ["caseworker", "manager", "job_coach", "housing_officer"])
    cook = esco_occupation()[0]

    async with (
        running.client("participants") as participants,
        running.client("housing") as housing,
        running.client("matching") as matching,
        running.client("indicators") as indicators,
    ):
        await adopt_persons_settled(indicators, everyone)
        person = await settled_participant(participants, everyone, settled_on="2024-02-05")
        await record_competence(participants, everyone, person, cook)
        shown = await participants.get(f"/participants/{person}", headers=everyone)
        household = uuid.UUID(shown.json()["household_id"])

        await wait_for_household(housing, settings, household)
        application = await accepted_application(
            housing,
            settings,
            household,
            received_on="2024-03-01",
            member_ages=[31],
            district_wishes=["Sentrum"],
            members=[{"participant_id": person, "needs_step_free": True}],
        )
        flat = await dwelling(housing, settings)
        await place(
            housing, settings, application["application_id"], flat["dwelling_id"], "2024-04-01"
        )

        async def candidate() -> bool:
            answer = await matching.get(f"/candidates/{person}", headers=everyone)
            return answer.status_code == 200

        await eventually(candidate, timeout=60)
        match = await start_in_a_job(matching, everyone, person, cook)

        await eventually(lambda: persons_settled_counts(indicators, everyone, 1.0), timeout=60)
        await eventually(lambda: _indicators_know(settings, person, household), timeout=60)
        await eventually(lambda: _timeline_has_job(participants, everyone, person), timeout=60)
    return World(running, settings, person, str(household), match)


async def _indicators_know(settings: Settings, person: str, household: uuid.UUID) -> bool:
    """Indicators has the job (from matching) and the placement (from housing)."""
    conn = await asyncpg.connect(settings.service_database_url("indicators", driver="postgresql"))
    try:
        jobs = await conn.fetchval(
            "SELECT count(*) FROM jobs WHERE participant_id = $1", uuid.UUID(person)
        )
        placed = await conn.fetchval(
            "SELECT count(*) FROM placements WHERE household_id = $1", household
        )
        return bool(jobs and placed)
    finally:
        await conn.close()


async def _timeline_has_job(
    participants: httpx.AsyncClient, headers: dict[str, str], person: str
) -> bool:
    answer = await participants.get(f"/participants/{person}/timeline", headers=headers)
    return any(e["type"] == "matching.job.obtained.v1" for e in answer.json()["entries"])


@pytest.fixture(scope="module")
async def world(
    templates: dict[str, str], servers: Any, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    async with private_environment(
        servers.database_url, servers.nats_url, templates, "access"
    ) as settings:
        directory = Path(tmp_path_factory.mktemp("access-stack"))
        async with stack(settings, directory) as running:
            yield await _traffic(running)
            await delete_streams(running.settings)


async def _export(world: World, path: str = "", **headers: str) -> httpx.Response:
    officer = auth(world.settings, ["privacy_officer"])
    async with world.running.client("participants", timeout=60.0) as participants:
        return await participants.get(
            f"/participants/{world.person}/access-export{path}", headers={**officer, **headers}
        )


def _tables(part: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {t["table"]: t["rows"] for t in part["data"]["read_models"]}


def _types(part: dict[str, Any], where: str = "events") -> set[str]:
    return {e["type"] for e in part["data"][where]}


async def test_the_export_gathers_what_all_four_services_store_about_the_person(
    world: World,
) -> None:
    answer = await _export(world)
    assert answer.status_code == 200, answer.text
    export = answer.json()
    assert export["complete"] is True and export["missing"] == []
    parts = {part["service"]: part for part in export["parts"]}
    assert list(parts) == ["participants", "housing", "matching", "indicators"]
    for service, part in parts.items():
        assert part["status"] == "included", service
        assert part["purpose"] and part["purpose_label"] != part["purpose"], service
        assert part["legal_basis"], service
        assert part["data"]["participant_id"] == world.person, service
        assert part["pseudonymous"] is (service != "participants"), service

    own = parts["participants"]
    own_tables = _tables(own)
    assert own_tables["participant_summary"][0]["sealed_details"]["content"]["given_name"] == (
        "Selam"
    )
    assert {r["type"] for r in own_tables["matching_timeline"]} >= {"matching.job.obtained.v1"}
    assert "participants.participant.settled.v1" in _types(own)
    assert "matching.job.obtained.v1" in _types(own, "inbox")
    profile = next(
        e for e in own["data"]["events"] if e["type"].endswith("competence_profile.recorded.v1")
    )
    assert profile["data"]["sealed"]["opened"] is True

    housing = parts["housing"]
    housing_tables = _tables(housing)
    assert housing["data"]["household_ids"] == [world.household]
    assert housing_tables["household_members"][0]["participant_id"] == world.person
    assert housing_tables["housing_applications"][0]["district_wishes"] == ["Sentrum"]
    assert housing_tables["placements"][0]["starts_on"] == "2024-04-01"
    assert "housing.placement.started.v1" in _types(housing)
    assert "participants.participant.settled.v1" in _types(housing, "inbox")
    member_needs = next(
        e for e in housing["data"]["events"] if e["type"].endswith("member_needs_sealed.v1")
    )
    assert member_needs["data"]["sealed"]["content"]["needs_step_free"] is True
    household_needs = next(
        e for e in housing["data"]["events"] if e["type"].endswith(".needs_sealed.v1")
    )
    assert household_needs["data"]["sealed"]["content"]["member_ages"] == [31]
    assert {s["key_holder"] for s in housing["data"]["sealed"]} == {"housing"}
    assert "person_keys" not in housing_tables and "household_keys" not in housing_tables
    placed_in = {t["table"]: t for t in housing["data"]["read_models"]}["dwellings"]
    assert placed_in["related"] is True and placed_in["rows"][0]["address"] == "Storgata 1"

    matching = parts["matching"]
    matching_tables = _tables(matching)
    assert matching_tables["candidates"][0]["participant_id"] == world.person
    assert matching_tables["matches"][0]["match_id"] == world.match
    assert {"matching.match.proposed.v1", "matching.job.obtained.v1"} < _types(matching)
    assert {e["stream_id"] for e in matching["data"]["events"]} == {f"match-{world.match}"}
    assert "participants.participant.settled.v1" in _types(matching, "inbox")
    assert matching["data"]["sealed"] == []
    assert matching_tables["employers"][0]["name"] == "Fjordhotellet AS"
    assert matching_tables["openings"][0]["kind"] == "job"
    # The employer's contact person is someone else's personal data.
    assert "Kari Nordmann" not in str(matching)

    indicators = parts["indicators"]
    indicator_tables = _tables(indicators)
    assert indicator_tables["settlements"][0]["settled_on"] == "2024-02-05"
    assert indicator_tables["registrations"][0]["birth_year"] == 1992
    assert indicator_tables["jobs"][0]["participant_id"] == world.person
    assert {r["change"] for r in indicator_tables["placements"]} == {"started"}
    assert {"matching.job.obtained.v1", "housing.placement.started.v1"} <= _types(
        indicators, "inbox"
    )

    page = await _export(world, ".html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Innsyn: opplysninger lagret om deg" in page.text
    assert "ADVARSEL" not in page.text
    for label in ("Bolig (kommunale", "Matching (arbeid", "Indikatorer (mål"):
        assert label in page.text


async def test_the_parts_are_served_to_service_identities_only(world: World) -> None:
    settings = world.settings
    service = {"Authorization": f"Bearer {issue_service_token(settings, 'participants')}"}
    path = f"/access/participants/{world.person}"
    for name in ("housing", "matching", "indicators"):
        async with world.running.client(name) as client:
            person = await client.get(
                path,
                params={"municipality": "3301"},
                headers=auth(settings, ["privacy_officer", "caseworker"]),
            )
            assert person.status_code == 403, (name, person.text)
            unasked = await client.get(path, headers=service)
            assert unasked.status_code == 422, (name, unasked.text)
            elsewhere = await client.get(path, params={"municipality": "0301"}, headers=service)
            assert elsewhere.status_code == 200, (name, elsewhere.text)
            assert elsewhere.json()["read_models"] == [], name
            assert elsewhere.json()["events"] == [], name


async def test_an_export_while_a_service_is_down_says_which_part_is_missing(
    world: World,
) -> None:
    world.running["matching"].kill()
    answer = await _export(world, **{"Accept-Language": "en"})
    assert answer.status_code == 200, answer.text
    export = answer.json()
    assert export["complete"] is False and export["missing"] == ["matching"]
    parts = {part["service"]: part for part in export["parts"]}
    assert parts["matching"]["status"] == "missing" and parts["matching"]["data"] is None
    assert parts["matching"]["status_label"] == "Missing"
    assert parts["matching"]["missing_reason"].startswith("unreachable")
    assert all(parts[s]["status"] == "included" for s in ("participants", "housing", "indicators"))

    page = await _export(world, ".html", **{"Accept-Language": "en"})
    assert "WARNING: This export is incomplete" in page.text
