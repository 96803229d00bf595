"""Fixtures of the POLAKAMI tests: a running identity provider on a fresh database, driven in-process.

The app is assembled with ``create_service_app`` from the identity router and hooks (the other
gateway parts are tested on their own). Outgoing HTTP goes to an ``httpx.MockTransport``: the
only "network" is the in-process app and the fake external provider a test installs.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.db import Base
from cimahi_gateway.identity import (
    models,  # noqa: F401 - registers the tables on Base.metadata
    service,
)
from cimahi_gateway.identity.router import router
from cimahi_shared.app import Runtime, build_runtime, create_service_app
from cimahi_shared.auth import TokenVerifier, TrustedIssuer
from cimahi_shared.events.tables import plumbing_metadata

BASE_URL = "http://gateway.test"
WEB_CLIENT = "cimahi-web"
WEB_REDIRECT = "http://127.0.0.1:8000/callback"
PASSWORD = "sandi-rahasia-123"
Handler = Callable[[httpx.Request], httpx.Response]

_serials = itertools.count(1)


def make_nik(
    *, day: int = 17, month: int = 8, year: int = 1990, female: bool = False, region: str = "327701"
) -> str:
    """A syntactically valid NIK with a fresh serial."""
    dd = day + 40 if female else day
    return f"{region}{dd:02d}{month:02d}{year % 100:02d}{next(_serials):04d}"


def citizen(**overrides: Any) -> dict[str, Any]:
    """A valid registration body with a fresh NIK, email and phone."""
    n = next(_serials)
    nik = make_nik()
    body: dict[str, Any] = {
        "nik": nik,
        "no_kk": f"327701010120{n % 10_000:04d}",
        "full_name": "Siti Nurhaliza",
        "birth_date": f"1990-08-{nik[6:8]}",
        "email": f"warga{n}@example.com",
        "phone": f"08123{n:07d}",
        "password": PASSWORD,
    }
    body.update(overrides)
    return body


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _no_network(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError(f"no network in tests: {request.url}", request=request)


@dataclass
class Polakami:
    """A running identity provider and helpers to drive it."""

    app: FastAPI
    client: httpx.AsyncClient
    runtime: Runtime
    settings: GatewaySettings

    def session(self) -> AsyncSession:
        """A session on the provider's database (``async with``; commit what you change)."""
        return self.runtime.session_factory()

    async def register(self, **overrides: Any) -> httpx.Response:
        return await self.client.post("/api/v1/auth/register", json=citizen(**overrides))

    async def password_token(
        self,
        username: str,
        password: str = PASSWORD,
        *,
        scope: str | None = "openid profile",
        client_id: str = WEB_CLIENT,
    ) -> httpx.Response:
        data = {"grant_type": "password", "username": username, "password": password}
        data["client_id"] = client_id
        if scope is not None:
            data["scope"] = scope
        return await self.client.post("/oauth/token", data=data)

    async def authorize(
        self, username: str, password: str = PASSWORD, **extra: str
    ) -> tuple[str, str, httpx.Response]:
        """Log in through the authorization endpoint: (code, verifier, response)."""
        verifier, challenge = pkce_pair()
        params = {
            "response_type": "code",
            "client_id": WEB_CLIENT,
            "redirect_uri": WEB_REDIRECT,
            "scope": "openid profile",
            "state": "st-" + secrets.token_hex(4),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **extra,
        }
        response = await self.client.post(
            "/oauth/authorize", data={**params, "username": username, "password": password}
        )
        query = parse_qs(urlsplit(response.headers.get("location", "")).query)
        return query.get("code", [""])[0], verifier, response

    async def exchange_code(
        self, code: str, verifier: str, *, client_id: str = WEB_CLIENT
    ) -> httpx.Response:
        return await self.client.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": WEB_REDIRECT,
                "code_verifier": verifier,
                "client_id": client_id,
            },
        )

    async def refresh(self, refresh_token: str, *, client_id: str = WEB_CLIENT) -> httpx.Response:
        return await self.client.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": client_id,
            },
        )

    def jwks_verifier(self) -> TokenVerifier:
        """A verifier like every agency service has: it fetches ``/.well-known/jwks.json`` over HTTP."""
        issuer = TrustedIssuer(
            self.settings.token_issuer, f"{BASE_URL}/.well-known/jwks.json", "cimahi-api"
        )
        return TokenVerifier([issuer], http=self.client)


StartPolakami = Callable[..., Awaitable[Polakami]]


@pytest.fixture
async def start_polakami(database_url: str) -> AsyncIterator[StartPolakami]:
    """``await start_polakami(handler=None, **settings)``: start a provider (once per test)."""
    async with AsyncExitStack() as stack:

        async def start(handler: Handler | None = None, **overrides: Any) -> Polakami:
            settings = GatewaySettings(
                database_url=database_url, nats_enabled=False, log_json=False, **overrides
            )
            runtime = build_runtime(settings, agency=None)
            await runtime.http.aclose()
            runtime.http = httpx.AsyncClient(transport=httpx.MockTransport(handler or _no_network))
            runtime.verifier = TokenVerifier(
                list(runtime.verifier.issuers.values()), http=runtime.http
            )
            app = create_service_app(
                settings,
                title="POLAKAMI test",
                description="identity provider under test",
                agency=None,
                routers=[router],
                runtime=runtime,
                on_start=[service.on_start],
                on_stop=[service.on_stop],
            )
            async with runtime.engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
                await conn.run_sync(plumbing_metadata.create_all)
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)
            )
            return Polakami(app, client, runtime, settings)

        yield start


@pytest.fixture
async def idp(start_polakami: StartPolakami) -> Polakami:
    """A provider with the default settings."""
    return await start_polakami()


@pytest.fixture
async def registered(idp: Polakami) -> dict[str, Any]:
    """A registered citizen: the registration body plus the response's ``id``."""
    body = citizen()
    response = await idp.client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 201, response.text
    return {**body, "id": response.json()["id"]}


# Test modules cannot import this conftest (importlib import mode): the helpers come as fixtures.


@pytest.fixture(name="citizen")
def citizen_fixture() -> Callable[..., dict[str, Any]]:
    """``citizen(**overrides)`` -> a valid registration body with fresh identifiers."""
    return citizen


@pytest.fixture(name="make_nik")
def make_nik_fixture() -> Callable[..., str]:
    """``make_nik(day=, month=, year=, female=)`` -> a valid NIK."""
    return make_nik


@pytest.fixture(name="pkce_pair")
def pkce_pair_fixture() -> Callable[[], tuple[str, str]]:
    """``pkce_pair()`` -> (verifier, challenge)."""
    return pkce_pair
