"""Every service's Alembic history: the revision ids existing databases hold stay put,
head is the service's tables plus the kit's, and a downgrade to base undoes it all."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from deploy.services import migrations, upgrade
from shared import tables as kit_tables
from shared.migrate import alembic_config
from shared.settings import SERVICES, Settings

_SERVICE_ROOT = {"0001": None, "0002": "0001", "0003": "0002"}
# Revision id -> the one it revises, as databases migrated so far recorded them.
HISTORIES: dict[str, dict[str, str | None]] = {
    "participants": _SERVICE_ROOT,
    "housing": _SERVICE_ROOT,
    "matching": {**_SERVICE_ROOT, "0004": "0003", "0005": "0004", "0006": "0005"},
    "indicators": {**_SERVICE_ROOT, "0004": "0003"},
}

# What the kit's revisions write in SQL that SQLAlchemy's metadata does not declare.
KIT_EXTRAS = {
    ("modify_default", "events", "tx_id"),
    ("remove_index", "events", "events_global_order"),
    ("remove_index", "events", "events_recorded_at"),
    ("remove_index", "outbox", "outbox_unpublished"),
    ("remove_index", "outbox", "outbox_parked"),
}


def _config(settings: Settings, service: str) -> Any:
    return alembic_config(settings, service, migrations(service))


def _service_extras(service: str) -> set[tuple[str, str, str]]:
    if service == "indicators":
        # Only indicators reads the kit's events table by municipality and type (the plan's
        # change history); the kit's metadata declares the table for every service.
        return {("remove_index", "events", "events_municipality_type")}
    if service != "matching":
        return set()
    from services.matching.tables import FOLLOWED_TABLES

    return {("remove_index", t.name, f"{t.name}_changes") for t in FOLLOWED_TABLES}


def _differences(connection: Connection, metadata: sa.MetaData) -> set[tuple[str, str, str]]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    found: set[tuple[str, str, str]] = set()
    for diff in compare_metadata(context, metadata):
        # Column changes come as a list of one tuple: (kind, schema, table, column, ...).
        if isinstance(diff, list):
            kind, _, table, column = diff[0][:4]
            found.add((kind, table, column))
        elif diff[0].endswith("_index"):
            found.add((diff[0], diff[1].table.name, diff[1].name))
        else:
            found.add((diff[0], getattr(diff[1], "name", ""), ""))
    return found


async def _schema(settings: Settings, service: str) -> dict[str, list[tuple[Any, ...]]]:
    conn = await asyncpg.connect(settings.service_database_url(service, driver="postgresql"))
    try:
        queries = {
            "columns": "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2",
            "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = 'public' ORDER BY 1, 2",
            "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2",
            "triggers": "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
            "WHERE NOT tgisinternal ORDER BY 1, 2",
            "sequences": "SELECT sequence_name FROM information_schema.sequences ORDER BY 1",
        }
        return {name: [tuple(r) for r in await conn.fetch(sql)] for name, sql in queries.items()}
    finally:
        await conn.close()


@pytest.mark.parametrize("service", SERVICES)
def test_revision_ids_and_graph_stay(settings: Settings, service: str) -> None:
    script = ScriptDirectory.from_config(_config(settings, service))
    graph = {r.revision: r.down_revision for r in script.walk_revisions()}
    assert HISTORIES[service].items() <= graph.items()
    assert graph["kit0002"] == "0001"
    assert graph["kit0003"] == "kit0002"
    assert graph["kit0004"] == "kit0003"
    assert script.get_revision("kit0002").branch_labels == {"kit"}
    heads = set(script.get_heads())
    assert "kit0004" in heads and len(heads) == 2


# Reflection knows no xid8 (the kit's revisions turn tx_id and changed_tx into it in SQL).
@pytest.mark.filterwarnings("ignore:Did not recognize type 'xid8':sqlalchemy.exc.SAWarning")
@pytest.mark.parametrize("service", SERVICES)
async def test_head_is_the_service_tables_and_the_kits(settings: Settings, service: str) -> None:
    metadata = sa.MetaData()
    service_tables = importlib.import_module(f"services.{service}.tables")
    for table in [*kit_tables.metadata.sorted_tables, *service_tables.metadata.sorted_tables]:
        table.to_metadata(metadata)
    engine = create_async_engine(settings.service_database_url(service))
    try:
        async with engine.connect() as connection:
            found = await connection.run_sync(_differences, metadata)
    finally:
        await engine.dispose()
    assert found == KIT_EXTRAS | _service_extras(service)


@pytest.mark.parametrize("service", SERVICES)
async def test_downgrade_to_base_and_back(settings: Settings, service: str) -> None:
    at_head = await _schema(settings, service)
    await asyncio.to_thread(command.downgrade, _config(settings, service), "base")
    emptied = await _schema(settings, service)
    assert [r[0] for r in emptied["columns"]] == ["alembic_version"]
    assert emptied["triggers"] == [] and emptied["sequences"] == []
    await asyncio.to_thread(upgrade, settings, service)
    assert await _schema(settings, service) == at_head
