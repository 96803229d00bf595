"""The service starts on a migrated database, answers its health checks, and its migrations
create exactly what the models describe."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from cimahi_epbb import models  # noqa: F401 - registers every table
from cimahi_epbb.cli import VERSION_TABLE, migrate_database
from cimahi_epbb.db import Base
from cimahi_shared.db import create_engine
from cimahi_shared.events.tables import plumbing_metadata
from services.epbb.tests.factories import add_bill, add_object, load_rules


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


async def test_factories_make_an_object_and_its_bill(session: Any, app: Any) -> None:
    await load_rules(session)
    obj = await add_object(session, app.state.runtime.pii)
    bill = await add_bill(session, obj)
    await session.commit()
    assert bill.principal == 453_924  # 0.09% x 80% x (Rp645,450,000 - Rp15,000,000)
