"""With a real nats-server: the outbox relay delivers LAKAMI's events to the stream CIMAHI_LAKAMI."""

from __future__ import annotations

import asyncio
import time

import httpx
import nats
import orjson
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy import text
from ulid import ULID

from cimahi_lakami.config import LakamiSettings
from cimahi_lakami.main import create_app
from cimahi_shared.app import Runtime
from cimahi_shared.testing.processes import NatsServer
from services.lakami.tests.conftest import MELONG, Tokens, letter_body

LIFECYCLE_SUBJECT = "cimahi.lakami.request.lifecycle.v1"


async def wait_until_relayed(runtime: Runtime) -> None:
    """Until the relay has published every outbox row (fails after 20 s)."""
    async with asyncio.timeout(20):
        while True:
            async with runtime.session_factory() as session:
                pending = await session.execute(
                    text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                )
            if pending.scalar_one() == 0:
                return
            await asyncio.sleep(0.05)


class TestNatsDelivery:
    async def test_lifecycle_events_reach_the_stream(
        self, nats_server: NatsServer, migrated_url: str
    ) -> None:
        settings = LakamiSettings(
            database_url=migrated_url,
            nats_url=nats_server.url,
            nats_enabled=True,
            outbox_poll_seconds=0.1,
            log_json=False,
        )
        tokens = Tokens(settings.token_issuer, settings.token_audience)
        app = create_app(settings)
        runtime: Runtime = app.state.runtime
        runtime.verifier.set_local_keys(settings.token_issuer, tokens.jwks)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://lakami.test"
            ) as client:
                citizen, officer = tokens.citizen(), tokens.officer(MELONG)
                created = await client.post(
                    "/v1/letter-requests", json=letter_body(), headers=citizen
                )
                tracking_no = created.json()["tracking_no"]
                for action in ("verify", "process", "approve"):
                    response = await client.post(
                        f"/v1/letter-requests/{tracking_no}/{action}", json={}, headers=officer
                    )
                    assert response.status_code == 200, response.text
            await wait_until_relayed(runtime)

        nc = await nats.connect(nats_server.url)
        try:
            js = nc.jetstream()
            durable = f"lakami-test-{ULID()}"
            sub = await js.pull_subscribe(
                LIFECYCLE_SUBJECT,
                durable=durable,
                stream="CIMAHI_LAKAMI",
                config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
            )
            ours = []
            deadline = time.monotonic() + 10
            while len(ours) < 4 and time.monotonic() < deadline:
                try:
                    messages = await sub.fetch(batch=100, timeout=1)
                except nats.errors.TimeoutError:
                    continue
                for msg in messages:
                    await msg.ack()
                    event = orjson.loads(msg.data)
                    if event["subject"] == tracking_no:
                        assert msg.headers is not None
                        assert msg.headers["Nats-Msg-Id"] == event["id"]
                        ours.append(event)
            await js.delete_consumer("CIMAHI_LAKAMI", durable)
            domain = await js.get_last_msg(
                "CIMAHI_LAKAMI", "cimahi.lakami.letter_request.approved.v1"
            )
        finally:
            await nc.close()
        assert [(e["data"]["sequence"], e["data"]["status"]) for e in ours] == [
            (1, "submitted"),
            (2, "in_review"),
            (3, "in_process"),
            (4, "completed"),
        ]
        assert orjson.loads(domain.data)["subject"] == tracking_no
