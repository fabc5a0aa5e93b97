"""Start loans to ownership, evictions, the economy series over HTTP, rent-rate history,
and the 27-month and per-year reports."""

from __future__ import annotations

from datetime import date

from services.housing.app import create_app as housing_app
from shared.settings import Settings
from tests.housing.helpers import (
    accepted_application,
    agree_rent_to_own,
    dwelling,
    end_placement,
    evict,
    officer,
    place,
    post,
    publish_settled,
    settled_households,
    wait_for_household,
)
from tests.support import auth, running


async def test_start_loan_purchase_makes_an_owner_and_frees_the_dwelling(
    settings: Settings,
) -> None:
    headers = officer(settings)
    async with running(housing_app(settings)) as client:
        (household,) = await settled_households(client, settings, [3])
        flat = await dwelling(client, settings)
        application = await accepted_application(client, settings, household)
        await place(
            client, settings, application["application_id"], flat["dwelling_id"], "2020-03-01"
        )
        agreement = await agree_rent_to_own(
            client, settings, household, flat["dwelling_id"], "2020-06-01", 5
        )
        loan = await post(
            client,
            "/housing/start-loans",
            headers,
            {
                "household_id": str(household),
                "applied_on": "2021-01-10",
                "purchase_price": 2_000_000,
                "requested_amount": 1_260_000,
                "employment_income": 150_000,
                "introduction_benefit": 240_000,
                "other_income": 10_000,
            },
            201,
        )
        # Introduction benefit counts as income: 150,000 + 240,000 + 10,000.
        assert loan["assessment"]["assessed_income_per_year"] == 400_000
        assert loan["assessment"]["of_which_introduction_benefit"] == 240_000
        loan_id = loan["loan_id"]
        decided = await post(
            client,
            f"/housing/start-loans/{loan_id}/decision",
            headers,
            {
                "decided_on": "2021-02-01",
                "approved": True,
                "loan_amount": 1_260_000,
                "grant_amount": 740_000,
                "rate_kind": "fixed",
                "interest_rate_percent": 3.0,
                "interest_only_years": 2,
                "term_years": 30,
            },
            200,
        )
        assert decided["status"] == "approved" and decided["interest_rate_percent"] == 3.0
        early = await client.post(
            f"/housing/start-loans/{loan_id}/purchase",
            headers=headers,
            json={"purchased_on": "2021-03-01", "price": 2_000_000},
        )
        assert early.status_code == 409 and "disbursement" in early.json()["detail_en"]
        await post(
            client,
            f"/housing/start-loans/{loan_id}/disbursement",
            headers,
            {"disbursed_on": "2021-03-01"},
            200,
        )
        owner = await post(
            client,
            f"/housing/start-loans/{loan_id}/purchase",
            headers,
            {"purchased_on": "2021-03-01", "price": 2_000_000},
            201,
        )
        assert owner["route"] == "start_loan" and owner["dwelling_id"] is None
        again = await client.post(
            f"/housing/start-loans/{loan_id}/purchase",
            headers=headers,
            json={"purchased_on": "2021-03-02", "price": 2_000_000},
        )
        assert (
            again.status_code == 409
            and "already became an owner on 2021-03-01" in again.json()["detail_en"]
        )
        freed = (
            await client.get(f"/housing/dwellings/{flat['dwelling_id']}", headers=headers)
        ).json()
        assert freed["status"] == "vacant" and freed["current_household_id"] is None
        history = (await client.get(f"/housing/households/{household}", headers=headers)).json()
        assert history["situation"] == "owner"
        assert history["placements"][0]["end_reason"] == "bought_home"
        assert history["start_loans"][0]["status"] == "used"
        # It bought on the open market, so the rent-to-own agreement lapsed.
        lapsed = (
            await client.get(f"/housing/rent-to-own/{agreement['agreement_id']}", headers=headers)
        ).json()
        assert lapsed["status"] == "lapsed" and lapsed["closed_on"] == "2021-03-01"


async def test_economy_series_for_the_drammen_example(settings: Settings) -> None:
    async with running(housing_app(settings)) as client:
        response = await client.post(
            "/housing/economy/ownership-vs-rent",
            headers=auth(settings, ["caseworker"]),
            json={
                "price": 2_000_000,
                "grant": 740_000,
                "loan": 1_260_000,
                "interest_rate_percent": 3,
                "term_years": 30,
                "loan_type": "serial",
                "rent_per_month": 7185,
                "size_m2": 69,
                "fdv_per_m2_year": 400,
            },
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["own_funds"] == 0
    assert body["grant_share_of_price"] == 0.37  # 740,000 / 2,000,000
    assert body["owner_costs_per_year"] == 27600.0  # 69 m² × NOK 400
    # Serial: 1,260,000 / 360 = 3,500 + first month's interest 1,260,000 × 0.0025 = 3,150
    assert body["monthly_payment_after_interest_only"] == 6650.0
    first, last = body["years"][0], body["years"][-1]
    assert len(body["years"]) == 15
    # Year 1: interest 0.0025 × (12 × 1,260,000 − 3,500 × 66) = 37,222.50; net
    # 37,222.50 + 42,000 + 27,600 − 22 % × 37,222.50 = 98,633.55; rent 7,185 × 12 = 86,220.
    assert first == {
        "year": 1,
        "interest": 37222.5,
        "instalment": 42000.0,
        "owner_costs": 27600.0,
        "tax_deduction": 8188.95,
        "owner_net_cash_cost": 98633.55,
        "owner_cost_excluding_instalment": 56633.55,
        "debt_at_year_end": 1218000.0,
        "grant_remaining": 703000.0,
        "rent": 86220.0,
        "difference": -12413.55,
    }
    assert last["interest"] == 19582.5 and last["debt_at_year_end"] == 630000.0
    # Σ interest: 15 × 37,222.50 − 1,260 × 105 = 426,037.50; Σ rent: 15 × 86,220 = 1,293,300
    assert body["totals"]["interest"] == 426037.5
    assert body["totals"]["rent"] == 1293300.0
    assert body["totals"]["instalment"] == 630000.0
    assert any("annuity" in formula for formula in body["formulas"])


async def test_rent_uses_the_rates_in_force_on_the_day(settings: Settings) -> None:
    manager = auth(settings, ["manager"])
    async with running(housing_app(settings)) as client:
        flat = await dwelling(client, settings)
        missing = await client.get(
            f"/housing/dwellings/{flat['dwelling_id']}/rent", headers=manager
        )
        assert missing.status_code == 409 and "No rent rates" in missing.json()["detail_en"]
        for valid_from, normal, bond in (("2020-01-01", 400, 0.931), ("2023-01-01", 450, 3.5)):
            await post(
                client,
                "/housing/settings/rent-rates",
                manager,
                {
                    "valid_from": valid_from,
                    "fdv_per_m2_year": {"low": 350, "normal": normal, "high": 500},
                    "government_bond_rate_percent": bond,
                },
                201,
            )
        rates = (await client.get("/housing/settings/rent-rates", headers=manager)).json()
        assert [r["valid_from"] for r in rates["history"]] == ["2020-01-01", "2023-01-01"]
        assert rates["current"]["government_bond_rate_percent"] == 3.5

        async def rent_on(day: str) -> dict[str, object]:
            response = await client.get(
                f"/housing/dwellings/{flat['dwelling_id']}/rent?on={day}", headers=manager
            )
            assert response.status_code == 200, response.text
            body: dict[str, object] = response.json()
            return body

        old = await rent_on("2022-12-31")
        # 69 × 400 = 27,600; 2,000,000 × 2.931 % = 58,620; 86,220 / 12 = 7,185
        assert old["monthly_rent"] == 7185 and old["rates"]["valid_from"] == "2020-01-01"  # type: ignore[index]
        new = await rent_on("2023-01-01")
        # 69 × 450 = 31,050; 2,000,000 × 5.5 % = 110,000; 141,050 / 12 = 11,754.17 → 11,754
        assert new["monthly_rent"] == 11754
        assert new["capital_rate_percent"] == 5.5 and new["cost_per_year"] == 141050.0
        assert "not on district" in str(new["explanation"])


async def test_moves_within_27_months_and_evictions_per_year(settings: Settings) -> None:
    reader = auth(settings, ["analyst"])
    async with running(housing_app(settings)) as client:
        # Settled 2019-11-30: the window closes on 2022-02-28.
        early, late, transfer, evicted = await settled_households(
            client, settings, [2, 2, 2, 2], settled_on=date(2019, 11, 30)
        )
        flats = [await dwelling(client, settings, address=f"Vei {n}") for n in range(5)]

        async def move_in(
            household: object, flat: dict[str, object], on: str, received: str
        ) -> str:
            application = await accepted_application(
                client, settings, household, received_on=received
            )  # type: ignore[arg-type]
            placed = await place(
                client, settings, application["application_id"], flat["dwelling_id"], on
            )
            return str(placed["placement_id"])

        p = await move_in(early, flats[0], "2020-01-10", "2019-12-01")
        await end_placement(
            client, settings, p, "2022-02-28", "private_rental"
        )  # on the last day of the window
        p = await move_in(late, flats[1], "2020-01-10", "2019-12-01")
        await end_placement(client, settings, p, "2022-03-01", "private_rental")  # one day late
        p = await move_in(transfer, flats[2], "2020-01-10", "2019-12-01")
        await end_placement(
            client, settings, p, "2021-01-01", "other"
        )  # moved to another municipal dwelling the same day
        await move_in(transfer, flats[3], "2021-01-01", "2020-12-01")
        p = await move_in(evicted, flats[4], "2020-01-10", "2019-12-01")
        await evict(client, settings, p, "2021-06-01", "rent_arrears")
        # An old settlement without household fields: the participant is its own household.
        participant = await publish_settled(
            settings, household_id=None, household_size=None, settled_on=date(2019, 12, 1)
        )
        solo = await wait_for_household(client, settings, participant)
        assert solo["settlement"]["household_size"] == 1

        report = (
            await client.get(
                "/housing/reports/moved-out-within-27-months?settled_from=2019-11-01&settled_to=2019-11-30",
                headers=reader,
            )
        ).json()
        by_household = {h["household_id"]: h for h in report["households"]}
        assert by_household[str(early)]["within"] is True
        assert by_household[str(early)]["deadline"] == "2022-02-28"
        assert by_household[str(late)]["within"] is False
        assert by_household[str(transfer)]["moved_out_on"] is None
        assert by_household[str(evicted)]["reason"] == "eviction"
        assert report["measured"] == 4 and report["window_open"] == 0
        assert report["moved_out_within"] == 2 and report["share"] == 0.5
        assert report["moved_to_private_rental_or_own_home"] == 1
        assert report["share_private_rental_or_own_home"] == 0.25
        assert report["by_reason"] == {"eviction": 1, "private_rental": 1}

        evictions = (
            await client.get(
                "/housing/reports/evictions-per-year?from_year=2020&to_year=2021", headers=reader
            )
        ).json()["results"]
        assert evictions == [
            {"year": 2020, "evictions": 0, "by_grounds": {}},
            {"year": 2021, "evictions": 1, "by_grounds": {"rent_arrears": 1}},
        ]
        timing = (
            await client.get(
                "/housing/reports/time-to-first-placement?settled_from=2019-11-30&settled_to=2019-11-30",
                headers=reader,
            )
        ).json()
        # 2019-11-30 → 2020-01-10 = 41 days, for all four
        assert timing["households_placed"] == 4 and timing["median_days"] == 41
        stock = (await client.get("/housing/stock", headers=reader)).json()
        assert stock["total"] == {
            "dwellings": 5,
            "in_stock": 5,
            "vacant": 4,
            "occupied": 1,
            "under_renovation": 0,
            "sold": 0,
            "occupancy_rate": 0.2,
        }
        assert stock["by_district"][0]["district"] == "Sentrum"
