"""The connection pool: a connection that died while pooled is replaced, not handed out."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from cimahi_shared import db
from cimahi_shared.db import create_engine


async def _backend_pid(engine: db.AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


@pytest.mark.parametrize("idle", [False, True])
async def test_a_pooled_connection_killed_by_the_server_is_replaced(
    database_url: str, monkeypatch: pytest.MonkeyPatch, idle: bool
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only (SQLite has no server to lose)")
    if idle:  # every checkout counts as "idle": the pool pings (as pool_pre_ping did)
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", -1.0)
    engine = create_engine(database_url, pool_size=1)
    other = create_engine(database_url, pool_size=1)
    try:
        pid = await _backend_pid(engine)
        async with other.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        # asyncpg notices the closed socket as soon as the event loop has read it (a request
        # arriving later); a connection idle for longer is pinged as well.
        await asyncio.sleep(0.2)
        # The next checkout must not fail: the dead connection is noticed and replaced.
        assert await _backend_pid(engine) != pid
    finally:
        await engine.dispose()
        await other.dispose()
