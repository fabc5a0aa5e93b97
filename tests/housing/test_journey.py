"""The housing career over HTTP and NATS: settled → applied → waiting → allocated →
rent-to-own → owner, with rent, reports and the published events."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import httpx

from services.housing.app import create_app as housing_app
from services.participants.app import create_app as participants_app
from shared.settings import Settings
from tests.housing.helpers import (
    RENT_RATES,
    agree_rent_to_own,
    count,
    decide_application,
    officer,
    place,
    post,
    publish_settled,
    wait_for_household,
)
from tests.support import auth, eventually, national_id, published_events, running
from tests.unit.test_contract import FORBIDDEN

SETTLED_ON = date(2019, 3, 1)
HOUSEHOLD_SIZE = 4


async def _settle_family(settings: Settings, participants: httpx.AsyncClient) -> uuid.UUID:
    """Settle a family of four through the participants service: the first member's
    settlement creates the household, the others join it. While the participants API
    does not return households yet, the test publishes the settlement itself."""
    caseworker = auth(settings)
    household_id: uuid.UUID | None = None
    for n, born in enumerate(
        (date(1985, 4, 12), date(1988, 1, 3), date(2012, 6, 1), date(2015, 2, 9))
    ):
        registered = await participants.post(
            "/participants",
            headers=caseworker,
            json={
                "given_name": f"Member{n}",
                "family_name": "Haile",
                "birth_date": born.isoformat(),
                "national_id": national_id(born, d_number=True),
            },
        )
        assert registered.status_code == 201, registered.text
        participant_id = registered.json()["id"]
        body: dict[str, Any] = {
            "settled_on": SETTLED_ON.isoformat(),
            "arrival_category": "resettlement_refugee",
        }
        if household_id is not None:
            body["household_id"] = str(household_id)
        settled = await participants.post(
            f"/participants/{participant_id}/settlement", headers=caseworker, json=body
        )
        assert settled.status_code == 201, settled.text
        if "household_id" not in settled.json():
            household_id = uuid.uuid4()
            await publish_settled(
                settings,
                household_id=household_id,
                household_size=HOUSEHOLD_SIZE,
                settled_on=SETTLED_ON,
            )
            return household_id
        household_id = uuid.UUID(settled.json()["household_id"])
    assert household_id is not None
    return household_id


async def test_settled_family_waits_is_housed_and_becomes_owner(settings: Settings) -> None:
    headers = officer(settings)
    async with (
        running(participants_app(settings)) as participants,
        running(housing_app(settings)) as housing,
    ):
        household_id = await _settle_family(settings, participants)

        async def all_members() -> dict[str, Any] | None:
            known = await wait_for_household(housing, settings, household_id)
            return known if known["settlement"]["household_size"] == HOUSEHOLD_SIZE else None

        known = await eventually(all_members)
        assert known["settlement"]["settled_on"] == "2019-03-01"
        assert known["settlement"]["household_size"] == HOUSEHOLD_SIZE
        assert known["situation"] == "no_municipal_housing"

        # The municipality's rent rates and a 3-room, 69 m² dwelling valued at NOK 2.0 M.
        await post(
            housing,
            "/housing/settings/rent-rates",
            auth(settings, ["manager"]),
            RENT_RATES,
            201,
        )
        flat = await post(
            housing,
            "/housing/dwellings",
            headers,
            {
                "address": "Tollbugata 7",
                "district": "Strømsø",
                "rooms": 3,
                "size_m2": 69,
                "floor": 2,
                "has_lift": True,
                "valuation": 2_000_000,
                "registered_on": "2018-06-01",
            },
            201,
        )
        dwelling_id = flat["dwelling_id"]
        rent = (await housing.get(f"/housing/dwellings/{dwelling_id}/rent", headers=headers)).json()
        # (69 × 400 + 2,000,000 × (0.931 + 2) %) / 12 = (27,600 + 58,620) / 12 = 7,185
        assert rent["monthly_rent"] == 7185
        assert rent["fdv_per_year"] == 27600.0 and rent["capital_cost_per_year"] == 58620.0

        # Applied and waiting.
        application = await post(
            housing,
            "/housing/applications",
            headers,
            {
                "household_id": str(household_id),
                "member_ages": [39, 36, 10, 7],
                "district_wishes": ["Strømsø"],
                "urgency": "high",
                "received_on": "2019-03-04",
            },
            201,
        )
        assert application["household_size"] == 4 and application["status"] == "pending"
        application_id = application["application_id"]
        listed = (await housing.get("/housing/waiting-list?on=2019-03-10", headers=headers)).json()
        assert listed["households_waiting"] == 1
        assert listed["results"][0]["status"] == "pending"
        assert listed["results"][0]["days_waiting"] == 6
        await decide_application(housing, settings, application_id, "accepted", "2019-03-08")
        history = (await housing.get(f"/housing/households/{household_id}", headers=headers)).json()
        assert history["situation"] == "waiting"
        assert history["situation_label"] == "På venteliste"
        assert {e["label"] for e in history["timeline"]} >= {"Søknad om bolig mottatt"}

        suggestions = (
            await housing.get(f"/housing/dwellings/{dwelling_id}/suggestions", headers=headers)
        ).json()
        assert suggestions["capacity"] == 4
        top = suggestions["suggestions"][0]
        assert top["application_id"] == application_id
        assert {p["factor"] for p in top["parts"]} == {
            "size",
            "access",
            "district",
            "waiting",
            "urgency",
        }
        assert round(sum(p["points"] for p in top["parts"]), 2) == top["score"]

        # Allocated.
        placement = await place(housing, settings, application_id, dwelling_id, "2019-05-01")
        placement_id = placement["placement_id"]
        occupied = (await housing.get(f"/housing/dwellings/{dwelling_id}", headers=headers)).json()
        assert occupied["status"] == "occupied"
        assert occupied["current_household_id"] == str(household_id)
        assert occupied["current_placement_id"] == placement_id
        now = (await housing.get("/housing/waiting-list", headers=headers)).json()
        assert now["households_waiting"] == 0
        then = (await housing.get("/housing/waiting-list?on=2019-04-30", headers=headers)).json()
        assert [e["household_id"] for e in then["results"]] == [str(household_id)]
        assert then["results"][0]["days_waiting"] == 57

        # Rent-to-own: agreed, a purchase too early is refused, then completed.
        agreement = await agree_rent_to_own(
            housing, settings, household_id, dwelling_id, "2019-06-01", 3
        )
        assert agreement["price"] == 2_000_000
        assert agreement["purchase_from"] == "2022-06-01"
        events_before = await count(settings, "SELECT count(*) FROM events")
        for purchased_on, message, status, code in (
            ("2019-05-15", "before the agreement", 422, "date-order"),
            ("2022-05-31", "rent period runs until 2022-06-01", 409, "rent-period-running"),
        ):
            early = await housing.post(
                f"/housing/rent-to-own/{agreement['agreement_id']}/purchase",
                headers=headers,
                json={"purchased_on": purchased_on},
            )
            assert early.status_code == status, early.text
            assert message in early.json()["detail_en"] and early.json()["code"] == code
        assert await count(settings, "SELECT count(*) FROM events") == events_before
        # The purchase is financed by a start loan: grant 740,000 + loan 1,260,000.
        loan = await post(
            housing,
            "/housing/start-loans",
            headers,
            {
                "household_id": str(household_id),
                "applied_on": "2022-03-01",
                "purchase_price": 2_000_000,
                "requested_amount": 1_260_000,
                "employment_income": 310_000,
                "introduction_benefit": 120_000,
            },
            201,
        )
        assert loan["assessment"]["assessed_income_per_year"] == 430_000
        loan_id = loan["loan_id"]
        await post(
            housing,
            f"/housing/start-loans/{loan_id}/decision",
            headers,
            {
                "decided_on": "2022-04-01",
                "approved": True,
                "loan_amount": 1_260_000,
                "grant_amount": 740_000,
                "rate_kind": "fixed",
                "interest_rate_percent": 3,
                "term_years": 30,
            },
            200,
        )
        unpaid = await housing.post(
            f"/housing/rent-to-own/{agreement['agreement_id']}/purchase",
            headers=headers,
            json={"purchased_on": "2022-06-15", "loan_id": loan_id},
        )
        assert unpaid.status_code == 409, unpaid.text
        assert unpaid.json()["code"] == "purchase-before-disbursement"
        await post(
            housing,
            f"/housing/start-loans/{loan_id}/disbursement",
            headers,
            {"disbursed_on": "2022-06-10"},
            200,
        )
        shortcut = await housing.post(
            f"/housing/start-loans/{loan_id}/purchase",
            headers=headers,
            json={"purchased_on": "2022-06-15", "price": 2_000_000, "dwelling_id": dwelling_id},
        )
        assert (
            shortcut.status_code == 409 and "rent-to-own agreement" in shortcut.json()["detail_en"]
        )
        owner = await post(
            housing,
            f"/housing/rent-to-own/{agreement['agreement_id']}/purchase",
            headers,
            {"purchased_on": "2022-06-15", "loan_id": loan_id},
            201,
        )
        assert owner == {
            "household_id": str(household_id),
            "became_owner_on": "2022-06-15",
            "route": "rent_to_own",
            "dwelling_id": dwelling_id,
            "price": 2_000_000,
            "agreement_id": agreement["agreement_id"],
            "loan_id": loan_id,
        }

        sold = (await housing.get(f"/housing/dwellings/{dwelling_id}", headers=headers)).json()
        assert sold["status"] == "sold" and sold["current_household_id"] is None
        ended = (await housing.get(f"/housing/placements/{placement_id}", headers=headers)).json()
        assert ended["end_reason"] == "bought_home" and ended["ends_on"] == "2022-06-15"
        history = (await housing.get(f"/housing/households/{household_id}", headers=headers)).json()
        assert history["situation"] == "owner"
        assert history["days_from_settlement_to_first_placement"] == 61
        assert [entry["event"] for entry in history["timeline"]] == [
            "housing.housing_application.received.v1",
            "housing.housing_application.needs_sealed.v1",
            "housing.housing_application.decided.v1",
            "housing.placement.started.v1",
            "housing.rent_to_own.agreed.v1",
            "housing.start_loan.applied.v1",
            "housing.start_loan.decided.v1",
            "housing.start_loan.disbursed.v1",
            "housing.placement.ended.v1",
            "housing.household.became_owner.v1",
        ]
        assert history["rent_to_own_agreements"][0]["status"] == "completed"
        assert history["start_loans"][0]["status"] == "used"

        manager = auth(settings, ["manager"])
        owners = (
            await housing.get(
                "/housing/reports/owners-per-year?from_year=2021&to_year=2022", headers=manager
            )
        ).json()["results"]
        assert owners == [
            {"year": 2021, "rent_to_own": 0, "start_loan": 0, "total": 0},
            {"year": 2022, "rent_to_own": 1, "start_loan": 0, "total": 1},
        ]
        timing = (
            await housing.get(
                "/housing/reports/time-to-first-placement?settled_from=2019-01-01&settled_to=2019-12-31",
                headers=manager,
            )
        ).json()
        assert timing["households_placed"] == 1 and timing["median_days"] == 61
        moved = (
            await housing.get(
                "/housing/reports/moved-out-within-27-months?settled_from=2019-01-01&settled_to=2019-12-31",
                headers=manager,
            )
        ).json()
        # Settled 2019-03-01, so the window closed on 2021-06-01; bought on 2022-06-15.
        assert moved["measured"] == 1 and moved["moved_out_within"] == 0 and moved["share"] == 0

        async def all_published() -> list[dict[str, Any]] | None:
            found = await published_events(settings, "housing")
            return found if len(found) == 11 else None

        published = await eventually(all_published)

    assert [doc["type"].removeprefix("no.veiviser.") for doc in published] == [
        "housing.dwelling.registered.v1",
        "housing.housing_application.received.v1",
        "housing.housing_application.decided.v1",
        "housing.dwelling.changed.v1",
        "housing.placement.started.v1",
        "housing.rent_to_own.agreed.v1",
        "housing.start_loan.decided.v1",
        "housing.start_loan.disbursed.v1",
        "housing.dwelling.changed.v1",
        "housing.placement.ended.v1",
        "housing.household.became_owner.v1",
    ]
    for doc in published:
        assert not set(doc["data"]) & FORBIDDEN
        assert "Tollbugata" not in json.dumps(doc)
        assert "member_ages" not in doc["data"]
    assert published[4]["data"]["household_id"] == str(household_id)
    assert published[8]["data"]["status"] == "sold"
    assert published[10]["data"]["loan_id"] == loan_id
    assert published[7]["data"]["grant_amount"] == 740_000
    assert "employment_income" not in json.dumps(published)
