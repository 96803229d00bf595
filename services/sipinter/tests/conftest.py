"""SIPINTER test fixtures: a migrated database (SQLite and PostgreSQL), the app, signed tokens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cimahi_shared.testing.fixtures import migrated_copy
from cimahi_shared.testing.problems import error_fields as error_fields
from cimahi_shared.testing.problems import problem as problem
from cimahi_shared.testing.tokens import Tokens as GatewayTokens
from cimahi_sipinter.cli import migrate_database
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.main import create_app

CITY = "32.77"
MELONG = "32.77.01.1001"
CIBABAT = "32.77.03.1002"
KID = "sipinter-test-key"


class Tokens(GatewayTokens):
    """Gateway-shaped access tokens; officers are DPMPTSP's, city-wide, by default."""

    agency = "sipinter"
    default_area = CITY
    officer_name = "Dedi Kurniawan"
    kid = KID


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    """The test database with SIPINTER's real migrations applied."""
    return await asyncio.to_thread(
        migrated_copy, database_url, key="sipinter", prepare=migrate_database
    )


@pytest.fixture
def settings(migrated_url: str) -> SipinterSettings:
    return SipinterSettings(
        database_url=migrated_url,
        nats_enabled=False,
        log_json=False,
    )


@pytest.fixture
def tokens(settings: SipinterSettings) -> Tokens:
    return Tokens(settings.token_issuer, settings.token_audience)


@pytest.fixture
async def app(settings: SipinterSettings, tokens: Tokens) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    application.state.runtime.verifier.set_local_keys(settings.token_issuer, tokens.jwks)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sipinter.test") as c:
        yield c


@pytest.fixture
async def session(app: FastAPI) -> AsyncIterator[Any]:
    """A session on the app's database (commit what the test sets up)."""
    async with app.state.runtime.session_factory() as s:
        yield s
