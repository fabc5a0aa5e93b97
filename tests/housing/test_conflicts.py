"""Impossible transitions answer 409 in words an officer understands, bad input 422 naming
the field — and neither appends anything."""

from __future__ import annotations

import uuid
from datetime import timedelta
from functools import partial
from typing import Any

import httpx

from services.housing.app import create_app as housing_app
from shared.dates import today
from shared.settings import Settings
from tests.housing.helpers import (
    EVENTS,
    OUTBOX,
    accepted_application,
    apply_for_housing,
    count,
    decide_application,
    dwelling,
    evict,
    officer,
    place,
    post,
    settled_households,
)
from tests.support import auth, running


async def _refused(
    client: httpx.AsyncClient,
    settings: Settings,
    path: str,
    body: dict[str, Any],
    status: int,
    says: str,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    before = (await count(settings, EVENTS), await count(settings, OUTBOX))
    response = await client.post(path, headers=headers or officer(settings), json=body)
    assert response.status_code == status, (path, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    if status == 422:
        assert says in [error["field"] for error in problem["errors"]], problem
        assert says in problem["detail_en"] or says in str(problem["errors"])
    else:
        assert says in problem["detail_en"], problem["detail_en"]
    assert (await count(settings, EVENTS), await count(settings, OUTBOX)) == before
    return problem


async def test_impossible_transitions_are_409_and_append_nothing(settings: Settings) -> None:
    headers = officer(settings)
    async with running(housing_app(settings)) as client:
        refused = partial(_refused, client, settings)
        family, single, other, six = await settled_households(client, settings, [3, 1, 2, 6])
        flat = await dwelling(client, settings, rooms=3)
        second = await dwelling(client, settings, rooms=3, address="Storgata 2")
        studio = await dwelling(client, settings, rooms=1, size_m2=28, address="Storgata 3")
        leased = await dwelling(
            client, settings, rooms=2, ownership="leased_from_private_owner", address="Leid 1"
        )

        pending = await apply_for_housing(client, settings, single, "2020-02-01")
        await refused(
            "/housing/placements",
            {"application_id": pending["application_id"], "dwelling_id": studio["dwelling_id"]},
            409,
            "still pending",
        )
        await refused(
            "/housing/applications",
            {"household_id": str(single), "received_on": "2020-02-02"},
            409,
            "already has an open application",
        )
        await decide_application(
            client, settings, pending["application_id"], "accepted", "2020-02-03"
        )
        await refused(
            f"/housing/applications/{pending['application_id']}/decision",
            {"decision": "rejected", "decided_on": "2020-02-04"},
            409,
            "already accepted on 2020-02-03",
        )

        # A family of six is never given a 1-room flat.
        big = await accepted_application(client, settings, six)
        await refused(
            "/housing/placements",
            {"application_id": big["application_id"], "dwelling_id": studio["dwelling_id"]},
            409,
            "houses at most 2 persons",
        )

        # Allocating an occupied dwelling.
        app_family = await accepted_application(client, settings, family)
        placement = await place(
            client, settings, app_family["application_id"], flat["dwelling_id"], "2020-03-01"
        )
        app_other = await accepted_application(client, settings, other)
        await refused(
            "/housing/placements",
            {"application_id": app_other["application_id"], "dwelling_id": flat["dwelling_id"]},
            409,
            "already occupied",
        )
        suggestions = await client.get(
            f"/housing/dwellings/{flat['dwelling_id']}/suggestions", headers=headers
        )
        assert suggestions.status_code == 409 and "occupied" in suggestions.json()["detail_en"]

        # Two placements for one household at once.
        transfer = await apply_for_housing(client, settings, family, "2020-04-01")
        await decide_application(
            client, settings, transfer["application_id"], "accepted", "2020-04-01"
        )
        await refused(
            "/housing/placements",
            {"application_id": transfer["application_id"], "dwelling_id": second["dwelling_id"]},
            409,
            "already lives in dwelling",
        )

        # Occupied dwellings change status only when the placement ends.
        before = await count(settings, EVENTS)
        patched = await client.patch(
            f"/housing/dwellings/{flat['dwelling_id']}",
            headers=headers,
            json={"status": "under_renovation"},
        )
        assert patched.status_code == 409 and "end that placement" in patched.json()["detail_en"]
        assert await count(settings, EVENTS) == before

        # Rent-to-own: only for the dwelling the household rents, only municipal ones.
        await refused(
            "/housing/rent-to-own",
            {
                "household_id": str(family),
                "dwelling_id": second["dwelling_id"],
                "agreed_on": "2020-05-01",
                "rent_period_years": 5,
            },
            409,
            "does not live in this dwelling",
        )
        app_single_leased = await client.get(
            f"/housing/applications/{pending['application_id']}", headers=headers
        )
        assert app_single_leased.json()["status"] == "accepted"
        await place(
            client, settings, pending["application_id"], leased["dwelling_id"], "2020-03-01"
        )
        await refused(
            "/housing/rent-to-own",
            {
                "household_id": str(single),
                "dwelling_id": leased["dwelling_id"],
                "agreed_on": "2020-05-01",
                "rent_period_years": 3,
            },
            409,
            "leased from private owner",
        )

        # Ending twice; evictions through their own endpoint.
        await refused(
            f"/housing/placements/{placement['placement_id']}/end",
            {"ends_on": "2020-06-01", "reason": "eviction"},
            422,
            "reason",
        )
        await evict(client, settings, placement["placement_id"], "2020-06-01", "rent_arrears")
        await refused(
            f"/housing/placements/{placement['placement_id']}/end",
            {"ends_on": "2020-06-02", "reason": "other"},
            409,
            "already ended on 2020-06-01 (eviction)",
        )

        # A start-loan purchase before the loan is paid out.
        loan = await post(
            client,
            "/housing/start-loans",
            headers,
            {
                "household_id": str(other),
                "applied_on": "2020-05-01",
                "purchase_price": 2_000_000,
                "requested_amount": 1_260_000,
                "introduction_benefit": 200_000,
            },
            201,
        )
        await refused(
            f"/housing/start-loans/{loan['loan_id']}/purchase",
            {"purchased_on": "2020-06-01", "price": 2_000_000},
            409,
            "needs an approved and paid-out loan",
        )
        await refused(
            f"/housing/start-loans/{loan['loan_id']}/decision",
            {"decided_on": "2020-05-10", "approved": True, "loan_amount": 1_260_000},
            422,
            "rate_kind",
        )

        # Other municipalities see nothing.
        elsewhere = officer(settings, "4601")
        assert (
            await client.get(f"/housing/dwellings/{flat['dwelling_id']}", headers=elsewhere)
        ).status_code == 404
        await refused(
            "/housing/placements",
            {"application_id": app_other["application_id"], "dwelling_id": second["dwelling_id"]},
            404,
            "No application",
            headers=elsewhere,
        )
        await refused(
            "/housing/applications",
            {"household_id": str(single)},
            404,
            "No household",
            headers=elsewhere,
        )
        await refused(
            "/housing/applications",
            {"household_id": str(uuid.uuid4())},
            404,
            "No household",
        )
        # Reading needs a housing role; writing needs the housing officer's.
        assert (
            await client.get("/housing/stock", headers=auth(settings, ["caseworker"]))
        ).status_code == 403
        await refused(
            "/housing/dwellings",
            {"address": "x", "district": "y", "rooms": 2, "size_m2": 40},
            403,
            "housing_officer",
            headers=auth(settings, ["manager"]),
        )


async def test_bad_input_is_422_naming_the_field_and_appends_nothing(settings: Settings) -> None:
    tomorrow = (today() + timedelta(days=1)).isoformat()
    async with running(housing_app(settings)) as client:
        (household,) = await settled_households(client, settings, [4])
        flat = await dwelling(client, settings)
        application = await accepted_application(client, settings, household)
        good = {"address": "Storgata 9", "district": "Sentrum", "rooms": 2, "size_m2": 50}
        economy = {
            "price": 2_000_000,
            "loan": 1_260_000,
            "interest_rate_percent": 3,
            "term_years": 30,
            "rent_per_month": 7185,
        }
        cases: list[tuple[str, dict[str, Any], str]] = [
            ("/housing/dwellings", {**good, "valuation": -1}, "valuation"),
            ("/housing/dwellings", {**good, "rooms": 0}, "rooms"),
            ("/housing/dwellings", {**good, "size_m2": 0}, "size_m2"),
            ("/housing/dwellings", {**good, "size_m2": 50.123}, "size_m2"),
            ("/housing/dwellings", {**good, "status": "occupied"}, "status"),
            ("/housing/dwellings", {**good, "ownership": "rented"}, "ownership"),
            ("/housing/dwellings", {**good, "registered_on": tomorrow}, "registered_on"),
            ("/housing/dwellings", {**good, "colour": "blue"}, "colour"),
            ("/housing/dwellings", {k: v for k, v in good.items() if k != "district"}, "district"),
            (
                "/housing/applications",
                {"household_id": str(household), "household_size": 4, "member_ages": [40, 38]},
                "member_ages",
            ),
            ("/housing/applications", {"household_id": "not-a-uuid"}, "household_id"),
            (
                "/housing/applications",
                {"household_id": str(household), "urgency": "soon"},
                "urgency",
            ),
            (
                "/housing/placements",
                {
                    "application_id": application["application_id"],
                    "dwelling_id": flat["dwelling_id"],
                    "starts_on": tomorrow,
                },
                "starts_on",
            ),
            (
                "/housing/placements",
                {
                    "application_id": application["application_id"],
                    "dwelling_id": flat["dwelling_id"],
                    "starts_on": "2019-01-01",
                },
                "starts_on",
            ),
            (
                "/housing/start-loans",
                {"household_id": str(household), "purchase_price": -5, "requested_amount": 0},
                "purchase_price",
            ),
            (
                "/housing/start-loans",
                {"household_id": str(household), "purchase_price": 1000, "requested_amount": 2000},
                "requested_amount",
            ),
            (
                "/housing/start-loans",
                {
                    "household_id": str(household),
                    "purchase_price": 1000,
                    "requested_amount": 0,
                    "employment_income": -1,
                },
                "employment_income",
            ),
            (
                "/housing/rent-to-own",
                {
                    "household_id": str(household),
                    "dwelling_id": flat["dwelling_id"],
                    "rent_period_years": 4,
                },
                "rent_period_years",
            ),
            (
                "/housing/settings/rent-rates",
                {
                    "valid_from": "2020-01-01",
                    "fdv_per_m2_year": {"low": 1, "normal": -400, "high": 1},
                    "government_bond_rate_percent": 1,
                },
                "fdv_per_m2_year.normal",
            ),
            (
                "/housing/economy/ownership-vs-rent",
                {**economy, "loan": -1, "owner_costs_per_year": 27600},
                "loan",
            ),
            (
                "/housing/economy/ownership-vs-rent",
                {**economy, "grant": 1_000_000, "owner_costs_per_year": 27600},
                "loan",
            ),
            (
                "/housing/economy/ownership-vs-rent",
                economy,
                "owner_costs_per_year",
            ),
        ]
        for path, body, field in cases:
            await _refused(
                client,
                settings,
                path,
                body,
                422,
                field,
                headers=auth(settings, ["housing_officer", "manager"]),
            )
        malformed = await client.post(
            "/housing/dwellings",
            headers={**officer(settings), "content-type": "application/json"},
            content=b'{"address": ',
        )
        assert malformed.status_code == 422 and malformed.json()["errors"][0]["field"] == "body"
        empty_patch = await client.patch(
            f"/housing/dwellings/{flat['dwelling_id']}", headers=officer(settings), json={}
        )
        assert empty_patch.status_code == 422
        stale = await client.patch(
            f"/housing/dwellings/{flat['dwelling_id']}",
            headers={**officer(settings), "If-Match": '"7"'},
            json={"valuation": 2_100_000},
        )
        assert stale.status_code == 409 and stale.json()["current_version"] == 2
