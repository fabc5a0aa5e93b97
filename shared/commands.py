"""Running one command: one transaction, optional Idempotency-Key, a stored response."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from shared import tables
from shared.db import Database


@dataclass(frozen=True)
class CommandResult:
    """What an HTTP command answers; stored verbatim under its Idempotency-Key."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False


class IdempotencyKeyReused(Exception):
    """The same Idempotency-Key came with a different request body or target."""

    def __init__(self, key: str) -> None:
        super().__init__(f"Idempotency-Key {key!r} was already used for a different request")
        self.key = key


def fingerprint(key: str, *parts: Any) -> str:
    """A keyed hash of what makes two requests 'the same' (method, path, body).

    Keyed, because a plain hash of a body holding a national id could be reversed by
    trying every possible number.
    """
    raw = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hmac.new(key.encode(), raw.encode(), hashlib.sha256).hexdigest()


Work = Callable[[AsyncConnection], Awaitable[CommandResult]]


async def run_command(
    db: Database,
    work: Work,
    *,
    idempotency_key: str | None = None,
    scope: str = "",
    request_hash: str = "",
    precheck: Callable[[AsyncConnection], Awaitable[None]] | None = None,
) -> CommandResult:
    """Run ``work`` in one transaction; with a key, a repeat returns the first answer.

    ``precheck`` runs first, before the key is looked up: a command on something the
    caller may not see (see :meth:`shared.service.Runtime.command`'s ``target``) is
    refused the same way whether it exists elsewhere or not at all, and no stored
    answer or key conflict can tell the difference.

    The key row is inserted in the same transaction as the events, so a command whose
    transaction rolls back leaves no key behind and can be retried, and two requests
    racing with one key serialise on the key's unique index: the second waits for the
    first and then returns its stored answer.
    """
    async with db.transaction() as conn:
        if precheck is not None:
            await precheck(conn)
        if idempotency_key is not None:
            claimed = await conn.execute(
                pg.insert(tables.idempotency_keys)
                .values(scope=scope, key=idempotency_key, request_hash=request_hash)
                .on_conflict_do_nothing(index_elements=["scope", "key"])
            )
            if claimed.rowcount == 0:
                row = (
                    await conn.execute(
                        sa.select(
                            tables.idempotency_keys.c.request_hash,
                            tables.idempotency_keys.c.status_code,
                            tables.idempotency_keys.c.response,
                        ).where(
                            tables.idempotency_keys.c.scope == scope,
                            tables.idempotency_keys.c.key == idempotency_key,
                        )
                    )
                ).one()
                if row.request_hash != request_hash:
                    raise IdempotencyKeyReused(idempotency_key)
                return CommandResult(int(row.status_code), dict(row.response), replayed=True)
        result = await work(conn)
        if idempotency_key is not None:
            await conn.execute(
                sa.update(tables.idempotency_keys)
                .where(
                    tables.idempotency_keys.c.scope == scope,
                    tables.idempotency_keys.c.key == idempotency_key,
                )
                .values(status_code=result.status_code, response=result.body)
            )
        return result
