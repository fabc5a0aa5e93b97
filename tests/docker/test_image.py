"""What the stack's containers promise: the services run as a non-root user behind a
healthcheck, NATS fsyncs every JetStream write, and the survival analyses the indicators
run work in an image that leaves the plotting stack out."""

from __future__ import annotations

import asyncio

import httpx

from shared.settings import SERVICES
from tests.docker.support import DockerStack, docker


async def test_services_run_unprivileged_behind_their_healthcheck(
    docker_stack: DockerStack,
) -> None:
    for service in SERVICES:
        container = docker_stack.container(service)
        uid = await asyncio.to_thread(docker, "exec", container, "id", "-u")
        assert uid != "0", f"{service} runs as root"
        health = await asyncio.to_thread(
            docker, "inspect", "-f", "{{.State.Health.Status}}", container
        )
        assert health == "healthy", f"{service}: {health}"
        async with httpx.AsyncClient(base_url=docker_stack.urls[service]) as client:
            answer = await client.get("/healthz")
        assert answer.status_code == 200
        assert answer.json()["service"] == service


async def test_jetstream_syncs_every_write_to_disk(docker_stack: DockerStack) -> None:
    async with httpx.AsyncClient(base_url=docker_stack.nats_monitor_url) as client:
        answer = await client.get("/varz")
    assert answer.status_code == 200
    config = answer.json()["jetstream"]["config"]
    assert config["sync_always"] is True, config


async def test_survival_models_fit_inside_the_image(docker_stack: DockerStack) -> None:
    # The same models services/indicators/domain/survival.py fits, in the running image.
    script = (
        "import pandas as pd\n"
        "from lifelines import CoxPHFitter, KaplanMeierFitter\n"
        "km = KaplanMeierFitter().fit([3, 5, 8, 13, 21], [1, 1, 0, 1, 1])\n"
        "frame = pd.DataFrame({'t': [3, 5, 8, 13, 21, 34], 'e': [1, 1, 0, 1, 1, 0],"
        " 'x': [0.1, 0.4, 0.2, 0.9, 0.7, 0.3]})\n"
        "cox = CoxPHFitter().fit(frame, 't', 'e')\n"
        "print(round(float(km.median_survival_time_), 3), len(cox.params_))\n"
    )
    container = docker_stack.container("indicators")
    out = await asyncio.to_thread(docker, "exec", container, "python", "-c", script)
    assert out == "13.0 1", out
