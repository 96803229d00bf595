"""Fixtures of the integrations tests: the assembled gateway, an admin, integrators, events.

``start_gateway(serve=False, **settings)`` starts the whole gateway (``create_app``: identity,
integrations, event log, delivery worker) on the test's fresh database (SQLite and PostgreSQL)
with its lifespan running. ``serve=True`` also serves it with uvicorn on a free loopback port
(``gw.base_url``), for what needs real HTTP (the SSE stream, webhook receivers calling back).
NATS is off unless the test passes ``nats_enabled=True, nats_url=nats_server.url``.

Test modules cannot import this conftest (importlib import mode): the helpers come as fixtures
or as methods of ``Gateway``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from nats.js.client import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.db import Base
from cimahi_gateway.identity import service as identity
from cimahi_gateway.main import create_app
from cimahi_shared.app import Runtime
from cimahi_shared.events.bus import ensure_stream
from cimahi_shared.events.envelope import TYPE_PREFIX, CloudEvent, nats_subject
from cimahi_shared.events.tables import plumbing_metadata
from cimahi_shared.testing.processes import free_port

BASE_URL = "http://gateway.test"
ADMIN_PASSWORD = "sandi-admin-123"


@dataclass
class Gateway:
    """A running gateway and helpers to drive it as an admin and as integrators."""

    app: Any  # the ASGI app (proxy dispatcher in front of the FastAPI app)
    api: FastAPI
    runtime: Runtime
    settings: GatewaySettings
    client: httpx.AsyncClient  # in-process (ASGI) client; fine for everything but streams
    base_url: str = BASE_URL  # http://127.0.0.1:<port> when served with uvicorn
    _admin: dict[str, str] = field(default_factory=dict)

    def session(self) -> AsyncSession:
        """A session on the gateway's database (``async with``; commit what you change)."""
        return self.runtime.session_factory()

    async def admin_headers(self) -> dict[str, str]:
        """Authorization of a platform administrator (created on first use)."""
        if not self._admin:
            async with self.session() as session:
                await identity.create_admin(
                    session, username="admin", password=ADMIN_PASSWORD, full_name="Admin"
                )
                await session.commit()
            response = await self.client.post(
                "/oauth/token",
                data={
                    "grant_type": "password",
                    "client_id": "cimahi-web",
                    "username": "admin",
                    "password": ADMIN_PASSWORD,
                },
            )
            assert response.status_code == 200, response.text
            self._admin["Authorization"] = f"Bearer {response.json()['access_token']}"
        return dict(self._admin)

    async def create_integrator(
        self, allowed_events: list[str], *, name: str | None = None
    ) -> dict[str, Any]:
        """Register an integrator through the admin API; its JSON (with ``client_secret``)."""
        body = {
            "name": name or f"Integrator {uuid.uuid4().hex[:6]}",
            "contact_email": "integrasi@example.com",
            "allowed_events": allowed_events,
        }
        response = await self.client.post(
            "/api/v1/admin/integrators", json=body, headers=await self.admin_headers()
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def token_response(self, client_id: str, client_secret: str) -> httpx.Response:
        """``POST /oauth/token`` with client_credentials and the integrator scope."""
        return await self.client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
                "scope": self.settings.integrator_scope,
            },
        )

    async def integrator_headers(self, integrator: dict[str, Any]) -> dict[str, str]:
        """Authorization of an integrator (as returned by ``create_integrator``)."""
        response = await self.token_response(integrator["client_id"], integrator["client_secret"])
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


StartGateway = Callable[..., Awaitable[Gateway]]


async def _serve(stack: AsyncExitStack, app: Any) -> str:
    """Serve ``app`` with uvicorn on a free loopback port until the stack closes."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve(), name=f"uvicorn-{port}")

    async def stop() -> None:
        server.should_exit = True
        server.force_exit = True  # open streams (SSE) must not hold the shutdown
        await asyncio.wait_for(task, timeout=10)

    stack.push_async_callback(stop)
    for _ in range(500):
        if server.started:
            return f"http://127.0.0.1:{port}"
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    raise AssertionError("uvicorn did not start")


@pytest.fixture
async def start_gateway(database_url: str) -> AsyncIterator[StartGateway]:
    """``await start_gateway(serve=False, **settings)``: start the gateway (once per test)."""
    async with AsyncExitStack() as stack:

        async def start(*, serve: bool = False, **overrides: Any) -> Gateway:
            values: dict[str, Any] = {
                "database_url": database_url,
                "nats_enabled": False,
                "log_json": False,
                "webhook_allow_private_targets": True,
                **overrides,
            }
            settings = GatewaySettings(**values)
            app: Any = create_app(settings)
            api: FastAPI = app.app
            runtime: Runtime = api.state.runtime
            async with runtime.engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
                await conn.run_sync(plumbing_metadata.create_all)
            await stack.enter_async_context(api.router.lifespan_context(api))
            base_url = await _serve(stack, app) if serve else BASE_URL
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)
            )
            return Gateway(app, api, runtime, settings, client, base_url)

        yield start


def make_event(
    agency: str, name: str, data: dict[str, Any] | None = None, **fields: Any
) -> CloudEvent:
    """A CloudEvent of ``agency`` named ``entity.verb`` (type ``...<agency>.<name>.v1``)."""
    return CloudEvent(
        source=f"/{agency}",
        type=f"{TYPE_PREFIX}{agency}.{name}.v1",
        data=data if data is not None else {"n": 1},
        **fields,
    )


async def publish(js: JetStreamContext, agency: str, event: CloudEvent) -> bool:
    """Publish as an agency's outbox relay does (its stream ensured); True when a duplicate."""
    await ensure_stream(js, agency)
    ack = await js.publish(
        nats_subject(agency, event.type), event.to_json(), headers={"Nats-Msg-Id": event.id}
    )
    return bool(ack.duplicate)


@pytest.fixture
def agency_code() -> str:
    """A fresh agency code (its stream and consumers are new on the session's nats-server)."""
    return f"ag{uuid.uuid4().hex[:8]}"


@pytest.fixture(name="make_event")
def make_event_fixture() -> Callable[..., CloudEvent]:
    """``make_event(agency, "entity.verb", data=None, **fields)`` -> a CloudEvent."""
    return make_event


@pytest.fixture(name="publish")
def publish_fixture() -> Callable[[JetStreamContext, str, CloudEvent], Awaitable[bool]]:
    """``await publish(js, agency, event)`` -> whether JetStream saw a duplicate."""
    return publish


SeedIntegrator = Callable[..., Awaitable[dict[str, Any]]]


async def seed_integrator(gw: Gateway, allowed_events: list[str]) -> dict[str, Any]:
    """An integrator written straight to the database (machine client + row), without the admin
    API: ``{"id", "client_id", "client_secret", "allowed_events"}`` for ``gw.integrator_headers``."""
    from ulid import ULID

    from cimahi_gateway.integrations.models import Integrator
    from cimahi_shared.db import utcnow

    client_id = f"integrator-{uuid.uuid4().hex[:10]}"
    async with gw.session() as session:
        _, secret = await identity.create_client(
            session, client_id=client_id, name=client_id, scopes=[gw.settings.integrator_scope]
        )
        integrator = Integrator(
            id=str(ULID()),
            name=client_id,
            contact_email="integrasi@example.com",
            client_id=client_id,
            allowed_events=allowed_events,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        session.add(integrator)
        await session.commit()
    return {
        "id": integrator.id,
        "client_id": client_id,
        "client_secret": secret,
        "allowed_events": allowed_events,
    }


@pytest.fixture(name="seed_integrator")
def seed_integrator_fixture() -> SeedIntegrator:
    """``await seed_integrator(gw, allowed_events)`` -> an integrator made in the database."""
    return seed_integrator


@pytest.fixture
def no_delivery_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Gateways started in this test run without the webhook delivery worker (nothing is sent;
    deliveries stay as the test leaves them). Use before ``start_gateway``."""
    from cimahi_gateway.integrations.webhooks import delivery

    async def nothing(runtime: Runtime) -> None:
        return None

    monkeypatch.setattr(delivery, "on_start", nothing)
    monkeypatch.setattr(delivery, "on_stop", nothing)
