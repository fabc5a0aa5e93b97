"""The unaccompanied minor's record and the employer consents are read through the audit
log like the profile: each read leaves one entry, and the entry holds what every audit
entry holds (who, as what, why, when, which request) and nothing of what was read."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from shared.settings import Settings
from tests.participants.test_minors import minor_participant
from tests.support import auth, settled_participant

ENTRY_FIELDS = {"at", "actor", "roles", "action", "purpose", "correlation_id"}
"""What the audit trail shows of any read (the profile's included)."""


async def _trail(
    client: httpx.AsyncClient, settings: Settings, pid: str
) -> list[dict[str, object]]:
    trail = await client.get(
        f"/participants/{pid}/audit", headers=auth(settings, ["privacy_officer"])
    )
    assert trail.status_code == 200, trail.text
    reads: list[dict[str, object]] = trail.json()["results"]
    return reads


async def _rows(settings: Settings, pid: str) -> list[dict[str, object]]:
    conn = await asyncpg.connect(settings.service_database_url("participants", driver="postgresql"))
    try:
        rows = await conn.fetch(
            "SELECT * FROM audit_log WHERE participant_id = $1 ORDER BY id", uuid.UUID(pid)
        )
        return [dict(row) for row in rows]
    finally:
        await conn.close()


async def test_every_read_of_a_minors_record_is_audited_and_holds_no_more_than_a_profile_read(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    cw = auth(settings, ["caseworker"])
    pid = await minor_participant(client, cw)
    entered = await client.post(
        f"/participants/{pid}/minor/phases",
        headers=cw,
        json={"phase": "intake", "entered_on": "2024-03-01"},
    )
    assert entered.status_code == 201, entered.text
    assert await _trail(client, settings, pid) == [], "commands are not reads"

    profile = await client.get(f"/participants/{pid}", headers=cw | {"X-Purpose": "follow-up"})
    assert profile.status_code == 200
    read = await client.get(f"/participants/{pid}/minor", headers=cw | {"X-Purpose": "follow-up"})
    assert read.status_code == 200, read.text
    analyst = await client.get(f"/participants/{pid}/minor", headers=auth(settings, ["analyst"]))
    assert analyst.status_code == 200, analyst.text

    reads = await _trail(client, settings, pid)
    assert [r["action"] for r in reads] == ["read", "minor", "minor"]
    assert all(set(r) == ENTRY_FIELDS for r in reads)
    by_profile, by_caseworker, by_analyst = reads
    for field in ("actor", "roles", "purpose"):
        assert by_caseworker[field] == by_profile[field], field
    assert by_analyst["roles"] == ["analyst"] and by_analyst["purpose"] is None
    assert (
        by_caseworker["correlation_id"]
        and by_caseworker["correlation_id"] != (by_profile["correlation_id"])
    )

    # The stored rows: the same columns as the profile's row, nothing of the record.
    rows = await _rows(settings, pid)
    assert [r["action"] for r in rows] == ["read", "minor", "minor"]
    assert {k for r in rows for k in r} == set(rows[0])
    stored = repr(rows)
    for secret in ("Yonas", "Berhe", "intake", "2024-03-01"):
        assert secret not in stored, secret


async def test_refused_and_foreign_reads_of_a_minors_record_leave_no_entry(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    cw = auth(settings, ["caseworker"])
    pid = await minor_participant(client, cw)
    other = auth(settings, ["caseworker"], municipality="4601")
    assert (await client.get(f"/participants/{pid}/minor", headers=other)).status_code == 404
    adult = await settled_participant(client, cw)
    refused = await client.get(f"/participants/{adult}/minor", headers=cw)
    assert refused.status_code == 409 and refused.json()["code"] == "not-unaccompanied-minor"
    assert await _trail(client, settings, pid) == []
    assert await _trail(client, settings, adult) == []


async def test_every_read_of_the_employer_consents_is_audited_without_the_employers(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    cw = auth(settings, ["caseworker"])
    pid = await settled_participant(client, cw, given_name="Selam", family_name="Tesfaye")
    employer = uuid.uuid4()
    given = await client.post(
        f"/participants/{pid}/employer-consents", headers=cw, json={"employer_id": str(employer)}
    )
    assert given.status_code == 201, given.text
    assert await _trail(client, settings, pid) == []

    listed = await client.get(
        f"/participants/{pid}/employer-consents", headers=cw | {"X-Purpose": "package"}
    )
    assert listed.status_code == 200, listed.text
    assert str(employer) in listed.text
    by_analyst = await client.get(
        f"/participants/{pid}/employer-consents", headers=auth(settings, ["analyst"])
    )
    assert by_analyst.status_code == 200
    foreign = await client.get(
        f"/participants/{pid}/employer-consents",
        headers=auth(settings, ["caseworker"], municipality="4601"),
    )
    assert foreign.status_code == 404

    reads = await _trail(client, settings, pid)
    assert [(r["action"], r["roles"], r["purpose"]) for r in reads] == [
        ("employer_consents", ["caseworker"], "package"),
        ("employer_consents", ["analyst"], None),
    ]
    assert all(set(r) == ENTRY_FIELDS for r in reads)
    stored = repr(await _rows(settings, pid))
    for secret in ("Selam", "Tesfaye", str(employer), str(given.json()["consent_id"])):
        assert secret not in stored, secret
