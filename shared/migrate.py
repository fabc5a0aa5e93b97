"""Creating service databases and running each service's own Alembic history."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared import kit_migrations
from shared.settings import Settings


def alembic_config(settings: Settings, service: str, migrations: Path) -> Config:
    """Alembic's configuration for ``service``'s database and its history in ``migrations``.

    The history is the service's revisions (``migrations/versions``) and the kit's
    (:data:`shared.kit_migrations.VERSIONS`), run through the kit's environment. A new
    revision goes to the folder of the head it follows (``alembic revision --head``).
    """
    config = Config()
    config.set_main_option("script_location", str(kit_migrations.ENVIRONMENT))
    config.set_main_option("path_separator", "os")
    config.set_main_option(
        "version_locations",
        os.pathsep.join(str(p) for p in (migrations / "versions", kit_migrations.VERSIONS)),
    )
    config.set_main_option("version_table", "alembic_version")
    config.attributes["database_url"] = settings.service_database_url(service)
    return config


async def ensure_database(settings: Settings, service: str) -> bool:
    """Create ``service``'s database if missing; True when it was created."""
    name = settings.database_name(service)
    conn = await asyncpg.connect(settings.server_database_url())
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        except asyncpg.DuplicateDatabaseError:
            return False
        return True
    finally:
        await conn.close()


async def drop_database(settings: Settings, service: str) -> None:
    """Drop ``service``'s database (tests and ``veiviser`` clean-up only)."""
    conn = await asyncpg.connect(settings.server_database_url())
    try:
        await conn.execute(
            f'DROP DATABASE IF EXISTS "{settings.database_name(service)}" WITH (FORCE)'
        )
    finally:
        await conn.close()


def upgrade(settings: Settings, service: str, migrations: Path, revision: str = "heads") -> None:
    """Create the database if needed and migrate it to ``revision`` (blocking).

    ``migrations`` is the folder of the service's Alembic history; the caller names it,
    as the kit knows no service.

    ``heads``: a service's history has the kit's revisions (``kit0002`` …, which only
    call :func:`shared.kit_migrations.upgrade_kit_tables`) as a branch beside its own.

    From async code call it through ``asyncio.to_thread``: Alembic drives its own
    event loop for the async driver.
    """
    asyncio.run(ensure_database(settings, service))
    command.upgrade(alembic_config(settings, service, migrations), revision)


def run_migrations_from_env() -> None:
    """Body of the kit's ``env.py``, the environment of every service's history."""
    from alembic import context

    url = context.config.attributes["database_url"]

    def do_run(connection: Connection) -> None:
        context.configure(
            connection=connection, target_metadata=None, transaction_per_migration=True
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run())
