"""``python -m cimahi_epbb migrate|seed|generate|serve``: E-PBB's deploy steps and local server."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from cimahi_epbb.config import EpbbSettings
from cimahi_shared.migrations import upgrade_to_head

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "epbb_alembic_version"

app = typer.Typer(
    help="E-PBB: property tax objects, bills and payments.",
    no_args_is_help=True,
    add_completion=False,
)


def migrate_database(database_url: str) -> None:
    """Apply E-PBB's migrations to a database."""
    upgrade_to_head(MIGRATIONS, database_url, version_table=VERSION_TABLE)


@app.command()
def migrate() -> None:
    """Apply the migrations (EPBB_DATABASE_URL)."""
    migrate_database(EpbbSettings().database_url)
    typer.echo("epbb: migrations applied")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8103,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development)")] = False,
) -> None:
    """Run the service with uvicorn."""
    import uvicorn

    uvicorn.run("cimahi_epbb.main:create_app", factory=True, host=host, port=port, reload=reload)


# `seed` (rules, demo objects, bills, demo channels) and `generate` (bills of a tax year, with a
# progress bar) are added by cimahi_epbb.bills.generation / objects.demo (issue 6, in progress).
_ = asyncio
