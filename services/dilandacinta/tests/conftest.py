"""DILANDACINTA test fixtures: a migrated database (SQLite and PostgreSQL), the app, signed tokens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cimahi_dilandacinta.cli import migrate_database
from cimahi_dilandacinta.config import DilandacintaSettings
from cimahi_dilandacinta.main import create_app
from cimahi_shared.testing.fixtures import migrated_copy
from cimahi_shared.testing.problems import error_fields as error_fields
from cimahi_shared.testing.problems import problem as problem
from cimahi_shared.testing.tokens import Tokens as GatewayTokens

CITY = "32.77"
MELONG = "32.77.01.1001"
CIBABAT = "32.77.03.1002"
KID = "dilandacinta-test-key"


class Tokens(GatewayTokens):
    """Gateway-shaped access tokens; officers are Disdukcapil's, city-wide, by default."""

    agency = "dilandacinta"
    default_area = CITY
    officer_name = "Dewi Kurniasih"
    machine_scope = "dilandacinta:identity.match"
    kid = KID


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    """The test database with DILANDACINTA's real migrations applied."""
    return await asyncio.to_thread(
        migrated_copy, database_url, key="dilandacinta", prepare=migrate_database
    )


@pytest.fixture
def settings(migrated_url: str, tmp_path: Any) -> DilandacintaSettings:
    return DilandacintaSettings(
        database_url=migrated_url,
        nats_enabled=False,
        log_json=False,
        upload_dir=str(tmp_path / "uploads"),
    )


@pytest.fixture
def tokens(settings: DilandacintaSettings) -> Tokens:
    return Tokens(settings.token_issuer, settings.token_audience)


@pytest.fixture
async def app(settings: DilandacintaSettings, tokens: Tokens) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    application.state.runtime.verifier.set_local_keys(settings.token_issuer, tokens.jwks)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://dilandacinta.test") as c:
        yield c
