"""LAKAMI test fixtures: a migrated database (SQLite and PostgreSQL), the app, signed tokens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cimahi_lakami.cli import migrate_database, seed_catalogue
from cimahi_lakami.config import LakamiSettings
from cimahi_lakami.main import create_app
from cimahi_shared.testing.fixtures import migrated_copy
from cimahi_shared.testing.problems import error_fields as error_fields
from cimahi_shared.testing.problems import problem as problem
from cimahi_shared.testing.tokens import Tokens as GatewayTokens

MELONG = "32.77.01.1001"
CIBABAT = "32.77.03.1002"
NIK = "3277015205900011"  # woman born 12 May 1990, registered in Cimahi Selatan
NO_KK = "3277011205900011"
KID = "lakami-test-key"


class Tokens(GatewayTokens):
    """Gateway-shaped access tokens; officers are LAKAMI's, in Melong, by default."""

    agency = "lakami"
    default_area = MELONG
    officer_name = "Ujang Suherman"
    kid = KID


def letter_body(**overrides: Any) -> dict[str, Any]:
    """A valid request for a surat keterangan domisili in Melong."""
    today = datetime.now(UTC).date()
    body: dict[str, Any] = {
        "letter_type": "domisili",
        "nik": NIK,
        "no_kk": NO_KK,
        "full_name": "Rina Marlina",
        "kelurahan_code": MELONG,
        "rt": "3",
        "rw": "007",
        "cover_letter_number": "012/RT03/2026",
        "cover_letter_date": (today - timedelta(days=3)).isoformat(),
        "purpose": "Persyaratan pembukaan rekening bank",
        "fields": {"address": "Jl. Melong Asih No. 12", "resident_since": "2015-03-01"},
    }
    body.update(overrides)
    return body


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    """The test database with LAKAMI's real migrations applied and the catalogue seeded."""
    return await asyncio.to_thread(
        migrated_copy, database_url, key="lakami", prepare=_migrate_and_seed
    )


def _migrate_and_seed(database_url: str) -> None:
    migrate_database(database_url)
    asyncio.run(seed_catalogue(database_url))


@pytest.fixture
def settings(migrated_url: str) -> LakamiSettings:
    return LakamiSettings(database_url=migrated_url, nats_enabled=False, log_json=False)


@pytest.fixture
def tokens(settings: LakamiSettings) -> Tokens:
    return Tokens(settings.token_issuer, settings.token_audience)


@pytest.fixture
async def app(settings: LakamiSettings, tokens: Tokens) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    application.state.runtime.verifier.set_local_keys(settings.token_issuer, tokens.jwks)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://lakami.test") as c:
        yield c
