"""``python -m cimahi_dilandacinta migrate|seed|serve``: DILANDACINTA's deploy steps and local server."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from cimahi_dilandacinta.config import DilandacintaSettings
from cimahi_shared.migrations import upgrade_to_head

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "dilandacinta_alembic_version"

app = typer.Typer(
    help="DILANDACINTA: population register and documents.",
    no_args_is_help=True,
    add_completion=False,
)


def migrate_database(database_url: str) -> None:
    """Apply DILANDACINTA's migrations to a database."""
    upgrade_to_head(MIGRATIONS, database_url, version_table=VERSION_TABLE)


@app.command()
def migrate() -> None:
    """Apply the migrations (DILANDACINTA_DATABASE_URL)."""
    migrate_database(DilandacintaSettings().database_url)
    typer.echo("dilandacinta: migrations applied")


@app.command()
def seed() -> None:
    """Load the demo register (development only; idempotent; run after migrate)."""
    from cimahi_dilandacinta.register.demo import seed_demo_register

    added = asyncio.run(seed_demo_register(DilandacintaSettings()))
    if added:
        typer.echo(f"dilandacinta: demo register loaded ({added} persons)")
    else:
        typer.echo("dilandacinta: demo register already loaded")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8102,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development)")] = False,
) -> None:
    """Run the service with uvicorn."""
    import uvicorn

    uvicorn.run(
        "cimahi_dilandacinta.main:create_app", factory=True, host=host, port=port, reload=reload
    )
