"""E-PBB test fixtures: a migrated database (SQLite and PostgreSQL), the app, signed tokens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cimahi_epbb.cli import migrate_database
from cimahi_epbb.config import EpbbSettings
from cimahi_epbb.main import create_app
from cimahi_shared.testing.fixtures import migrated_copy
from cimahi_shared.testing.tokens import Tokens as GatewayTokens

CITY = "32.77"
MELONG = "32.77.01.1001"
CIBABAT = "32.77.03.1002"
KID = "epbb-test-key"


class Tokens(GatewayTokens):
    """Gateway-shaped access tokens; officers are Bapenda's, city-wide, by default."""

    agency = "epbb"
    default_area = CITY
    officer_name = "Rina Marlina"
    machine_scope = "epbb:channel"
    kid = KID


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    """The test database with E-PBB's real migrations applied."""
    return await asyncio.to_thread(
        migrated_copy, database_url, key="epbb", prepare=migrate_database
    )


@pytest.fixture
def settings(migrated_url: str) -> EpbbSettings:
    return EpbbSettings(
        database_url=migrated_url,
        nats_enabled=False,
        log_json=False,
    )


@pytest.fixture
def tokens(settings: EpbbSettings) -> Tokens:
    return Tokens(settings.token_issuer, settings.token_audience)


@pytest.fixture
async def app(settings: EpbbSettings, tokens: Tokens) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    application.state.runtime.verifier.set_local_keys(settings.token_issuer, tokens.jwks)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://epbb.test") as c:
        yield c


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem of ``status`` and return it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def error_fields(response: httpx.Response) -> set[str]:
    """The fields named by a 422 problem."""
    return {e["field"] for e in problem(response, 422)["errors"]}


@pytest.fixture
async def session(app: FastAPI) -> AsyncIterator[Any]:
    """A session on the app's database (commit what the test sets up)."""
    async with app.state.runtime.session_factory() as s:
        yield s
