"""The embedded PostgreSQL and NATS servers start for real, serve clients, find their data
again after a restart, and JetStream survives a kill -9 of nats-server."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import nats
import pytest

from deploy.embedded import (
    EmbeddedNats,
    EmbeddedPostgres,
    EmbeddedServerError,
    free_port,
    port_is_free,
    process_gone,
)
from deploy.versions import ServerUnusable, check_nats, check_postgres, parse_version

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def pg_root() -> Iterator[Path]:
    """A scratch directory for PostgreSQL clusters, outside pytest's ``tmp_path``.

    As root the cluster belongs to an unprivileged user, who must be able to traverse the
    directory's ancestors; every pytest session that starts resets ``/tmp/pytest-of-root``
    to 0700, which would lock the server out mid-test if another session starts meanwhile.
    """
    path = Path(tempfile.mkdtemp(prefix="veiviser-kit-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


async def test_postgres_serves_and_keeps_data_across_restarts(pg_root: Path) -> None:
    data_dir = pg_root / "pg"
    pg = EmbeddedPostgres(data_dir, free_port(), fast_unsafe=True)
    assert pg.url == f"postgresql://postgres@127.0.0.1:{pg.port}/postgres"
    with pg:
        pid = pg.pid
        assert pid is not None
        pg.start()  # idempotent: same server
        assert pg.pid == pid
        conn = await asyncpg.connect(pg.url)
        try:
            await conn.execute("CREATE TABLE kit (note text)")
            await conn.execute("INSERT INTO kit VALUES ('kept')")
        finally:
            await conn.close()
        assert parse_version(await check_postgres(pg.url)) >= (13,)
    assert not pg.is_running()
    assert port_is_free(pg.port)
    assert pg.log_file.parent == data_dir
    assert "ready to accept connections" in pg.log_file.read_text()

    # A fresh object, as in a new process, on another port: no second initdb, same data.
    with EmbeddedPostgres(data_dir, free_port(), fast_unsafe=True) as again:
        conn = await asyncpg.connect(again.url)
        try:
            assert await conn.fetchval("SELECT note FROM kit") == "kept"
        finally:
            await conn.close()


def test_postgres_left_running_is_reused_or_moved(pg_root: Path) -> None:
    data_dir = pg_root / "pg"
    first = EmbeddedPostgres(data_dir, free_port(), fast_unsafe=True)
    first.start()
    first_pid = first.pid
    moved = EmbeddedPostgres(data_dir, free_port(), fast_unsafe=True)
    try:
        # Same port: the running server (e.g. left behind by a killed runner) is reused.
        same = EmbeddedPostgres(data_dir, first.port, fast_unsafe=True)
        same.start()
        assert same.pid == first_pid
        # Another port: the old server is stopped cleanly and a new one started.
        moved.start()
        assert moved.pid not in (None, first_pid)
        assert first_pid is not None and process_gone(first_pid)
        assert port_is_free(first.port)
    finally:
        moved.stop()
        first.stop()
    assert not moved.is_running()


def test_postgres_reports_a_taken_port(pg_root: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        with pytest.raises(EmbeddedServerError, match=str(port)):
            EmbeddedPostgres(pg_root / "pg", port, fast_unsafe=True).start()


def test_postgres_refuses_a_directory_that_is_not_its_own(pg_root: Path) -> None:
    (pg_root / "notes.txt").write_text("not PostgreSQL's")
    with pytest.raises(EmbeddedServerError, match=r"notes\.txt"):
        EmbeddedPostgres(pg_root, free_port(), fast_unsafe=True).start()
    assert (pg_root / "notes.txt").stat().st_uid == os.geteuid()  # nothing was chowned
    assert not (pg_root / "cluster").exists()


async def test_nats_jetstream_survives_kill_9(tmp_path: Path) -> None:
    port = free_port()
    server = EmbeddedNats(tmp_path / "nats", port)
    assert server.url == f"nats://127.0.0.1:{port}"
    server.start()
    try:
        nc = await nats.connect(server.url)
        try:
            js = nc.jetstream()
            await js.add_stream(name="KIT_CRASH", subjects=["kit.crash.>"])
            ack = await js.publish("kit.crash.one", b"before the crash")
            assert ack.seq == 1
        finally:
            await nc.close()

        crashed_pid = server.pid
        assert crashed_pid is not None
        server.kill()
        assert server.pid is None
        assert process_gone(crashed_pid)

        server.start()  # same port, same store
        assert server.pid not in (None, crashed_pid)
        nc = await nats.connect(server.url)
        try:
            js = nc.jetstream()
            info = await js.stream_info("KIT_CRASH")
            assert info.config.subjects == ["kit.crash.>"]
            assert info.state.messages == 1
            msg = await js.get_msg("KIT_CRASH", seq=1)
            assert msg.data == b"before the crash"
        finally:
            await nc.close()
        assert await check_nats(server.url) == server.server_info["version"]
    finally:
        server.stop()
    assert server.pid is None
    assert port_is_free(port)
    assert server.log_file.parent == tmp_path / "nats"
    assert server.log_file.exists()


async def test_nats_without_jetstream_is_unusable(tmp_path: Path) -> None:
    with EmbeddedNats(tmp_path / "plain", free_port(), jetstream=False) as plain:
        with pytest.raises(ServerUnusable, match=r"JetStream enabled \(-js\)"):
            await check_nats(plain.url, connect_timeout=2)


async def test_checks_report_unreachable_servers() -> None:
    port = free_port()
    with pytest.raises(ServerUnusable, match="Cannot connect to PostgreSQL"):
        await check_postgres(f"postgresql://postgres@127.0.0.1:{port}/postgres")
    with pytest.raises(ServerUnusable, match="Cannot connect to NATS"):
        await check_nats(f"nats://127.0.0.1:{port}", connect_timeout=2)
