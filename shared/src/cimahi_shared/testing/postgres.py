"""A throwaway PostgreSQL database per test run (skipped without PostgreSQL unless it is required)."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

ADMIN_DSN_ENV = "CIMAHI_TEST_POSTGRES_DSN"
REQUIRE_ENV = "CIMAHI_REQUIRE_POSTGRES"
DEFAULT_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_required() -> bool:
    """Whether a missing PostgreSQL must fail the run (CI) instead of skipping its tests."""
    return os.environ.get(REQUIRE_ENV, "") in ("1", "true", "yes")


def admin_dsn() -> str:
    return os.environ.get(ADMIN_DSN_ENV, DEFAULT_ADMIN_DSN)


async def _run(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def postgres_available() -> bool:
    """Whether the admin DSN answers."""
    try:
        asyncio.run(_run(admin_dsn(), "SELECT 1"))
        return True
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False


@contextmanager
def throwaway_database(prefix: str = "cimahi_test") -> Iterator[str]:
    """Create a fresh database and yield its ``postgresql+asyncpg://`` URL; drop it afterwards."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    dsn = admin_dsn()
    asyncio.run(_run(dsn, f'CREATE DATABASE "{name}"'))
    base, _, _ = dsn.rpartition("/")
    try:
        yield base.replace("postgresql://", "postgresql+asyncpg://", 1) + "/" + name
    finally:
        asyncio.run(_run(dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
