"""Participants events as their relay publishes them: programme completions whose outcome
took the person away count as departures (records older than the dedicated events); the
inbox keeps nothing of the events the households do not follow."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

from services.housing.app import create_app as housing_app
from shared.settings import Settings
from tests.housing.helpers import (
    accepted_application,
    dwelling,
    officer,
    publish_participant_event,
    publish_settled,
    rows,
    wait_for_application,
    wait_for_household,
)
from tests.support import running


async def test_a_programme_ended_by_emigration_takes_the_household_off_the_waiting_list(
    settings: Settings,
) -> None:
    async with running(housing_app(settings)) as client:
        household_id = uuid.uuid4()
        person = await publish_settled(
            settings,
            household_id=household_id,
            household_size=1,
            settled_on=date(2019, 5, 1),
        )
        await wait_for_household(client, settings, household_id)
        application = await accepted_application(
            client, settings, household_id, received_on="2020-02-01"
        )
        completed: dict[str, Any] = {
            "participant_id": str(person),
            "programme_id": str(uuid.uuid4()),
            "ended_on": "2022-03-01",
            "reason": "completed",
        }
        await publish_participant_event(
            settings,
            "participants.programme.completed.v1",
            {**completed, "outcome": "employed", "hours_per_week": 37.5},
            stream_id=str(person),
        )
        await publish_participant_event(
            settings,
            "participants.programme.completed.v1",
            {**completed, "outcome": "emigrated", "reason": "interrupted"},
            stream_id=str(person),
        )

        view = await wait_for_application(
            client, settings, application["application_id"], waiting_end_reason="emigrated"
        )
        assert view["waiting_until"] == "2022-03-01"
        inbox = [
            json.loads(payload)
            for (payload,) in await rows(
                settings,
                "SELECT payload::text FROM received_events "
                "WHERE payload->>'type' LIKE '%programme.completed.v1'",
            )
        ]
        assert sorted(len(p["data"]) for p in inbox) == [0, 3]
        assert all("hours_per_week" not in p["data"] for p in inbox)


async def test_a_household_whose_members_were_all_erased_leaves_the_waiting_list(
    settings: Settings,
) -> None:
    async with running(housing_app(settings)) as client:
        household_id = uuid.uuid4()
        person = await publish_settled(
            settings, household_id=household_id, household_size=1, settled_on=date(2019, 5, 1)
        )
        await wait_for_household(client, settings, household_id)
        application = await accepted_application(
            client, settings, household_id, received_on="2020-02-01", member_ages=[40]
        )
        flat = await dwelling(
            client,
            settings,
            address="Torget 1",
            rooms=1,
            size_m2=30,
            valuation=None,
            registered_on="2010-01-01",
        )
        await publish_participant_event(
            settings,
            "participants.participant.erased.v1",
            {"participant_id": str(person)},
            stream_id=str(person),
        )

        view = await wait_for_application(
            client, settings, application["application_id"], waiting_end_reason="erased"
        )
        assert view["member_ages"] == [] and view["needs_erased"] is True
        listed = await client.get("/housing/waiting-list", headers=officer(settings))
        assert str(household_id) not in {e["household_id"] for e in listed.json()["results"]}
        refused = await client.post(
            "/housing/placements",
            headers=officer(settings),
            json={
                "application_id": application["application_id"],
                "dwelling_id": flat["dwelling_id"],
                "starts_on": "2021-01-01",
            },
        )
        assert refused.status_code == 409 and refused.json()["code"] == "household-left"
        assert await rows(settings, "SELECT count(*) FROM household_keys") == [(0,)]
