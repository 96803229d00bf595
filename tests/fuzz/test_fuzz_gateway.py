"""schemathesis against the gateway's own API: every operation, real tokens of every role (issue 9).

The gateway's own FastAPI app (identity and OAuth, registration, admin officers and clients,
unified request status, integrators, webhooks, the event stream and catalogue; not the
``/api/<agency>/`` proxy, whose operations belong to the agencies' fuzz tests) runs in-process on
a migrated SQLite database holding the demo accounts. Its tokens are real: each role logs in
through ``POST /oauth/token`` (citizen, officer and admin with the password grant; an integrator,
registered through the admin API, with client_credentials and the integrator scope).

Form-encoded operations (``/oauth/token``, ``/oauth/revoke``, ``POST /oauth/authorize``) are
fuzzed like the JSON ones. ``GET /api/v1/events/stream`` never ends on its own: it is called with
a read deadline (``STREAM_DEADLINE``), at which schemathesis' ASGI transport keeps the complete
events received so far and validates the response as usual (status, content type, headers).

Webhook targets are checked as in production (``webhook_allow_private_targets`` off): the URLs
the fuzzer makes up resolve nowhere, which must be a 422, never a 500.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cimahi_gateway.cli import migrate_gateway
from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.identity import service as identity
from cimahi_gateway.main import create_app
from cimahi_shared.db import create_engine, create_session_factory
from cimahi_shared.pii import PiiCipher
from cimahi_shared.testing.processes import free_port
from tests.fuzz.conftest import CHECKS, examples, migrated_sqlite, operation_labels

STREAM = "GET /api/v1/events/stream"
STREAM_DEADLINE = 0.5  # seconds of an SSE response read before it is cut and validated
PASSWORD = identity.DEMO_PASSWORD
AGENCIES = {"lakami": 8101, "dilandacinta": 8102, "epbb": 8103, "sipinter": 8104}  # never called


def _settings(database_url: str) -> GatewaySettings:
    return GatewaySettings(
        database_url=database_url,
        nats_enabled=False,
        log_json=False,
        upstreams={name: f"http://127.0.0.1:{port}" for name, port in AGENCIES.items()},
    )


def _api(settings: GatewaySettings) -> Any:
    """The gateway's own FastAPI app (behind the proxy dispatcher in production)."""
    return create_app(settings).app  # type: ignore[attr-defined]


def _migrate_and_seed(database_url: str) -> None:
    migrate_gateway(database_url)
    settings = _settings(database_url)

    async def seed() -> None:
        engine = create_engine(database_url)
        try:
            async with create_session_factory(engine)() as session:
                pii = PiiCipher(settings.pii_key.get_secret_value())
                await identity.ensure_demo_users(session, pii)
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(seed())


LABELS = operation_labels(_api(_settings("sqlite+aiosqlite://")).openapi())


class LiveGateway:
    """The gateway's own app served by uvicorn on a loopback port, in a thread with its own loop.

    Its lifespan (identity keys, projection, event log, webhook delivery) runs once for the
    module: schemathesis' ASGI transport would end an app's lifespan after each test and start it
    again on the next one, which no server does.
    """

    def __init__(self, api: Any) -> None:
        self.api = api
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            api, host="127.0.0.1", port=self.port, lifespan="on", log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="fuzz-gateway", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._server.serve())
        except BaseException as exc:  # reported by start()
            self._error = exc

    def start(self) -> LiveGateway:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started and self._thread.is_alive():
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        if self._error is not None:
            raise self._error
        assert self._server.started, "uvicorn did not start"
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._server.force_exit = True  # an open SSE stream must not hold the shutdown
        self._thread.join(timeout=15)


def _login(http: requests.Session, base_url: str, data: dict[str, str]) -> dict[str, str]:
    response = http.post(f"{base_url}/oauth/token", data=data, timeout=10)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _password_login(http: requests.Session, base_url: str, username: str) -> dict[str, str]:
    data = {
        "grant_type": "password",
        "client_id": "cimahi-web",
        "username": username,
        "password": PASSWORD,
    }
    return _login(http, base_url, data)


def _demo_login(role: str) -> str:
    return next(login.username for login in identity.DEMO_LOGINS if login.role == role)


def _roles(base_url: str, settings: GatewaySettings) -> dict[str, dict[str, str]]:
    """Each role's headers with a real token of the running gateway."""
    with requests.Session() as http:
        admin = _password_login(http, base_url, "admin")
        body = {
            "name": "Integrator fuzz",
            "contact_email": "integrasi@example.com",
            "allowed_events": ["lakami.>", "epbb.payment.*"],
        }
        response = http.post(
            f"{base_url}/api/v1/admin/integrators", json=body, headers=admin, timeout=10
        )
        assert response.status_code == 201, response.text
        integrator = response.json()
        client_credentials = {
            "grant_type": "client_credentials",
            "client_id": integrator["client_id"],
            "client_secret": integrator["client_secret"],
            "scope": settings.integrator_scope,
        }
        return {
            "anonymous": {},
            "citizen": _password_login(http, base_url, _demo_login("citizen")),
            "officer": _password_login(http, base_url, _demo_login("officer")),
            "admin": admin,
            "integrator": _login(http, base_url, client_credentials),
        }


@dataclass
class Target:
    schema: Any
    roles: dict[str, dict[str, str]]

    def operation(self, label: str) -> Any:
        found = self.schema.find_operation_by_label(label)
        assert found is not None, f"{label} is not in the schema"
        return found


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    folder = tmp_path_factory.mktemp("fuzz-gateway")
    url = migrated_sqlite(folder, key="gateway-fuzz", prepare=_migrate_and_seed)
    settings = _settings(url)
    gateway = LiveGateway(_api(settings)).start()
    try:
        schema = schemathesis.openapi.from_url(f"{gateway.base_url}/openapi.json")
        yield Target(schema, _roles(gateway.base_url, settings))
    finally:
        gateway.stop()


@pytest.mark.parametrize("label", LABELS)
def test_operation(target: Target, label: str) -> None:
    operation = target.operation(label)
    roles = target.roles
    call: dict[str, Any] = {"timeout": STREAM_DEADLINE} if label == STREAM else {}

    @settings(
        max_examples=examples(),
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), role=st.sampled_from(sorted(roles)))
    def run(case: Any, role: str) -> None:
        case.call_and_validate(headers=dict(roles[role]), checks=CHECKS, **call)

    run()


def test_unresolvable_webhook_url_is_invalid_input(target: Target) -> None:
    """A webhook URL whose host resolves nowhere (the fuzzer's, or any without internet): 422."""
    case = target.operation("POST /api/v1/webhooks").Case(
        body={"url": "https://penerima.invalid/hook", "event_types": ["lakami.>"]}
    )
    response = case.call_and_validate(headers=target.roles["integrator"], checks=CHECKS)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == ["application/problem+json"]
    assert [e["field"] for e in response.json()["errors"]] == ["url"]


def test_event_stream_is_read_until_its_deadline(target: Target) -> None:
    """The SSE stream never ends: it is cut at ``STREAM_DEADLINE`` and still fully validated."""
    case = target.operation(STREAM).Case(query={"types": "lakami.>"})
    started = time.monotonic()
    response = case.call_and_validate(
        headers=target.roles["integrator"], checks=CHECKS, timeout=STREAM_DEADLINE
    )
    assert response.status_code == 200
    assert response.headers["content-type"][0].startswith("text/event-stream")
    assert response.content.startswith(b"retry: ")
    assert time.monotonic() - started < STREAM_DEADLINE + 5
