"""Database engine and transactions for one service's own database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from shared.settings import Settings


class Database:
    """The async engine of one service database; built in ``create_app``, never at import."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @classmethod
    def for_service(cls, settings: Settings, service: str, *, pool_size: int = 24) -> Database:
        engine = create_async_engine(
            settings.service_database_url(service),
            pool_size=pool_size,
            # Overflow connections are closed as soon as they are returned; a pool sized
            # for the usual concurrency avoids opening connections under load.
            max_overflow=pool_size // 3,
            # The connection used last is handed out first: at low concurrency the same
            # few connections serve every request, with their statements prepared,
            # instead of each of the pool's connections preparing them in turn.
            pool_use_lifo=True,
            # No pre-ping: with asyncpg it costs three round trips on every checkout.
            # A connection the server closed (PostgreSQL restarted) is dropped at
            # checkout instead (_drop_closed); one broken some other way fails a
            # statement, and the caller sees a 500 once.
            # Every jsonb value read (event data, inbox payloads) goes through this:
            # orjson decodes the same documents to the same values several times faster.
            json_deserializer=orjson.loads,
        )
        event.listen(engine.sync_engine, "checkout", _drop_closed)
        return cls(engine)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One transaction: committed on normal exit, rolled back on any exception."""
        async with self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncConnection]:
        """A read that sees one snapshot in all its statements (REPEATABLE READ).

        For a view put together from several statements (a record and its related
        rows): under READ COMMITTED each statement sees what was committed when *it*
        began, so a view read while a consumer commits could show half of that commit
        (a household gone, its application not yet updated). What the read records
        about itself (audit rows of who saw whom) commits with it, and is rolled back
        on an exception. It is for reading: an update of a row that another
        transaction changed after the snapshot fails, so commands use
        :meth:`transaction`.
        """
        async with self.engine.connect() as conn:
            reading = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with reading.begin():
                yield reading

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncConnection]:
        """A connection outside any transaction: each statement commits on its own.

        For work whose writes are one statement (a command's append with its riders),
        which then costs no BEGIN and COMMIT round trips. Code on it that writes more
        than one statement makes them one transaction itself (:func:`atomic`). The
        pooled connection goes back at the pool's isolation level.
        """
        async with self.engine.connect() as conn:
            yield await conn.execution_options(isolation_level="AUTOCOMMIT")

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    async def dispose(self) -> None:
        await self.engine.dispose()


def _drop_closed(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """Hand out no pooled connection the server has closed.

    After a PostgreSQL restart every idle pooled connection is dead, and the kit's
    statements go straight to asyncpg, past SQLAlchemy's disconnect handling: each would
    fail one request. asyncpg has already seen the socket close, so asking costs no
    round trip; ``DisconnectionError`` makes the pool discard it and connect afresh.
    """
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this connection")


async def driver_connection(conn: AsyncConnection) -> asyncpg.Connection[Any]:
    """The asyncpg connection under ``conn``, inside ``conn``'s transaction.

    The kit's hot path (event store, idempotency keys) talks to asyncpg directly: a
    statement through SQLAlchemy costs several times its own execution in compiling,
    parameter and result processing. asyncpg's statement cache prepares each statement
    text once per connection. The statements run in the same transaction as everything
    ``conn`` executes, so they commit or roll back with it.
    """
    if not conn.in_transaction():
        # What SQLAlchemy's autobegin does before a statement it executes itself.
        await conn.begin()
    fairy = await conn.get_raw_connection()
    adapted: Any = fairy.dbapi_connection
    # SQLAlchemy's asyncpg adapter sends BEGIN lazily, before the first statement it
    # executes itself; a statement sent straight to asyncpg before that would run (and
    # commit) on its own. Starting it here keeps the adapter's bookkeeping right, so
    # its COMMIT or ROLLBACK ends what we wrote too.
    if adapted._transaction is None and not adapted.autocommit:
        await adapted._start_transaction()
    driver: asyncpg.Connection[Any] = fairy.driver_connection
    return driver


@asynccontextmanager
async def atomic(conn: AsyncConnection) -> AsyncIterator[None]:
    """What runs inside commits or rolls back as one: in ``conn``'s transaction, or, on
    a connection outside one (:meth:`Database.autocommit`), in a transaction of its own."""
    driver = await driver_connection(conn)
    if driver.is_in_transaction():
        yield
        return
    async with driver.transaction():
        yield
