"""Helpers for the housing tests: settled households on NATS, officers, common set-ups."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx
import nats

from services.housing.events import DwellingStatus, Ownership, Standard
from shared.events import Envelope
from shared.settings import Settings
from tests.support import auth, ensure_stream, eventually

MUNICIPALITY = "3301"
EVENTS = "SELECT count(*) FROM events"
OUTBOX = "SELECT count(*) FROM outbox"

RENT_RATES: dict[str, Any] = {
    "valid_from": "2019-01-01",
    "fdv_per_m2_year": {"low": 350, "normal": 400, "high": 450},
    "government_bond_rate_percent": 0.931,
}
"""Rent rates in force from 2019: a 3-room, 69 m² flat valued at NOK 2.0 M rents for 7,185."""


def dwelling_attributes(**changes: Any) -> dict[str, Any]:
    """A dwelling as the domain and its events take it: an ordinary vacant municipal
    flat on the ground floor, with ``changes``."""
    return {
        "district": "Sentrum",
        "floor": 0,
        "has_lift": False,
        "accessible": False,
        "ownership": Ownership.municipal,
        "standard": Standard.normal,
        "status": DwellingStatus.vacant,
        **changes,
    }


def officer(settings: Settings, municipality: str = MUNICIPALITY) -> dict[str, str]:
    return auth(settings, ["housing_officer"], municipality)


async def publish_participant_event(
    settings: Settings,
    type_name: str,
    data: dict[str, Any],
    *,
    stream_id: str,
    municipality: str = MUNICIPALITY,
) -> None:
    """Publish a participants event as that service's relay would (CloudEvent + Nats-Msg-Id)."""
    envelope = Envelope(
        id=uuid.uuid4(),
        type_name=type_name,
        source="/veiviser/participants",
        stream_id=stream_id,
        stream_version=2,
        municipality=municipality,
        occurred_at=datetime.now(UTC),
        recorded_at=datetime.now(UTC),
        actor="tester",
        correlation_id=str(uuid.uuid4()),
        causation_id=None,
        data=data,
    )
    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, settings, "participants")
        _, aggregate, event, _ = type_name.split(".")
        await js.publish(
            f"{settings.subject_prefix('participants')}.{aggregate}.{event}",
            envelope.to_json(),
            headers={"Nats-Msg-Id": str(envelope.id)},
        )
    finally:
        await nc.close()


async def publish_settled(
    settings: Settings,
    *,
    household_id: uuid.UUID | None,
    household_size: int | None,
    settled_on: date,
    participant_id: uuid.UUID | None = None,
    municipality: str = MUNICIPALITY,
) -> uuid.UUID:
    participant_id = participant_id or uuid.uuid4()
    await publish_participant_event(
        settings,
        "participants.participant.settled.v1",
        {
            "participant_id": str(participant_id),
            "settled_on": settled_on.isoformat(),
            "arrival_category": "resettlement_refugee",
            "household_id": str(household_id) if household_id else None,
            "household_size": household_size,
            "unaccompanied_minor": False,
        },
        stream_id=str(participant_id),
        municipality=municipality,
    )
    return participant_id


async def wait_for_household(
    client: httpx.AsyncClient, settings: Settings, household_id: uuid.UUID, **expected: Any
) -> dict[str, Any]:
    """The household's history once housing knows its settlement and it shows ``expected``."""
    headers = officer(settings)

    async def known() -> dict[str, Any] | None:
        response = await client.get(f"/housing/households/{household_id}", headers=headers)
        if response.status_code != 200:
            return None
        body: dict[str, Any] = response.json()
        settlement = body["settlement"]
        if settlement and all(settlement.get(k) == v for k, v in expected.items()):
            return body
        return None

    found: dict[str, Any] = await eventually(known)
    return found


async def wait_for_application(
    client: httpx.AsyncClient, settings: Settings, application_id: str, **expected: Any
) -> dict[str, Any]:
    """The application's view once its fields have the ``expected`` values."""

    async def shown() -> dict[str, Any] | None:
        response = await client.get(
            f"/housing/applications/{application_id}", headers=officer(settings)
        )
        body: dict[str, Any] = response.json()
        return body if all(body.get(k) == v for k, v in expected.items()) else None

    found: dict[str, Any] = await eventually(shown)
    return found


async def settled_households(
    client: httpx.AsyncClient,
    settings: Settings,
    sizes: list[int],
    settled_on: date = date(2009, 1, 15),
) -> list[uuid.UUID]:
    """Households of the given sizes, settled and known to housing."""
    ids = [uuid.uuid4() for _ in sizes]
    for household_id, size in zip(ids, sizes, strict=True):
        await publish_settled(
            settings, household_id=household_id, household_size=size, settled_on=settled_on
        )
    for household_id in ids:
        await wait_for_household(client, settings, household_id)
    return ids


async def post(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], body: dict[str, Any], status: int
) -> dict[str, Any]:
    response = await client.post(path, headers=headers, json=body)
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


DWELLING: dict[str, Any] = {
    "address": "Storgata 1",
    "district": "Sentrum",
    "rooms": 3,
    "size_m2": 69,
    "floor": 0,
    "ownership": "municipal",
    "standard": "normal",
    "valuation": 2_000_000,
    "registered_on": "2010-01-01",
}


async def dwelling(
    client: httpx.AsyncClient, settings: Settings, **overrides: Any
) -> dict[str, Any]:
    return await post(
        client, "/housing/dwellings", officer(settings), {**DWELLING, **overrides}, 201
    )


async def apply_for_housing(
    client: httpx.AsyncClient,
    settings: Settings,
    household_id: uuid.UUID,
    received_on: str,
    *,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A pending application of the household (as the officer unless ``headers`` say)."""
    return await post(
        client,
        "/housing/applications",
        headers or officer(settings),
        {"household_id": str(household_id), "received_on": received_on, **fields},
        201,
    )


async def accepted_application(
    client: httpx.AsyncClient,
    settings: Settings,
    household_id: uuid.UUID,
    *,
    received_on: str = "2020-02-01",
    decided_on: str | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    headers = officer(settings)
    keyed = {**headers, "Idempotency-Key": idempotency_key} if idempotency_key else headers
    application = await apply_for_housing(
        client, settings, household_id, received_on, headers=keyed, **fields
    )
    return await decide_application(
        client, settings, application["application_id"], "accepted", decided_on or received_on
    )


async def decide_application(
    client: httpx.AsyncClient,
    settings: Settings,
    application_id: str,
    decision: str,
    decided_on: str,
) -> dict[str, Any]:
    """The officer accepts or rejects the application."""
    return await post(
        client,
        f"/housing/applications/{application_id}/decision",
        officer(settings),
        {"decision": decision, "decided_on": decided_on},
        200,
    )


async def place(
    client: httpx.AsyncClient,
    settings: Settings,
    application_id: str,
    dwelling_id: str,
    starts_on: str,
) -> dict[str, Any]:
    """The accepted application's household moves into the dwelling (as the officer)."""
    return await post(
        client,
        "/housing/placements",
        officer(settings),
        {"application_id": application_id, "dwelling_id": dwelling_id, "starts_on": starts_on},
        201,
    )


async def count(settings: Settings, sql: str) -> int:
    conn = await asyncpg.connect(settings.service_database_url("housing", driver="postgresql"))
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


async def rows(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    conn = await asyncpg.connect(settings.service_database_url("housing", driver="postgresql"))
    try:
        return [tuple(r) for r in await conn.fetch(sql)]
    finally:
        await conn.close()


async def end_placement(
    client: httpx.AsyncClient, settings: Settings, placement_id: str, ends_on: str, reason: str
) -> dict[str, Any]:
    """The household moves out of the placement's dwelling (as the officer)."""
    return await post(
        client,
        f"/housing/placements/{placement_id}/end",
        officer(settings),
        {"ends_on": ends_on, "reason": reason},
        200,
    )


async def evict(
    client: httpx.AsyncClient, settings: Settings, placement_id: str, evicted_on: str, grounds: str
) -> dict[str, Any]:
    """The officer records the household's eviction from the placement's dwelling."""
    return await post(
        client,
        f"/housing/placements/{placement_id}/eviction",
        officer(settings),
        {"evicted_on": evicted_on, "grounds": grounds},
        201,
    )


async def agree_rent_to_own(
    client: httpx.AsyncClient,
    settings: Settings,
    household_id: uuid.UUID,
    dwelling_id: str,
    agreed_on: str,
    rent_period_years: int,
) -> dict[str, Any]:
    """The tenant household and the officer agree that it buys its dwelling later."""
    return await post(
        client,
        "/housing/rent-to-own",
        officer(settings),
        {
            "household_id": str(household_id),
            "dwelling_id": dwelling_id,
            "agreed_on": agreed_on,
            "rent_period_years": rent_period_years,
        },
        201,
    )
