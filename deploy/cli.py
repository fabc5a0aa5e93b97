"""The ``veiviser`` command: ``up``, ``token``, ``replay``, ``migrate``, ``backup``,
``restore``, ``contract``, ``openapi``, ``outbox``, ``relay``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from deploy.services import create_app, service_projections
from shared.auth import AGENCY_ROLE, ROLES, issue_dev_token
from shared.db import Database
from shared.eventstore import EventStore
from shared.projection import Projection
from shared.settings import DEVELOPMENT_JWT_SECRET, SERVICES, Settings

app = typer.Typer(help="Veiviser: run the stack, mint development tokens, migrate, replay.")


def _check_service(service: str) -> str:
    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; one of: {', '.join(SERVICES)}")
    return service


@app.command()
def up() -> None:
    """Start PostgreSQL, NATS and the four services (what `make run` does)."""
    from deploy.stack import run

    raise typer.Exit(run())


@app.command()
def token(
    role: Annotated[
        list[str] | None, typer.Option("--role", help=f"One of: {', '.join(sorted(ROLES))}")
    ] = None,
    municipality: Annotated[str, typer.Option(help="4-digit kommunenummer")] = "3301",
    sub: Annotated[str, typer.Option(help="The user the token is for")] = "developer",
    hours: Annotated[int, typer.Option(help="Lifetime in hours")] = 12,
    agency: Annotated[
        bool,
        typer.Option(
            "--agency",
            help="A national agency token: the agency role and the claim agency=true, "
            "reaching every municipality (no other role).",
        ),
    ] = False,
) -> None:
    """Print a development bearer token signed with the local development key."""
    from datetime import timedelta

    roles = list(role or ([AGENCY_ROLE] if agency else []))
    if not roles:
        raise typer.BadParameter("give at least one --role (or --agency)")
    settings = Settings()
    if settings.env != "development" and settings.jwt_secret != DEVELOPMENT_JWT_SECRET:
        # Signed with a real HS256 key these would be real tokens for anyone at a shell;
        # with the development key they only open services running as development.
        raise typer.BadParameter(
            "veiviser token mints development tokens only, and VEIVISER_JWT_SECRET holds "
            "a real key; set VEIVISER_ENV=development on a developer machine"
        )
    try:
        typer.echo(
            issue_dev_token(
                settings,
                sub=sub,
                roles=roles,
                municipality=municipality,
                ttl=timedelta(hours=hours),
                agency=agency,
            )
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


@app.command()
def migrate(
    service: Annotated[str | None, typer.Argument(help="One service; all when left out")] = None,
) -> None:
    """Create the service databases if missing and run their migrations to head."""
    from deploy.services import upgrade

    settings = Settings()
    for name in [_check_service(service)] if service else list(SERVICES):
        upgrade(settings, name)
        typer.echo(f"{name}: migrated ({settings.database_name(name)})")


@app.command()
def replay(
    service: Annotated[str, typer.Argument(help="participants, housing, matching or indicators")],
    projection: Annotated[
        str | None, typer.Argument(help="One projection; all when left out")
    ] = None,
) -> None:
    """Drop and rebuild a service's projections from events, with a progress bar."""
    settings = Settings()
    _check_service(service)
    projections, store = service_projections(service, settings)
    if projection is not None:
        projections = [p for p in projections if p.name == projection]
        if not projections:
            raise typer.BadParameter(f"{service} has no projection {projection!r}")
    asyncio.run(_replay(settings, service, projections, store))


async def _replay(
    settings: Settings, service: str, projections: list[Projection], store: EventStore
) -> None:
    from shared.replay import rebuild

    db = Database.for_service(settings, service, pool_size=1)
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        ) as progress:
            for item in projections:
                task = progress.add_task(f"{service}.{item.name}", total=None)

                def report(done: int, total: int, task_id: int = task) -> None:
                    progress.update(task_id, completed=done, total=total)  # type: ignore[arg-type]

                count = await rebuild(db, store, item, report)
                progress.update(task, completed=count, total=count)
    finally:
        await db.dispose()


@app.command()
def contract(
    write: Annotated[bool, typer.Option("--write", help="Write docs/events/<service>/")] = False,
    directory: Annotated[str, typer.Option(help="Where to write")] = "docs/events",
) -> None:
    """Print (or write) every service's AsyncAPI document and event JSON Schemas."""
    import json
    from pathlib import Path

    from shared.contract import asyncapi, write_contract

    for service in SERVICES:
        # Only the event registry is read; the app never serves, so no keys matter.
        registry = create_app(
            service, Settings(env="development")
        ).state.runtime.definition.registry
        if write:
            for path in write_contract(Path(directory) / service, service, registry):
                typer.echo(str(path))
        else:
            typer.echo(json.dumps(asyncapi(service, registry), indent=2))


OPENAPI_DIRECTORY = Path("docs/openapi")


def openapi_documents() -> dict[str, str]:
    """File name → text of the five OpenAPI documents (four services and the merged one)."""
    from shared.openapi import build_document, dumps, merge_documents

    documents = {
        # The app never serves: only its routes are read, so no keys matter.
        service: build_document(create_app(service, Settings(env="development")), service)
        for service in SERVICES
    }
    from deploy.stack import DOCKER_GATEWAY_URL

    merged = merge_documents(
        documents,
        title="Veiviser",
        description=MERGED_DESCRIPTION,
        servers=[
            {
                "url": DOCKER_GATEWAY_URL,
                "description": "Gatewayen i Docker-stakken (`make docker-up`). / The Docker "
                "stack's gateway (`make docker-up`).",
            }
        ],
    )
    texts = {f"{service}.json": dumps(document) for service, document in documents.items()}
    texts["veiviser.json"] = dumps(merged)
    return texts


MERGED_DESCRIPTION = (
    "Hele Veivisers API bak én gateway: deltakere (`/participants`, `/advisers`, "
    "`/deadlines`, …), bolig (`/housing`), arbeid og frivillige (`/employers`, `/openings`, "
    "`/matches`, `/volunteers`, …) og indikatorer (`/indicators`, `/dashboard`). Det hver "
    "tjeneste har (helse, regelkoder, hendelseskontrakt, innsyn) ligger under "
    "`/_services/{tjeneste}`. Bærertoken (JWT) i `Authorization`; i utvikling fra "
    "`veiviser token`. Feil er RFC 9457 problem details med en stabil `code`. Bokmål som "
    "standard; `Accept-Language: nn` eller `en`. Versjonering: docs/api/versioning.md.\n\n"
    "The whole Veiviser API behind one gateway: participants (`/participants`, `/advisers`, "
    "`/deadlines`, …), housing (`/housing`), work and volunteers (`/employers`, `/openings`, "
    "`/matches`, `/volunteers`, …) and indicators (`/indicators`, `/dashboard`). What every "
    "service has (health, rule codes, event contract, access) is under "
    "`/_services/{service}`. A bearer token (JWT) in `Authorization`; in development from "
    "`veiviser token`. Errors are RFC 9457 problem details with a stable `code`. Bokmål by "
    "default; `Accept-Language: nn` or `en`. Versioning: docs/api/versioning.md."
)


@app.command()
def openapi(
    write: Annotated[bool, typer.Option("--write", help="Write docs/openapi/*.json")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when docs/openapi differs from the code")
    ] = False,
    directory: Annotated[Path, typer.Option(help="Where the documents live")] = OPENAPI_DIRECTORY,
) -> None:
    """Write or check the OpenAPI documents: one per service and the merged veiviser.json."""
    if write == check:
        raise typer.BadParameter("give exactly one of --write and --check")
    texts = openapi_documents()
    if write:
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            (directory / name).write_text(text, encoding="utf-8")
            typer.echo(str(directory / name))
        return
    stale = [
        name
        for name, text in texts.items()
        if not (directory / name).exists() or (directory / name).read_text(encoding="utf-8") != text
    ]
    if stale:
        typer.echo(
            f"OpenAPI documents differ from the code: {', '.join(stale)}; run "
            "`VEIVISER_ENV=development .venv/bin/veiviser openapi --write` and commit "
            f"{directory}/",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"{directory}: the {len(texts)} OpenAPI documents match the code.")


@app.command()
def seed(
    plan: Annotated[str, typer.Argument(help="The example plan to load: drammen")],
    municipality: Annotated[str, typer.Option(help="4-digit kommunenummer")] = "3005",
) -> None:
    """Load an example MRS plan (goals, indicators, thresholds) into the indicators service."""
    import re

    from services.indicators.seed import run

    if not re.fullmatch(r"\d{4}", municipality):
        raise typer.BadParameter("municipality must be a 4-digit kommunenummer")
    try:
        report = asyncio.run(run(Settings(), plan, municipality))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(
        f"{plan} plan for {municipality}: {len(report.created)} created, "
        f"{len(report.changed)} changed, {len(report.unchanged)} unchanged"
    )
    for line in report.created + report.changed:
        typer.echo(f"  {line}")


_PG_BIN = typer.Option(
    "--pg-bin",
    envvar="VEIVISER_PG_BIN",
    help="Directory with pg_dump and pg_restore (default: the newest fitting one found)",
)
_SERVICE_OPTION = typer.Option("--service", help="One service (repeatable); all four when left out")


@app.command()
def backup(
    to: Annotated[Path, typer.Option("--to", help="Folder for the archives and manifest")],
    service: Annotated[list[str] | None, _SERVICE_OPTION] = None,
    pg_bin: Annotated[Path | None, _PG_BIN] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite a backup already in the folder")
    ] = False,
) -> None:
    """Dump each service database (pg_dump custom format) and write manifest.json."""
    from deploy import backup as backups

    try:
        backups.backup(Settings(), to, service, pg_bin=pg_bin, force=force, report=typer.echo)
    except backups.BackupError as exc:
        typer.echo(f"backup: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def restore(
    source: Annotated[Path, typer.Option("--from", help="Folder written by veiviser backup")],
    service: Annotated[list[str] | None, _SERVICE_OPTION] = None,
    pg_bin: Annotated[Path | None, _PG_BIN] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Drop and replace target databases that hold tables"),
    ] = False,
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild/--no-rebuild",
            help="Rebuild every read model from the restored events and compare",
        ),
    ] = True,
    republish: Annotated[
        bool,
        typer.Option(
            "--republish",
            help="Hand every outbox row back to the relay (next to a fresh NATS)",
        ),
    ] = False,
) -> None:
    """Restore a backup onto VEIVISER_DATABASE_URL's server and check it against the
    manifest; exit 1 when anything differs, 2 when nothing could be restored."""
    from deploy import backup as backups

    try:
        results = backups.restore(
            Settings(),
            source,
            service,
            pg_bin=pg_bin,
            force=force,
            rebuild=rebuild,
            republish=republish,
            report=typer.echo,
        )
    except backups.BackupError as exc:
        typer.echo(f"restore: {exc}", err=True)
        raise typer.Exit(2) from None
    problems = [p for r in results for p in r.mismatches] + [
        f"{r.service}: rebuilt {name} differs from the dump"
        for r in results
        for name in r.rebuilt_differs or []
    ]
    for problem in problems:
        typer.echo(f"restore: {problem}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"Restored {len(results)} database(s); each matches its manifest.")


@app.command()
def relay(
    service: Annotated[str, typer.Argument(help="participants, housing, matching or indicators")],
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Serve the relay's Prometheus metrics on this port (/metrics)"),
    ] = None,
) -> None:
    """Publish one service's outbox from a process of its own, until SIGTERM or Ctrl-C.

    For a service run with VEIVISER_RELAY_IN_PROCESS=false: its commands then never wait
    behind the relay on one event loop, nor the relay behind them.
    """
    import signal

    from prometheus_client import start_http_server

    from shared.logging import configure_logging
    from shared.loop_lag import LoopLagProbe
    from shared.metrics import Metrics
    from shared.outbox import relay_alone

    _check_service(service)
    settings = Settings()
    configure_logging(service, settings.log_level, settings.log_json)
    metrics = Metrics(service)
    if metrics_port is not None:
        start_http_server(metrics_port, registry=metrics.registry)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        probe = asyncio.create_task(LoopLagProbe(service, metrics.registry).run(stop))
        try:
            await relay_alone(settings, service, stop, metrics)
        finally:
            probe.cancel()

    asyncio.run(main())


outbox_app = typer.Typer(help="Outbox rows the relay could not publish: list and retry them.")
app.add_typer(outbox_app, name="outbox")


@outbox_app.command("list")
def outbox_list(
    service: Annotated[str | None, typer.Argument(help="One service; all when left out")] = None,
) -> None:
    """List parked outbox rows: id, attempts, error, and how many rows of its stream wait."""
    from shared.outbox import parked_rows

    settings = Settings()
    names = [_check_service(service)] if service else list(SERVICES)

    async def collect() -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {}
        for name in names:
            db = Database.for_service(settings, name, pool_size=1)
            try:
                async with db.connect() as conn:
                    found[name] = await parked_rows(conn)
            finally:
                await db.dispose()
        return found

    total = 0
    for name, rows in asyncio.run(collect()).items():
        for row in rows:
            total += 1
            typer.echo(
                f"{name}\tid={row.id}\tattempts={row.attempts}\twaiting={row.waiting}"
                f"\tsize={row.size}\tparked={row.parked_at.isoformat()}\tsubject={row.subject}"
                f"\tstream={row.stream_id}\terror={row.last_error}"
            )
    if total == 0:
        typer.echo("No parked outbox rows.")


@outbox_app.command("retry")
def outbox_retry(
    service: Annotated[str, typer.Argument(help="participants, housing, matching or indicators")],
    ids: Annotated[
        list[int] | None, typer.Option("--id", help="A parked row's id (repeatable)")
    ] = None,
    all_rows: Annotated[bool, typer.Option("--all", help="Every parked row")] = False,
) -> None:
    """Hand parked rows back to the relay (after fixing what kept them from publishing)."""
    from shared.outbox import retry_parked

    _check_service(service)
    if bool(ids) == all_rows:
        raise typer.BadParameter("give either --id N (one or more) or --all")
    settings = Settings()

    async def retry() -> list[int]:
        db = Database.for_service(settings, service, pool_size=1)
        try:
            async with db.transaction() as conn:
                return await retry_parked(conn, None if all_rows else ids)
        finally:
            await db.dispose()

    retried = asyncio.run(retry())
    missing = sorted(set(ids or ()) - set(retried))
    typer.echo(
        f"{service}: {len(retried)} row(s) handed back to the relay"
        + (f": {', '.join(map(str, retried))}" if retried else "")
    )
    if missing:
        typer.echo(f"Not parked (or already published): {', '.join(map(str, missing))}", err=True)
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
