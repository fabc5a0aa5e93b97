"""The housing school over HTTP on real PostgreSQL and NATS: a course's sessions with
attendance per household, completion, host-family visits, and damage, complaints and
evictions compared for households that completed it and those that did not."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from services.housing.app import create_app
from services.housing.domain.housing_school import compare
from shared.settings import Settings
from tests.housing.helpers import (
    accepted_application,
    dwelling,
    evict,
    officer,
    place,
    post,
    settled_households,
)
from tests.support import running


async def test_attendance_completion_and_outcomes_by_completion(settings: Settings) -> None:
    headers = officer(settings)
    async with running(create_app(settings)) as client:
        a, b, c, d = await settled_households(client, settings, [2, 3, 1, 4])
        placements = {}
        for household in (a, b, c, d):
            application = await accepted_application(client, settings, household)
            home = await dwelling(client, settings)
            placements[household] = await place(
                client, settings, application["application_id"], home["dwelling_id"], "2020-03-01"
            )

        too_many = await client.post(
            "/housing/school/courses",
            headers=headers,
            json={"starts_on": "2020-04-01", "sessions": 3, "required_sessions": 4},
        )
        assert too_many.status_code == 422
        assert too_many.json()["code"] == "housing-school-required-sessions"
        course = await post(
            client,
            "/housing/school/courses",
            headers,
            {"starts_on": "2020-04-01", "sessions": 3, "required_sessions": 2},
            201,
        )
        base = f"/housing/school/courses/{course['id']}"
        for session, held_on, came in (
            (1, "2020-04-01", [a, b, c]),
            (2, "2020-04-08", [a, b]),
        ):
            await post(
                client,
                f"{base}/sessions",
                headers,
                {"session": session, "held_on": held_on, "attended": [str(h) for h in came]},
                200,
            )
        again = await client.post(
            f"{base}/sessions",
            headers=headers,
            json={"session": 2, "held_on": "2020-04-15", "attended": []},
        )
        assert again.status_code == 409
        assert again.json()["code"] == "housing-school-session"
        stranger = await client.post(
            f"{base}/sessions",
            headers=headers,
            json={"session": 3, "held_on": "2020-04-15", "attended": [str(uuid.uuid4())]},
        )
        assert stranger.status_code == 404

        shown = (await client.get(base, headers=headers)).json()
        attendance = {h["household_id"]: h for h in shown["households"]}
        assert attendance[str(a)] == {
            "household_id": str(a),
            "sessions_attended": 2,
            "completed_on": "2020-04-08",
        }
        assert attendance[str(c)]["sessions_attended"] == 1
        assert attendance[str(c)]["completed_on"] is None
        assert str(d) not in attendance
        assert [h["session"] for h in shown["held"]] == [1, 2]

        await post(
            client,
            "/housing/school/visits",
            headers,
            {"household_id": str(a), "volunteer_id": str(uuid.uuid4()), "visited_on": "2020-05-01"},
            201,
        )
        for household, kind in ((c, "damage"), (d, "complaint"), (a, "complaint")):
            await post(
                client,
                "/housing/school/incidents",
                headers,
                {"household_id": str(household), "kind": kind, "occurred_on": "2020-06-01"},
                201,
            )
        await evict(client, settings, placements[d]["placement_id"], "2020-09-01", "rent_arrears")

        found = (
            await client.get(
                "/housing/school/outcomes",
                headers=headers,
                params={"since": "2020-01-01", "until": "2020-12-31"},
            )
        ).json()
        assert found["groups"] == {
            "completed": {
                "households": 2,
                "with_damage": 0,
                "with_complaint": 1,
                "evicted": 0,
                "rates": {"damage": 0.0, "complaint": 0.5, "eviction": 0.0},
            },
            "not_completed": {
                "households": 2,
                "with_damage": 1,
                "with_complaint": 1,
                "evicted": 1,
                "rates": {"damage": 0.5, "complaint": 0.5, "eviction": 0.5},
            },
        }


households = st.lists(st.uuids(), unique=True, max_size=30)


@given(housed=households, data=st.data())
def test_every_housed_household_is_in_exactly_one_group(
    housed: list[uuid.UUID], data: st.DataObject
) -> None:
    completers = set(data.draw(st.lists(st.sampled_from(housed), unique=True))) if housed else set()
    evicted = set(data.draw(st.lists(st.sampled_from(housed), unique=True))) if housed else set()
    incidents = {h: {"damage"} for h in housed[::2]}
    groups = compare(housed, completers, incidents, evicted)
    assert groups["completed"].households == len(completers)
    assert groups["completed"].households + groups["not_completed"].households == len(housed)
    assert groups["completed"].evicted + groups["not_completed"].evicted == len(evicted)
    for outcome in groups.values():
        assert outcome.with_damage <= outcome.households
