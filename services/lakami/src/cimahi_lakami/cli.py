"""``python -m cimahi_lakami migrate|seed|serve``: LAKAMI's deploy steps and local server."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from cimahi_lakami.catalogue.service import sync_catalogue
from cimahi_lakami.complaints import repository as complaints_repository
from cimahi_lakami.complaints.categories import CATEGORIES
from cimahi_lakami.complaints.service import create_api_key
from cimahi_lakami.config import LakamiSettings
from cimahi_shared.db import create_engine, create_session_factory, utcnow
from cimahi_shared.migrations import upgrade_to_head

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "lakami_alembic_version"
DEMO_OPEN311_KEY_NAME = "demo"
# Development only: a fixed, documented demo key so `make run` users can try Open311 at once.
DEMO_OPEN311_KEY = "o311_demo_cimahi_local_only"

app = typer.Typer(help="LAKAMI: kelurahan letters.", no_args_is_help=True, add_completion=False)


def migrate_database(database_url: str) -> None:
    """Apply LAKAMI's migrations to a database."""
    upgrade_to_head(MIGRATIONS, database_url, version_table=VERSION_TABLE)


async def seed_catalogue(database_url: str) -> int:
    """Write the letter catalogue (service standards) into the database; idempotent."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            return await sync_catalogue(session)
    finally:
        await engine.dispose()


async def seed_open311_demo_key(database_url: str) -> bool:
    """Create the demo Open311 API key when it does not exist yet; True when created."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            if await complaints_repository.find_api_key_by_name(session, DEMO_OPEN311_KEY_NAME):
                return False
            await create_api_key(
                session,
                name=DEMO_OPEN311_KEY_NAME,
                created_by="seed",
                now=utcnow(),
                raw=DEMO_OPEN311_KEY,
            )
            return True
    finally:
        await engine.dispose()


@app.command()
def migrate() -> None:
    """Apply the migrations (LAKAMI_DATABASE_URL)."""
    migrate_database(LakamiSettings().database_url)
    typer.echo("lakami: migrations applied")


@app.command()
def seed() -> None:
    """Publish the letter catalogue and the demo Open311 key (idempotent; run after migrate)."""
    count = asyncio.run(seed_catalogue(LakamiSettings().database_url))
    typer.echo(f"lakami: {count} letter types in the catalogue")
    typer.echo(f"lakami: {len(CATEGORIES)} complaint categories (Open311 services)")
    settings = LakamiSettings()
    if settings.environment == "development":
        asyncio.run(seed_open311_demo_key(settings.database_url))
        typer.echo(f"lakami: demo Open311 api_key (development only): {DEMO_OPEN311_KEY}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8101,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development)")] = False,
) -> None:
    """Run the service with uvicorn."""
    import uvicorn

    uvicorn.run("cimahi_lakami.main:create_app", factory=True, host=host, port=port, reload=reload)
