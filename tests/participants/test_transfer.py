"""Transfers between municipalities (flytting) on one stack: two municipalities' tokens,
the same running service on real PostgreSQL and NATS."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from deploy.services import service_projections
from services.participants.app import create_app
from shared.db import Database
from shared.replay import rebuild
from shared.settings import Settings
from tests.participants.conftest import person
from tests.support import auth, running

SENDER = "3301"  # Drammen
RECEIVER = "0301"  # Oslo
THIRD = "5001"  # Trondheim: served too, but not the transfer's receiver
NOT_SERVED = "4601"  # Bergen: not on this deployment

START = date(2025, 1, 6)  # a Monday
MOVED_ON = date(2025, 3, 3)  # eight weeks later, a Monday


@pytest.fixture
async def stack(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    served = settings.model_copy(update={"served_municipalities": f"{SENDER}, {RECEIVER},{THIRD}"})
    async with running(create_app(served)) as http:
        yield http


def _headers(settings: Settings, municipality: str) -> dict[str, str]:
    return auth(settings, ["caseworker"], municipality)


async def _ok(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.text


async def _sent(
    http: httpx.AsyncClient, headers: dict[str, str], participant_id: str, to: str
) -> dict[str, Any]:
    """The recorded transfer of the participant to ``to``, moved on ``MOVED_ON``."""
    moved = {"to_municipality": to, "moved_on": MOVED_ON.isoformat()}
    return await _ok(
        await http.post(f"/participants/{participant_id}/transfer", headers=headers, json=moved)
    )


async def _participant_in_programme(
    http: httpx.AsyncClient, headers: dict[str, str], born: date = date(1991, 6, 14)
) -> tuple[str, dict[str, Any]]:
    details = person(born, d_number=True)
    pid = str((await _ok(await http.post("/participants", headers=headers, json=details)))["id"])
    base = f"/participants/{pid}"
    await _ok(
        await http.post(
            f"{base}/settlement",
            headers=headers,
            json={"settled_on": "2024-12-02", "arrival_category": "resettlement_refugee"},
        )
    )
    await _ok(
        await http.post(
            f"{base}/programme",
            headers=headers,
            json={"kind": "introduction", "starts_on": START.isoformat(), "adviser": "ola"},
        )
    )
    return pid, details


async def test_transfer_between_two_municipalities_on_one_stack(
    stack: httpx.AsyncClient, settings: Settings
) -> None:
    http = stack
    sender, receiver, third = (
        _headers(settings, SENDER),
        _headers(settings, RECEIVER),
        _headers(settings, THIRD),
    )
    pid, details = await _participant_in_programme(http, sender)
    base = f"/participants/{pid}"
    await _ok(
        await http.put(
            f"{base}/plan",
            headers=sender,
            json={
                "valid_from": START.isoformat(),
                "end_goal": "work",
                "norwegian_goal": "B1",
                "goal_description": "Fagbrev i helsearbeiderfaget",
                "activities": [
                    {"kind": "norwegian_training", "hours_per_week": 15, "starts_on": "2025-01-06"},
                    {
                        "kind": "language_practice",
                        "hours_per_week": 22.5,
                        "provider": "Drammen sykehus",
                        "starts_on": "2025-01-06",
                    },
                ],
            },
        )
    )
    # A week's leave (3-9 February: five working days) and seven hours of absence.
    await _ok(
        await http.post(
            f"{base}/programme/interruption",
            headers=sender,
            json={"kind": "leave", "from_date": "2025-02-03", "to_date": "2025-02-10"},
        )
    )
    for day, hours in (("2025-01-15", 3), ("2025-01-22", 4)):
        await _ok(
            await http.post(
                f"{base}/absences",
                headers=sender,
                json={"on": day, "hours": hours, "valid_reason": False, "note": "syk barn"},
            )
        )

    # Bad input changes nothing: each refusal names its rule.
    transfer = f"{base}/transfer"
    moved = {"to_municipality": RECEIVER, "moved_on": MOVED_ON.isoformat()}
    _refused(
        await http.post(transfer, headers=sender, json={**moved, "to_municipality": SENDER}),
        422,
        "transfer-to-self",
    )
    _refused(
        await http.post(transfer, headers=sender, json={**moved, "to_municipality": "9999"}),
        422,
        "unknown-code",
    )
    assert (
        await http.post(transfer, headers=sender, json={**moved, "to_municipality": "12"})
    ).status_code == 422
    _refused(
        await http.post(transfer, headers=sender, json={**moved, "moved_on": "2024-11-01"}),
        422,
        "before-settlement",
    )
    _refused(
        await http.post(transfer, headers=sender, json={**moved, "moved_on": "2199-01-01"}),
        422,
        "future-fact",
    )
    assert (await _ok(await http.get(transfer, headers=sender), 200))["sent"] is None

    recorded = await _ok(await http.post(transfer, headers=sender, json=moved))
    assert recorded["delivered"] is True and recorded["transfer_status"] == "pending"
    assert recorded["status"] == "moved_out"
    transfer_id = recorded["transfer_id"]

    # The sending record is read-only now; reads still work.
    _refused(
        await http.put(f"{base}/adviser", headers=sender, json={"adviser": "kari"}),
        409,
        "transfer-recorded",
    )
    _refused(
        await http.post(
            f"{base}/absences",
            headers=sender,
            json={"on": "2025-03-10", "hours": 2, "valid_reason": True},
        ),
        409,
        "moved-away",
    )
    _refused(await http.post(transfer, headers=sender, json=moved), 409, "transfer-recorded")
    view = await _ok(await http.get(base, headers=sender), 200)
    assert view["moved_to"] == RECEIVER and view["programme"]["outcome"] == "moved_municipality"
    mine = await _ok(await http.get(transfer, headers=sender), 200)
    assert mine["read_only"] is True and mine["sent"]["status"] == "pending"

    # The receiving municipality sees the pending transfer; no other municipality does.
    assert (await _ok(await http.get("/transfers/incoming", headers=sender), 200))["count"] == 0
    assert (await _ok(await http.get("/transfers/incoming", headers=third), 200))["count"] == 0
    incoming = await _ok(await http.get("/transfers/incoming", headers=receiver), 200)
    assert incoming["count"] == 1
    pending = incoming["results"][0]
    assert pending["transfer_id"] == transfer_id and pending["from_municipality"] == SENDER
    assert pending["status_label"] == "Venter på mottak"
    assert pending["person"]["national_id"] == details["national_id"]
    package = pending["package"]
    # 40 weekdays before the move, 5 of them on leave: 35 x 37.5 / 5 = 262.5 h planned,
    # 7 h absent.
    assert package["planned_hours"] == 262.5
    assert package["absence_hours"] == 7
    assert package["hours_done"] == 255.5
    granted = (date(2027, 1, 6) - START).days
    used = (MOVED_ON - START).days - 7
    assert package["programme"]["granted_days"] == granted
    assert package["programme"]["used_days"] == used
    assert package["remaining"]["programme_days"] == granted - used
    assert (
        package["remaining"]["programme_ends_on"]
        == (MOVED_ON + timedelta(days=granted - used)).isoformat()
    )
    assert package["plan"]["end_goal"] == "work" and package["plan"]["norwegian_goal"] == "B1"
    assert package["plan"]["activities"][0]["kind_label"] != "norwegian_training"
    assert package["programme"]["kind_label"] != "introduction"
    assert [a["kind"] for a in package["plan"]["activities"]] == [
        "norwegian_training",
        "language_practice",
    ]
    # No free text, no provider, no contact details pass.
    flat = str(package)
    assert "Drammen sykehus" not in flat and "Fagbrev" not in flat and "syk barn" not in flat
    assert "provider" not in flat
    english = await _ok(
        await http.get(f"/transfers/{transfer_id}", headers={**receiver, "Accept-Language": "en"}),
        200,
    )
    assert english["status_label"] == "Pending"
    assert (await http.get(f"/transfers/{transfer_id}", headers=third)).status_code == 404

    # Accepting: not another municipality's, not before the move, once.
    acceptance = f"/transfers/{transfer_id}/acceptance"
    _refused(await http.post(acceptance, headers=third, json={}), 404, "not-found")
    _refused(await http.post(acceptance, headers=sender, json={}), 404, "not-found")
    _refused(
        await http.post(acceptance, headers=receiver, json={"moved_in_on": "2025-03-01"}),
        422,
        "moved-in-before-move",
    )
    keyed = {**receiver, "Idempotency-Key": "accept-1"}
    accepted = await _ok(await http.post(acceptance, headers=keyed, json={}))
    again = await http.post(acceptance, headers=keyed, json={})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == accepted
    _refused(await http.post(acceptance, headers=receiver, json={}), 409, "transfer-decided")
    _refused(
        await http.post(
            f"/transfers/{transfer_id}/decline", headers=receiver, json={"reason": "other"}
        ),
        409,
        "transfer-decided",
    )

    # The new participant belongs to the receiving municipality, linked to the sent record,
    # its identity sealed under its own key.
    new_id = accepted["participant_id"]
    assert new_id != pid and accepted["moved_in_on"] == MOVED_ON.isoformat()
    received = await _ok(await http.get(f"/participants/{new_id}", headers=receiver), 200)
    assert received["municipality"] == RECEIVER
    assert received["personal_data"]["national_id"] == details["national_id"]
    assert received["personal_data"]["given_name"] == details["given_name"]
    assert received["personal_data"]["phone"] is None
    assert (await http.get(f"/participants/{new_id}", headers=sender)).status_code == 404
    link = await _ok(await http.get(f"/participants/{new_id}/transfer", headers=receiver), 200)
    assert link["read_only"] is False
    assert link["received"]["transfer_id"] == transfer_id
    assert link["received"]["package"]["hours_done"] == 255.5
    assert link["received"]["status"] == "accepted"
    timeline = await _ok(await http.get(f"/participants/{new_id}/timeline", headers=receiver), 200)
    assert len(timeline["entries"]) >= 1
    assert (await _ok(await http.get("/transfers/incoming", headers=receiver), 200))["count"] == 0

    # The receiving municipality continues the programme on the remaining right: the
    # settlement the person came with is theirs, and no new settlement is recorded.
    assert received["settled_on"] == "2024-12-02"
    assert received["arrival_category"] == "resettlement_refugee"
    continued = await _ok(
        await http.post(
            f"/participants/{new_id}/programme",
            headers=receiver,
            json={
                "kind": "introduction",
                "starts_on": MOVED_ON.isoformat(),
                "planned_end": package["remaining"]["programme_ends_on"],
                "adviser": "oslo-veileder",
            },
        )
    )
    assert continued["status"] == "in_programme"

    # The sending municipality sees it accepted and keeps its history.
    outgoing = await _ok(await http.get("/transfers/outgoing", headers=sender), 200)
    assert [(t["transfer_id"], t["status"]) for t in outgoing["results"]] == [
        (transfer_id, "accepted")
    ]
    plans = await _ok(await http.get(f"{base}/plans", headers=sender), 200)
    assert plans["current"]["revision"] == 1
    assert (await _ok(await http.get(f"{base}/transfer", headers=sender), 200))["sent"][
        "status"
    ] == "accepted"


async def test_outbound_only_and_declined_transfers(
    stack: httpx.AsyncClient, settings: Settings
) -> None:
    http = stack
    sender, receiver = _headers(settings, SENDER), _headers(settings, RECEIVER)
    elsewhere = _headers(settings, NOT_SERVED)
    away, _ = await _participant_in_programme(http, sender, date(1988, 3, 9))
    outbound = await _sent(http, sender, away, NOT_SERVED)
    assert outbound["delivered"] is False and outbound["transfer_status"] == "outbound"
    tid = outbound["transfer_id"]
    assert (await _ok(await http.get("/transfers/incoming", headers=elsewhere), 200))["count"] == 0
    assert (await http.get(f"/transfers/{tid}", headers=elsewhere)).status_code == 404
    assert (
        await http.post(f"/transfers/{tid}/acceptance", headers=elsewhere, json={})
    ).status_code == 404
    mine = await _ok(await http.get(f"/transfers/{tid}", headers=sender), 200)
    assert mine["status"] == "outbound" and mine["package"] is None

    declined_id, _ = await _participant_in_programme(http, sender, date(1979, 11, 23))
    sent = await _sent(http, sender, declined_id, RECEIVER)
    decline = f"/transfers/{sent['transfer_id']}/decline"
    assert (await http.post(decline, headers=receiver, json={"reason": "nope"})).status_code == 422
    answer = await _ok(
        await http.post(decline, headers=receiver, json={"reason": "not_resident"}), 200
    )
    assert answer["status"] == "declined"
    _refused(
        await http.post(f"/transfers/{sent['transfer_id']}/acceptance", headers=receiver, json={}),
        409,
        "transfer-decided",
    )
    outgoing = await _ok(await http.get("/transfers/outgoing", headers=sender), 200)
    statuses = {t["transfer_id"]: t for t in outgoing["results"]}
    assert statuses[tid]["status"] == "outbound"
    assert statuses[sent["transfer_id"]]["status"] == "declined"
    assert statuses[sent["transfer_id"]]["decline_reason_label"] == (
        "Personen er ikke bosatt i kommunen"
    )
    declined = await _ok(
        await http.get("/transfers/incoming?status=declined", headers=receiver), 200
    )
    assert [t["transfer_id"] for t in declined["results"]] == [sent["transfer_id"]]
    assert declined["results"][0]["person"] is None

    # A sent participant erased before the receiver decides: no identity, no acceptance.
    erased, _ = await _participant_in_programme(http, sender, date(1966, 7, 7))
    gone = await _sent(http, sender, erased, RECEIVER)
    officer = auth(settings, ["caseworker", "privacy_officer"], SENDER)
    await _ok(await http.delete(f"/participants/{erased}/personal-data", headers=officer), 200)
    shown = await _ok(await http.get(f"/transfers/{gone['transfer_id']}", headers=receiver), 200)
    assert shown["person"] is None and shown["status"] == "pending"
    _refused(
        await http.post(f"/transfers/{gone['transfer_id']}/acceptance", headers=receiver, json={}),
        409,
        "erased",
    )
    await _ok(
        await http.post(
            f"/transfers/{gone['transfer_id']}/decline", headers=receiver, json={"reason": "other"}
        ),
        200,
    )

    # Two caseworkers accepting at once: exactly one new participant.
    raced, _ = await _participant_in_programme(http, sender, date(1995, 8, 30))
    race = await _sent(http, sender, raced, RECEIVER)
    answers = await asyncio.gather(
        *(
            http.post(f"/transfers/{race['transfer_id']}/acceptance", headers=receiver, json={})
            for _ in range(4)
        )
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    assert {a.json()["code"] for a in answers if a.status_code == 409} <= {
        "transfer-decided",
        "already-registered-here",
        "version-conflict",
    }

    # The read model is rebuilt from the events alone, row for row.
    before = await _transfer_rows(settings)
    assert len(before) == 4
    projections, store = service_projections("participants", settings)
    [transfers] = [p for p in projections if p.name == "municipal_transfers"]
    db = Database.for_service(settings, "participants", pool_size=1)
    try:
        await rebuild(db, store, transfers)
    finally:
        await db.dispose()
    assert await _transfer_rows(settings) == before


async def _transfer_rows(settings: Settings) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(settings.service_database_url("participants", driver="postgresql"))
    try:
        rows = await conn.fetch("SELECT * FROM municipal_transfers ORDER BY transfer_id")
    finally:
        await conn.close()
    return [dict(row) for row in rows]


async def test_a_foreign_and_an_unknown_participant_get_the_same_404(
    stack: httpx.AsyncClient, settings: Settings
) -> None:
    """Before any Idempotency-Key lookup or rule, so nothing tells the ids apart (the
    participant commands of this part, as tests/participants/test_rules.py checks the
    journey's)."""
    http = stack
    sender, oslo = _headers(settings, SENDER), _headers(settings, RECEIVER)
    foreign, _ = await _participant_in_programme(http, oslo, date(1970, 2, 2))
    key = {"Idempotency-Key": "same-key"}
    commands = [
        ("PUT", "/adviser", {"adviser": "kari"}),
        ("POST", "/transfer", {"to_municipality": NOT_SERVED, "moved_on": "2025-03-03"}),
    ]
    for method, path, body in commands:
        answers = [
            await http.request(
                method, f"/participants/{pid}{path}", headers=sender | key, json=body
            )
            for pid in (foreign, str(uuid.uuid4()))
        ]
        assert [a.status_code for a in answers] == [404, 404], (path, answers[0].text)
        shown = [
            {k: v for k, v in a.json().items() if k not in ("detail", "detail_en", "instance")}
            for a in answers
        ]
        assert shown[0] == shown[1]
    for path in ("/advisers", "/transfer"):
        assert (await http.get(f"/participants/{foreign}{path}", headers=sender)).status_code == 404
