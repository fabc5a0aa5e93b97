"""Housing's projections rebuilt from events equal the ones built incrementally."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from deploy.services import service_projections
from services.housing.app import create_app as housing_app
from services.housing.tables import household_keys, metadata, person_keys
from shared.db import Database
from shared.projection import Projection
from shared.replay import rebuild
from shared.settings import Settings
from tests.housing.helpers import (
    RENT_RATES,
    accepted_application,
    agree_rent_to_own,
    apply_for_housing,
    decide_application,
    dwelling,
    end_placement,
    evict,
    officer,
    place,
    post,
    publish_participant_event,
    publish_settled,
    rows,
    settled_households,
    wait_for_household,
)
from tests.support import auth, eventually, running

Snapshot = dict[str, dict[str, list[tuple[Any, ...]]]]


async def _snapshot(settings: Settings, projections: list[Projection]) -> Snapshot:
    """Every row of every table of each projection, in an order fixed by all its columns."""
    snapshot: Snapshot = {}
    for projection in projections:
        snapshot[projection.name] = {}
        for table in projection.tables:
            order = ", ".join(str(n) for n in range(1, len(table.columns) + 1))
            snapshot[projection.name][table.name] = await rows(
                settings, f"SELECT * FROM {table.name} ORDER BY {order}"
            )
    return snapshot


async def test_rebuilt_projections_equal_incremental_ones(settings: Settings) -> None:
    headers = officer(settings)
    async with running(housing_app(settings)) as client:
        await post(
            client,
            "/housing/settings/rent-rates",
            auth(settings, ["manager"]),
            RENT_RATES,
            201,
        )
        # Settlement planning: a year's request, decision, monthly plan and two measures,
        # one of them withdrawn (settlement_plans, settlement_measures).
        plan = "/housing/settlement-plans/2021"
        await post(
            client,
            f"{plan}/request",
            headers,
            {
                "requested_on": "2020-10-01",
                "singles": 2,
                "families": [{"size": 4, "households": 1}],
            },
            200,
        )
        await post(
            client, f"{plan}/decision", headers, {"decided_on": "2020-11-01", "persons": 6}, 200
        )
        monthly = await client.put(
            f"{plan}/monthly-plan",
            headers=headers,
            json={
                "planned_on": "2020-12-01",
                "months": [
                    {"month": 2, "households": [{"size": 1, "households": 2}]},
                    {"month": 5, "households": [{"size": 4, "households": 1}]},
                ],
            },
        )
        assert monthly.status_code == 200, monthly.text
        measure = {
            "kind": "host_family",
            "rooms": 1,
            "quantity": 2,
            "decided_on": "2020-12-01",
            "lead_time_months": 1,
            "owner": "volunteer_centre",
        }
        await post(client, f"{plan}/measures", headers, measure, 201)
        dropped = await post(client, f"{plan}/measures", headers, {**measure, "rooms": 3}, 201)
        await post(
            client,
            f"{plan}/measures/{dropped['measure_id']}/withdrawal",
            headers,
            {"withdrawn_on": "2021-01-10"},
            200,
        )
        households = await settled_households(client, settings, [1, 2, 3, 4, 2, 5])
        flats = [
            await dwelling(client, settings, rooms=rooms, address=f"Gate {rooms}{n}")
            for n, rooms in enumerate((2, 2, 3, 4, 3))
        ]
        await client.patch(
            f"/housing/dwellings/{flats[4]['dwelling_id']}",
            headers=headers,
            json={"status": "under_renovation", "valuation": 2_200_000, "address": "Ny gate 1"},
        )
        placements = []
        for household, flat in zip(households[:4], flats[:4], strict=True):
            application = await accepted_application(
                client, settings, household, received_on="2019-02-01", urgency="high"
            )
            placed = await place(
                client, settings, application["application_id"], flat["dwelling_id"], "2019-04-01"
            )
            placements.append(placed["placement_id"])
        # The housing school: a course, a session, a visit and an incident
        # (housing_school_courses, housing_school_attendance, tenancy_follow_ups).
        course = await post(
            client,
            "/housing/school/courses",
            headers,
            {"starts_on": "2019-05-01", "sessions": 2, "required_sessions": 1},
            201,
        )
        await post(
            client,
            f"/housing/school/courses/{course['id']}/sessions",
            headers,
            {"session": 1, "held_on": "2019-05-02", "attended": [str(households[2])]},
            200,
        )
        await post(
            client,
            "/housing/school/visits",
            headers,
            {
                "household_id": str(households[2]),
                "volunteer_id": str(uuid.uuid4()),
                "visited_on": "2019-06-01",
            },
            201,
        )
        await post(
            client,
            "/housing/school/incidents",
            headers,
            {"household_id": str(households[3]), "kind": "damage", "occurred_on": "2019-07-01"},
            201,
        )
        await end_placement(client, settings, placements[0], "2020-01-31", "private_rental")
        await evict(client, settings, placements[1], "2020-05-05", "breach_of_tenancy")
        agreement = await agree_rent_to_own(
            client, settings, households[2], flats[2]["dwelling_id"], "2019-06-01", 3
        )
        await post(
            client,
            f"/housing/rent-to-own/{agreement['agreement_id']}/purchase",
            headers,
            {"purchased_on": "2022-06-01"},
            201,
        )
        lapsing = await agree_rent_to_own(
            client, settings, households[3], flats[3]["dwelling_id"], "2019-06-01", 5
        )
        await end_placement(client, settings, placements[3], "2021-01-01", "moved_municipality")
        rejected = await apply_for_housing(client, settings, households[4], "2020-01-01")
        await decide_application(
            client, settings, rejected["application_id"], "rejected", "2020-02-01"
        )
        # A member with a birth year joins the last household; their own needs are recorded.
        member = uuid.uuid4()
        await publish_participant_event(
            settings,
            "participants.participant.registered.v1",
            {"participant_id": str(member), "birth_year": 2010},
            stream_id=str(member),
        )
        await publish_settled(
            settings,
            household_id=households[5],
            household_size=5,
            settled_on=date(2009, 1, 15),
            participant_id=member,
        )
        waiting = await accepted_application(
            client, settings, households[5], received_on="2020-03-01", needs_step_free=True
        )

        async def member_needs_recorded() -> bool:
            response = await client.put(
                f"/housing/applications/{waiting['application_id']}/needs",
                headers=headers,
                json={"members": [{"participant_id": str(member), "needs_step_free": True}]},
            )
            return response.status_code == 200

        await eventually(member_needs_recorded)
        loan = await post(
            client,
            "/housing/start-loans",
            headers,
            {
                "household_id": str(households[4]),
                "applied_on": "2021-01-01",
                "purchase_price": 1_800_000,
                "requested_amount": 1_000_000,
                "introduction_benefit": 220_000,
            },
            201,
        )
        await post(
            client,
            f"/housing/start-loans/{loan['loan_id']}/decision",
            headers,
            {"decided_on": "2021-01-15", "approved": False},
            200,
        )
        # A family member settles later; another participant moves away; one is erased.
        family = households[3]
        await publish_settled(
            settings, household_id=family, household_size=5, settled_on=date(2020, 6, 1)
        )
        moving = await publish_settled(
            settings, household_id=uuid.uuid4(), household_size=1, settled_on=date(2020, 7, 1)
        )
        await publish_participant_event(
            settings,
            "participants.participant.moved_out.v1",
            {"participant_id": str(moving), "moved_on": "2021-02-01", "to_municipality": "0301"},
            stream_id=str(moving),
        )
        erased = await publish_settled(
            settings, household_id=None, household_size=None, settled_on=date(2020, 8, 1)
        )
        await wait_for_household(client, settings, erased)
        await publish_participant_event(
            settings,
            "participants.participant.erased.v1",
            {"participant_id": str(erased)},
            stream_id=str(erased),
        )

        async def all_applied() -> bool:
            gone = await client.get(f"/housing/households/{erased}", headers=headers)
            members = await rows(settings, "SELECT count(*) FROM household_members")
            moved = await rows(
                settings, "SELECT count(*) FROM households WHERE left_on IS NOT NULL"
            )
            return gone.status_code == 404 and members == [(9,)] and moved == [(1,)]

        await eventually(all_applied)
        assert lapsing["status"] == "active"

    projections, store = service_projections("housing", settings)
    # Every read model of the service is compared, each of its tables with rows in it.
    assert {t for p in projections for t in p.tables} == set(metadata.sorted_tables) - {
        person_keys,
        household_keys,
    }
    incremental = await _snapshot(settings, projections)
    assert all(table for p in incremental.values() for table in p.values()), {
        name: [t for t, found in p.items() if not found] for name, p in incremental.items()
    }
    assert len(incremental["placements"]["placements"]) == 4
    agreements = incremental["ownership"]["rent_to_own_agreements"]
    assert {r[9] for r in agreements} == {"completed", "lapsed"}
    db = Database.for_service(settings, "housing", pool_size=1)
    try:
        counts = {p.name: await rebuild(db, store, p) for p in projections}
    finally:
        await db.dispose()
    # received: 6 settled + the late member + the mover + moved_out + the erased one + erased
    # + the member with needs (registered and settled)
    assert counts["households"] == 13
    rebuilt = await _snapshot(settings, projections)
    for projection in projections:
        assert rebuilt[projection.name] == incremental[projection.name], projection.name
