"""The housing API documents itself: OpenAPI paths and the AsyncAPI of published events."""

from __future__ import annotations

from services.housing.app import create_app as housing_app
from shared.settings import Settings
from tests.support import running


async def test_openapi_and_asyncapi_describe_the_service(settings: Settings) -> None:
    async with running(housing_app(settings)) as client:
        openapi = (await client.get("/openapi.json")).json()
        asyncapi = (await client.get("/asyncapi.json")).json()
        schema = await client.get("/events/schemas/housing.placement.started.v1.json")
    paths = openapi["paths"]
    for path in (
        "/housing/dwellings",
        "/housing/dwellings/{dwelling_id}/rent",
        "/housing/dwellings/{dwelling_id}/suggestions",
        "/housing/waiting-list/month-ends",
        "/housing/placements",
        "/housing/rent-to-own/{agreement_id}/purchase",
        "/housing/start-loans/{loan_id}/purchase",
        "/housing/economy/ownership-vs-rent",
        "/housing/reports/moved-out-within-27-months",
    ):
        assert path in paths, path
    rent = paths["/housing/dwellings/{dwelling_id}/rent"]["get"]
    assert "valuation × (government-bond rate" in rent["description"]
    assert "409" in paths["/housing/placements"]["post"]["responses"]
    assert (
        "two persons per bedroom"
        in paths["/housing/dwellings/{dwelling_id}/suggestions"]["get"]["description"]
    )
    channels = {c["address"] for c in asyncapi["channels"].values()}
    assert f"{settings.namespace}.housing.placement.started" in channels
    assert f"{settings.namespace}.housing.household.became_owner" in channels
    assert not any("address_recorded" in c or "needs_" in c for c in channels)
    assert schema.status_code == 200
    assert set(schema.json()["properties"]["data"]["required"]) >= {
        "placement_id",
        "household_id",
        "dwelling_id",
        "starts_on",
        "application_id",
    }


async def test_every_housing_rule_code_is_listed_in_the_openapi_and_at_problems(
    settings: Settings,
) -> None:
    # Imported alongside: participants declares before-settlement too (same meaning).
    import services.participants.domain  # noqa: F401
    from services.housing import domain
    from shared.rules import Rule

    async with running(housing_app(settings)) as client:
        listed = {p["code"]: p for p in (await client.get("/problems")).json()}
        openapi = (await client.get("/openapi.json")).json()
    declared = {value.code for value in vars(domain).values() if isinstance(value, Rule)}
    assert {"tenancy-overlap", "before-settlement", "purchase-before-disbursement"} <= declared
    assert declared <= set(listed)
    assert declared <= {p["code"] for p in openapi["info"]["x-problem-codes"]}
    assert listed["tenancy-overlap"]["type"] == "https://veiviser.no/problems/tenancy-overlap"
    assert listed["tenancy-overlap"]["status"] == 409
