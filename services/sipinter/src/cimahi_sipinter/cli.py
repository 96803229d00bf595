"""``python -m cimahi_sipinter migrate|serve``: SIPINTER's deploy steps."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cimahi_shared.migrations import upgrade_to_head
from cimahi_sipinter.config import SipinterSettings

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "sipinter_alembic_version"

app = typer.Typer(
    help="SIPINTER: businesses, permit catalogue and permit applications.",
    no_args_is_help=True,
    add_completion=False,
)


def migrate_database(database_url: str) -> None:
    """Apply SIPINTER's migrations to a database."""
    upgrade_to_head(MIGRATIONS, database_url, version_table=VERSION_TABLE)


@app.command()
def migrate() -> None:
    """Apply the migrations (SIPINTER_DATABASE_URL)."""
    migrate_database(SipinterSettings().database_url)
    typer.echo("sipinter: migrations applied")


@app.command()
def seed() -> None:
    """Load the demo businesses, permits and applications (development only; idempotent; run
    after migrate). The permit catalogue is packaged data: nothing to load for it."""
    import asyncio

    from cimahi_sipinter.demo import seed_demo

    for line in asyncio.run(seed_demo(SipinterSettings())):
        typer.echo(line)


@app.command()
def sweep() -> None:
    """Flag applications past their deadline and emit due expiry reminders, once (a scheduler's
    job when SIPINTER_SWEEP_INTERVAL_SECONDS=0)."""
    import asyncio

    from cimahi_sipinter.deadlines.sweep import run_standalone

    result = asyncio.run(run_standalone(SipinterSettings()))
    typer.echo(
        f"sipinter: sweep done ({result.deemed_approved} deemed approved, "
        f"{result.reminders} expiry reminders)"
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8104,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development)")] = False,
) -> None:
    """Run the service with uvicorn."""
    import uvicorn

    uvicorn.run(
        "cimahi_sipinter.main:create_app", factory=True, host=host, port=port, reload=reload
    )
