"""The gateway's Alembic migrations create exactly what the models describe."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from cimahi_gateway import models  # noqa: F401 - registers every table
from cimahi_gateway.cli import migrate_gateway
from cimahi_gateway.db import Base
from cimahi_shared.db import create_engine
from cimahi_shared.events.tables import plumbing_metadata


class TestMigrations:
    async def test_upgrade_head_matches_the_models(self, database_url: str) -> None:
        await asyncio.to_thread(migrate_gateway, database_url)
        await asyncio.to_thread(migrate_gateway, database_url)  # a second run is a no-op

        def diff(conn: Connection) -> list[object]:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "version_table": "gateway_alembic_version"}
            )
            return list(compare_metadata(context, [Base.metadata, plumbing_metadata]))

        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                differences = await conn.run_sync(diff)
        finally:
            await engine.dispose()
        assert differences == []
