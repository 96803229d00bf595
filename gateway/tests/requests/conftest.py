"""Fixtures of the unified request status tests: a database with the tables, an app, tokens, events."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from jwt.algorithms import OKPAlgorithm
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.db import Base
from cimahi_gateway.requests import models  # noqa: F401 - registers the tables on Base.metadata
from cimahi_gateway.requests.projection import apply_lifecycle
from cimahi_gateway.requests.router import router
from cimahi_shared.app import create_service_app
from cimahi_shared.events.consumer import apply_events
from cimahi_shared.events.envelope import CloudEvent
from cimahi_shared.events.lifecycle import RequestLifecycleV1, UnifiedStatus, lifecycle_event
from cimahi_shared.events.tables import plumbing_metadata

KID = "test-key-1"
SIGNING_KEY = Ed25519PrivateKey.generate()
JWKS = {
    "keys": [
        {
            **OKPAlgorithm.to_jwk(SIGNING_KEY.public_key(), as_dict=True),
            "kid": KID,
            "use": "sig",
            "alg": "EdDSA",
        }
    ]
}
BASE_TIME = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


async def create_tables(engine: AsyncEngine) -> None:
    """The gateway's status tables and the plumbing tables (migrations come later)."""
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        await conn.run_sync(plumbing_metadata.create_all)


def make_event(
    tracking_no: str,
    sequence: int,
    status: UnifiedStatus | str = UnifiedStatus.SUBMITTED,
    *,
    owner_sub: str = "citizen-a",
    agency: str = "lakami",
    area: str | None = "32.77.01.1001",
    submitted_at: datetime | None = BASE_TIME,
    occurred_at: datetime | None = None,
    note: str | None = None,
    title: str = "Surat keterangan domisili",
) -> CloudEvent:
    """A lifecycle CloudEvent as an agency's outbox would publish it."""
    status = UnifiedStatus(status)
    payload = RequestLifecycleV1(
        tracking_no=tracking_no,
        agency=agency,
        request_kind="letter.domisili",
        title=title,
        owner_sub=owner_sub,
        area=area,
        agency_status=f"{status.value}-{sequence}",
        status=status,
        note=note,
        occurred_at=occurred_at or (submitted_at or BASE_TIME).replace(second=sequence % 60),
        sequence=sequence,
        submitted_at=submitted_at,
    )
    return lifecycle_event(source=f"/{agency}", payload=payload)


async def project(
    factory: async_sessionmaker[AsyncSession],
    events: Sequence[CloudEvent],
    *,
    consumer: str = "test",
) -> int:
    """Apply events as the durable consumer does: one transaction, processed ids recorded."""
    return await apply_events(factory, consumer=consumer, events=events, handler=apply_lifecycle)


def token(
    role: str,
    sub: str | None = None,
    *,
    issuer: str = "http://127.0.0.1:8000",
    **claims: Any,
) -> str:
    """A signed access token as the gateway issues it."""
    now = int(time.time())
    body = {
        "iss": issuer,
        "aud": "cimahi-api",
        "typ": "access",
        "sub": sub or f"{role}-{uuid.uuid4().hex[:8]}",
        "role": role,
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        **claims,
    }
    return jwt.encode(body, SIGNING_KEY, algorithm="EdDSA", headers={"kid": KID})


def auth(role: str, sub: str | None = None, **claims: Any) -> dict[str, str]:
    """Authorization header for a caller."""
    return {"Authorization": "Bearer " + token(role, sub, **claims)}


@dataclass
class StatusApi:
    """A running status API on a fresh database."""

    app: FastAPI
    client: httpx.AsyncClient
    session_factory: async_sessionmaker[AsyncSession]
    settings: GatewaySettings

    async def project(self, events: Sequence[CloudEvent]) -> int:
        return await project(self.session_factory, events)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a fresh database (SQLite and PostgreSQL) with the tables created."""
    from cimahi_shared.db import create_engine

    eng = create_engine(database_url)
    await create_tables(eng)
    yield eng
    await eng.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    from cimahi_shared.db import create_session_factory

    return create_session_factory(engine)


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[StatusApi]:
    """The status API on a fresh database, called in-process with signed test tokens."""
    settings = GatewaySettings(database_url=database_url, nats_enabled=False, log_json=False)
    app = create_service_app(
        settings,
        title="status test",
        description="unified request status under test",
        agency=None,
        routers=[router],
    )
    runtime = app.state.runtime
    runtime.verifier.set_local_keys(settings.token_issuer, JWKS)
    await create_tables(runtime.engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        yield StatusApi(app, client, runtime.session_factory, settings)
    await runtime.http.aclose()
    await runtime.engine.dispose()


# Test modules cannot import this conftest (importlib import mode): the helpers come as fixtures.


@pytest.fixture(name="make_event")
def make_event_fixture() -> Callable[..., CloudEvent]:
    """``make_event(tracking_no, sequence, status, **fields)`` -> a lifecycle CloudEvent."""
    return make_event


@pytest.fixture(name="auth")
def auth_fixture() -> Callable[..., dict[str, str]]:
    """``auth(role, sub, **claims)`` -> an Authorization header with a signed access token."""
    return auth


@pytest.fixture(name="create_tables")
def create_tables_fixture() -> Callable[[AsyncEngine], Any]:
    """``await create_tables(engine)``."""
    return create_tables
