"""The raw HTTP path: a bare FastAPI app whose POST does one INSERT (asyncpg pool).

Same server stack as the services (uvicorn with uvloop + httptools, FastAPI, pydantic
body, one process), none of the kit: no token check, no middleware, no SQLAlchemy,
no event store, no outbox. Run as
``uvicorn --factory bench.bare_app:create_app`` with ``BENCH_BARE_DSN`` set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from pydantic import BaseModel, ConfigDict

TABLE_DDL = """
CREATE TABLE IF NOT EXISTS bare_settlements (
    participant_id uuid PRIMARY KEY,
    settled_on date NOT NULL,
    arrival_category text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
)
"""


class Settle(BaseModel):
    model_config = ConfigDict(extra="forbid")

    settled_on: date
    arrival_category: str


def create_app() -> FastAPI:
    dsn = os.environ["BENCH_BARE_DSN"]
    # The kit's Database uses pool_size=10 (+ overflow); the same here.
    pool_size = int(os.environ.get("BENCH_BARE_POOL", "10"))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=pool_size, max_size=pool_size)
        try:
            yield
        finally:
            await app.state.pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/bare/{participant_id}/settlement", status_code=201)
    async def settle(participant_id: uuid.UUID, body: Settle, request: Request) -> dict[str, Any]:
        pool: asyncpg.Pool = request.app.state.pool
        await pool.execute(
            "INSERT INTO bare_settlements (participant_id, settled_on, arrival_category) "
            "VALUES ($1, $2, $3)",
            participant_id,
            body.settled_on,
            body.arrival_category,
        )
        return {
            "participant_id": str(participant_id),
            "settled_on": body.settled_on.isoformat(),
            "arrival_category": body.arrival_category,
            "version": 1,
        }

    return app
