"""Alembic helpers: each service keeps its own migrations and version table; these run them."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from cimahi_shared.db import is_sqlite_url


def alembic_config(script_location: Path, database_url: str, *, version_table: str) -> Config:
    """An Alembic config for a service's migrations folder and database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    cfg.set_main_option("version_table", version_table)
    return cfg


def upgrade_to_head(script_location: Path, database_url: str, *, version_table: str) -> None:
    """Apply every pending migration (creates the SQLite file's folder when needed)."""
    if is_sqlite_url(database_url):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(
        alembic_config(script_location, database_url, version_table=version_table), "head"
    )


def run_env(target_metadata: list[MetaData]) -> None:
    """Body of a service's ``migrations/env.py``: run online migrations on the async engine."""
    cfg = context.config
    url = cfg.get_main_option("sqlalchemy.url") or os.environ.get(
        cfg.get_main_option("url_env") or "", ""
    )
    version_table = cfg.get_main_option("version_table") or "alembic_version"
    if not url:
        raise RuntimeError("no database URL: set sqlalchemy.url or the variable named by url_env")

    def do_run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table=version_table,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as conn:
            await conn.run_sync(do_run)
            await conn.commit()
        await engine.dispose()

    asyncio.run(run_async())
