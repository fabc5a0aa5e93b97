"""``veiviser up`` / ``make run``: the whole system on one machine, in the foreground.

Order of events: pre-flight (every port we need must be free; nothing is started when one
is not) -> embedded PostgreSQL and NATS unless ``VEIVISER_DATABASE_URL`` /
``VEIVISER_NATS_URL`` point elsewhere -> version checks -> service databases and
migrations -> the four services as separate uvicorn processes -> wait for ``/healthz`` ->
print where everything is -> wait for Ctrl-C (or a crash) -> stop services, NATS,
PostgreSQL, in that order.

State lives in ``settings.data_dir`` (``.veiviser/``): ``pg/`` and ``nats/`` hold the
embedded servers' data and logs, ``logs/`` the services' output, ``pids/`` pid files.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

import httpx
import psutil

from deploy.embedded import (
    EmbeddedNats,
    EmbeddedPostgres,
    StackError,
    log_tail,
    port_holder,
    port_is_free,
    process_gone,
    terminate_process,
)
from deploy.versions import check_nats, check_postgres, redact_url
from shared.settings import DEFAULT_PORTS, SERVICES, Settings

DEFAULT_PG_PORT = 55432
DEFAULT_NATS_PORT = 14222
RESERVED_PORTS = {5432: "the system PostgreSQL", 4222: "the system NATS"}
"""Ports the embedded servers must never use: the machine's own servers live there."""

DEV_TOKEN_ROLES = [
    "caseworker",
    "manager",
    "privacy_officer",
    "analyst",
    "housing_officer",
    "job_coach",
]
DEV_TOKEN_MUNICIPALITY = "3301"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REFUSED = 2


class PreflightError(StackError):
    """The stack cannot start as configured (ports taken, bad port settings, …)."""


class _Stop(BaseException):
    """Raised from the SIGINT/SIGTERM handler to unwind to the shutdown code.

    A BaseException so that ``except Exception`` in code we call cannot swallow it.
    """


def service_port_variable(service: str) -> str:
    """Name of the environment variable that sets ``service``'s port."""
    return f"VEIVISER_{service.upper()}_PORT"


@dataclass
class Plan:
    """What ``run`` is going to do, worked out from settings and environment alone."""

    settings: Settings
    data_dir: Path
    service_ports: dict[str, int]
    pg_port: int | None
    """Port of the embedded PostgreSQL, ``None`` when ``VEIVISER_DATABASE_URL`` is set."""
    nats_port: int | None
    """Port of the embedded NATS, ``None`` when ``VEIVISER_NATS_URL`` is set."""
    problems: list[str] = field(default_factory=list)

    @property
    def pg_dir(self) -> Path:
        return self.data_dir / "pg"

    @property
    def nats_dir(self) -> Path:
        return self.data_dir / "nats"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def pids_dir(self) -> Path:
        return self.data_dir / "pids"


def _port_from_env(
    environ: Mapping[str, str], variable: str, default: int, problems: list[str]
) -> int:
    raw = environ.get(variable)
    if raw is None or raw.strip() == "":
        return default
    try:
        port = int(raw)
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        problems.append(f"{variable}={raw!r} is not a port number (1-65535).")
        return default
    return port


def make_plan(settings: Settings, environ: Mapping[str, str]) -> Plan:
    """Read ports and the embedded-or-external choice; collect configuration problems."""
    problems: list[str] = []
    service_ports = {
        name: _port_from_env(environ, service_port_variable(name), DEFAULT_PORTS[name], problems)
        for name in SERVICES
    }
    pg_port: int | None = None
    if not environ.get("VEIVISER_DATABASE_URL"):
        pg_port = _port_from_env(environ, "VEIVISER_PG_PORT", DEFAULT_PG_PORT, problems)
    nats_port: int | None = None
    if not environ.get("VEIVISER_NATS_URL"):
        nats_port = _port_from_env(environ, "VEIVISER_NATS_PORT", DEFAULT_NATS_PORT, problems)
    for port, variable in ((pg_port, "VEIVISER_PG_PORT"), (nats_port, "VEIVISER_NATS_PORT")):
        if port in RESERVED_PORTS:
            problems.append(
                f"{variable}={port} is the port of {RESERVED_PORTS[port]}; the embedded "
                f"servers never use {' or '.join(map(str, RESERVED_PORTS))}. Pick another port."
            )
    return Plan(
        settings=settings,
        data_dir=Path(settings.data_dir).absolute(),
        service_ports=service_ports,
        pg_port=pg_port,
        nats_port=nats_port,
        problems=problems,
    )


def _needed_ports(plan: Plan) -> list[tuple[int, str, str]]:
    """(port, what, how to change it) for every port the stack will listen on."""
    needed = [
        (port, name, f"set {service_port_variable(name)} to a free port")
        for name, port in plan.service_ports.items()
    ]
    if plan.pg_port is not None:
        needed.append(
            (
                plan.pg_port,
                "embedded PostgreSQL",
                "set VEIVISER_PG_PORT, or VEIVISER_DATABASE_URL to use your own server",
            )
        )
    if plan.nats_port is not None:
        needed.append(
            (
                plan.nats_port,
                "embedded NATS",
                "set VEIVISER_NATS_PORT, or VEIVISER_NATS_URL to use your own server",
            )
        )
    return needed


def preflight(settings: Settings | None = None, environ: Mapping[str, str] | None = None) -> Plan:
    """Check everything that can be checked without starting anything.

    Raises ``PreflightError`` with one message listing every problem (each taken port with
    what it is for and which variable moves it); returns the ``Plan`` otherwise.
    """
    environ = os.environ if environ is None else environ
    settings = Settings() if settings is None else settings
    plan = make_plan(settings, environ)
    problems = list(plan.problems)
    seen: dict[int, str] = {}
    taken: list[str] = []
    for port, what, how in _needed_ports(plan):
        if port in seen:
            problems.append(f"Port {port} is configured for both {seen[port]} and {what}; {how}.")
            continue
        seen[port] = what
        if not port_is_free(port):
            holder = port_holder(port)
            held = f" (held by {holder})" if holder else ""
            taken.append(f"  {port:<6} {what}{held}: {how}")
    if taken:
        problems.insert(0, "These ports are already in use:\n" + "\n".join(taken))
    if problems:
        raise PreflightError("Cannot start Veiviser; nothing was started.\n" + "\n".join(problems))
    return plan


# --------------------------------------------------------------------------- processes


@dataclass
class _Service:
    name: str
    port: int
    log_file: Path
    pid_file: Path
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _child_environment(
    settings: Settings, environ: Mapping[str, str], database_url: str, nats_url: str
) -> dict[str, str]:
    """Caller's environment plus every setting as ``VEIVISER_*``, so the services see
    exactly the settings this process uses (and accept the dev token it prints)."""
    env = dict(environ)
    for key, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
        env[f"VEIVISER_{key.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    env["VEIVISER_DATA_DIR"] = str(Path(settings.data_dir).absolute())
    env["VEIVISER_DATABASE_URL"] = database_url
    env["VEIVISER_NATS_URL"] = nats_url
    env["PYTHONUNBUFFERED"] = "1"
    return env


def describe_exit(code: int) -> str:
    """``"exited with code 3"`` or, for a negative Popen return code, ``"was killed by SIGKILL"``."""
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def _start_service(
    name: str, port: int, plan: Plan, env: Mapping[str, str], started: list[_Service]
) -> None:
    """Start one service under uvicorn and add it to ``started`` at once (so that an
    interrupt right after cannot leave it behind)."""
    log_file = plan.logs_dir / f"{name}.log"
    pid_file = plan.pids_dir / f"{name}.pid"
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        f"services.{name}.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
    ]
    with log_file.open("ab") as log:
        log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting {name}\n".encode())
        log.flush()
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env),
            # Own process group: Ctrl-C goes to us only, and we stop the services first.
            start_new_session=True,
        )
    started.append(_Service(name, port, log_file, pid_file, proc))
    pid_file.write_text(f"{proc.pid}\n")


def _stop_services(services: list[_Service], timeout: float = 10.0) -> None:
    """SIGTERM every service's process group, wait, then SIGKILL what is left."""
    for service in services:
        if service.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(service.proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for service in services:
        try:
            service.proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(service.proc.pid, signal.SIGKILL)
            service.proc.wait()
        service.pid_file.unlink(missing_ok=True)


def _wait_healthy(services: list[_Service], timeout: float) -> str | None:
    """Poll ``GET /healthz`` until every service answers 200; return an error or ``None``."""
    pending = {service.name: service for service in services}
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while pending:
            for name, service in list(pending.items()):
                code = service.proc.poll()
                if code is not None:
                    return (
                        f"Service {name} {describe_exit(code)} while starting. "
                        f"Last lines of {service.log_file}:\n{log_tail(service.log_file, 25)}"
                    )
                try:
                    if client.get(f"{service.url}/healthz").status_code == 200:
                        del pending[name]
                except httpx.HTTPError:
                    pass
            if not pending:
                break
            if time.monotonic() > deadline:
                waiting = ", ".join(
                    f"{name} (see {service.log_file})" for name, service in pending.items()
                )
                return f"No answer on /healthz after {timeout:.0f} s from: {waiting}."
            time.sleep(0.2)
    return None


def _stop_leftovers(plan: Plan) -> None:
    """Stop processes a previous ``veiviser up`` on this data dir left running.

    That happens when the runner itself was killed (SIGKILL, closed terminal): services,
    NATS and PostgreSQL are detached from it and keep running, holding their ports.
    Raises ``PreflightError`` when that runner is in fact still alive.
    """
    runner_pid_file = plan.pids_dir / "veiviser-up.pid"
    try:
        runner_pid = int(runner_pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        runner_pid = None
    if runner_pid is not None and runner_pid != os.getpid() and not process_gone(runner_pid):
        try:
            runner = psutil.Process(runner_pid)
            # `veiviser up` shows as "veiviser" (shebang script), `python -m …` as "python".
            described = " ".join([runner.name(), *runner.cmdline()[:2]]).lower()
            alive = "python" in described or "veiviser" in described or "pytest" in described
        except psutil.Error:
            alive = False
        if alive:
            raise PreflightError(
                f"Another `veiviser up` (pid {runner_pid}) is running with data directory "
                f"{plan.data_dir}; stop it first (Ctrl-C in its terminal, or kill {runner_pid})."
            )
    if plan.pids_dir.is_dir():
        for pid_file in plan.pids_dir.glob("*.pid"):
            name = pid_file.stem
            try:
                pid = int(pid_file.read_text().split()[0])
                proc = psutil.Process(pid)
                ours = any(f"services.{name}.app" in part for part in proc.cmdline())
            except (OSError, ValueError, IndexError, psutil.Error):
                ours = False
            if ours:
                print(f"Stopping {name} (pid {pid}) left over from an earlier run.", flush=True)
                terminate_process(pid, timeout=10)
            pid_file.unlink(missing_ok=True)
    nats_port = plan.nats_port if plan.nats_port is not None else DEFAULT_NATS_PORT
    stopped = EmbeddedNats(plan.nats_dir, nats_port).stop_leftover()
    if stopped is not None:
        print(f"Stopped NATS (pid {stopped}) left over from an earlier run.", flush=True)
    pg = EmbeddedPostgres(plan.pg_dir, plan.pg_port or DEFAULT_PG_PORT)
    if pg.is_running():
        print(f"Stopping PostgreSQL (pid {pg.pid}) left over from an earlier run.", flush=True)
        pg.stop()


async def _check_and_create_databases(settings: Settings) -> tuple[str, str]:
    """Version checks for both servers, then create missing service databases."""
    import asyncpg

    pg_version = await check_postgres(settings.database_url)
    nats_version = await check_nats(settings.nats_url)
    conn = await asyncpg.connect(settings.server_database_url())
    try:
        for service in SERVICES:
            name = settings.database_name(service)
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                quoted = '"' + name.replace('"', '""') + '"'
                await conn.execute(f"CREATE DATABASE {quoted}")
    finally:
        await conn.close()
    return pg_version, nats_version


def _dev_token(settings: Settings) -> str:
    try:
        from shared.auth import issue_dev_token

        token: str = issue_dev_token(
            settings, sub="dev", roles=DEV_TOKEN_ROLES, municipality=DEV_TOKEN_MUNICIPALITY
        )
    except Exception as exc:
        return f"(could not issue a development token: {exc})"
    return token


def _banner(
    services: list[_Service],
    database_url: str,
    nats_url: str,
    plan: Plan,
    versions: tuple[str, str],
    token: str,
    out: TextIO,
) -> None:
    pg_where = f"embedded, data in {plan.pg_dir}" if plan.pg_port is not None else "external"
    nats_where = f"embedded, store in {plan.nats_dir}" if plan.nats_port is not None else "external"
    first = services[0]
    lines = [
        "",
        "Veiviser is running.",
        "",
        *(
            f"  {service.name:<13} {service.url:<24} docs: {service.url}/docs"
            for service in services
        ),
        "",
        f"  {'PostgreSQL':<13} {redact_url(database_url)}  ({versions[0]}, {pg_where})",
        f"  {'NATS':<13} {nats_url}  ({versions[1]}, {nats_where})",
        f"  {'Logs':<13} {plan.logs_dir}",
        "",
        "Development bearer token (roles: "
        + ", ".join(DEV_TOKEN_ROLES)
        + f"; municipality {DEV_TOKEN_MUNICIPALITY}):",
        "",
        f"  export VEIVISER_TOKEN='{token}'",
        "",
        "Try:",
        "",
        f'  curl -H "Authorization: Bearer $VEIVISER_TOKEN" "{first.url}/deadlines"',
        "",
        "Ctrl-C stops everything.",
        "",
    ]
    print("\n".join(lines), file=out, flush=True)


@contextlib.contextmanager
def _signals_raise_stop() -> Iterator[None]:
    """While active, SIGINT and SIGTERM raise ``_Stop`` (main thread only)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise _Stop(signal.Signals(signum).name)

    previous: dict[int, Any] = {}
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, handler)
    except ValueError:
        pass  # not the main thread: the caller handles interruption
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def _ignore_signals_while_stopping() -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        print("Still stopping, please wait…", file=sys.stderr, flush=True)

    with contextlib.suppress(ValueError):
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, handler)


def run(
    settings: Settings | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    startup_timeout: float = 90.0,
) -> int:
    """Start the whole stack in the foreground and block until Ctrl-C / SIGTERM.

    Returns the process exit code: 0 after a requested stop, 1 when something failed
    while starting or a service died while running, 2 when the stack refused to start
    (ports taken, servers too old, bad settings). Embedded PostgreSQL / NATS are used
    unless ``VEIVISER_DATABASE_URL`` / ``VEIVISER_NATS_URL`` are set in ``environ``
    (default ``os.environ``).
    """
    environ = os.environ if environ is None else environ
    out, err = sys.stdout, sys.stderr
    try:
        if settings is None:
            # make run is a developer's stack: development keys unless told otherwise.
            settings = Settings() if "VEIVISER_ENV" in environ else Settings(env="development")
        plan = make_plan(settings, environ)
        _stop_leftovers(plan)
        plan = preflight(settings, environ)
    except StackError as exc:
        print(str(exc), file=err, flush=True)
        return EXIT_REFUSED
    except ValueError as exc:  # pydantic's ValidationError for bad VEIVISER_* values
        print(f"Invalid settings: {exc}", file=err, flush=True)
        return EXIT_REFUSED

    for directory in (plan.pg_dir, plan.nats_dir, plan.logs_dir, plan.pids_dir):
        directory.mkdir(parents=True, exist_ok=True)
    runner_pid_file = plan.pids_dir / "veiviser-up.pid"
    runner_pid_file.write_text(f"{os.getpid()}\n")

    running = _Running()
    code = EXIT_FAILED
    with _signals_raise_stop():
        try:
            code = _bring_up_and_watch(plan, settings, environ, running, startup_timeout)
        except _Stop:
            code = EXIT_OK
        except StackError as exc:
            print(str(exc), file=err, flush=True)
        except Exception:
            print("Veiviser failed:\n" + traceback.format_exc(), file=err, flush=True)
        finally:
            _ignore_signals_while_stopping()
            print("Stopping …", file=out, flush=True)
            if not running.stop(err):
                code = code or EXIT_FAILED
            runner_pid_file.unlink(missing_ok=True)
            print("Stopped.", file=out, flush=True)
    return code


@dataclass
class _Running:
    """What has been started so far, so that shutdown stops exactly that."""

    pg: EmbeddedPostgres | None = None
    nats: EmbeddedNats | None = None
    services: list[_Service] = field(default_factory=list)

    def stop(self, err: TextIO) -> bool:
        """Services, then NATS, then PostgreSQL; return whether all stopped cleanly."""
        clean = True
        _stop_services(self.services)
        if self.nats is not None:
            self.nats.stop()
        if self.pg is not None:
            try:
                self.pg.stop()
            except StackError as exc:
                print(str(exc), file=err, flush=True)
                clean = False
        return clean


def _bring_up_and_watch(
    plan: Plan,
    settings: Settings,
    environ: Mapping[str, str],
    running: _Running,
    startup_timeout: float,
) -> int:
    out, err = sys.stdout, sys.stderr
    database_url = environ.get("VEIVISER_DATABASE_URL") or settings.database_url
    nats_url = environ.get("VEIVISER_NATS_URL") or settings.nats_url
    if plan.pg_port is not None:
        print(f"Starting PostgreSQL on 127.0.0.1:{plan.pg_port} …", file=out, flush=True)
        running.pg = EmbeddedPostgres(plan.pg_dir, plan.pg_port)
        running.pg.start()
        database_url = running.pg.url
    if plan.nats_port is not None:
        print(f"Starting NATS on 127.0.0.1:{plan.nats_port} …", file=out, flush=True)
        running.nats = EmbeddedNats(plan.nats_dir, plan.nats_port)
        running.nats.start()
        nats_url = running.nats.url
    effective = settings.model_copy(update={"database_url": database_url, "nats_url": nats_url})
    try:
        versions = asyncio.run(_check_and_create_databases(effective))
    except StackError as exc:
        print(str(exc), file=err, flush=True)
        return EXIT_REFUSED

    from deploy.services import upgrade

    for service in SERVICES:
        print(f"Migrating {service} …", file=out, flush=True)
        upgrade(effective, service)

    env = _child_environment(effective, environ, database_url, nats_url)
    for service in SERVICES:
        _start_service(service, plan.service_ports[service], plan, env, running.services)
    problem = _wait_healthy(running.services, startup_timeout)
    if problem is not None:
        print(problem, file=err, flush=True)
        return EXIT_FAILED

    token = _dev_token(effective)
    _banner(running.services, database_url, nats_url, plan, versions, token, out)
    return _watch(running.services, running.nats, running.pg, err)


def _watch(
    services: list[_Service],
    nats: EmbeddedNats | None,
    pg: EmbeddedPostgres | None,
    err: TextIO,
) -> int:
    """Block until a process of the stack dies (-> 1); Ctrl-C arrives as ``_Stop``."""
    ticks = 0
    while True:
        for service in services:
            code = service.proc.poll()
            if code is not None:
                print(
                    f"Service {service.name} {describe_exit(code)}; stopping the rest. "
                    f"Last lines of {service.log_file}:\n{log_tail(service.log_file, 25)}",
                    file=err,
                    flush=True,
                )
                return EXIT_FAILED
        if nats is not None and nats.pid is None:
            print(f"NATS stopped unexpectedly; see {nats.log_file}.", file=err, flush=True)
            return EXIT_FAILED
        ticks += 1
        if pg is not None and ticks % 4 == 0 and not pg.is_running():
            print(f"PostgreSQL stopped unexpectedly; see {pg.log_file}.", file=err, flush=True)
            return EXIT_FAILED
        time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(run())
