"""An integrator's webhook across a receiver outage and a gateway crash, on the real platform.

An admin registers an integrator allowed ``lakami.>``; with its ``client_credentials`` token it
subscribes a receiver (a real HTTP server on loopback) to ``lakami.complaint.*``. Complaints
filed and handled through the gateway produce the events. The receiver answers 500 (slowly) for
a while; the gateway is killed with SIGKILL in the middle of the retries and started again;
then the receiver recovers. At the end the receiver has, after deduplication by
``webhook-id``, every complaint event LAKAMI published exactly once, each verified with the
``standardwebhooks`` package and parsed with the ``cloudevents`` SDK - and nothing else
(LAKAMI's lifecycle events, also in the gateway's event log, are not of its types).

Runs on PostgreSQL only (the production database; the delivery queue's row locks are its own);
the worker's behaviour on SQLite is covered by gateway/tests/integrations/test_delivery.py.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from cimahi_gateway.integrations import scopes
from cimahi_shared.db import create_engine
from cimahi_shared.events.tables import outbox
from cimahi_shared.testing.webhook_receiver import Received, WebhookReceiver, verified_event
from tests.e2e.conftest import Platform
from tests.e2e.test_complaint_journey import complaint_body, staff
from tests.e2e.test_letter_journey import Citizen

pytestmark = pytest.mark.e2e

SUBSCRIBED = "lakami.complaint.*"


@pytest.fixture(scope="module")
def client(platform: Platform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.gateway_url, timeout=30.0) as c:
        yield c


class Outage:
    """The receiver's answers: 200, or (during an outage) a slow 500."""

    def __init__(self) -> None:
        self.down = threading.Event()

    def __call__(self, _headers: dict[str, str], _body: bytes) -> int:
        if self.down.is_set():
            time.sleep(0.3)  # slow, so a gateway killed now is likely killed mid-send
            return 500
        return 200


def published_events(platform: Platform) -> list[dict[str, Any]]:
    """Every event LAKAMI put in its outbox (what it published), as structured CloudEvents."""

    async def read() -> list[bytes]:
        engine = create_engine(platform.database_urls["lakami"])
        try:
            async with engine.connect() as conn:
                return list((await conn.execute(select(outbox.c.payload))).scalars())
        finally:
            await engine.dispose()

    return [orjson.loads(payload) for payload in asyncio.run(read())]


def subscribed_ids(platform: Platform) -> set[str]:
    """Ids of the published events the subscription covers."""
    return {
        e["id"] for e in published_events(platform) if scopes.matches(SUBSCRIBED, scopes.key_of(e))
    }


def delivered(messages: list[Received]) -> dict[str, str]:
    """webhook-id -> event id of every delivery the receiver acknowledged (2xx)."""
    return {m.webhook_id: orjson.loads(m.body)["id"] for m in messages if 200 <= m.status < 300}


def integrator_headers(client: httpx.Client) -> dict[str, str]:
    """Register an integrator as the admin and log in as it (client_credentials)."""
    created = client.post(
        "/api/v1/admin/integrators",
        json={
            "name": "Bank BJB - notifikasi pengaduan",
            "contact_email": "integrasi@bankbjb.example",
            "allowed_events": ["lakami.>"],
        },
        headers=staff(client, "admin"),
    )
    assert created.status_code == 201, created.text
    token = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": created.json()["client_id"],
            "client_secret": created.json()["client_secret"],
            "scope": "events:subscribe",
        },
    )
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def file_complaint(client: httpx.Client, citizen: Citizen, title: str) -> str:
    response = client.post(
        "/api/lakami/v1/complaints", json=complaint_body(title=title), headers=citizen.headers
    )
    assert response.status_code == 201, response.text
    tracking_no: str = response.json()["tracking_no"]
    return tracking_no


def act(client: httpx.Client, officer: dict[str, str], tracking_no: str, action: str) -> None:
    body = {"note": "Sudah ditindaklanjuti."} if action == "answer" else {}
    response = client.post(
        f"/api/lakami/v1/complaints/{tracking_no}/{action}", json=body, headers=officer
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "platform", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_every_subscribed_event_arrives_once_across_an_outage_and_a_gateway_crash(
    platform: Platform, client: httpx.Client
) -> None:
    citizen = Citizen(client, platform, serial=61, name="Rina Marlina", female=True)
    officer = staff(client, "petugas.melong")
    integrator = integrator_headers(client)
    outage = Outage()

    with WebhookReceiver(outage) as receiver:
        hook = client.post(
            "/api/v1/webhooks",
            json={"url": receiver.url, "event_types": [SUBSCRIBED], "description": "pengaduan"},
            headers=integrator,
        )
        assert hook.status_code == 201, hook.text
        secret = hook.json()["secret"]

        # Delivered at once while the receiver is up.
        first = file_complaint(client, citizen, "Lampu jalan mati di gang 3")
        assert receiver.wait_for(lambda got: len(delivered(got)) == 1, timeout=30)

        # The receiver goes down: events keep coming, their deliveries fail and are retried.
        outage.down.set()
        second = file_complaint(client, citizen, "Selokan tersumbat")
        act(client, officer, first, "verify")
        assert receiver.wait_for(lambda got: sum(m.status == 500 for m in got) >= 3, timeout=30)

        # The gateway crashes mid-retry and comes back; the queue is in its database.
        platform.sup.kill("gateway")
        failed_before_restart = sum(m.status == 500 for m in receiver.messages())
        platform.sup.restart("gateway")
        assert receiver.wait_for(
            lambda got: sum(m.status == 500 for m in got) > failed_before_restart, timeout=30
        ), "no retry after the restart"

        # The receiver recovers; more events after the restart.
        outage.down.clear()
        act(client, officer, first, "answer")
        act(client, officer, second, "verify")
        assert receiver.wait_for(
            lambda got: set(delivered(got).values()) >= subscribed_ids(platform), timeout=60
        ), "not every subscribed event was delivered"
        time.sleep(1.0)  # anything still on its way (a duplicate would show up now)
        messages = receiver.messages()

    expected = subscribed_ids(platform)
    published = published_events(platform)
    assert len(expected) == 5  # 2 submitted, 2 verified, 1 answered
    assert any(not scopes.matches(SUBSCRIBED, scopes.key_of(e)) for e in published)

    by_webhook_id = delivered(messages)
    # Exactly once after deduplication by webhook-id: one webhook-id per event.
    assert sorted(by_webhook_id.values()) == sorted(expected)
    # Retries kept their webhook-id, and every request was an event of its types, signed.
    for message in messages:
        event = verified_event(message, [secret])
        assert scopes.matches(SUBSCRIBED, scopes.key_of(event.get_attributes()))
        assert event.get_id() == by_webhook_id.get(message.webhook_id, event.get_id())
    assert any(m.status == 500 for m in messages)
