"""Erasure removes a candidate completely; rebuilt read models equal the incremental ones."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import asyncpg

from deploy.services import service_projections
from services.matching.app import create_app
from shared.db import Database
from shared.replay import rebuild
from shared.settings import Settings
from tests.matching.support import (
    Participants,
    coach,
    esco_occupation,
    propose,
    publish_opening,
    register_employer,
    wait_for_candidates,
)
from tests.support import eventually, running

READ_MODELS = {
    "employers": "employer_id",
    "openings": "opening_id",
    "matches": "match_id",
    "candidates": "participant_id",
    "erased_candidates": "participant_id",
}


async def _fetch(settings: Settings, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(settings.service_database_url("matching", driver="postgresql"))
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def _read_models(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    models = {}
    for table, key in READ_MODELS.items():
        rows = await _fetch(settings, f"SELECT * FROM {table} ORDER BY {key}")
        models[table] = [
            {k: v for k, v in dict(row).items() if k not in ("changed_tx", "change_seq")}
            for row in rows
        ]
    return models


async def _change_markers(settings: Settings) -> list[tuple[int, int]]:
    """Every read-model row's change marker; each row has its own (the index's cursor)."""
    markers = []
    for table in READ_MODELS:
        rows = await _fetch(settings, f"SELECT changed_tx::text AS tx, change_seq FROM {table}")
        markers += [(int(row["tx"]), int(row["change_seq"])) for row in rows]
    assert len({seq for _, seq in markers}) == len(markers)
    return markers


async def _rebuild(settings: Settings) -> dict[str, int]:
    # The kit's rebuild reads the event log below the cluster-wide horizon (the oldest
    # open transaction of any database on the server); wait until every event is below
    # it, so a transaction of another database on a shared server cannot cut it short.
    async def below_horizon() -> bool:
        rows = await _fetch(
            settings,
            "SELECT coalesce(max(tx_id) < pg_snapshot_xmin(pg_current_snapshot()), true) "
            "AS ready FROM events",
        )
        return bool(rows[0]["ready"])

    await eventually(below_horizon)
    projections, store = service_projections("matching", settings)
    db = Database.for_service(settings, "matching", pool_size=1)
    try:
        return {p.name: await rebuild(db, store, p) for p in projections}
    finally:
        await db.dispose()


async def test_erasure_removes_the_candidate_everywhere_and_for_good(settings: Settings) -> None:
    headers = coach(settings)
    cook = esco_occupation()[0]
    participants = Participants(settings)
    gone, stays = uuid.uuid4(), uuid.uuid4()
    for person in (gone, stays):
        await participants.settled(person, date(2024, 2, 1))
        await participants.profile(
            person,
            skills=list(cook.essential_skills),
            occupations=[{"isco_code": cook.isco_code, "years": 3}],
            wishes={"municipalities": ["3301"], "hours_per_week": 30},
        )
    async with running(create_app(settings)) as client:
        employer = await register_employer(client, headers)
        opening = await publish_opening(client, headers, employer, occupation=cook)
        await wait_for_candidates(client, headers, gone, stays)
        match = await propose(client, headers, gone, opening)
        ranked = (await client.get(f"/openings/{opening}/candidates", headers=headers)).json()
        assert len(ranked["candidates"]) == 2

        await participants.erased(gone)

        async def forgotten() -> bool:
            response = await client.get(f"/candidates/{gone}", headers=headers)
            return response.status_code == 404

        await eventually(forgotten)
        ranked = (await client.get(f"/openings/{opening}/candidates", headers=headers)).json()
        assert [c["participant_id"] for c in ranked["candidates"]] == [str(stays)]
        listed = (await client.get("/candidates", headers=headers)).json()["results"]
        assert [c["participant_id"] for c in listed] == [str(stays)]
        allocation = (
            await client.post(
                "/allocations", headers=headers, json={"participant_ids": [str(gone)]}
            )
        ).json()
        assert allocation["unplaced"][0]["reasons"][0]["reason"] == "no_candidate"
        assert (await client.get(f"/matches/{match}/package", headers=headers)).status_code == 404
        view = (await client.get(f"/matches/{match}", headers=headers)).json()
        assert view["participant_erased"] is True
        assert (
            await client.post(
                "/matches",
                headers=headers,
                json={"participant_id": str(gone), "opening_id": opening},
            )
        ).status_code == 404

        # Nothing of the profile is left in any table, nor in the inbox of received events.
        assert (
            await _fetch(settings, "SELECT 1 FROM candidates WHERE participant_id = $1", gone) == []
        )
        # Only the erasure's own copy still names the id (so a rebuild knows of it); the
        # settlement and the profile are tombstones that keep just their event ids.
        inbox = await _fetch(
            settings,
            "SELECT type, payload FROM received_events WHERE payload::text LIKE '%' || $1 || '%'",
            str(gone),
        )
        assert [row["type"] for row in inbox] == ["participants.participant.erased.v1"]
        assert json.loads(inbox[0]["payload"])["data"] == {"participant_id": str(gone)}
        tombstones = await _fetch(
            settings, "SELECT type FROM received_events WHERE payload = '{\"scrubbed\": true}'"
        )
        assert sorted(row["type"] for row in tombstones) == [
            "participants.competence_profile.updated.v1",
            "participants.participant.settled.v1",
        ]

        # A late profile event for the erased participant does not bring them back.
        await participants.profile(gone, skills=list(cook.essential_skills))
        await participants.profile(stays, skills=list(cook.essential_skills)[:1])

        async def applied() -> bool:
            rows = await _fetch(settings, "SELECT count(*) AS n FROM received_events")
            return bool(rows[0]["n"] == 7)

        await eventually(applied)
        assert (await client.get(f"/candidates/{gone}", headers=headers)).status_code == 404
        inbox = await _fetch(
            settings,
            "SELECT type FROM received_events WHERE payload::text LIKE '%' || $1 || '%'",
            str(gone),
        )
        assert [row["type"] for row in inbox] == ["participants.participant.erased.v1"]

    counts = await _rebuild(settings)
    assert counts["candidates"] == 7
    assert await _fetch(settings, "SELECT 1 FROM candidates WHERE participant_id = $1", gone) == []
    async with running(create_app(settings)) as client:
        assert (await client.get(f"/candidates/{gone}", headers=headers)).status_code == 404
        assert (await client.get(f"/candidates/{stays}", headers=headers)).status_code == 200


async def test_rebuilt_read_models_and_index_equal_the_incremental_ones(settings: Settings) -> None:
    headers = coach(settings)
    occupations = esco_occupation()[:4]
    participants = Participants(settings)
    people = [uuid.uuid4() for _ in range(8)]
    for n, person in enumerate(people):
        await participants.settled(person, date(2023, 1 + n, 1))
        occupation = occupations[n % len(occupations)]
        await participants.profile(
            person,
            skills=list(occupation.essential_skills)[: 1 + n % 3],
            norwegian={"oral": ["A1", "A2", "B1"][n % 3]},
            driving_licences=["B"] if n % 2 else [],
        )
    async with running(create_app(settings)) as client:
        employer = await register_employer(client, headers, mentor_capacity=8)
        openings = [
            await publish_opening(client, headers, employer, occupation=o, places=2)
            for o in occupations
        ]
        await wait_for_candidates(client, headers, *people)
        allocation = await client.post(
            "/allocations", headers=headers, json={"propose": True, "min_score": 10}
        )
        assert allocation.status_code == 200, allocation.text
        matches = [a["match_id"] for a in allocation.json()["assignments"]]
        assert len(matches) >= 4
        await client.post(f"/matches/{matches[0]}/interest", headers=headers, json={})
        await client.post(
            f"/matches/{matches[1]}/decline",
            headers=headers,
            json={"declined_by": "employer", "reason": "norwegian"},
        )
        await client.post(f"/matches/{matches[2]}/interest", headers=headers, json={})
        await client.post(
            f"/matches/{matches[2]}/offer",
            headers=headers,
            json={"on": "2025-01-01", "starts_on": "2025-02-01", "hours_per_week": 20},
        )
        started = await client.post(f"/matches/{matches[2]}/start", headers=headers, json={})
        assert started.status_code == 200, started.text
        await client.post(
            f"/openings/{openings[3]}/closure", headers=headers, json={"reason": "withdrawn"}
        )
        await participants.erased(people[7])

        async def erased() -> bool:
            return (
                await client.get(f"/candidates/{people[7]}", headers=headers)
            ).status_code == 404

        await eventually(erased)
        before = {
            o: (await client.get(f"/openings/{o}/candidates", headers=headers)).json()
            for o in openings[:3]
        }

    incremental = await _read_models(settings)
    assert len(incremental["candidates"]) == 7 and len(incremental["erased_candidates"]) == 1
    marked = await _change_markers(settings)
    await _rebuild(settings)
    assert await _read_models(settings) == incremental
    # Every rebuilt row is marked as changed after every earlier change, so a running
    # index reads it again.
    assert min(await _change_markers(settings)) > max(marked)
    async with running(create_app(settings)) as client:
        after = {
            o: (await client.get(f"/openings/{o}/candidates", headers=headers)).json()
            for o in openings[:3]
        }
    assert after == before


async def test_an_employers_contact_person_is_sealed_and_can_be_erased(settings: Settings) -> None:
    headers = coach(settings)
    async with running(create_app(settings)) as client:
        employer = await register_employer(client, headers)
        shown = (await client.get(f"/employers/{employer}", headers=headers)).json()
        assert shown["contact"] == {
            "name": "Kari Nordmann",
            "phone": "+47 900 00 000",
            "email": None,
        }
        # Never in clear in the event store or the outbox, only sealed.
        for query in (
            "SELECT 1 FROM events WHERE data::text LIKE '%Nordmann%'",
            "SELECT 1 FROM outbox WHERE convert_from(payload, 'UTF8') LIKE '%Nordmann%'",
        ):
            assert await _fetch(settings, query) == [], query

        erased = await client.delete(f"/employers/{employer}/contact", headers=headers)
        assert erased.status_code == 200, erased.text
        assert erased.json()["erased"] is True
        shown = (await client.get(f"/employers/{employer}", headers=headers)).json()
        assert shown["contact"] is None and shown["name"] == "Fjordhotellet AS"
        again = await client.delete(f"/employers/{employer}/contact", headers=headers)
        assert again.status_code == 200 and again.json()["erased"] is False
        elsewhere = coach(settings, municipality="0301")
        assert (
            await client.delete(f"/employers/{employer}/contact", headers=elsewhere)
        ).status_code == 404

    await _rebuild(settings)
    rows = await _fetch(settings, "SELECT contact, name FROM employers")
    assert [(r["contact"], r["name"]) for r in rows] == [(None, "Fjordhotellet AS")]
    assert await _fetch(settings, "SELECT 1 FROM contact_keys") == []


async def test_the_index_waits_only_for_transactions_that_could_write_its_tables(
    settings: Settings,
) -> None:
    """A long transaction in another database does not hold the index back; one in this
    database does, and the change it held back is read afterwards, never skipped."""
    headers = coach(settings)
    elsewhere = await asyncpg.connect(
        settings.service_database_url("participants", driver="postgresql")
    )
    here = await asyncpg.connect(settings.service_database_url("matching", driver="postgresql"))
    try:
        async with running(create_app(settings)) as client:
            employer = await register_employer(client, headers)
            other = elsewhere.transaction()
            await other.start()
            await elsewhere.fetchval("SELECT pg_current_xact_id()")
            opening = await publish_opening(client, headers, employer)
            ranked = await client.get(f"/openings/{opening}/candidates", headers=headers)
            assert ranked.status_code == 200, ranked.text
            await other.rollback()

            engine = client._transport.app.state.matching.engine  # type: ignore[attr-defined]
            own = here.transaction()
            await own.start()
            await here.fetchval("SELECT pg_current_xact_id()")
            second = await publish_opening(client, headers, employer, title="Second")
            runtime = client._transport.app.state.runtime  # type: ignore[attr-defined]
            await engine.refresh(runtime.db)
            assert engine.spec("3301", uuid.UUID(second)) is None
            await own.rollback()
            await engine.refresh(runtime.db)
            assert engine.spec("3301", uuid.UUID(second)) is not None
    finally:
        await elsewhere.close()
        await here.close()
