"""A command that writes one statement runs outside a transaction; more writes commit as one.

:meth:`shared.db.Database.autocommit` hands out a connection on which each statement
commits by itself (no BEGIN, no COMMIT); :func:`shared.db.atomic` makes what runs inside
it one transaction there, and is only a part of the caller's where there is one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
import sqlalchemy as sa

from shared.db import Database, atomic, driver_connection
from shared.settings import Settings
from tests.kit.helpers import database_with

rows = sa.Table(
    "kit_autocommit_rows",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
)
COUNT = sa.text("SELECT count(*) FROM kit_autocommit_rows")


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    async with database_with(settings, rows) as db:
        yield db


async def test_each_statement_commits_by_itself_outside_a_transaction(db: Database) -> None:
    async with db.autocommit() as conn:
        driver = await driver_connection(conn)
        assert not driver.is_in_transaction()
        await driver.execute("INSERT INTO kit_autocommit_rows VALUES (1)")
        # Seen from another connection before this one is done: it has committed.
        async with db.connect() as other:
            assert await other.scalar(COUNT) == 1
        await conn.execute(sa.insert(rows).values(id=2))
        assert not driver.is_in_transaction()
    async with db.connect() as conn:
        assert await conn.scalar(COUNT) == 2
        # The pooled connection is back in transactions afterwards.
        assert (await driver_connection(conn)).is_in_transaction()


async def test_atomic_writes_commit_or_roll_back_together_on_an_autocommit_connection(
    db: Database,
) -> None:
    async with db.autocommit() as conn:
        with pytest.raises(asyncpg.UniqueViolationError):
            async with atomic(conn):
                driver = await driver_connection(conn)
                assert driver.is_in_transaction()
                await driver.execute("INSERT INTO kit_autocommit_rows VALUES (1)")
                await conn.execute(sa.insert(rows).values(id=2))
                await driver.execute("INSERT INTO kit_autocommit_rows VALUES (1)")
        assert await conn.scalar(COUNT) == 0
        async with atomic(conn):
            await conn.execute(sa.insert(rows).values(id=3))
            await conn.execute(sa.insert(rows).values(id=4))
    async with db.connect() as conn:
        assert await conn.scalar(COUNT) == 2


async def test_atomic_inside_a_transaction_is_part_of_it(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            async with atomic(conn):
                await conn.execute(sa.insert(rows).values(id=1))
            # The caller's transaction goes on, and its rollback takes atomic's write.
            await conn.execute(sa.insert(rows).values(id=2))
            raise RuntimeError("the command failed after its append")
    async with db.connect() as conn:
        assert await conn.scalar(COUNT) == 0
