"""``veiviser up`` / ``make run``: the whole system on one machine, in the foreground.

Order of events: pre-flight (every port we need must be free; nothing is started when one
is not) -> embedded PostgreSQL and NATS unless ``VEIVISER_DATABASE_URL`` /
``VEIVISER_NATS_URL`` point elsewhere -> version checks -> service databases and
migrations -> the four services as separate uvicorn processes -> wait for ``/healthz`` ->
print where everything is -> supervise until Ctrl-C / SIGTERM -> stop services, NATS,
PostgreSQL, in that order.

Supervision: once the stack is up, a component that dies (the embedded PostgreSQL or
NATS, any service process) is started again on the same port and data, after a delay
that doubles with every failed attempt up to a cap and starts afresh once the component
has stayed up for a while (:class:`RestartPolicy`). The others keep running meanwhile:
the services ride through a missing database or NATS on their own. Servers given by
``VEIVISER_DATABASE_URL`` / ``VEIVISER_NATS_URL`` are not ours and are not supervised.
A failure during the first start still stops everything: that is nearly always
configuration, and a person is watching. docs/deploy/make-run.md has the operator's view.

State lives in ``settings.data_dir`` (``.veiviser/``): ``pg/`` and ``nats/`` hold the
embedded servers' data and logs, ``logs/`` the services' output, ``pids/`` pid files.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import ctypes
import json
import math
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
from typing import Any, NoReturn, TextIO

import httpx
import psutil

from deploy.embedded import (
    EmbeddedNats,
    EmbeddedPostgres,
    StackError,
    log_tail,
    nats_sync_config,
    port_holder,
    port_is_free,
    process_gone,
    spawn_logged,
    terminate_process,
)
from deploy.services import server_command
from deploy.versions import check_nats, check_postgres, redact_url
from shared.settings import DEFAULT_PORTS, SERVICES, Settings

DEFAULT_PG_PORT = 55432
DOCKER_GATEWAY_URL = "http://127.0.0.1:28000"
"""The Docker stack's gateway (``VEIVISER_DOCKER_GATEWAY_PORT``, deploy/compose/compose.yaml)."""
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
    "volunteer_coordinator",
]
DEV_TOKEN_MUNICIPALITY = "3301"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REFUSED = 2

DEFAULT_NATS_SYNC = "always"
"""JetStream's fsync policy for the embedded NATS (``VEIVISER_NATS_SYNC_INTERVAL``)."""

WATCH_INTERVAL_SECONDS = 0.25
"""How often the supervisor looks at every component."""


@dataclass(frozen=True)
class RestartPolicy:
    """When the runner starts a component again after it died.

    The n-th attempt in a row waits ``first_delay * 2**(n-1)`` seconds, at most
    ``max_delay``. A component that has stayed up ``stable_after`` seconds counts as
    healthy again: its next crash starts from ``first_delay``. There is no last attempt:
    after ``crash_loop_after`` failures in a row the log says that the component keeps
    failing, and the runner goes on trying every ``max_delay`` seconds, since the cause
    (a port someone took, a full disk, a bad edit being fixed) usually goes away without
    the runner's help, and stopping the rest would take down what still works.
    """

    first_delay: float = 1.0
    max_delay: float = 30.0
    stable_after: float = 60.0
    crash_loop_after: int = 3

    def delay(self, failures: int) -> float:
        """Seconds to wait before attempt ``failures`` (1 = the first restart)."""
        exponent = min(max(failures - 1, 0), 62)
        return min(self.first_delay * 2.0**exponent, self.max_delay)


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
    restart: RestartPolicy = field(default_factory=RestartPolicy)
    nats_sync: str | None = DEFAULT_NATS_SYNC
    """JetStream ``sync_interval`` of the embedded NATS; ``None``: nats-server's default."""

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


def _seconds_from_env(
    environ: Mapping[str, str], variable: str, default: float, problems: list[str]
) -> float:
    raw = environ.get(variable)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        problems.append(f"{variable}={raw!r} is not a positive number of seconds.")
        return default
    return value


def _restart_policy(environ: Mapping[str, str], problems: list[str]) -> RestartPolicy:
    defaults = RestartPolicy()
    first = _seconds_from_env(
        environ, "VEIVISER_RESTART_DELAY_SECONDS", defaults.first_delay, problems
    )
    cap = _seconds_from_env(
        environ, "VEIVISER_RESTART_MAX_DELAY_SECONDS", max(defaults.max_delay, first), problems
    )
    stable = _seconds_from_env(
        environ, "VEIVISER_RESTART_STABLE_SECONDS", defaults.stable_after, problems
    )
    if cap < first:
        problems.append(
            f"VEIVISER_RESTART_MAX_DELAY_SECONDS ({cap:g}) is below "
            f"VEIVISER_RESTART_DELAY_SECONDS ({first:g})."
        )
        cap = first
    return RestartPolicy(first_delay=first, max_delay=cap, stable_after=stable)


def _nats_sync_from_env(environ: Mapping[str, str], problems: list[str]) -> str | None:
    raw = (environ.get("VEIVISER_NATS_SYNC_INTERVAL") or DEFAULT_NATS_SYNC).strip()
    if raw == "default":
        return None
    try:
        nats_sync_config(raw)
    except ValueError as exc:
        problems.append(f"VEIVISER_NATS_SYNC_INTERVAL: {exc} (or 'default' for nats-server's own).")
        return DEFAULT_NATS_SYNC
    return raw


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
    restart = _restart_policy(environ, problems)
    nats_sync = _nats_sync_from_env(environ, problems)
    if not settings.relay_in_process:
        problems.append(
            "VEIVISER_RELAY_IN_PROCESS=false: `make run` starts no relays of their own, so "
            "nothing would be published. Leave it unset here (the relays run in the "
            "services), or run `veiviser relay <service>` beside services started otherwise."
        )
    return Plan(
        settings=settings,
        data_dir=Path(settings.data_dir).absolute(),
        service_ports=service_ports,
        pg_port=pg_port,
        nats_port=nats_port,
        problems=problems,
        restart=restart,
        nats_sync=nats_sync,
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
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self, env: Mapping[str, str]) -> None:
        """Start the service under uvicorn (without waiting for it) and write its pid file."""
        self.proc = spawn_logged(
            server_command(self.name, self.port),
            self.log_file,
            f"{time.strftime('%Y-%m-%d %H:%M:%S')} starting {self.name}",
            env=env,
        )
        self.pid_file.write_text(f"{self.proc.pid}\n")


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
    """Start one service under uvicorn; it is in ``started`` before its process exists
    (so that an interrupt right after cannot leave it behind)."""
    service = _Service(name, port, plan.logs_dir / f"{name}.log", plan.pids_dir / f"{name}.pid")
    started.append(service)
    service.spawn(env)


def _stop_services(services: list[_Service], timeout: float = 10.0) -> None:
    """SIGTERM every service's process group, wait, then SIGKILL what is left."""
    for service in services:
        if service.proc is not None and service.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(service.proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for service in services:
        if service.proc is not None:
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
                assert service.proc is not None
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
    if plan.nats_port is not None:
        sync = plan.nats_sync or "nats-server's default (2 min)"
        nats_where += f", fsync: sync_interval {sync}"
    supervised = [
        name
        for name, ours in (("PostgreSQL", plan.pg_port), ("NATS", plan.nats_port))
        if ours is not None
    ]
    supervised.append("the four services")
    supervised_text = ", ".join(supervised[:-1]) + (" and " if len(supervised) > 1 else "")
    supervised_text += supervised[-1]
    policy = plan.restart
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
        # No nginx comes from PyPI, so make run has no gateway: the services are called
        # on their own ports; the Docker stack has the one entry point.
        f"  {'Gateway':<13} not here (the services answer on their own ports); the Docker "
        "stack runs it:",
        f"  {'':<13} make docker-up, then {DOCKER_GATEWAY_URL} (docs: "
        f"{DOCKER_GATEWAY_URL}/docs, docs/deploy/gateway.md)",
        "",
        f"Supervised: {supervised_text}. What dies is started again after "
        f"{policy.first_delay:g} s, doubling to at most {policy.max_delay:g} s while it keeps "
        "failing;",
        "the rest keep serving. External servers (VEIVISER_DATABASE_URL / VEIVISER_NATS_URL) "
        "are not supervised.",
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
    """Start the whole stack in the foreground and supervise it until Ctrl-C / SIGTERM.

    Returns the process exit code: 0 after a requested stop, 1 when something failed
    while starting (or did not stop cleanly), 2 when the stack refused to start (ports
    taken, servers too old, bad settings). Once running, a component that dies is
    restarted (see :class:`RestartPolicy`) rather than stopping the stack. Embedded
    PostgreSQL / NATS are used unless ``VEIVISER_DATABASE_URL`` / ``VEIVISER_NATS_URL``
    are set in ``environ`` (default ``os.environ``).
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

    running = _Running(baseline=_child_pids())
    code = EXIT_FAILED
    with _signals_raise_stop():
        # The postmaster is pg_ctl's child; as subreaper we inherit it when pg_ctl exits,
        # so its exit status reaches us like the others' when it dies.
        subreaper = _set_child_subreaper(True)
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
            if subreaper:
                _set_child_subreaper(False)
            runner_pid_file.unlink(missing_ok=True)
            print("Stopped.", file=out, flush=True)
    return code


@dataclass
class _Running:
    """What has been started so far, so that shutdown stops exactly that."""

    pg: EmbeddedPostgres | None = None
    nats: EmbeddedNats | None = None
    services: list[_Service] = field(default_factory=list)
    baseline: set[int] = field(default_factory=set)
    """Children this process had before the stack started: not ours to stop."""

    def stop(self, err: TextIO) -> bool:
        """Services, then NATS, then PostgreSQL; return whether all stopped cleanly."""
        clean = True
        _stop_services(self.services)
        if self.nats is not None:
            self.nats.stop()
            self.nats.stop_strays()
        if self.pg is not None:
            try:
                self.pg.stop()
            except StackError as exc:
                print(str(exc), file=err, flush=True)
                clean = False
        for pid in _stop_descendants(self.baseline):
            print(f"Stopped a leftover process (pid {pid}).", file=err, flush=True)
        _reap_orphans(self.baseline, set())
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
        running.nats = EmbeddedNats(plan.nats_dir, plan.nats_port, sync_interval=plan.nats_sync)
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
    for service, port in plan.service_ports.items():
        # The consumers' catch-up feed must reach the ports chosen here, not the defaults.
        if getattr(effective, f"{service}_url") is None:
            env[f"VEIVISER_{service.upper()}_URL"] = f"http://127.0.0.1:{port}"
    for service in SERVICES:
        _start_service(service, plan.service_ports[service], plan, env, running.services)
    problem = _wait_healthy(running.services, startup_timeout)
    if problem is not None:
        print(problem, file=err, flush=True)
        return EXIT_FAILED

    token = _dev_token(effective)
    _banner(running.services, database_url, nats_url, plan, versions, token, out)
    _watch(running, plan.restart, env, startup_timeout, err)


# --------------------------------------------------------------------------- supervision

PR_SET_CHILD_SUBREAPER = 36


def _set_child_subreaper(on: bool) -> bool:
    """Make this process the reaper of its orphaned descendants (Linux); whether it worked.

    Elsewhere the embedded postmaster is not our child and its exit status stays unknown.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _child_pids() -> set[int]:
    try:
        return {child.pid for child in psutil.Process().children()}
    except psutil.Error:
        return set()


def _reap_orphans(popen_pids: set[int], wanted: set[int]) -> dict[int, int]:
    """Collect dead children that no ``Popen`` object waits for; return the exit codes
    (``Popen.returncode`` style) of those among ``wanted``.

    As subreaper we inherit the postmaster and, when it is killed, its backends; without
    this they would stay zombies until the runner exits.
    """
    codes: dict[int, int] = {}
    try:
        children = psutil.Process().children()
    except psutil.Error:
        return codes
    for child in children:
        if child.pid in popen_pids:
            continue
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                continue
            pid, status = os.waitpid(child.pid, os.WNOHANG)
        except (psutil.Error, ChildProcessError):
            continue
        if pid and pid in wanted:
            codes[pid] = os.waitstatus_to_exitcode(status)
    return codes


def _stop_descendants(baseline: set[int]) -> list[int]:
    """Terminate every live descendant not under a ``baseline`` child; return their pids.

    After an orderly stop there is none; this catches what an interrupted restart left.
    """
    try:
        me = psutil.Process()
        excluded = set(baseline)
        for pid in baseline:
            with contextlib.suppress(psutil.Error):
                excluded |= {p.pid for p in psutil.Process(pid).children(recursive=True)}
        left = [p.pid for p in me.children(recursive=True) if p.pid not in excluded]
    except psutil.Error:
        return []
    stopped = []
    for pid in left:
        if not process_gone(pid):
            terminate_process(pid, timeout=10)
            stopped.append(pid)
    return stopped


@dataclass(frozen=True)
class _Exit:
    code: int | None
    """``Popen.returncode`` style (negative: killed by that signal); ``None``: unknown."""

    def describe(self) -> str:
        if self.code is None:
            return "is gone (exit status unknown: it is not the runner's child)"
        return describe_exit(self.code)


class _Component(abc.ABC):
    """One process the runner supervises; subclasses say how to start and watch it."""

    name: str
    log_file: Path
    aftermath = ""
    """What the death of this component means for the rest, said once per crash."""

    @abc.abstractmethod
    def pid(self) -> int | None:
        """The running process's pid, ``None`` when it is not running."""

    @abc.abstractmethod
    def exited(self, reaped: dict[int, int]) -> _Exit | None:
        """How the process ended, if it has; ``reaped``: exit codes of orphans we collected."""

    @abc.abstractmethod
    def start(self) -> None:
        """Start again on the same port and data; raises ``StackError`` if that fails."""

    def ready(self, client: httpx.Client) -> bool:
        """Whether a started process serves (servers: ``start`` returns once they do)."""
        return True

    def abandon(self) -> None:
        """Kill a process that started but never became ready."""
        # Nothing by default: a component whose start can leave a process behind kills it.
        return None

    def popen_pid(self) -> int | None:
        """Pid of the live child a ``Popen`` object waits for, if any."""
        return None


class _NatsComponent(_Component):
    aftermath = (
        " Services keep accepting commands; their outboxes hold the events until NATS is back."
    )

    def __init__(self, nats: EmbeddedNats) -> None:
        self.nats = nats
        self.name = "NATS"
        self.log_file = nats.log_file

    def pid(self) -> int | None:
        return self.nats.pid

    def popen_pid(self) -> int | None:
        return self.nats.pid

    def exited(self, reaped: dict[int, int]) -> _Exit | None:
        code = self.nats.poll()
        return None if code is None else _Exit(code)

    def start(self) -> None:
        self.nats.start()

    def abandon(self) -> None:
        self.nats.kill()


class _PostgresComponent(_Component):
    aftermath = " Requests that need the database fail until it is back; services stay up."

    def __init__(self, pg: EmbeddedPostgres) -> None:
        self.pg = pg
        self.name = "PostgreSQL"
        self.log_file = pg.log_file
        self._pid = pg.pid

    def pid(self) -> int | None:
        return self._pid

    def exited(self, reaped: dict[int, int]) -> _Exit | None:
        pid = self._pid
        if pid is None:
            return _Exit(None)
        if pid in reaped:
            return _Exit(reaped[pid])
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return _Exit(None) if process_gone(pid) else None
        return _Exit(os.waitstatus_to_exitcode(status)) if done else None

    def start(self) -> None:
        self._pid = None
        self.pg.start()
        self._pid = self.pg.pid


class _ServiceComponent(_Component):
    def __init__(self, service: _Service, env: Mapping[str, str]) -> None:
        self.service = service
        self.env = env
        self.name = service.name
        self.log_file = service.log_file

    def pid(self) -> int | None:
        proc = self.service.proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def popen_pid(self) -> int | None:
        return self.pid()

    def exited(self, reaped: dict[int, int]) -> _Exit | None:
        proc = self.service.proc
        code = None if proc is None else proc.poll()
        return None if code is None else _Exit(code)

    def start(self) -> None:
        self.service.spawn(self.env)

    def ready(self, client: httpx.Client) -> bool:
        try:
            return client.get(f"{self.service.url}/healthz").status_code == 200
        except httpx.HTTPError:
            return False

    def abandon(self) -> None:
        proc = self.service.proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@dataclass
class _Watched:
    component: _Component
    since: float
    """When it came up (``up``), its attempt began (``starting``) or it went down."""
    state: str = "up"
    """``up``, ``starting`` (spawned, not serving yet) or ``waiting`` (to be restarted)."""
    pid: int | None = None
    failures: int = 0
    """Attempts in a row that did not stay up ``stable_after`` seconds."""
    down_since: float = 0.0
    failing_since: str = ""
    retry_at: float = 0.0


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    return f"{minutes // 60} h {minutes % 60} min"


class _Supervisor:
    """Watches every component and restarts the ones that die, one tick at a time."""

    def __init__(
        self,
        components: list[_Component],
        policy: RestartPolicy,
        startup_timeout: float,
        err: TextIO,
    ) -> None:
        now = time.monotonic()
        self.watched = [_Watched(c, since=now, pid=c.pid()) for c in components]
        self.policy = policy
        self.startup_timeout = startup_timeout
        self.err = err

    def say(self, message: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {message}", file=self.err, flush=True)

    def run(self) -> NoReturn:
        with httpx.Client(timeout=1.0) as client:
            while True:
                self.tick(client)
                time.sleep(WATCH_INTERVAL_SECONDS)

    def tick(self, client: httpx.Client) -> None:
        popen_pids = {pid for w in self.watched if (pid := w.component.popen_pid()) is not None}
        wanted = {w.pid for w in self.watched if w.pid is not None}
        reaped = _reap_orphans(popen_pids, wanted)
        for watched in self.watched:
            now = time.monotonic()
            if watched.state in ("up", "starting"):
                ended = watched.component.exited(reaped)
                if ended is not None:
                    self._ended(watched, ended, now)
                    continue
            if watched.state == "starting":
                if watched.component.ready(client):
                    self._back(watched, now)
                elif now - watched.since > self.startup_timeout:
                    watched.component.abandon()
                    self._failed(
                        watched,
                        f"no answer on /healthz within {self.startup_timeout:g} s",
                        now,
                    )
            elif watched.state == "waiting" and now >= watched.retry_at:
                self._attempt(watched)

    def _ended(self, watched: _Watched, ended: _Exit, now: float) -> None:
        component = watched.component
        if watched.state == "starting":
            self._failed(watched, f"it {ended.describe()} while starting", now)
            return
        uptime = now - watched.since
        if uptime >= self.policy.stable_after:
            watched.failures = 0
        watched.down_since = now
        pid = watched.pid
        self._schedule(watched, now)
        tail = log_tail(component.log_file, 10)
        self.say(
            f"{component.name} (pid {pid}) {ended.describe()} after {_duration(uptime)} "
            f"up.{component.aftermath} Starting it again in {self._delay(watched)} "
            f"(attempt {watched.failures}). Last lines of {component.log_file}:\n{tail}"
        )
        self._keeps_failing(watched)

    def _failed(self, watched: _Watched, reason: str, now: float) -> None:
        attempt = watched.failures
        self._schedule(watched, now)
        self.say(
            f"{watched.component.name}: attempt {attempt} failed: {reason.rstrip('.')}. "
            f"Next attempt in {self._delay(watched)}."
        )
        self._keeps_failing(watched)

    def _schedule(self, watched: _Watched, now: float) -> None:
        if watched.failures == 0:
            watched.failing_since = time.strftime("%H:%M:%S")
        watched.failures += 1
        watched.state = "waiting"
        watched.pid = None
        watched.retry_at = now + self.policy.delay(watched.failures)

    def _delay(self, watched: _Watched) -> str:
        return f"{self.policy.delay(watched.failures):g} s"

    def _keeps_failing(self, watched: _Watched) -> None:
        n = watched.failures
        limit = self.policy.crash_loop_after
        if n < limit or (n != limit and n % 10):
            return
        component = watched.component
        self.say(
            f"{component.name} keeps failing: {n} times in a row since "
            f"{watched.failing_since}, never up for {self.policy.stable_after:g} s. "
            f"Still trying, every {self.policy.max_delay:g} s at most, until it stays up or "
            f"Ctrl-C stops everything. Last lines of {component.log_file}:\n"
            f"{log_tail(component.log_file, 20)}"
        )

    def _attempt(self, watched: _Watched) -> None:
        component = watched.component
        self.say(f"Starting {component.name} again (attempt {watched.failures}) …")
        now = time.monotonic()
        try:
            component.start()
        except StackError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            self._failed(watched, reason, time.monotonic())
            return
        # Servers are serving once start() returns; a service once it answers /healthz.
        # Either way the next tick sees it ready (or dead).
        watched.since = now
        watched.state = "starting"
        watched.pid = component.pid()

    def _back(self, watched: _Watched, now: float) -> None:
        watched.state = "up"
        watched.since = now
        watched.pid = watched.component.pid()
        self.say(
            f"{watched.component.name} is running again (pid {watched.pid}), "
            f"{_duration(now - watched.down_since)} after it went down."
        )


def _watch(
    running: _Running,
    policy: RestartPolicy,
    env: Mapping[str, str],
    startup_timeout: float,
    err: TextIO,
) -> NoReturn:
    """Supervise until Ctrl-C / SIGTERM arrives as ``_Stop``; only what we started."""
    components: list[_Component] = []
    if running.pg is not None:
        components.append(_PostgresComponent(running.pg))
    if running.nats is not None:
        components.append(_NatsComponent(running.nats))
    components += [_ServiceComponent(service, env) for service in running.services]
    _Supervisor(components, policy, startup_timeout, err).run()


if __name__ == "__main__":
    sys.exit(run())
