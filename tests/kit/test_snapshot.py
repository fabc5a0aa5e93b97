"""A snapshot read sees one moment in all its statements, whatever commits meanwhile."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from shared.settings import Settings
from tests.kit.helpers import database_with

notes = sa.Table("kit_snapshot_notes", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))


async def test_a_snapshot_does_not_see_a_commit_made_between_its_statements(
    settings: Settings,
) -> None:
    async with database_with(settings, notes) as db:
        async with db.transaction() as conn:
            await conn.execute(sa.insert(notes).values(id=1))
        count = sa.select(sa.func.count()).select_from(notes)
        async with db.snapshot() as reading:
            assert await reading.scalar(count) == 1
            async with db.transaction() as conn:
                await conn.execute(sa.insert(notes).values(id=2))
            assert await reading.scalar(count) == 1
        async with db.connect() as conn:
            assert await conn.scalar(count) == 2
        # The pooled connection is back at the default level: a later read sees commits.
        async with db.connect() as conn:
            level = await conn.scalar(sa.text("SHOW transaction_isolation"))
        assert level == "read committed"


async def test_what_a_snapshot_read_records_is_kept_and_an_error_takes_it_back(
    settings: Settings,
) -> None:
    async with database_with(settings, notes) as db:
        async with db.snapshot() as reading:
            await reading.execute(sa.insert(notes).values(id=1))
        with pytest.raises(LookupError):
            async with db.snapshot() as reading:
                await reading.execute(sa.insert(notes).values(id=2))
                raise LookupError("the view failed")
        async with db.connect() as conn:
            assert (await conn.scalars(sa.select(notes.c.id))).all() == [1]
