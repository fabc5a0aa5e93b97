"""Fixtures for tests that drive a running Docker stack from the outside (make docker-test).

Only environment variables are read, when a fixture is first used; see tests/docker/support.py.
"""

from __future__ import annotations

import pytest

from tests.docker.support import DockerStack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The gateway's tests write (a registration): they run last, after the tests that
    need a stack that has seen nothing (test_settlements counts every event)."""
    items.sort(key=lambda item: item.path.name == "test_gateway.py")


@pytest.fixture(scope="session")
async def docker_stack() -> DockerStack:
    """The stack the environment names, once every service answers ``/readyz``."""
    stack = DockerStack.from_environment()
    await stack.wait_ready()
    return stack
