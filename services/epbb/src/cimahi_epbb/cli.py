"""``python -m cimahi_epbb migrate|seed|generate|rules|serve``: E-PBB's deploy steps and tools."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cimahi_epbb.config import EpbbSettings
from cimahi_shared.migrations import upgrade_to_head

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "epbb_alembic_version"

app = typer.Typer(
    help="E-PBB: property tax objects, bills and payments.",
    no_args_is_help=True,
    add_completion=False,
)
rules_app = typer.Typer(help="Tax-year rules.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


def migrate_database(database_url: str) -> None:
    """Apply E-PBB's migrations to a database."""
    upgrade_to_head(MIGRATIONS, database_url, version_table=VERSION_TABLE)


@app.command()
def migrate() -> None:
    """Apply the migrations (EPBB_DATABASE_URL)."""
    migrate_database(EpbbSettings().database_url)
    typer.echo("epbb: migrations applied")


async def _generate(settings: EpbbSettings, year: int, *, show_progress: bool) -> str:
    from cimahi_epbb.bills.generation import generate_bills
    from cimahi_shared.db import create_engine, create_session_factory, utcnow

    engine = create_engine(settings.database_url, pool_size=1)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    try:
        with Progress(*columns, TimeElapsedColumn(), disable=not show_progress) as bar:
            task = bar.add_task(f"SPPT {year}", total=None)
            result = await generate_bills(
                create_session_factory(engine),
                tax_year=year,
                now=utcnow(),
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    finally:
        await engine.dispose()
    return (
        f"epbb: SPPT {year} (rules v{result.rules_version}): {result.created} created, "
        f"{result.existing} existing, {result.skipped} skipped (unknown value class), "
        f"total principal Rp{result.total_principal:,} in {result.seconds:.2f} s"
    )


@app.command()
def generate(
    year: Annotated[int, typer.Option("--year", help="Tax year")],
    progress: Annotated[bool, typer.Option(help="Show a progress bar")] = True,
) -> None:
    """Generate the bills (SPPT) of a tax year for every active object without one (idempotent)."""
    from cimahi_shared.errors import NotFound

    try:
        line = asyncio.run(_generate(EpbbSettings(), year, show_progress=progress))
    except NotFound as error:
        typer.echo(f"epbb: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(line)


async def _seed(settings: EpbbSettings) -> list[str]:
    from cimahi_epbb.objects.demo import seed_demo_objects
    from cimahi_epbb.rules.service import load_packaged_rules
    from cimahi_shared.db import create_engine, create_session_factory, utcnow

    lines: list[str] = []
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            years = await load_packaged_rules(session, settings, utcnow())
    finally:
        await engine.dispose()
    lines.append(f"epbb: rules loaded for {years} new tax year(s)")
    started = time.perf_counter()
    added = await seed_demo_objects(settings)
    lines.append(
        f"epbb: {added} demo objects loaded in {time.perf_counter() - started:.2f} s"
        if added
        else "epbb: demo objects already loaded"
    )
    for year in settings.demo_tax_years:
        lines.append(await _generate(settings, year, show_progress=False))
    try:
        from cimahi_epbb.payments.demo import (  # type: ignore[import-not-found,unused-ignore]
            seed_demo_channels,
        )
    except ImportError:
        lines.append("epbb: no demo payment channels (cimahi_epbb.payments.demo not there)")
    else:
        channels = await seed_demo_channels(settings)
        lines.append(
            f"epbb: {channels} demo payment channels registered"
            if channels
            else "epbb: demo payment channels already registered"
        )
    return lines


@app.command()
def seed() -> None:
    """Load the rules, the demo objects, their bills and the demo payment channels (development
    only; idempotent; run after migrate)."""
    started = time.perf_counter()
    for line in asyncio.run(_seed(EpbbSettings())):
        typer.echo(line)
    typer.echo(f"epbb: seed done in {time.perf_counter() - started:.2f} s")


async def _rules(settings: EpbbSettings, year: int) -> str:
    from cimahi_epbb.rules.service import list_versions, rules_for
    from cimahi_shared.db import create_engine, create_session_factory

    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with create_session_factory(engine)() as session:
            in_force = await rules_for(session, year)
            versions = await list_versions(session, year)
    finally:
        await engine.dispose()
    history = [
        {"version": v.version, "note": v.note, "created_at": v.created_at.isoformat()}
        for v in versions
    ]
    body = {
        "version": in_force.version,
        "rules": in_force.rules.model_dump(mode="json"),
        "versions": history,
    }
    return json.dumps(body, indent=2, ensure_ascii=False)


@rules_app.command("show")
def rules_show(year: Annotated[int, typer.Option("--year", help="Tax year")]) -> None:
    """Print a tax year's rules in force (JSON) and its versions."""
    from cimahi_shared.errors import NotFound

    try:
        typer.echo(asyncio.run(_rules(EpbbSettings(), year)))
    except NotFound as error:
        typer.echo(f"epbb: {error}", err=True)
        raise typer.Exit(1) from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8103,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development)")] = False,
) -> None:
    """Run the service with uvicorn."""
    import uvicorn

    uvicorn.run("cimahi_epbb.main:create_app", factory=True, host=host, port=port, reload=reload)
