"""Every service and the gateway as in-process apps on migrated SQLite, with local signing keys.

Shared by the OWASP tests of ``tests/security`` (JWT attacks, function-level authorization,
errors and headers): ``running(name, tmp_path)`` yields an ``InProcess`` whose ``client`` talks
to the app through ``httpx.ASGITransport`` and whose ``tokens`` sign access tokens the app
trusts (``install_keys=False`` leaves the verifier without keys: a JWKS fetch is then needed).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp

from cimahi_shared.testing.fixtures import migrated_copy
from cimahi_shared.testing.processes import free_port
from cimahi_shared.testing.tokens import Tokens

SERVICES = ("lakami", "dilandacinta", "epbb", "sipinter")
APPS = (*SERVICES, "gateway")


@dataclass
class InProcess:
    """One running app: its ASGI entry, its FastAPI app, a client, and tokens it trusts."""

    name: str
    asgi: ASGIApp
    api: FastAPI
    client: httpx.AsyncClient
    tokens: Tokens
    settings: Any


def _service_parts(name: str) -> tuple[Callable[[str], None], Any, Callable[[Any], Any]]:
    if name == "lakami":
        from cimahi_lakami.cli import migrate_database as lakami_migrate
        from cimahi_lakami.config import LakamiSettings
        from cimahi_lakami.main import create_app as lakami_app

        return lakami_migrate, LakamiSettings, lakami_app
    if name == "dilandacinta":
        from cimahi_dilandacinta.cli import migrate_database as dil_migrate
        from cimahi_dilandacinta.config import DilandacintaSettings
        from cimahi_dilandacinta.main import create_app as dil_app

        return dil_migrate, DilandacintaSettings, dil_app
    if name == "epbb":
        from cimahi_epbb.cli import migrate_database as epbb_migrate
        from cimahi_epbb.config import EpbbSettings
        from cimahi_epbb.main import create_app as epbb_app

        return epbb_migrate, EpbbSettings, epbb_app
    if name == "sipinter":
        from cimahi_sipinter.cli import migrate_database as sip_migrate
        from cimahi_sipinter.config import SipinterSettings
        from cimahi_sipinter.main import create_app as sip_app

        return sip_migrate, SipinterSettings, sip_app
    if name == "gateway":
        from cimahi_gateway.cli import migrate_gateway
        from cimahi_gateway.config import GatewaySettings
        from cimahi_gateway.main import create_app as gateway_app

        return migrate_gateway, GatewaySettings, gateway_app
    raise ValueError(name)


def build(name: str, tmp_path: Path, **overrides: Any) -> tuple[ASGIApp, FastAPI, Any, Tokens]:
    """Create (not start) the app ``name`` on a migrated copy of its database."""
    migrate, settings_class, create_app = _service_parts(name)
    url = f"sqlite+aiosqlite:///{tmp_path / f'{name}.sqlite3'}"
    migrated_copy(url, key=f"security-{name}", prepare=migrate)
    values: dict[str, Any] = {
        "database_url": url,
        "nats_enabled": False,
        "log_json": False,
        # Nothing listens there: an unknown key can never be fetched from anywhere.
        "jwks_url": f"http://127.0.0.1:{free_port()}/.well-known/jwks.json",
    }
    if name in ("lakami", "dilandacinta", "sipinter"):
        values["upload_dir"] = str(tmp_path / f"{name}-uploads")
    if name == "gateway":
        values["upstreams"] = {agency: f"http://127.0.0.1:{free_port()}" for agency in SERVICES}
    values.update(overrides)
    settings = settings_class(**values)
    asgi = create_app(settings)
    api: FastAPI = getattr(asgi, "app", asgi)
    tokens = Tokens(settings.token_issuer, settings.token_audience)
    tokens.agency = name if name != "gateway" else "lakami"
    return asgi, api, settings, tokens


@asynccontextmanager
async def running(
    name: str, tmp_path: Path, *, install_keys: bool = True, **overrides: Any
) -> AsyncIterator[InProcess]:
    """Start the app ``name`` (lifespan) and yield it with a client and trusted tokens."""
    asgi, api, settings, tokens = await asyncio.to_thread(build, name, tmp_path, **overrides)
    async with api.router.lifespan_context(api):
        if install_keys:
            api.state.runtime.verifier.set_local_keys(settings.token_issuer, tokens.jwks)
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{name}.test") as c:
            yield InProcess(name, asgi, api, c, tokens, settings)
