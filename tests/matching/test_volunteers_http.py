"""The resource bank of volunteers over HTTP, on real PostgreSQL and NATS: registration
sealed and erased, approval, matching with a hard constraint explained, assignments
within capacity, the keep-warm list and gatherings."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
import httpx

from services.matching.app import create_app
from shared import taxonomy
from shared.settings import Settings
from tests.matching.support import MUNICIPALITY
from tests.support import auth, eventually, published_events, running

NAME = "Ingrid Frivillig-Haugen"
PHONE = "+47 911 22 333"


def coordinator(settings: Settings, municipality: str = MUNICIPALITY) -> dict[str, str]:
    return auth(settings, ["volunteer_coordinator"], municipality)


def _skills() -> list[str]:
    return sorted(taxonomy.load().skills)[:3]


async def _register(client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any) -> str:
    body: dict[str, Any] = {
        "consent": True,
        "consented_on": "2025-01-10",
        "personal": {
            "name": NAME,
            "phone": PHONE,
            "gender": "female",
            "contribution": "Følge familier til legen",
            "informal_competence": "Har selv kommet som flyktning",
        },
        "roles": ["guide", "escort"],
        "languages": ["ar", "nb"],
        "skills": _skills()[:2],
        "municipality_code": MUNICIPALITY,
        "areas": ["Strømsø"],
        "slots": [{"weekday": 1, "part": "evening"}, {"weekday": 5, "part": "morning"}],
        "available_from": "2025-01-15",
        "capacity": 1,
        **overrides,
    }
    response = await client.post("/volunteers", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _need(client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any) -> str:
    body: dict[str, Any] = {
        "participant_id": str(uuid.uuid4()),
        "role": "escort",
        "language": "ar",
        "municipality_code": MUNICIPALITY,
        "area": "Strømsø",
        "slots": [{"weekday": 1, "part": "evening"}],
        "starts_on": "2025-03-01",
        "ends_on": "2025-05-31",
        "preferred_gender": "female",
        "skills": _skills()[:2],
        **overrides,
    }
    response = await client.post("/volunteer-needs", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _approve(client: httpx.AsyncClient, headers: dict[str, str], volunteer: str) -> None:
    approved = await client.post(
        f"/volunteers/{volunteer}/approval", headers=headers, json={"approved_on": "2025-02-01"}
    )
    assert approved.status_code == 200, approved.text


async def _certificate(
    client: httpx.AsyncClient, headers: dict[str, str], volunteer: str, expires_on: str
) -> httpx.Response:
    return await client.post(
        f"/volunteers/{volunteer}/certificate",
        headers=headers,
        json={"checked_on": "2025-01-20", "checked_by": "KOORD-17", "expires_on": expires_on},
    )


async def _tables_holding(settings: Settings, text: str) -> list[str]:
    conn = await asyncpg.connect(settings.service_database_url("matching", driver="postgresql"))
    try:
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        holding = []
        for row in tables:
            found = await conn.fetchval(
                f'SELECT count(*) FROM "{row["table_name"]}" t WHERE t::text ILIKE $1',
                f"%{text}%",
            )
            if found:
                holding.append(row["table_name"])
        return holding
    finally:
        await conn.close()


async def test_registration_is_sealed_and_erasure_leaves_no_name(settings: Settings) -> None:
    headers = coordinator(settings)
    async with running(create_app(settings)) as client:
        refused = await client.post(
            "/volunteers", headers=headers, json={"consent": False, "personal": {"name": "X"}}
        )
        assert refused.status_code == 422
        coach = await client.post(
            "/volunteers",
            headers=auth(settings, ["job_coach"], MUNICIPALITY),
            json={"consent": True},
        )
        assert coach.status_code == 403

        volunteer = await _register(client, headers)
        shown = (await client.get(f"/volunteers/{volunteer}", headers=headers)).json()
        assert shown["personal"]["name"] == NAME
        assert shown["roles"] == ["escort", "guide"]
        assert shown["approved_on"] is None
        # Sealed everywhere: no table holds the name or phone in clear.
        assert await _tables_holding(settings, NAME) == []
        assert await _tables_holding(settings, PHONE) == []
        elsewhere = await client.get(
            f"/volunteers/{volunteer}", headers=coordinator(settings, "0301")
        )
        assert elsewhere.status_code == 404

        await _approve(client, headers, volunteer)
        assert (await client.get(f"/volunteers/{volunteer}", headers=headers)).json()[
            "approved_on"
        ] == "2025-02-01"

        erased = await client.delete(f"/volunteers/{volunteer}", headers=headers)
        assert erased.status_code == 200, erased.text
        after = (await client.get(f"/volunteers/{volunteer}", headers=headers)).json()
        assert after["personal"] is None
        assert after["erased"] is True
        conn = await asyncpg.connect(settings.service_database_url("matching", driver="postgresql"))
        try:
            assert await conn.fetchval("SELECT count(*) FROM volunteer_keys") == 0
            assert (
                await conn.fetchval("SELECT count(*) FROM volunteers WHERE sealed IS NOT NULL") == 0
            )
        finally:
            await conn.close()
        again = await client.post(
            f"/volunteers/{volunteer}/approval", headers=headers, json={"approved_on": "2025-02-02"}
        )
        assert again.status_code == 409
        assert again.json()["code"] == "volunteer-erased"

        async def relayed() -> list[dict[str, Any]] | None:
            found = await published_events(settings, "matching")
            types = {e["type"] for e in found}
            done = {
                "no.veiviser.matching.volunteer.erased.v1",
                "no.veiviser.matching.volunteer.approved.v1",
            }
            return found if done <= types else None

        published = await eventually(relayed)
        assert {e["type"] for e in published} == {
            "no.veiviser.matching.volunteer.registered.v1",
            "no.veiviser.matching.volunteer.approved.v1",
            "no.veiviser.matching.volunteer.erased.v1",
        }
        for envelope in published:
            text = json.dumps(envelope)
            assert NAME not in text and PHONE not in text and "female" not in text
            assert "sealed" not in envelope["data"]


async def test_matching_explains_a_missing_certificate_and_assignment_is_refused(
    settings: Settings,
) -> None:
    headers = coordinator(settings)
    async with running(create_app(settings)) as client:
        without = await _register(client, headers)
        await _approve(client, headers, without)
        expired = await _register(
            client, headers, personal={"name": "Per Utløpt", "gender": "male"}
        )
        await _approve(client, headers, expired)
        assert (await _certificate(client, headers, expired, "2025-04-01")).status_code == 200
        certified = await _register(client, headers, personal={"name": "Kari Attest"})
        await _approve(client, headers, certified)
        assert (await _certificate(client, headers, certified, "2028-01-20")).status_code == 200
        wrong_order = await _certificate(client, headers, certified, "2024-01-01")
        assert wrong_order.status_code == 422
        assert wrong_order.json()["code"] == "date-order"
        speaks_other = await _register(
            client, headers, personal={"name": "Tigrinja"}, languages=["ti"]
        )
        await _approve(client, headers, speaks_other)
        assert (await _certificate(client, headers, speaks_other, "2028-01-20")).status_code == 200

        need = await _need(client, headers)
        default = (await client.get(f"/volunteer-needs/{need}/volunteers", headers=headers)).json()
        assert [v["volunteer_id"] for v in default["volunteers"]] == [certified]
        best = default["volunteers"][0]
        assert best["excluded"] is False and best["band"] == "strong"
        product = 100.0
        for part in best["parts"]:
            product *= part["factor"]
        # Place and skills fit in full; her gender is not stated, so the wish counts half.
        assert best["score"] == round(product, 2) == 85.0
        gender = {p["part"]: p for p in best["parts"]}["gender"]
        assert gender["value"] == 0.5 and gender["detail"] == {
            "preferred": "female",
            "stated": False,
        }

        everyone = (
            await client.get(
                f"/volunteer-needs/{need}/volunteers",
                headers=headers,
                params={"include_excluded": "true"},
            )
        ).json()["volunteers"]
        by_id = {v["volunteer_id"]: v for v in everyone}
        assert [x["rule"] for x in by_id[without]["exclusions"]] == ["police-certificate-required"]
        assert "no politiattest" in by_id[without]["exclusions"][0]["message"]
        assert [x["rule"] for x in by_id[expired]["exclusions"]] == ["police-certificate-required"]
        assert by_id[expired]["exclusions"][0]["facts"] == {"expires_on": "2025-04-01"}
        assert [x["rule"] for x in by_id[speaks_other]["exclusions"]] == ["volunteer-language"]
        # The gender wish is a soft part, not a constraint.
        gender_part = {p["part"]: p for p in by_id[expired]["parts"]}["gender"]
        assert gender_part["value"] == 0.0 and gender_part["factor"] == 0.7

        body = {"need_id": need, "starts_on": "2025-03-01", "ends_on": "2025-05-31"}
        for volunteer, code in (
            (without, "police-certificate-required"),
            (expired, "police-certificate-required"),
            (speaks_other, "volunteer-language"),
        ):
            refused = await client.post(
                f"/volunteers/{volunteer}/assignments", headers=headers, json=body
            )
            assert refused.status_code == 409, refused.text
            assert refused.json()["code"] == code
            assert refused.json()["current_version"] >= 1
        in_bokmal = await client.post(
            f"/volunteers/{without}/assignments",
            headers={**headers, "Accept-Language": "nb"},
            json=body,
        )
        assert in_bokmal.json()["title"] == "Gyldig politiattest kreves"
        assigned = await client.post(
            f"/volunteers/{certified}/assignments", headers=headers, json=body
        )
        assert assigned.status_code == 201, assigned.text

        # A guide need without minors takes the uncertified volunteer.
        guide = await _need(client, headers, role="guide", preferred_gender=None)
        assert (
            await client.post(
                f"/volunteers/{without}/assignments",
                headers=headers,
                json={"need_id": guide, "starts_on": "2025-03-01"},
            )
        ).status_code == 201
        unapproved = await _register(client, headers, personal={"name": "Ny"})
        not_yet = await client.post(
            f"/volunteers/{unapproved}/assignments",
            headers=headers,
            json={"need_id": guide, "starts_on": "2025-03-01"},
        )
        assert not_yet.status_code == 409
        assert not_yet.json()["code"] == "volunteer-not-approved"


async def test_capacity_follow_ups_and_keep_warm(settings: Settings) -> None:
    headers = coordinator(settings)
    async with running(create_app(settings)) as client:
        busy = await _register(client, headers, capacity=2, roles=["guide"])
        await _approve(client, headers, busy)
        need = await _need(client, headers, role="guide", preferred_gender=None)
        base = f"/volunteers/{busy}/assignments"
        first = await client.post(
            base,
            headers=headers,
            json={"need_id": need, "starts_on": "2025-03-01", "ends_on": "2025-04-30"},
        )
        second = await client.post(
            base,
            headers=headers,
            json={"need_id": need, "starts_on": "2025-04-01", "ends_on": "2025-05-31"},
        )
        assert first.status_code == second.status_code == 201
        third = await client.post(
            base,
            headers=headers,
            json={"need_id": need, "starts_on": "2025-04-15", "ends_on": "2025-04-20"},
        )
        assert third.status_code == 409
        assert third.json()["code"] == "volunteer-capacity"
        later = await client.post(
            base,
            headers=headers,
            json={"need_id": need, "starts_on": "2025-05-01", "ends_on": "2025-05-10"},
        )
        assert later.status_code == 201, later.text
        first_id = first.json()["id"]
        followed = await client.post(
            f"{base}/{first_id}/follow-ups",
            headers=headers,
            json={"followed_up_on": "2025-03-15", "status": "going_well"},
        )
        assert followed.status_code == 200, followed.text
        ended = await client.post(
            f"{base}/{first_id}/end", headers=headers, json={"ended_on": "2025-04-10"}
        )
        assert ended.status_code == 200
        # Ended early, the first no longer takes a place from 11 April on.
        fits = await client.post(
            base,
            headers=headers,
            json={"need_id": need, "starts_on": "2025-04-15", "ends_on": "2025-04-20"},
        )
        assert fits.status_code == 201, fits.text
        view = (await client.get(f"/volunteers/{busy}", headers=headers)).json()
        [kept] = [a for a in view["assignments"] if a["assignment_id"] == first_id]
        assert kept["ended_on"] == "2025-04-10"
        assert kept["follow_ups"] == [{"on": "2025-03-15", "status": "going_well"}]

        idle = await _register(client, headers, personal={"name": "Stille"})
        await _approve(client, headers, idle)
        called = await _register(client, headers, personal={"name": "Ringt"})
        await _approve(client, headers, called)
        came = await _register(client, headers, personal={"name": "Kom"})
        await _approve(client, headers, came)
        await _register(client, headers, personal={"name": "Ikke godkjent"})
        contact = await client.post(
            f"/volunteers/{called}/contacts",
            headers=headers,
            json={"contacted_on": "2025-06-01", "kind": "call"},
        )
        assert contact.status_code == 200
        gathering = await client.post(
            "/volunteer-gatherings",
            headers=headers,
            json={"kind": "gathering", "held_on": "2025-06-10", "attended": [came]},
        )
        assert gathering.status_code == 201, gathering.text
        stranger = await client.post(
            "/volunteer-gatherings",
            headers=headers,
            json={"kind": "course", "held_on": "2025-06-10", "attended": [str(uuid.uuid4())]},
        )
        assert stranger.status_code == 404

        cold = (
            await client.get(
                "/volunteers/keep-warm", headers=headers, params={"weeks": 4, "on": "2025-06-20"}
            )
        ).json()["results"]
        assert [c["volunteer_id"] for c in cold] == [idle]
        # By late August nobody has heard from any of them for four weeks.
        later_cold = (
            await client.get(
                "/volunteers/keep-warm", headers=headers, params={"weeks": 4, "on": "2025-08-20"}
            )
        ).json()["results"]
        assert {c["volunteer_id"] for c in later_cold} == {idle, called, came, busy}
        assert (
            await client.get("/volunteers/keep-warm", headers=headers, params={"weeks": 0})
        ).status_code == 422
