"""``python -m cimahi_gateway migrate|seed``: the gateway's own deploy steps (used by ``cimahi run``)."""

import typer

from cimahi_gateway.cli import _with_session, migrate_gateway
from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.identity import service as identity

app = typer.Typer(no_args_is_help=True, add_completion=False)


@app.command()
def migrate() -> None:
    """Apply the gateway's migrations."""
    migrate_gateway(GatewaySettings().database_url)


@app.command()
def seed() -> None:
    """Create the demo accounts (idempotent)."""
    _with_session(GatewaySettings(), lambda s, pii: identity.ensure_demo_users(s, pii))


if __name__ == "__main__":
    app()
