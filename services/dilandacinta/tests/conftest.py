"""DILANDACINTA test fixtures: a migrated database (SQLite and PostgreSQL), the app, signed tokens."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from jwt.algorithms import OKPAlgorithm
from ulid import ULID

from cimahi_dilandacinta.cli import migrate_database
from cimahi_dilandacinta.config import DilandacintaSettings
from cimahi_dilandacinta.main import create_app

CITY = "32.77"
MELONG = "32.77.01.1001"
CIBABAT = "32.77.03.1002"
KID = "dilandacinta-test-key"


class Tokens:
    """Signs access tokens the way the gateway does (EdDSA, claims of docs/architecture.md)."""

    def __init__(self, issuer: str, audience: str) -> None:
        self.issuer = issuer
        self.audience = audience
        self.key = Ed25519PrivateKey.generate()
        public = OKPAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        self.jwks = {"keys": [{**public, "kid": KID, "alg": "EdDSA", "use": "sig"}]}

    def sign(self, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "typ": "access",
            "iat": now,
            "exp": now + 900,
            "jti": str(ULID()),
            **claims,
        }
        return jwt.encode(payload, self.key, algorithm="EdDSA", headers={"kid": KID})

    def headers(self, **claims: Any) -> dict[str, str]:
        return {"Authorization": "Bearer " + self.sign(**claims)}

    def citizen(self, sub: str | None = None) -> dict[str, str]:
        return self.headers(sub=sub or str(ULID()), role="citizen")

    def officer(
        self,
        area: str = CITY,
        *,
        agency: str = "dilandacinta",
        sub: str | None = None,
        position: str | None = None,
    ) -> dict[str, str]:
        claims: dict[str, Any] = {
            "sub": sub or str(ULID()),
            "role": "officer",
            "agency": agency,
            "area": area,
            "name": "Dewi Kurniasih",
        }
        if position is not None:
            claims["position"] = position
        return self.headers(**claims)

    def head(self, area: str = CITY) -> dict[str, str]:
        """The head of Dinas (signs documents)."""
        return self.officer(area, position="head", sub=str(ULID()))

    def admin(self) -> dict[str, str]:
        return self.headers(sub=str(ULID()), role="admin")

    def machine(
        self, client_id: str = "gateway", scope: str = "dilandacinta:identity.match"
    ) -> dict[str, str]:
        """A machine client's token (client_credentials), e.g. the gateway's."""
        return self.headers(sub=client_id, role="client", client_id=client_id, scope=scope)


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    """The test database with DILANDACINTA's real migrations applied."""
    await asyncio.to_thread(migrate_database, database_url)
    return database_url


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
