"""Erasure by crypto-shredding, and the audit log of personal-data reads."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
import httpx

from deploy.services import service_projections
from shared.db import Database
from shared.replay import rebuild
from shared.settings import Settings
from tests.participants.conftest import database_text, person
from tests.support import auth, eventually, national_id, stream_messages

SECRETS = ("Zerihun", "Tesfamariam", "allergic to cats", "Amharic poetry")


async def test_erasure_leaves_no_readable_personal_data_anywhere(
    client: httpx.AsyncClient, caseworker: dict[str, str], settings: Settings
) -> None:
    birth = date(1979, 5, 17)
    nid = national_id(birth)
    created = await client.post(
        "/participants",
        headers=caseworker,
        json=person(birth)
        | {"given_name": "Zerihun", "family_name": "Tesfamariam", "national_id": nid},
    )
    pid = created.json()["id"]
    await client.post(
        f"/participants/{pid}/settlement",
        headers=caseworker,
        json={"settled_on": "2024-04-02", "arrival_category": "asylum_reception"},
    )
    started = await client.post(
        f"/participants/{pid}/programme",
        headers=caseworker,
        json={"kind": "introduction", "starts_on": "2024-04-15", "adviser": "adviser-1"},
    )
    assert started.status_code == 201, started.text
    noted = await client.post(
        f"/participants/{pid}/follow-ups",
        headers=caseworker,
        json={"held_on": "2024-05-01", "adviser": "adviser-1", "note": "He is allergic to cats"},
    )
    assert noted.status_code == 201, noted.text
    await client.put(
        f"/participants/{pid}/competence-profile",
        headers=caseworker,
        json={"free_text_skills": ["Amharic poetry"], "consent": {"skills": True}},
    )
    before = (await client.get(f"/participants/{pid}", headers=caseworker)).json()
    assert before["personal_data"]["given_name"] == "Zerihun"
    dump = await database_text(settings)
    assert not any(secret in dump for secret in SECRETS), "personal data must be sealed at rest"

    officer = auth(settings, ["privacy_officer"])
    assert (
        await client.delete(f"/participants/{pid}/personal-data", headers=caseworker)
    ).status_code == 403
    erased = await client.delete(f"/participants/{pid}/personal-data", headers=officer)
    assert erased.status_code == 200, erased.text
    assert (
        await client.delete(f"/participants/{pid}/personal-data", headers=officer)
    ).status_code == 409

    after = (await client.get(f"/participants/{pid}", headers=caseworker)).json()
    assert after["erased"] is True and after["status"] == "erased"
    assert after["personal_data"] is None
    assert after["settled_on"] == "2024-04-02"  # pseudonymous facts stay for statistics
    assert (await client.get(f"/participants?national_id={nid}", headers=caseworker)).json()[
        "count"
    ] == 0
    assert (await client.get("/participants?name=zerihun", headers=caseworker)).json()["count"] == 0
    timeline = (await client.get(f"/participants/{pid}/timeline", headers=caseworker)).json()[
        "entries"
    ]
    assert all("note" not in e.get("details", {}) or e["details"]["note"] is None for e in timeline)
    assert timeline[-1]["text"] == "Personopplysninger slettet"
    assert (
        await client.get(f"/participants/{pid}/competence-profile", headers=caseworker)
    ).status_code == 409
    refused = await client.post(
        f"/participants/{pid}/follow-ups",
        headers=caseworker,
        json={"held_on": "2024-06-01", "adviser": "a"},
    )
    assert refused.status_code == 409

    conn = await asyncpg.connect(settings.service_database_url("participants", driver="postgresql"))
    try:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM participant_keys WHERE participant_id = $1", pid
            )
            == 0
        )
        assert (
            await conn.fetchval("SELECT count(*) FROM person_lookup WHERE participant_id = $1", pid)
            == 0
        )
        sealed = await conn.fetchval(
            "SELECT sealed_details FROM participant_summary WHERE participant_id = $1", pid
        )
        assert sealed is None
    finally:
        await conn.close()

    async def erased_published() -> bool:
        messages = await stream_messages(settings, "participants")
        return any(
            m["type"].endswith("participant.erased.v1") and m["data"]["participant_id"] == pid
            for m in messages
        )

    await eventually(erased_published)
    projections, store = service_projections("participants", settings)
    db = Database.for_service(settings, "participants", pool_size=1)

    async def rebuilt() -> dict[str, Any] | None:
        # EventStore.read_all stops below the cluster's oldest running transaction (any
        # database's), so a rebuild run while other work is open may see fewer events;
        # run it again until it has seen them all.
        for projection in projections:
            await rebuild(db, store, projection)
        view = (await client.get(f"/participants/{pid}", headers=caseworker)).json()
        return view if view.get("erased") else None

    try:
        replayed = await eventually(rebuilt)
    finally:
        await db.dispose()
    assert replayed["erased"] is True and replayed["personal_data"] is None
    assert (await client.get(f"/participants?national_id={nid}", headers=caseworker)).json()[
        "count"
    ] == 0


async def test_every_personal_data_read_is_audited_with_its_purpose(
    client: httpx.AsyncClient, caseworker: dict[str, str], settings: Settings
) -> None:
    created = await client.post("/participants", headers=caseworker, json=person())
    pid = created.json()["id"]
    purpose = {"X-Purpose": "weekly follow-up"}
    await client.get(f"/participants/{pid}", headers=caseworker | purpose)
    await client.get(f"/participants/{pid}/timeline", headers=caseworker)
    await client.get("/participants?name=amina", headers=caseworker)
    await client.get(
        f"/participants/{pid}", headers=auth(settings, ["analyst"])
    )  # no personal data: no row

    trail = await client.get(
        f"/participants/{pid}/audit", headers=auth(settings, ["privacy_officer"])
    )
    assert trail.status_code == 200
    reads = trail.json()["results"]
    assert [r["action"] for r in reads] == ["read", "timeline", "search"]
    assert reads[0]["purpose"] == "weekly follow-up"
    assert reads[0]["actor"] == "tester" and reads[0]["roles"] == ["caseworker"]
    assert (await client.get(f"/participants/{pid}/audit", headers=caseworker)).status_code == 403
    other = auth(settings, ["privacy_officer"], municipality="4601")
    assert (await client.get(f"/participants/{pid}/audit", headers=other)).status_code == 404


async def _stream_bytes(settings: Settings) -> bytes:
    """Every message on the participants' JetStream stream, headers and data, as bytes."""
    import nats

    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        stream = settings.stream_name("participants")
        info = await js.stream_info(stream)
        raw = b""
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            message = await js.get_msg(stream, seq)
            raw += message.subject.encode() + repr(message.headers).encode() + (message.data or b"")
        return raw
    finally:
        await nc.close()


async def test_nothing_in_clear_survives_an_erasure_in_tables_outbox_inbox_or_stream(
    client: httpx.AsyncClient, caseworker: dict[str, str], settings: Settings
) -> None:
    birth = date(1983, 11, 23)
    nid = national_id(birth)
    known = {
        "given_name": "Tsehaytu",
        "family_name": "Woldemichael",
        "national_id": nid,
        "adviser": "Ragnhild Kvalvaag",
        "goal": "Dreams of running a bakery in Lier",
        "provider": "Lierskogen voksenopplaering",
        "note": "Talked about her brother in Asmara",
    }
    created = await client.post(
        "/participants",
        headers=caseworker,
        json=person(birth)
        | {
            "given_name": known["given_name"],
            "family_name": known["family_name"],
            "national_id": nid,
        },
    )
    pid = created.json()["id"]
    steps = [
        ("POST", "/settlement", {"settled_on": "2024-04-02", "arrival_category": "other"}),
        (
            "POST",
            "/programme",
            {"kind": "introduction", "starts_on": "2024-04-15", "adviser": known["adviser"]},
        ),
        (
            "PUT",
            "/plan",
            {
                "valid_from": "2024-04-15",
                "end_goal": "work",
                "goal_description": known["goal"],
                "activities": [
                    {
                        "kind": "norwegian_training",
                        "hours_per_week": 20,
                        "provider": known["provider"],
                        "starts_on": "2024-04-15",
                    }
                ],
            },
        ),
        (
            "POST",
            "/follow-ups",
            {"held_on": "2024-05-02", "adviser": known["adviser"], "note": known["note"]},
        ),
        (
            "PUT",
            "/competence-profile",
            {"free_text_skills": [known["goal"]], "consent": {"skills": True, "wishes": True}},
        ),
    ]
    for method, path, body in steps:
        answer = await client.request(
            method, f"/participants/{pid}{path}", headers=caseworker, json=body
        )
        assert answer.status_code in (200, 201), (path, answer.text)
    plans = (await client.get(f"/participants/{pid}/plans", headers=caseworker)).json()
    assert plans["current"]["activities"][0]["provider"] == known["provider"]
    assert plans["current"]["goal_description"] == known["goal"]

    async def everything_published() -> bool:
        return b"competence_profile.updated" in await _stream_bytes(settings)

    await eventually(everything_published)
    stream = await _stream_bytes(settings)
    assert not [k for k, v in known.items() if v.encode() in stream], "published in clear"

    officer = auth(settings, ["privacy_officer"])
    erased = await client.delete(f"/participants/{pid}/personal-data", headers=officer)
    assert erased.status_code == 200, erased.text

    async def erasure_published() -> bool:
        return b"participant.erased" in await _stream_bytes(settings)

    await eventually(erasure_published)
    dump = await database_text(settings)
    stream = await _stream_bytes(settings)
    assert pid in dump and pid.encode() in stream  # the scans did see this person's rows
    left = {k: v for k, v in known.items() if v in dump or v.encode() in stream}
    assert left == {}, f"still readable after erasure: {sorted(left)}"
