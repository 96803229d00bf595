"""The service starts on a migrated database, answers its health checks, and its migrations
create exactly what the models describe."""

from __future__ import annotations

import asyncio

import httpx
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from cimahi_shared.db import create_engine
from cimahi_shared.events.tables import plumbing_metadata
from cimahi_sipinter import models  # noqa: F401 - registers every table
from cimahi_sipinter.cli import VERSION_TABLE, migrate_database
from cimahi_sipinter.db import Base


async def test_ready_on_a_migrated_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text


async def test_migrations_match_the_models(database_url: str) -> None:
    await asyncio.to_thread(migrate_database, database_url)
    await asyncio.to_thread(migrate_database, database_url)  # a second run is a no-op

    def diff(conn: Connection) -> list[object]:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "version_table": VERSION_TABLE}
        )
        return list(compare_metadata(context, [Base.metadata, plumbing_metadata]))

    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(diff)
    finally:
        await engine.dispose()
    assert differences == []


async def test_own_version_table(database_url: str) -> None:
    await asyncio.to_thread(migrate_database, database_url)
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(c.dialect.get_table_names(c)))
    finally:
        await engine.dispose()
    assert VERSION_TABLE == "sipinter_alembic_version"
    assert {VERSION_TABLE, "businesses", "applications", "permits", "outbox"} <= tables
