"""``veiviser backup`` and ``veiviser restore``: the four databases of a stack that has
run real cross-service traffic are dumped, restored into a fresh PostgreSQL server, and
rebuilt from their events; every table equals the original's."""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from pathlib import Path

import asyncpg
import httpx
import nats
import pytest

from deploy.backup import WRITE_STAMPS
from deploy.embedded import EmbeddedPostgres, free_port
from deploy.services import service_projections
from services.housing.app import create_app as housing_app
from services.indicators.app import create_app as indicators_app
from services.matching.app import create_app as matching_app
from services.participants.app import create_app as participants_app
from shared.catchup import CatchUpClient
from shared.settings import SERVICES, Settings
from tests.housing.helpers import accepted_application, dwelling, place, wait_for_household
from tests.matching.support import esco_occupation, start_in_a_job
from tests.support import (
    adopt_persons_settled,
    auth,
    delete_streams,
    eventually,
    persons_settled_counts,
    record_competence,
    running,
    settled_participant,
    veiviser_command,
)

pytestmark = pytest.mark.timeout(300)

Tables = dict[str, list[str]]


async def _connect(settings: Settings, service: str) -> asyncpg.Connection:
    # Row text of timestamps depends on the session's time zone; the two servers' defaults
    # need not agree.
    return await asyncpg.connect(
        settings.service_database_url(service, driver="postgresql"),
        server_settings={"TimeZone": "UTC"},
    )


async def _tables(settings: Settings, service: str) -> Tables:
    """Every row of every table of ``service``'s database, as text, sorted; matching's
    change markers (stamped by the database on every write, new ones by a rebuild) are
    left out."""
    conn = await _connect(settings, service)
    try:
        names = [
            r[0]
            for r in await conn.fetch(
                "SELECT relname FROM pg_class WHERE relkind = 'r' "
                "AND relnamespace = 'public'::regnamespace ORDER BY relname"
            )
        ]
        tables: Tables = {}
        for name in names:
            columns = [
                r[0]
                for r in await conn.fetch(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                    "'public' AND table_name = $1 ORDER BY ordinal_position",
                    name,
                )
                if r[0] not in WRITE_STAMPS
            ]
            row = "ROW(" + ", ".join(f't."{c}"' for c in columns) + ")::text"
            tables[name] = [
                r[0] for r in await conn.fetch(f'SELECT {row} FROM "{name}" t ORDER BY 1')
            ]
        return tables
    finally:
        await conn.close()


async def _quiet(settings: Settings, services: tuple[str, ...] = SERVICES) -> bool:
    """Every outbox row published and every durable consumer has applied and acked all."""
    for service in services:
        conn = await _connect(settings, service)
        try:
            if await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"):
                return False
        finally:
            await conn.close()
    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        for service in services:
            try:
                consumers = await js.consumers_info(settings.stream_name(service))
            except Exception:
                continue
            if any(c.num_pending or c.num_ack_pending for c in consumers):
                return False
    finally:
        await nc.close()
    return True


async def _traffic(settings: Settings) -> str:
    """Events in all four services, most of them crossing a service boundary; returns a
    participant's id."""
    headers = auth(settings, ["caseworker", "manager", "job_coach", "housing_officer"])
    cook = esco_occupation()[0]
    async with (
        running(participants_app(settings)) as participants,
        running(housing_app(settings)) as housing,
        running(matching_app(settings)) as matching,
        running(indicators_app(settings)) as indicators,
    ):
        await adopt_persons_settled(indicators, headers)
        people = [
            await settled_participant(
                participants, headers, given_name=f"Deltaker{n}", settled_on=f"2024-0{n + 1}-05"
            )
            for n in range(4)
        ]
        await record_competence(participants, headers, people[0], cook)

        async def candidate() -> bool:
            response = await matching.get(f"/candidates/{people[0]}", headers=headers)
            return response.status_code == 200

        await eventually(candidate)
        await start_in_a_job(matching, headers, people[0], cook)

        participant = await participants.get(f"/participants/{people[1]}", headers=headers)
        household = uuid.UUID(participant.json()["household_id"])
        await wait_for_household(housing, settings, household)
        application = await accepted_application(
            housing, settings, household, received_on="2024-03-01"
        )
        flat = await dwelling(housing, settings)
        await place(
            housing, settings, application["application_id"], flat["dwelling_id"], "2024-04-01"
        )

        await eventually(lambda: persons_settled_counts(indicators, headers, 4.0))
        await eventually(lambda: _quiet(settings), timeout=60)
    return people[1]


async def test_a_backup_restored_into_a_fresh_server_replays_to_the_same_read_models(
    settings: Settings,
) -> None:
    person = await _traffic(settings)
    original = {service: await _tables(settings, service) for service in SERVICES}
    for service in ("participants", "housing", "matching", "indicators"):
        assert original[service]["events"], f"{service} recorded no events"
    for service in ("participants", "housing", "matching", "indicators"):
        assert original[service]["received_events"], f"{service} received no events"

    folder = Path(tempfile.mkdtemp(prefix="veiviser-backup-"))
    fresh = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="veiviser-restore-")), free_port())
    try:
        code, out, err = await veiviser_command(settings, "backup", "--to", str(folder))
        assert code == 0, out + err
        manifest = json.loads((folder / "manifest.json").read_text())
        assert sorted(manifest["services"]) == sorted(SERVICES)
        for service in SERVICES:
            entry = manifest["services"][service]
            assert entry["event_count"] == len(original[service]["events"])
            assert entry["migration_heads"], service
            assert (folder / entry["file"]).stat().st_size == entry["bytes"]

        fresh.start()
        restored = settings.model_copy(update={"database_url": fresh.url})
        code, out, err = await veiviser_command(restored, "restore", "--from", str(folder))
        assert code == 0, out + err
        assert out.count("every read model equals the dumped one") == len(SERVICES), out

        # Events carry the source server's transaction ids; the fresh server was moved
        # past them, or readers of the log would not see the restored events.
        for service in SERVICES:
            conn = await _connect(restored, service)
            try:
                assert await conn.fetchval(
                    "SELECT max(tx_id::text::xid8) < pg_snapshot_xmin(pg_current_snapshot()) "
                    "FROM events"
                ), service
            finally:
                await conn.close()

        # The restore rebuilt and compared; to see the replay do the work, empty every
        # read model and rebuild it with `veiviser replay`.
        for service in SERVICES:
            projections, _store = service_projections(service, restored)
            conn = await _connect(restored, service)
            try:
                for projection in projections:
                    for table in projection.tables:
                        await conn.execute(f'TRUNCATE "{table.name}"')
            finally:
                await conn.close()
            code, out, err = await veiviser_command(restored, "replay", service)
            assert code == 0, out + err

        for service in SERVICES:
            after = await _tables(restored, service)
            projections, _store = service_projections(service, restored)
            read_models = {t.name for p in projections for t in p.tables}
            assert any(original[service][name] for name in read_models), service
            for name in sorted(read_models):
                assert after[name] == original[service][name], f"{service}.{name}"
            # The event store, inbox, outbox and everything else: identical, but for
            # indicators' data_version, which every change to a municipality's data (a
            # rebuild too) bumps so the evaluator evaluates again.
            if service == "indicators":
                bumped = after.pop("municipality_data")
                before = original[service]["municipality_data"]
                assert len(bumped) == len(before) >= 1
            expected = {k: v for k, v in original[service].items() if k in after}
            assert after == expected and len(expected) >= 10, service

        # The restored participants service reads the sealed personal data: the keys
        # came along with the events.
        async with running(participants_app(restored)) as participants:
            shown = await participants.get(f"/participants/{person}", headers=auth(restored))
            assert shown.status_code == 200, shown.text
            assert shown.json()["personal_data"]["given_name"] == "Deltaker1"
    finally:
        fresh.stop()
        shutil.rmtree(fresh.data_dir, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)


async def test_restore_refuses_a_database_in_use_a_damaged_archive_and_missing_tools(
    settings: Settings,
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="veiviser-backup-"))
    try:
        code, _out, err = await veiviser_command(
            settings, "backup", "--to", str(folder), "--service", "x"
        )
        assert code == 2 and "unknown service x" in err, err
        code, out, err = await veiviser_command(
            settings, "backup", "--to", str(folder), "--service", "housing"
        )
        assert code == 0, out + err
        code, _out, err = await veiviser_command(settings, "backup", "--to", str(folder))
        assert code == 2 and "already holds a backup" in err, err

        # Onto the same server and prefix: housing's database is the one just dumped.
        code, _out, err = await veiviser_command(settings, "restore", "--from", str(folder))
        assert code == 2 and "is not empty" in err, err

        elsewhere = settings.model_copy(update={"database_prefix": f"{settings.database_prefix}_r"})
        code, _out, err = await veiviser_command(
            elsewhere, "restore", "--from", str(folder), "--pg-bin", "/nonexistent"
        )
        assert code == 2 and "No pg_dump/pg_restore of PostgreSQL" in err, err

        archive = folder / "housing.dump"
        data = bytearray(archive.read_bytes())
        data[len(data) // 2] ^= 0xFF
        archive.write_bytes(bytes(data))
        code, _out, err = await veiviser_command(elsewhere, "restore", "--from", str(folder))
        assert code == 2 and "does not match its SHA-256" in err, err

        code, _out, err = await veiviser_command(
            elsewhere, "restore", "--from", str(folder / "none")
        )
        assert code == 2 and "manifest.json is missing" in err, err
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def test_a_consumer_backed_up_after_its_source_is_reported_as_ahead(
    settings: Settings,
) -> None:
    headers = auth(settings)
    early = Path(tempfile.mkdtemp(prefix="veiviser-backup-"))
    late = Path(tempfile.mkdtemp(prefix="veiviser-backup-"))
    try:
        async with (
            running(participants_app(settings)) as participants,
            running(housing_app(settings)) as housing,
        ):
            await settled_participant(participants, headers)
            await eventually(lambda: _quiet(settings), timeout=60)
            code, out, err = await veiviser_command(
                settings, "backup", "--to", str(early), "--service", "participants"
            )
            assert code == 0, out + err
            person = await settled_participant(participants, headers, given_name="Senere")
            shown = await participants.get(f"/participants/{person}", headers=headers)
            await wait_for_household(housing, settings, uuid.UUID(shown.json()["household_id"]))
            await eventually(lambda: _quiet(settings), timeout=60)
            code, out, err = await veiviser_command(
                settings, "backup", "--to", str(late), "--service", "housing"
            )
            assert code == 0, out + err
        # One folder: participants from before the second settlement, housing from after.
        manifest = json.loads((early / "manifest.json").read_text())
        manifest["services"] |= json.loads((late / "manifest.json").read_text())["services"]
        (early / "manifest.json").write_text(json.dumps(manifest))
        shutil.copy(late / "housing.dump", early / "housing.dump")

        elsewhere = settings.model_copy(update={"database_prefix": f"{settings.database_prefix}_r"})
        code, out, err = await veiviser_command(
            elsewhere, "restore", "--from", str(early), "--no-rebuild"
        )
        assert code == 1, out + err
        assert "consumer participants has applied events of 1 participants stream(s)" in err, err
        assert "housing's backup is newer than participants's" in err, err
    finally:
        shutil.rmtree(early, ignore_errors=True)
        shutil.rmtree(late, ignore_errors=True)


async def test_a_consumer_restored_behind_its_source_catches_up_beside_a_fresh_nats(
    settings: Settings,
) -> None:
    """Housing's backup is older than participants': after the restore, next to a NATS
    that has never seen the events, housing learns the settlement it missed from
    participants' catch-up feed, and counts nothing twice."""
    headers = auth(settings)
    early = Path(tempfile.mkdtemp(prefix="veiviser-backup-"))
    late = Path(tempfile.mkdtemp(prefix="veiviser-backup-"))
    fresh = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="veiviser-restore-")), free_port())
    restored = settings.model_copy(update={"namespace": f"{settings.namespace}r"})
    try:
        async with (
            running(participants_app(settings)) as participants,
            running(housing_app(settings)) as housing,
        ):
            first = await settled_participant(participants, headers)
            await eventually(lambda: _quiet(settings), timeout=60)
            code, out, err = await veiviser_command(
                settings, "backup", "--to", str(early), "--service", "housing"
            )
            assert code == 0, out + err
            missed = await settled_participant(participants, headers, given_name="Senere")
            await eventually(lambda: _quiet(settings), timeout=60)
            code, out, err = await veiviser_command(
                settings, "backup", "--to", str(late), "--service", "participants"
            )
            assert code == 0, out + err
            households = {
                person: uuid.UUID(
                    (await participants.get(f"/participants/{person}", headers=headers)).json()[
                        "household_id"
                    ]
                )
                for person in (first, missed)
            }
        manifest = json.loads((late / "manifest.json").read_text())
        manifest["services"] |= json.loads((early / "manifest.json").read_text())["services"]
        (late / "manifest.json").write_text(json.dumps(manifest))
        shutil.copy(early / "housing.dump", late / "housing.dump")

        fresh.start()
        restored = restored.model_copy(update={"database_url": fresh.url})
        code, out, err = await veiviser_command(restored, "restore", "--from", str(late))
        assert code == 0, out + err

        source = participants_app(restored)
        consumer_app = housing_app(restored)
        [consumer] = consumer_app.state.runtime.consumers
        # In-process, the feed is reached over ASGI instead of VEIVISER_PARTICIPANTS_URL.
        consumer.catchup = CatchUpClient(
            restored, "housing", "participants", transport=httpx.ASGITransport(app=source)
        )
        async with running(source) as participants, running(consumer_app) as housing:
            await wait_for_household(housing, restored, households[missed])
            # Commands go on as before: a new settlement reaches housing over NATS.
            later = await settled_participant(participants, headers, given_name="Etterpå")
            shown = await participants.get(f"/participants/{later}", headers=headers)
            await wait_for_household(housing, restored, uuid.UUID(shown.json()["household_id"]))
            await eventually(lambda: _quiet(restored, ("participants", "housing")), timeout=60)
        conn = await _connect(restored, "participants")
        try:
            published = {r[0] for r in await conn.fetch("SELECT event_id::text FROM outbox")}
        finally:
            await conn.close()
        conn = await _connect(restored, "housing")
        try:
            received = [
                r[0]
                for r in await conn.fetch(
                    "SELECT event_id::text FROM received_events WHERE consumer = 'participants'"
                )
            ]
        finally:
            await conn.close()
        assert len(received) == len(set(received))
        assert set(received) == published
    finally:
        fresh.stop()
        shutil.rmtree(fresh.data_dir, ignore_errors=True)
        shutil.rmtree(early, ignore_errors=True)
        shutil.rmtree(late, ignore_errors=True)
        await delete_streams(restored)
