"""The ``cimahi`` command: run the platform locally, migrate, seed, and manage accounts and clients."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.identity import service as identity
from cimahi_gateway.platform import GATEWAY_PORT, NATS_PORT, SERVICES, PlatformPlan, launch
from cimahi_shared.db import create_engine, create_session_factory
from cimahi_shared.migrations import upgrade_to_head
from cimahi_shared.pii import PiiCipher
from cimahi_shared.supervisor import Supervisor, pick_port, port_is_free

app = typer.Typer(
    help="Kota Cimahi public-services platform.", no_args_is_help=True, add_completion=False
)
user_app = typer.Typer(help="Officer and admin accounts.", no_args_is_help=True)
client_app = typer.Typer(help="Machine clients (client_credentials).", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(client_app, name="client")

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")


def migrate_gateway(database_url: str) -> None:
    """Apply the gateway's migrations."""
    upgrade_to_head(MIGRATIONS, database_url, version_table="gateway_alembic_version")


def _with_session(
    settings: GatewaySettings, work: Callable[[AsyncSession, PiiCipher], Awaitable[T]]
) -> T:
    async def run() -> T:
        engine = create_engine(settings.database_url)
        try:
            async with create_session_factory(engine)() as session:
                result = await work(session, PiiCipher(settings.pii_key.get_secret_value()))
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(run())


@app.command()
def migrate() -> None:
    """Apply the migrations of the gateway and of every agency service (local databases)."""
    settings = GatewaySettings()
    migrate_gateway(settings.database_url)
    for svc in SERVICES:
        _run_module(svc.module, "migrate")
    typer.echo("migrations applied")


@app.command()
def seed() -> None:
    """Load demo data: demo accounts in the gateway, catalogues in the services."""
    settings = GatewaySettings()
    _with_session(settings, lambda s, pii: identity.ensure_demo_users(s, pii))
    for svc in SERVICES:
        _run_module(svc.module, "seed")
    typer.echo("demo data loaded")


def _run_module(module: str, *args: str) -> None:
    import subprocess

    code = subprocess.call([sys.executable, "-m", module, *args])
    if code != 0:
        raise typer.Exit(code)


@user_app.command("create-officer")
def create_officer(
    username: Annotated[str, typer.Option(help="Login name, e.g. petugas.melong")],
    full_name: Annotated[str, typer.Option(help="Full name")],
    agency: Annotated[str, typer.Option(help="Agency code, e.g. lakami")],
    area: Annotated[
        str,
        typer.Option(
            help="The city (32.77), a kecamatan (32.77.01) or a kelurahan (32.77.01.1001)"
        ),
    ],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    position: Annotated[
        str | None, typer.Option(help='Position in the agency, e.g. "head" (signs documents)')
    ] = None,
) -> None:
    """Create an officer of an agency, working in the city, a kecamatan or a kelurahan."""
    settings = GatewaySettings()
    user = _with_session(
        settings,
        lambda s, pii: identity.create_officer(
            s,
            username=username,
            password=password,
            full_name=full_name,
            agency=agency,
            area=area,
            position=position,
            pii=pii,
        ),
    )
    typer.echo(f"officer created: {user.id}")


@user_app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Option(help="Login name")],
    full_name: Annotated[str, typer.Option(help="Full name")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Create a platform administrator."""
    settings = GatewaySettings()
    user = _with_session(
        settings,
        lambda s, pii: identity.create_admin(
            s, username=username, password=password, full_name=full_name
        ),
    )
    typer.echo(f"admin created: {user.id}")


@client_app.command("create")
def create_client(
    client_id: Annotated[str, typer.Option(help="Client id, e.g. bank-bjb")],
    name: Annotated[str, typer.Option(help="Display name")],
    scope: Annotated[list[str], typer.Option(help="Allowed scope (repeatable)")],
) -> None:
    """Create a machine client for client_credentials; its secret is shown once."""
    settings = GatewaySettings()
    client, secret = _with_session(
        settings,
        lambda s, pii: identity.create_client(s, client_id=client_id, name=name, scopes=scope),
    )
    typer.echo(
        f"client_id:     {client.client_id}\nclient_secret: {secret}\n(store the secret now: it is not shown again)"
    )


@app.command("nats-account")
def nats_account(
    client_id: Annotated[str, typer.Argument(help="The integrator's machine client id")],
    new_password: Annotated[
        bool, typer.Option(help="Also generate its NATS password (printed once, on stderr)")
    ] = False,
) -> None:
    """Print a registered integrator's NATS account for deploy/nats/integrators.conf."""
    from cimahi_gateway.integrations import nats_access
    from cimahi_shared.errors import ProblemError

    settings = GatewaySettings()
    try:
        integrator = _with_session(
            settings, lambda s, _pii: nats_access.active_integrator(s, client_id)
        )
        snippet = nats_access.account_config(integrator)
    except ProblemError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(snippet, nl=False)
    if new_password:
        typer.echo(
            f"# nats-server environment: {nats_access.password_variable(integrator)}="
            f"{nats_access.new_password()}\n# (give the integrator this password for user "
            f"{client_id}; it is not shown again)",
            err=True,
        )


@app.command()
def run(
    var_dir: Annotated[
        Path, typer.Option(help="Where local state lives (SQLite files, NATS store)")
    ] = Path("var"),
    gateway_port: Annotated[int, typer.Option(help="Gateway port")] = GATEWAY_PORT,
) -> None:
    """Start NATS, every agency service and the gateway on SQLite; Ctrl-C stops everything."""
    var_dir = var_dir.resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    if not port_is_free(gateway_port):
        typer.echo(
            f"port {gateway_port} is taken: stop what runs there or pass --gateway-port", err=True
        )
        raise typer.Exit(1)
    sup = Supervisor()
    stop_requested: list[int] = []
    started: list[bool] = []

    def on_signal(signum: int, _frame: Any) -> None:
        # Only record it: taking a lock here (threading.Event.set) can deadlock the main thread.
        stop_requested.append(signum)
        if not started:
            raise KeyboardInterrupt  # still starting: abandon start-up, the finally block stops what runs

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        plan = local_plan(var_dir, gateway_port)
        launch(sup, plan)
        print_banner(sup, plan)
        started.append(True)
        while not stop_requested:
            for name, managed in list(sup.managed.items()):
                if managed.proc.poll() is not None:
                    sup.say(
                        f"{name} exited with code {managed.proc.returncode}; stopping the platform"
                    )
                    stop_requested.append(0)
            time.sleep(0.2)
    except KeyboardInterrupt:
        sup.say("interrupted during start-up")
    except (RuntimeError, TimeoutError) as exc:
        sup.say(f"start-up failed: {exc}")
        raise typer.Exit(1) from exc
    finally:
        sup.say("stopping...")
        sup.stop_all()
        sup.say("stopped.")


def local_plan(var_dir: Path, gateway_port: int) -> PlatformPlan:
    """The local platform: preferred ports when free, SQLite files in ``var_dir``."""
    return PlatformPlan(
        var_dir=var_dir,
        gateway_port=gateway_port,
        nats_port=pick_port(NATS_PORT),
        service_ports={svc.code: pick_port(svc.port) for svc in SERVICES},
    )


def print_banner(sup: Supervisor, plan: PlatformPlan) -> None:
    """Print where everything is and how to log in."""
    url = plan.gateway_url
    lines = [
        "",
        "=" * 72,
        " Kota Cimahi public-services platform is running",
        "=" * 72,
        f" Gateway (the one front door)   {url}",
        f"   API docs                     {url}/docs",
        f"   OpenID configuration         {url}/.well-known/openid-configuration",
        f"   Your requests (unified)      {url}/api/v1/requests",
    ]
    for svc in SERVICES:
        lines.append(f" {svc.name}")
        lines.append(
            f"   via gateway {url}/api/{svc.code}/   direct {plan.service_url(svc.code)}/docs"
        )
    lines.append(f" NATS JetStream                 {plan.nats_url}")
    lines.append("")
    lines.append(" Demo logins (password grant: client_id=cimahi-web):")
    for login in identity.DEMO_LOGINS:
        lines.append(
            f"   {login.role:<8} {login.username:<22} {login.password:<18} {login.description}"
        )
    lines.append("")
    lines.append(" Demo payment channels of E-PBB (client_credentials at /oauth/token):")
    for client in identity.DEMO_CLIENTS:
        lines.append(
            f"   {client.client_id:<14} {client.secret:<30} scope {' '.join(client.scopes)}"
            f"  {client.description}"
        )
    lines.append("   Callback signing secrets and the payment protocol: docs/epbb.md")
    lines.append("")
    lines.append(" Demo levy channel of SIPINTER (same machine client bank-bjb-demo):")
    lines.append("   Callback signing secret and the levy payment protocol: docs/sipinter.md")
    lines += ["", " Ctrl-C stops everything.", "=" * 72, ""]
    sup.say("\n".join(lines))


@app.command("events-doc")
def events_doc(
    output: Annotated[Path, typer.Option(help="The page to update")] = Path("docs/events.md"),
    check: Annotated[bool, typer.Option(help="Only check that it is current")] = False,
) -> None:
    """Regenerate the event catalogue of docs/events.md from the running services' catalogues."""
    from cimahi_gateway.integrations import asyncapi

    merged = asyncio.run(asyncapi.events_doc_from_upstreams(GatewaySettings()))
    if merged.missing:
        for missing in merged.missing:
            typer.echo(f"error: {missing.agency}: {missing.reason}", err=True)
        raise typer.Exit(1)
    current = asyncapi.write_events_doc(output, merged, check=check)
    if check and not current:
        typer.echo(f"{output} is out of date: run `cimahi events-doc`", err=True)
        raise typer.Exit(1)
    typer.echo(f"{output} is current" if current else f"{output} updated")


if __name__ == "__main__":
    app()
