"""``veiviser up`` refuses, before starting anything, when a port it needs is taken."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy import embedded, stack
from deploy.embedded import free_port
from deploy.stack import PreflightError, preflight, run, service_port_variable
from shared.settings import SERVICES


@pytest.fixture
def ports(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, int]:
    """Every port the stack needs set to a free one, and a private data directory."""
    chosen: dict[str, int] = {}
    for name in SERVICES:
        chosen[name] = free_port()
        monkeypatch.setenv(service_port_variable(name), str(chosen[name]))
    chosen["pg"] = free_port()
    chosen["nats"] = free_port()
    monkeypatch.setenv("VEIVISER_PG_PORT", str(chosen["pg"]))
    monkeypatch.setenv("VEIVISER_NATS_PORT", str(chosen["nats"]))
    monkeypatch.delenv("VEIVISER_DATABASE_URL", raising=False)
    monkeypatch.delenv("VEIVISER_NATS_URL", raising=False)
    monkeypatch.setenv("VEIVISER_DATA_DIR", str(tmp_path / "state"))
    return chosen


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port with a live listener on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_preflight_passes_when_all_ports_are_free(ports: dict[str, int]) -> None:
    plan = preflight()
    assert plan.service_ports == {name: ports[name] for name in SERVICES}
    assert (plan.pg_port, plan.nats_port) == (ports["pg"], ports["nats"])


def test_taken_service_port_is_named(
    ports: dict[str, int], taken_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEIVISER_PARTICIPANTS_PORT", str(taken_port))
    with pytest.raises(PreflightError) as caught:
        preflight()
    message = str(caught.value)
    assert str(taken_port) in message
    assert "participants" in message
    assert "VEIVISER_PARTICIPANTS_PORT" in message
    assert "nothing was started" in message
    for name in SERVICES[1:]:
        assert str(ports[name]) not in message


def test_every_taken_port_is_listed_at_once(
    ports: dict[str, int], taken_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as second:
        second.bind(("127.0.0.1", 0))
        second.listen()
        monkeypatch.setenv("VEIVISER_HOUSING_PORT", str(taken_port))
        monkeypatch.setenv("VEIVISER_PG_PORT", str(second.getsockname()[1]))
        with pytest.raises(PreflightError) as caught:
            preflight()
    message = str(caught.value)
    assert "VEIVISER_HOUSING_PORT" in message
    assert "VEIVISER_PG_PORT" in message
    assert "VEIVISER_DATABASE_URL" in message  # the other way out


def test_embedded_ports_only_matter_when_embedded_servers_start(
    ports: dict[str, int], taken_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEIVISER_PG_PORT", str(taken_port))
    monkeypatch.setenv("VEIVISER_NATS_PORT", str(taken_port))
    monkeypatch.setenv("VEIVISER_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/postgres")
    monkeypatch.setenv("VEIVISER_NATS_URL", "nats://127.0.0.1:1")
    plan = preflight()
    assert plan.pg_port is None and plan.nats_port is None


@pytest.mark.parametrize("variable", ["VEIVISER_PG_PORT", "VEIVISER_NATS_PORT"])
@pytest.mark.parametrize("port", [5432, 4222])
def test_system_server_ports_are_never_used(
    ports: dict[str, int], monkeypatch: pytest.MonkeyPatch, variable: str, port: int
) -> None:
    monkeypatch.setenv(variable, str(port))
    with pytest.raises(PreflightError, match=f"{variable}={port}"):
        preflight()


def test_bad_and_duplicate_ports_are_reported(
    ports: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEIVISER_MATCHING_PORT", "eighty")
    monkeypatch.setenv("VEIVISER_INDICATORS_PORT", str(ports["housing"]))
    with pytest.raises(PreflightError) as caught:
        preflight()
    message = str(caught.value)
    assert "VEIVISER_MATCHING_PORT='eighty'" in message
    assert f"Port {ports['housing']} is configured for both housing and indicators" in message


def test_run_refuses_with_exit_2_and_starts_nothing(
    ports: dict[str, int],
    taken_port: int,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    started: list[str] = []

    def record(what: str) -> object:
        def starter(*args: object, **kwargs: object) -> None:
            started.append(what)
            raise AssertionError(f"{what} must not be started")

        return starter

    monkeypatch.setattr(embedded.EmbeddedPostgres, "start", record("postgres"))
    monkeypatch.setattr(embedded.EmbeddedNats, "start", record("nats"))
    monkeypatch.setattr(stack, "_start_service", record("service"))
    monkeypatch.setenv("VEIVISER_PARTICIPANTS_PORT", str(taken_port))

    assert run() == 2

    captured = capsys.readouterr()
    assert str(taken_port) in captured.err
    assert "VEIVISER_PARTICIPANTS_PORT" in captured.err
    assert started == []
    assert not (tmp_path / "state").exists()
