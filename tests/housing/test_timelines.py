"""Over HTTP: one timeline per dwelling and household, real dates, cost rent on a past date,
no address for analysts, and one answer for unknown and foreign ids."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.housing.app import create_app as housing_app
from shared.dates import today
from shared.settings import Settings
from tests.housing.helpers import (
    EVENTS,
    accepted_application,
    agree_rent_to_own,
    count,
    dwelling,
    officer,
    post,
    settled_households,
)
from tests.support import auth, running


async def _place(
    client: httpx.AsyncClient, settings: Settings, application: dict[str, Any], flat: str, on: str
) -> httpx.Response:
    return await client.post(
        "/housing/placements",
        headers=officer(settings),
        json={
            "application_id": application["application_id"],
            "dwelling_id": flat,
            "starts_on": on,
        },
    )


async def test_a_backdated_placement_may_not_overlap_another_households_tenancy(
    settings: Settings,
) -> None:
    async with running(housing_app(settings)) as client:
        first, second = await settled_households(client, settings, [2, 2])
        flat = (await dwelling(client, settings))["dwelling_id"]
        a = await accepted_application(client, settings, first, received_on="2020-01-01")
        b = await accepted_application(client, settings, second, received_on="2020-01-01")
        placed = await _place(client, settings, a, flat, "2021-01-01")
        assert placed.status_code == 201, placed.text
        ended = await client.post(
            f"/housing/placements/{placed.json()['placement_id']}/end",
            headers=officer(settings),
            json={"ends_on": "2023-01-01", "reason": "private_rental"},
        )
        assert ended.status_code == 200, ended.text
        before = await count(settings, EVENTS)
        for backdated in ("2020-06-01", "2022-06-01", "2022-12-31"):
            refused = await _place(client, settings, b, flat, backdated)
            assert refused.status_code == 409, refused.text
            problem = refused.json()
            assert problem["code"] == "tenancy-overlap"
            assert problem["type"] == "https://veiviser.no/problems/tenancy-overlap"
            assert problem["facts"]["other_starts_on"] == "2021-01-01"
            assert problem["facts"]["other_ends_on"] == "2023-01-01"
            assert (
                "2021-01-01 – 2023-01-01" in problem["detail_en"]
                and backdated in problem["detail_en"]
            )
            assert problem["current_version"] >= 1
        assert await count(settings, EVENTS) == before
        # The day one household moves out, the next may move in.
        assert (await _place(client, settings, b, flat, "2023-01-01")).status_code == 201


async def test_dates_are_real_placements_follow_settlement_and_nothing_is_dated_ahead(
    settings: Settings,
) -> None:
    async with running(housing_app(settings)) as client:
        (household,) = await settled_households(client, settings, [1])  # settled 2009-01-15
        flat = (await dwelling(client, settings, registered_on="2000-01-01"))["dwelling_id"]
        application = await accepted_application(
            client, settings, household, received_on="2008-01-01"
        )
        before = await count(settings, EVENTS)
        early = await _place(client, settings, application, flat, "2008-06-01")
        assert early.status_code == 422, early.text
        assert early.json()["code"] == "before-settlement"
        assert early.json()["facts"] == {"starts_on": "2008-06-01", "settled_on": "2009-01-15"}
        ahead = (today() + timedelta(days=60)).isoformat()
        future = await _place(client, settings, application, flat, ahead)
        assert future.status_code == 422 and future.json()["code"] == "future-fact"
        for impossible in ("9999-12-31", "0001-01-01", "1899-12-31"):
            response = await _place(client, settings, application, flat, impossible)
            assert response.status_code == 422, response.text
            assert response.json()["errors"][0]["field"] == "starts_on"
        assert await count(settings, EVENTS) == before
        assert (await _place(client, settings, application, flat, "2009-01-15")).status_code == 201
        report = await client.get(
            "/housing/reports/time-to-first-placement?settled_from=2009-01-01&settled_to=2009-12-31",
            headers=officer(settings),
        )
        assert report.status_code == 200, report.text
        assert [h["days"] for h in report.json()["households"]] == [0]
        for query in (
            "/housing/waiting-list/month-ends?from=9999-11&to=9999-12",
            "/housing/waiting-list/month-ends?from=0000-01&to=0000-02",
            "/housing/waiting-list?on=9999-12-31",
            "/housing/reports/time-to-first-placement?settled_from=0001-01-01&settled_to=9999-12-31",
            "/housing/reports/moved-out-within-27-months?settled_from=2020-01-01&settled_to=9999-12-31",
        ):
            response = await client.get(query, headers=officer(settings))
            assert response.status_code == 422, (query, response.text)


async def test_cost_rent_on_a_past_date_uses_the_valuation_and_rates_in_force_then(
    settings: Settings,
) -> None:
    headers = officer(settings)
    async with running(housing_app(settings)) as client:
        flat = await dwelling(client, settings, registered_on="2019-01-01", valuation=2_000_000)
        for valid_from, bond in (("2020-01-01", "0.931"), ("2024-01-01", "3.500")):
            await post(
                client,
                "/housing/settings/rent-rates",
                headers,
                {
                    "valid_from": valid_from,
                    "fdv_per_m2_year": {"low": 300, "normal": 400, "high": 500},
                    "government_bond_rate_percent": bond,
                },
                201,
            )
        known_before = datetime.now(UTC)
        # A revaluation recorded today that took effect in mid-2023.
        revalued = await client.patch(
            f"/housing/dwellings/{flat['dwelling_id']}",
            headers=headers,
            json={"valuation": 2_500_000, "changed_on": "2023-06-01"},
        )
        assert revalued.status_code == 200, revalued.text

        async def rent(on: str) -> httpx.Response:
            return await client.get(
                f"/housing/dwellings/{flat['dwelling_id']}/rent?on={on}", headers=headers
            )

        old = (await rent("2022-01-01")).json()
        assert old["valuation"] == 2_000_000 and old["rates"]["valid_from"] == "2020-01-01"
        assert old["monthly_rent"] == 7185  # (69 × 400 + 2,000,000 × 2.931 %) / 12
        mid = (await rent("2023-07-01")).json()
        assert mid["valuation"] == 2_500_000 and mid["rates"]["valid_from"] == "2020-01-01"
        new = (await rent("2024-02-01")).json()
        assert new["valuation"] == 2_500_000 and new["rates"]["valid_from"] == "2024-01-01"
        assert new["capital_cost_per_year"] == 137_500  # 2,500,000 × 5.5 %
        # Bitemporal: as the facts stood before the revaluation and a correction of the
        # 2020 rates were recorded.
        await post(
            client,
            "/housing/settings/rent-rates",
            headers,
            {
                "valid_from": "2020-01-01",
                "fdv_per_m2_year": {"low": 300, "normal": 400, "high": 500},
                "government_bond_rate_percent": "1.000",
            },
            201,
        )
        corrected = (await rent("2023-07-01")).json()
        assert corrected["valuation"] == 2_500_000
        assert corrected["rates"]["government_bond_rate_percent"] == 1.0
        as_known = await client.get(
            f"/housing/dwellings/{flat['dwelling_id']}/rent",
            headers=headers,
            params={"on": "2023-07-01", "as_known_at": known_before.isoformat()},
        )
        assert as_known.status_code == 200, as_known.text
        then = as_known.json()
        assert then["valuation"] == 2_000_000 and then["monthly_rent"] == 7185
        assert then["rates"]["government_bond_rate_percent"] == 0.931
        assert then["as_known_at"] is not None
        ahead = await client.get(
            f"/housing/dwellings/{flat['dwelling_id']}/rent",
            headers=headers,
            params={"as_known_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()},
        )
        assert ahead.status_code == 422 and ahead.json()["code"] == "future-fact"
        early = await client.get(
            f"/housing/dwellings/{flat['dwelling_id']}/rent",
            headers=headers,
            params={"as_known_at": "2001-01-01T00:00:00Z"},
        )
        assert early.status_code == 409 and early.json()["code"] == "no-rent-rates"
        # Rates planned ahead take effect only on their date.
        planned = (today() + timedelta(days=30)).isoformat()
        await post(
            client,
            "/housing/settings/rent-rates",
            headers,
            {
                "valid_from": planned,
                "fdv_per_m2_year": {"low": 300, "normal": 450, "high": 500},
                "government_bond_rate_percent": "4.000",
            },
            201,
        )
        now = (await rent(today().isoformat())).json()
        assert now["rates"]["valid_from"] == "2024-01-01" and now == {
            **new,
            "on": today().isoformat(),
        }
        current = (await client.get("/housing/settings/rent-rates", headers=headers)).json()
        assert current["current"]["valid_from"] == "2024-01-01"
        assert (await rent(planned)).json()["rates"]["valid_from"] == planned
        before_rates = await rent("2019-06-01")
        assert before_rates.status_code == 409 and before_rates.json()["code"] == "no-rent-rates"
        assert (await rent("9999-01-01")).status_code == 422


async def test_analysts_never_see_an_address(settings: Settings) -> None:
    """Every query route an analyst may call, with every id the test knows: no address."""
    address = "Hemmeligveien 13"
    async with running(housing_app(settings)) as client:
        (household,) = await settled_households(client, settings, [2])
        flat = await dwelling(client, settings, address=address)
        vacant = await dwelling(client, settings, address=address + " B")
        application = await accepted_application(client, settings, household)
        placed = await _place(client, settings, application, flat["dwelling_id"], "2020-03-01")
        assert placed.status_code == 201
        ids = {
            "dwelling_id": vacant["dwelling_id"],
            "placement_id": placed.json()["placement_id"],
            "application_id": application["application_id"],
            "household_id": str(household),
            "agreement_id": str(uuid.uuid4()),
            "loan_id": str(uuid.uuid4()),
            "year": "2026",
            "shared_home_id": str(uuid.uuid4()),
            "course_id": str(uuid.uuid4()),
        }
        analyst = auth(settings, ["analyst"])
        schema = (await client.get("/openapi.json")).json()
        reached = 0
        for path, item in schema["paths"].items():
            if "get" not in item or not path.startswith("/housing"):
                continue
            values = {
                "settled_from": "2009-01-01",
                "settled_to": "2030-12-31",
                "from_year": "2019",
                "to_year": "2021",
                "from": "2020-01",
                "to": "2020-06",
                "since": "2025-01-01",
                "until": "2026-06-30",
            }
            # Only what the operation takes: an unknown query parameter is a 422.
            takes = {p["name"] for p in item["get"].get("parameters", []) if p["in"] == "query"}
            params = {name: value for name, value in values.items() if name in takes}
            concrete = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)
            for dwelling_id in {flat["dwelling_id"], vacant["dwelling_id"]}:
                url = concrete.replace(vacant["dwelling_id"], dwelling_id)
                response = await client.get(url, headers=analyst, params=params)
                assert response.status_code in (200, 403, 404, 409), (url, response.text)
                assert "Hemmeligveien" not in response.text, url
                reached += response.status_code == 200
        assert reached >= 10
        officer_view = await client.get(
            f"/housing/dwellings/{flat['dwelling_id']}", headers=officer(settings)
        )
        assert officer_view.json()["address"] == address


async def test_unknown_and_foreign_ids_answer_the_same_on_every_command(
    settings: Settings,
) -> None:
    other = "0301"
    async with running(housing_app(settings)) as client:
        (household,) = await settled_households(client, settings, [2])
        flat = (await dwelling(client, settings))["dwelling_id"]
        application = await accepted_application(client, settings, household)
        placement = (await _place(client, settings, application, flat, "2020-03-01")).json()
        loan = await post(
            client,
            "/housing/start-loans",
            officer(settings),
            {
                "household_id": str(household),
                "applied_on": "2020-04-01",
                "purchase_price": 2_000_000,
                "requested_amount": 1_000_000,
            },
            201,
        )
        agreement = await agree_rent_to_own(client, settings, household, flat, "2020-05-01", 3)
        ids = {
            "dwelling": flat,
            "household": str(household),
            "application": application["application_id"],
            "placement": placement["placement_id"],
            "loan": loan["loan_id"],
            "agreement": agreement["agreement_id"],
        }
        commands: list[tuple[str, str, str, dict[str, Any]]] = [
            ("PATCH", "/housing/dwellings/{dwelling}", "dwelling", {"rooms": 4}),
            ("POST", "/housing/applications", "household", {"household_id": "{household}"}),
            (
                "POST",
                "/housing/applications/{application}/decision",
                "application",
                {"decision": "accepted"},
            ),
            ("POST", "/housing/applications/{application}/withdrawal", "application", {}),
            ("PUT", "/housing/applications/{application}/needs", "application", {}),
            (
                "POST",
                "/housing/placements",
                "application",
                {"application_id": "{application}", "dwelling_id": flat},
            ),
            (
                "POST",
                "/housing/placements/{placement}/end",
                "placement",
                {"reason": "private_rental"},
            ),
            (
                "POST",
                "/housing/placements/{placement}/eviction",
                "placement",
                {"grounds": "rent_arrears"},
            ),
            (
                "POST",
                "/housing/rent-to-own",
                "household",
                {"household_id": "{household}", "dwelling_id": flat, "rent_period_years": 3},
            ),
            ("POST", "/housing/rent-to-own/{agreement}/purchase", "agreement", {}),
            (
                "POST",
                "/housing/start-loans",
                "household",
                {"household_id": "{household}", "purchase_price": 1, "requested_amount": 1},
            ),
            ("POST", "/housing/start-loans/{loan}/decision", "loan", {"approved": False}),
            ("POST", "/housing/start-loans/{loan}/disbursement", "loan", {}),
            ("POST", "/housing/start-loans/{loan}/purchase", "loan", {"price": 1}),
        ]
        foreigner = auth(settings, ["housing_officer"], other)
        # The foreign officer's own key, already used for a command in their municipality:
        # reused on someone else's id it must not get a key conflict — the 404 comes first.
        own = await client.post(
            "/housing/dwellings",
            headers={**foreigner, "Idempotency-Key": "used-key"},
            json={
                "address": "Karl Johans gate 1",
                "district": "Sentrum",
                "rooms": 2,
                "size_m2": 40,
            },
        )
        assert own.status_code == 201, own.text
        before = await count(settings, EVENTS)
        for method, path, kind, body in commands:
            answers = []
            for target in (ids[kind], str(uuid.uuid4())):

                def fill(text: str, target: str = target, kind: str = kind) -> str:
                    return text.replace("{" + kind + "}", target)

                for key in (None, "same-key", "used-key"):
                    headers = dict(foreigner)
                    if key is not None:
                        headers["Idempotency-Key"] = key
                    response = await client.request(
                        method,
                        fill(path),
                        headers=headers,
                        json={k: fill(v) if isinstance(v, str) else v for k, v in body.items()},
                    )
                    problem = response.json()
                    answers.append(
                        (
                            response.status_code,
                            problem["code"],
                            problem["detail"].replace(target, "<id>"),
                        )
                    )
            assert answers[0][0] == 404, (path, answers)
            assert len(set(answers)) == 1, (path, answers)
        assert await count(settings, EVENTS) == before
