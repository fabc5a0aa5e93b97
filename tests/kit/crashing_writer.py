"""A participants process that commits a settlement and is killed before it can publish.

Run by ``test_outbox`` as ``python -m tests.kit.crashing_writer`` with the test's
``VEIVISER_*`` variables. The app's lifespan never runs here, so no relay exists in
this process: the committed outbox rows are all that is left when SIGKILL lands.
"""

from __future__ import annotations

import asyncio
import os
import signal

import httpx

from services.participants.app import create_app
from shared.settings import Settings
from tests.kit.helpers import register_and_settle

MARKER = "settled-participant="


async def main() -> None:
    settings = Settings()
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://writer") as client:
        participant_id = await register_and_settle(client, settings)
    print(f"{MARKER}{participant_id}", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    asyncio.run(main())
