"""Settlement planning against the housing stock, over HTTP on PostgreSQL and NATS.

A Drammen-like municipality (3301): 160 municipal dwellings, 36 move-outs in 2025, about
12 persons settled a month in 2026. Its forecast and gap are checked by hand for January,
February and March 2026, with the preparedness plan's measures and the 30 % what-if.
"""

from __future__ import annotations

import io
import uuid
from datetime import date
from typing import Any

import httpx
from openpyxl import load_workbook

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
    publish_participant_event,
    publish_settled,
    wait_for_household,
)
from tests.support import auth, eventually, running

PLAN = "/housing/settlement-plans/2026"

# Dwellings by rooms: (occupied, vacant, move-outs in 2025). 160 in all.
STOCK = {1: (28, 2, 6), 2: (48, 2, 12), 3: (49, 1, 12), 4: (24, 0, 6), 5: (6, 0, 0)}
END_REASONS = ("private_rental", "moved_municipality", "eviction")

# Twelve persons a month: 144 persons, 8 of them unaccompanied minors (housed in shared
# homes, not in the municipal dwellings this forecast is about).
MONTH_A = {
    "households": [
        {"size": 1, "households": 2},
        {"size": 2, "households": 1},
        {"size": 4, "households": 2},
    ],
    "unaccompanied_minors": 0,
}
MONTH_B = {
    "households": [
        {"size": 1, "households": 1},
        {"size": 3, "households": 1},
        {"size": 6, "households": 1},
    ],
    "unaccompanied_minors": 2,
}
MONTH_C = {
    "households": [
        {"size": 1, "households": 3},
        {"size": 2, "households": 1},
        {"size": 7, "households": 1},
    ],
    "unaccompanied_minors": 0,
}
MONTHS = [{"month": m, **(MONTH_A, MONTH_B, MONTH_C)[(m - 1) % 3]} for m in range(1, 13)]


async def _seed_stock(client: httpx.AsyncClient, settings: Settings) -> None:
    """Every occupied dwelling has been let since 2020-01-01. In each dwelling with a move-out
    the first tenancy ended on the 15th of a month M of 2025 and the next household moved
    in on the 1st of M + 1, so every occupied dwelling is at risk on all twelve month
    starts of 2025, and the 2025 move-outs are exactly the third number of STOCK."""
    plan: list[tuple[str, int | None]] = []
    households: list[uuid.UUID] = []
    ending = 0
    for rooms, (occupied, vacant, endings) in STOCK.items():
        for k in range(occupied + vacant):
            flat = await dwelling(client, settings, rooms=rooms, size_m2=20 + 15 * rooms)
            if k < occupied:
                plan.append((flat["dwelling_id"], (ending % 11) + 1 if k < endings else None))
                if k < endings:
                    ending += 1
    for _, month in plan:
        households.append(uuid.uuid4())
        if month is not None:
            households.append(uuid.uuid4())
    for household in households:
        await publish_settled(
            settings, household_id=household, household_size=1, settled_on=date(2019, 6, 1)
        )
    for household in households:
        await wait_for_household(client, settings, household)
    queue = iter(households)
    for position, (flat_id, month) in enumerate(plan):
        first = next(queue)
        application = await accepted_application(client, settings, first, received_on="2019-12-01")
        placement = await place(
            client, settings, application["application_id"], flat_id, "2020-01-01"
        )
        if month is None:
            continue
        ended_on = f"2025-{month:02d}-15"
        reason = END_REASONS[position % 3]
        if reason == "eviction":
            await evict(client, settings, placement["placement_id"], ended_on, "rent_arrears")
        else:
            await end_placement(client, settings, placement["placement_id"], ended_on, reason)
        second = next(queue)
        application = await accepted_application(client, settings, second, received_on="2019-12-01")
        await place(
            client, settings, application["application_id"], flat_id, f"2025-{month + 1:02d}-01"
        )


async def _seed_plan(client: httpx.AsyncClient, settings: Settings) -> dict[str, Any]:
    headers = officer(settings)
    request = {
        "requested_on": "2025-10-01",
        "singles": 30,
        "families": [{"size": 4, "households": 10}, {"size": 6, "households": 5}],
        "unaccompanied_minors": 10,
    }
    requested = await post(client, f"{PLAN}/request", headers, request, 200)
    assert requested["request"]["persons"] == 30 + 40 + 30 + 10
    await post(
        client,
        f"{PLAN}/decision",
        headers,
        {"decided_on": "2025-11-15", "persons": 144, "unaccompanied_minors": 8},
        200,
    )
    response = await client.put(
        f"{PLAN}/monthly-plan", headers=headers, json={"planned_on": "2025-12-01", "months": MONTHS}
    )
    assert response.status_code == 200, response.text
    planned: dict[str, Any] = response.json()
    return planned


def _rooms(month: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {r["rooms"]: r for r in month["by_rooms"]}


async def test_drammen_like_forecast_gap_measures_what_if_grant_and_report(
    settings: Settings,
) -> None:
    headers = officer(settings)
    async with running(housing_app(settings)) as client:
        await _seed_stock(client, settings)
        planned = await _seed_plan(client, settings)
        assert planned["planned_persons"] == 144 and planned["plan_matches_decision"] is True

        forecast = (
            await client.get(f"{PLAN}/forecast?months=12&window=12", headers=headers)
        ).json()
        # Hazard over 2025 (window 12): each occupied dwelling is at risk on 12 month
        # starts, so h_r = move-outs / (12 × occupied) and λ_r = occupied × h_r = move-outs / 12:
        #   1 room 6/336 → λ 0.5; 2 rooms 12/576 → 1.0; 3 rooms 12/588 → 1.0;
        #   4 rooms 6/288 → 0.5; 5+ rooms 0/72 → 0.
        hazards = {h["rooms"]: h for h in forecast["hazards"]}
        assert {r: (h["endings"], h["at_risk_months"]) for r, h in hazards.items()} == {
            1: (6, 336),
            2: (12, 576),
            3: (12, 588),
            4: (6, 288),
            5: (0, 72),
        }
        assert sum(hazards[2]["endings_by_reason"].values()) == 12
        assert "eviction" in hazards[2]["endings_by_reason"]
        jan, feb, mar = (_rooms(m) for m in forecast["months"][:3])
        assert [m["month"] for m in forecast["months"][:3]] == ["2026-01", "2026-02", "2026-03"]
        # Rooms needed (1 → 1 room, 2 → 2, 3–4 → 3, 5–6 → 4, 7+ → 5+; minors apart):
        #   January  2×1, 1×2, 2×4 persons → 1 room 2, 2 rooms 1, 3 rooms 2;
        #   February 1×1, 1×3, 1×6        → 1 room 1, 3 rooms 1, 4 rooms 1;
        #   March    3×1, 1×2, 1×7        → 1 room 3, 2 rooms 1, 5+ rooms 1.
        # Free = vacant (January only: 2, 2, 1, 0, 0) + λ; gap = needed − free.
        #   January:  1 room 2 − (2 + 0.5) = −0.5; 2 rooms 1 − 3 = −2; 3 rooms 2 − 2 = 0;
        #             4 rooms 0 − 0.5 = −0.5; 5+ 0 − 0 = 0 → shortfall 0.
        #   February: 1 room 1 − 0.5 = 0.5; 2 rooms 0 − 1 = −1; 3 rooms 1 − 1 = 0;
        #             4 rooms 1 − 0.5 = 0.5; 5+ 0 → shortfall 1.0.
        #   March:    1 room 3 − 0.5 = 2.5; 2 rooms 1 − 1 = 0; 3 rooms 0 − 1 = −1;
        #             4 rooms 0 − 0.5 = −0.5; 5+ 1 − 0 = 1 → shortfall 3.5.
        expected_gaps = [
            {1: -0.5, 2: -2.0, 3: 0.0, 4: -0.5, 5: 0.0},
            {1: 0.5, 2: -1.0, 3: 0.0, 4: 0.5, 5: 0.0},
            {1: 2.5, 2: 0.0, 3: -1.0, 4: -0.5, 5: 1.0},
        ]
        for month, gaps in zip((jan, feb, mar), expected_gaps, strict=True):
            assert {r: row["gap_expected"] for r, row in month.items()} == gaps
        assert [m["shortfall_expected"] for m in forecast["months"][:3]] == [0.0, 1.0, 3.5]
        assert {r: row["needed"] for r, row in jan.items()} == {1: 2, 2: 1, 3: 2, 4: 0, 5: 0}
        assert jan[1]["vacant"] == 2 and feb[1]["vacant"] == 0
        # The band: Poisson(0.5) has P(0) = 0.607 ≥ 0.1 and P(≤1) = 0.910 ≥ 0.9 → 0–1;
        # Poisson(1) has P(0) = 0.368, P(≤1) = 0.736, P(≤2) = 0.920 → 0–2.
        # March, 1 room: gap from 3 − (0 + 1) = 2 to 3 − 0 = 3; 2 rooms from 1 − 2 = −1 to 1.
        assert (mar[1]["turnover_low"], mar[1]["turnover_high"]) == (0, 1)
        assert (mar[2]["turnover_low"], mar[2]["turnover_high"]) == (0, 2)
        assert (mar[1]["gap_low"], mar[1]["gap_high"]) == (2, 3)
        assert (mar[2]["gap_low"], mar[2]["gap_high"]) == (-1, 1)
        assert (mar[5]["gap_low"], mar[5]["gap_high"]) == (1, 1)

        # Preparedness plan: three 1-room flats through a referral agreement, decided
        # 2025-12-10 with two months' lead time → ready in February 2026.
        measure = await post(
            client,
            f"{PLAN}/measures",
            headers,
            {
                "kind": "referral_agreement",
                "rooms": 1,
                "quantity": 3,
                "decided_on": "2025-12-10",
                "lead_time_months": 2,
                "owner": "housing_office",
            },
            201,
        )
        with_measure = (
            await client.get(f"{PLAN}/forecast?months=12&window=12", headers=headers)
        ).json()
        feb_after = _rooms(with_measure["months"][1])
        # February, 1 room: 1 − (0.5 + 3) = −2.5; March is unchanged (2.5).
        assert feb_after[1]["from_measures"] == 3 and feb_after[1]["gap_expected"] == -2.5
        assert _rooms(with_measure["months"][2])[1]["gap_expected"] == 2.5
        assert with_measure["months"][1]["shortfall_expected"] == 0.5
        without = (
            await client.get(f"{PLAN}/forecast?window=12&measures=false", headers=headers)
        ).json()
        assert _rooms(without["months"][1])[1]["gap_expected"] == 0.5

        # What if IMDi asks for 30 % more: households per size × 1.3, rounded half up.
        #   January: singles 2 × 1.3 = 2.6 → 3, couples 1.3 → 1, 4-person 2.6 → 3:
        #            1 room 3 − 2.5 = 0.5; 3 rooms 3 − 2 = 1.
        #   March:   singles 3.9 → 4 → 1 room 4 − 0.5 = 3.5.
        what_if = (await client.get(f"{PLAN}/forecast?window=12&scale=1.3", headers=headers)).json()
        jan_13, mar_13 = _rooms(what_if["months"][0]), _rooms(what_if["months"][2])
        assert (jan_13[1]["gap_expected"], jan_13[3]["gap_expected"]) == (0.5, 1.0)
        assert mar_13[1]["gap_expected"] == 3.5
        assert what_if["scale"] == 1.3

        # Actual settlements from participants' events: a single and a family of four in
        # January, an unaccompanied minor in February.
        single, family = uuid.uuid4(), uuid.uuid4()
        await publish_settled(
            settings, household_id=single, household_size=1, settled_on=date(2026, 1, 10)
        )
        await publish_settled(
            settings, household_id=family, household_size=4, settled_on=date(2026, 1, 20)
        )
        minor = uuid.uuid4()
        await publish_participant_event(
            settings,
            "participants.participant.settled.v1",
            {
                "participant_id": str(minor),
                "settled_on": "2026-02-03",
                "arrival_category": "unaccompanied_minor",
                "household_id": None,
                "household_size": None,
                "unaccompanied_minor": True,
            },
            stream_id=str(minor),
        )

        async def settled() -> dict[str, Any] | None:
            body: dict[str, Any] = (await client.get(PLAN, headers=headers)).json()
            return body if body["settled_persons"] == 6 else None

        view = await eventually(settled)
        assert view["months"][0]["settled_households"] == {"1": 1, "4": 1}
        assert view["months"][1]["settled_unaccompanied_minors"] == 1
        assert view["months"][0]["planned_persons"] == 12
        assert [m["measure_id"] for m in view["measures"]] == [measure["measure_id"]]

        # Integration grant (2024 rates, in force on 1 January 2026): the plan's 144
        # persons are 24 single adults (4×2 + 4×1 + 4×3), 56 adults (two per family of
        # two or more: 8 couples, 8 + 4 + 4 + 4 families), 56 children and 8 minors.
        # Year 1: 24 × 264 000 + 56 × 214 000 + 56 × 214 000 + 8 × 264 000 = 32 416 000;
        # year 2: 144 × 256 000 = 36 864 000.
        grant = (await client.get(f"{PLAN}/integration-grant", headers=headers)).json()
        assert grant["planned"]["persons"] == {
            "single_adults": 24,
            "adults": 56,
            "children": 56,
            "unaccompanied_minors": 8,
            "total": 144,
        }
        assert [y["amount"] for y in grant["planned"]["years"][:2]] == [32_416_000, 36_864_000]
        assert [y["calendar_year"] for y in grant["planned"]["years"]] == list(range(2026, 2031))
        # Settled so far: a single, two adults and two children, one minor.
        # Year 1: 264 000 + 2 × 214 000 + 2 × 214 000 + 264 000 = 1 384 000.
        assert grant["settled"]["years"][0]["amount"] == 1_384_000
        assert "to be verified" in grant["settled"]["years"][0]["source"]

        # The report: HTML with an inline SVG chart and the tables, bokmål by default.
        report = await client.get(f"{PLAN}/report?window=12", headers=headers)
        assert report.status_code == 200, report.text
        assert report.headers["content-type"].startswith("text/html")
        page = report.text
        assert "<svg" in page and "Bosettingsplan 2026" in page
        assert "Kapasitetsprognose" in page and "Privat utleie med tilvisningsavtale" in page
        assert "32\u00a0416\u00a0000" in page
        english = await client.get(
            f"{PLAN}/report?window=12", headers={**headers, "Accept-Language": "en"}
        )
        assert "Settlement plan 2026" in english.text
        workbook = await client.get(f"{PLAN}/report?format=xlsx&window=12", headers=headers)
        assert workbook.status_code == 200
        book = load_workbook(io.BytesIO(workbook.content))
        assert book.sheetnames == [
            "Prognose",
            "Etter størrelse",
            "Månedsplan",
            "Tiltak",
            "Integreringstilskudd",
        ]
        rows = list(book["Prognose"].iter_rows(values_only=True))
        assert rows[0][0] == "Måned" and rows[3][4] == 3.5  # March's shortfall

        # Withdrawing the measure brings February's gap back; a second time is a conflict.
        withdrawal = f"{PLAN}/measures/{measure['measure_id']}/withdrawal"
        await post(client, withdrawal, headers, {"withdrawn_on": "2026-01-05"}, 200)
        again = await client.post(withdrawal, headers=headers, json={"withdrawn_on": "2026-01-06"})
        assert again.status_code == 409 and again.json()["code"] == "measure-withdrawn"
        assert again.json()["current_version"] >= 5
        back = (await client.get(f"{PLAN}/forecast?window=12", headers=headers)).json()
        assert _rooms(back["months"][1])[1]["gap_expected"] == 0.5


async def test_bad_settlement_input_is_refused_with_its_rule(settings: Settings) -> None:
    headers = officer(settings)
    async with running(housing_app(settings)) as client:

        async def refused(path: str, body: dict[str, Any], status: int, code: str) -> None:
            method = "PUT" if path.endswith("monthly-plan") else "POST"
            response = await client.request(method, path, headers=headers, json=body)
            assert response.status_code == status, response.text
            assert response.json()["code"] == code, response.text

        decision = {"decided_on": "2025-11-15", "persons": 100, "unaccompanied_minors": 0}
        # A decision before any request, then one dated before its request.
        await refused(f"{PLAN}/decision", decision, 422, "decision-before-request")
        request = {"requested_on": "2025-10-01", "singles": 50, "families": []}
        await refused(f"{PLAN}/request", {**request, "singles": -1}, 422, "settlement-count")
        await refused(f"{PLAN}/request", {**request, "singles": 6000}, 422, "settlement-count")
        await refused(
            f"{PLAN}/request",
            {**request, "families": [{"size": 1, "households": 2}]},
            422,
            "settlement-count",
        )
        await refused(
            f"{PLAN}/request", {**request, "requested_on": "2099-01-01"}, 422, "future-fact"
        )
        await refused("/housing/settlement-plans/2031/request", request, 422, "settlement-count")
        await post(client, f"{PLAN}/request", headers, request, 200)
        await refused(
            f"{PLAN}/decision",
            {**decision, "decided_on": "2025-09-30"},
            422,
            "decision-before-request",
        )
        await refused(f"{PLAN}/decision", {**decision, "persons": -5}, 422, "settlement-count")
        await refused(
            f"{PLAN}/decision", {**decision, "unaccompanied_minors": 101}, 422, "settlement-count"
        )
        plan = {
            "planned_on": "2025-12-01",
            "months": [{"month": 1, "households": [{"size": 1, "households": 100}]}],
        }
        await refused(f"{PLAN}/monthly-plan", plan, 422, "plan-before-decision")
        await post(client, f"{PLAN}/decision", headers, decision, 200)
        # A request recorded again may not come after its decision.
        await refused(
            f"{PLAN}/request",
            {**request, "requested_on": "2025-11-20"},
            422,
            "decision-before-request",
        )
        short = {
            "planned_on": "2025-12-01",
            "months": [{"month": 1, "households": [{"size": 1, "households": 99}]}],
        }
        response = await client.put(f"{PLAN}/monthly-plan", headers=headers, json=short)
        assert response.status_code == 422 and response.json()["code"] == "plan-sum"
        assert response.json()["facts"]["planned_persons"] == 99
        twice = {
            "planned_on": "2025-12-01",
            "months": [
                {"month": 1, "households": [{"size": 1, "households": 50}]},
                {"month": 1, "households": [{"size": 1, "households": 50}]},
            ],
        }
        response = await client.put(f"{PLAN}/monthly-plan", headers=headers, json=twice)
        assert response.status_code == 422 and response.json()["code"] == "settlement-count"
        thirteen = {
            "planned_on": "2025-12-01",
            "months": [{"month": 13, "households": [{"size": 1, "households": 100}]}],
        }
        response = await client.put(f"{PLAN}/monthly-plan", headers=headers, json=thirteen)
        assert response.status_code == 422 and response.json()["code"] == "settlement-count"
        measure = {
            "kind": "purchase",
            "rooms": 3,
            "quantity": 0,
            "decided_on": "2025-12-01",
            "lead_time_months": 6,
            "owner": "property_department",
        }
        await refused(f"{PLAN}/measures", measure, 422, "settlement-count")
        await refused(
            f"{PLAN}/measures",
            {**measure, "quantity": 2, "lead_time_months": 99},
            422,
            "settlement-count",
        )
        unknown = await client.post(
            f"{PLAN}/measures/{uuid.uuid4()}/withdrawal",
            headers=headers,
            json={"withdrawn_on": "2026-01-01"},
        )
        assert unknown.status_code == 404
        # Nothing refused was recorded: the plan still has its request and decision only.
        view = (await client.get(PLAN, headers=headers)).json()
        assert view["request"]["requested_on"] == "2025-10-01"
        assert view["decision"]["persons"] == 100 and view["planned_on"] is None
        assert view["measures"] == []
        missing = await client.get("/housing/settlement-plans/2020", headers=headers)
        assert missing.status_code == 404
        bad_scale = await client.get(f"{PLAN}/forecast?scale=0", headers=headers)
        assert bad_scale.status_code == 422
        later = await client.get(f"{PLAN}/forecast?from=2026-02&months=2", headers=headers)
        assert [m["month"] for m in later.json()["months"]] == ["2026-02", "2026-03"]
        for month in ("2026-13", "0000-01", "2026-1"):
            wrong = await client.get(f"{PLAN}/forecast?from={month}", headers=headers)
            assert wrong.status_code == 422, month
        analyst = auth(settings, ["analyst"])
        assert (await client.get(PLAN, headers=analyst)).status_code == 200
        denied = await client.post(f"{PLAN}/decision", headers=analyst, json=decision)
        assert denied.status_code == 403
        # Another municipality sees no plan for the year.
        other = auth(settings, ["housing_officer"], "0301")
        assert (await client.get(PLAN, headers=other)).status_code == 404


async def test_a_tenant_buying_the_dwelling_frees_nothing(settings: Settings) -> None:
    """Rent-to-own completed in March 2025: the tenancy ends, the dwelling is sold and leaves
    the stock, so the hazard lists the end (bought_dwelling) but does not count it."""
    headers = officer(settings)
    async with running(housing_app(settings)) as client:
        buyer, mover = uuid.uuid4(), uuid.uuid4()
        for household in (buyer, mover):
            await publish_settled(
                settings, household_id=household, household_size=2, settled_on=date(2019, 6, 1)
            )
            await wait_for_household(client, settings, household)
        bought = await dwelling(client, settings, rooms=2, size_m2=50)
        left = await dwelling(client, settings, rooms=2, size_m2=50)
        for household, flat in ((buyer, bought), (mover, left)):
            application = await accepted_application(
                client, settings, household, received_on="2019-12-01"
            )
            placement = await place(
                client, settings, application["application_id"], flat["dwelling_id"], "2020-01-01"
            )
            if household == mover:
                await end_placement(
                    client, settings, placement["placement_id"], "2025-05-15", "private_rental"
                )
        agreement = await agree_rent_to_own(
            client, settings, buyer, bought["dwelling_id"], "2020-01-15", 5
        )
        await post(
            client,
            f"/housing/rent-to-own/{agreement['agreement_id']}/purchase",
            headers,
            {"purchased_on": "2025-03-15"},
            201,
        )
        await post(
            client,
            f"{PLAN}/request",
            headers,
            {"requested_on": "2025-10-01", "singles": 0, "families": []},
            200,
        )
        forecast = (await client.get(f"{PLAN}/forecast?window=12", headers=headers)).json()
        (hazard,) = forecast["hazards"]
        # At risk: the buyer's tenancy on 1 January, February and March (3), the mover's on
        # 1 January to 1 May (5). Only the move to a private rental frees a dwelling.
        assert hazard == {
            "rooms": 2,
            "at_risk_months": 8,
            "endings": 1,
            "endings_by_reason": {"bought_dwelling": 1, "private_rental": 1},
            "monthly_rate": 0.125,
        }
        # The sold dwelling is out of the stock; the other is vacant and nobody lives in a
        # 2-room flat, so January has 1 free (vacant) and no turnover.
        january = _rooms(forecast["months"][0])[2]
        assert (january["vacant"], january["turnover_expected"]) == (1, 0.0)
