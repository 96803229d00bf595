"""The webhook delivery worker against a real HTTP receiver on loopback (SQLite and PostgreSQL).

The receiver checks each delivery as an integrator would: the signature with the
``standardwebhooks`` package, the body with the ``cloudevents`` SDK. The worker's clock is a
test clock (kept near the real time: receivers refuse timestamps five minutes off), so retry
delays and the disabling window are stepped over instead of waited for.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import orjson
import pytest
from sqlalchemy import select
from ulid import ULID

from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.db import Base
from cimahi_gateway.integrations.eventlog import new_events_signal
from cimahi_gateway.integrations.models import (
    Delivery,
    DeliveryAttempt,
    EventRecord,
    Integrator,
    WebhookEndpoint,
)
from cimahi_gateway.integrations.webhooks import delivery as worker_module
from cimahi_gateway.integrations.webhooks.delivery import (
    DeliveryWorker,
    lease_seconds,
    new_client,
    redeliver,
    retry_delay,
    send_ping,
)
from cimahi_gateway.integrations.webhooks.secrets import create_secret, rotate_secret
from cimahi_shared.app import Runtime, build_runtime
from cimahi_shared.db import utcnow
from cimahi_shared.events.envelope import TYPE_PREFIX, CloudEvent
from cimahi_shared.events.tables import plumbing_metadata
from cimahi_shared.testing.fixtures import require_postgres
from cimahi_shared.testing.postgres import throwaway_database
from cimahi_shared.testing.webhook_receiver import (
    Received,
    WebhookReceiver,
    verified_event,
    verifies,
)

SCHEDULE = [10.0, 20.0, 30.0]
T = TypeVar("T")


class Clock:
    """The worker's clock: starts now, moves only when the test says."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Env:
    """A gateway runtime (not started) on the test's database, and helpers to fill the queue."""

    runtime: Runtime
    settings: GatewaySettings
    clock: Clock
    stack: AsyncExitStack

    async def worker(self) -> DeliveryWorker:
        client = await self.stack.enter_async_context(new_client(self.settings))
        return DeliveryWorker(
            self.runtime.session_factory,
            self.settings,
            self.runtime.pii,
            client,
            clock=self.clock,
            rng=random.Random(8),
        )

    async def endpoint(self, url: str) -> tuple[str, str]:
        """An active endpoint of a new integrator allowed ``lakami.>``; (id, its secret)."""
        now = self.clock()
        async with self.runtime.session_factory() as session:
            integrator = Integrator(
                id=str(ULID()),
                name="Bank Uji",
                contact_email="integrasi@example.com",
                client_id=f"int-{ULID()}",
                allowed_events=["lakami.>"],
                created_at=now,
                updated_at=now,
            )
            endpoint = WebhookEndpoint(
                id=str(ULID()),
                integrator_id=integrator.id,
                url=url,
                event_types=["lakami.>"],
                status="active",
                created_at=now,
                updated_at=now,
            )
            session.add_all([integrator, endpoint])
            await session.flush()
            secret = await create_secret(session, endpoint.id, now=now, pii=self.runtime.pii)
            await session.commit()
        return endpoint.id, secret

    async def delivery(self, endpoint_id: str, *, due_in: float = 0) -> tuple[str, CloudEvent]:
        """A logged LAKAMI event and its pending delivery to the endpoint; (delivery id, event)."""
        now = self.clock()
        event = CloudEvent(
            source="/lakami",
            type=f"{TYPE_PREFIX}lakami.letter.submitted.v1",
            subject="LKM-2026-000001",
            data={"tracking_no": "LKM-2026-000001", "letter_type": "domisili"},
        )
        async with self.runtime.session_factory() as session:
            record = EventRecord(
                event_id=event.id,
                key="lakami.letter.submitted",
                type=event.type,
                agency="lakami",
                subject=event.subject,
                event=event.model_dump(mode="json", exclude_none=True),
                occurred_at=event.time,
                received_at=now,
            )
            session.add(record)
            await session.flush()
            delivery = Delivery(
                id=f"msg_{ULID()}",
                endpoint_id=endpoint_id,
                event_seq=record.seq,
                status="pending",
                attempts=0,
                next_attempt_at=now + timedelta(seconds=due_in),
                created_at=now,
            )
            session.add(delivery)
            await session.commit()
        return delivery.id, event

    async def get(self, model: type[T], key: str) -> T:
        async with self.runtime.session_factory() as session:
            found = await session.get(model, key)
            assert found is not None
            return found

    async def attempts(self, delivery_id: str) -> list[DeliveryAttempt]:
        query = (
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id == delivery_id)
            .order_by(DeliveryAttempt.attempted_at, DeliveryAttempt.id)
        )
        async with self.runtime.session_factory() as session:
            return list((await session.scalars(query)).all())


MakeEnv = Callable[..., Awaitable[Env]]


async def _make_env(stack: AsyncExitStack, database_url: str, **overrides: Any) -> Env:
    values: dict[str, Any] = {
        "database_url": database_url,
        "nats_enabled": False,
        "log_json": False,
        "webhook_allow_private_targets": True,
        "webhook_retry_schedule": SCHEDULE,
        "webhook_timeout_seconds": 2.0,
        "webhook_concurrency": 4,
        **overrides,
    }
    settings = GatewaySettings(**values)
    runtime = build_runtime(settings, agency=None)
    stack.push_async_callback(runtime.engine.dispose)
    stack.push_async_callback(runtime.http.aclose)
    async with runtime.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        await conn.run_sync(plumbing_metadata.create_all)
    return Env(runtime, settings, Clock(), stack)


@pytest.fixture
async def make_env(database_url: str) -> AsyncIterator[MakeEnv]:
    """``await make_env(**settings)`` on SQLite and on PostgreSQL."""
    async with AsyncExitStack() as stack:

        async def make(**overrides: Any) -> Env:
            return await _make_env(stack, database_url, **overrides)

        yield make


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A receiver answering 200 (tests change ``receiver.policy``)."""
    with WebhookReceiver() as running:
        yield running


def answers(*statuses: int) -> Callable[[dict[str, str], bytes], int]:
    """A policy answering these statuses in turn, then 200."""
    queue = list(statuses)
    lock = threading.Lock()

    def policy(_headers: dict[str, str], _body: bytes) -> int:
        with lock:
            return queue.pop(0) if queue else 200

    return policy


async def test_a_delivery_is_signed_and_is_a_cloudevent(
    make_env: MakeEnv, receiver: WebhookReceiver
) -> None:
    env = await make_env()
    endpoint_id, secret = await env.endpoint(receiver.url)
    delivery_id, event = await env.delivery(endpoint_id)

    assert await (await env.worker()).run_once() == 1

    [message] = receiver.messages()
    parsed = verified_event(message, [secret])
    assert parsed.get_id() == event.id
    assert parsed.get_type() == event.type
    assert parsed.get_source() == "/lakami"
    assert parsed.get_data() == event.data
    assert orjson.loads(message.body) == event.model_dump(mode="json", exclude_none=True)
    assert message.webhook_id == delivery_id
    assert message.headers["content-type"] == "application/cloudevents+json"
    assert message.headers["user-agent"] == "Cimahi-Webhooks/1"
    assert abs(int(message.headers["webhook-timestamp"]) - env.clock().timestamp()) < 2
    assert not verifies(message, "whsec_" + "A" * 43 + "=")  # another secret does not verify

    done = await env.get(Delivery, delivery_id)
    assert (done.status, done.attempts, done.last_status_code) == ("succeeded", 1, 200)
    assert done.next_attempt_at is None
    [attempt] = await env.attempts(delivery_id)
    assert (attempt.status_code, attempt.error, attempt.trigger) == (200, None, "schedule")
    assert await (await env.worker()).run_once() == 0  # nothing due any more


async def test_a_failed_attempt_is_retried_with_the_same_webhook_id(
    make_env: MakeEnv, receiver: WebhookReceiver
) -> None:
    env = await make_env()
    endpoint_id, secret = await env.endpoint(receiver.url)
    delivery_id, event = await env.delivery(endpoint_id)
    receiver.policy = answers(500)
    worker = await env.worker()
    first_at = env.clock()

    assert await worker.run_once() == 1
    waiting = await env.get(Delivery, delivery_id)
    assert (waiting.status, waiting.attempts, waiting.last_status_code) == ("pending", 1, 500)
    assert waiting.next_attempt_at is not None
    delay = (waiting.next_attempt_at - first_at).total_seconds()
    assert SCHEDULE[0] * 0.8 <= delay <= SCHEDULE[0] * 1.2
    assert (await env.get(WebhookEndpoint, endpoint_id)).failing_since == first_at

    assert await worker.run_once() == 0  # not due before its delay
    env.clock.advance(SCHEDULE[0] * 1.2)
    assert await worker.run_once() == 1

    first, second = receiver.messages()
    assert first.webhook_id == second.webhook_id == delivery_id
    assert verified_event(second, [secret]).get_id() == event.id
    done = await env.get(Delivery, delivery_id)
    assert (done.status, done.attempts, done.last_status_code) == ("succeeded", 2, 200)
    assert (await env.get(WebhookEndpoint, endpoint_id)).failing_since is None
    assert [a.status_code for a in await env.attempts(delivery_id)] == [500, 200]


def test_retry_delays_follow_the_schedule_with_twenty_percent_jitter() -> None:
    rng = random.Random(1)
    schedule = [5.0, 300.0, 1800.0]
    for attempts, base in enumerate(schedule, start=1):
        delays = [retry_delay(schedule, attempts, rng) for _ in range(500)]
        values = [d for d in delays if d is not None]
        assert len(values) == 500
        assert min(values) >= base * 0.8
        assert max(values) <= base * 1.2
        assert max(values) - min(values) > base * 0.3  # really spread, not one fixed delay
    assert retry_delay(schedule, len(schedule) + 1, rng) is None
    assert retry_delay(schedule, 0, rng) is None


async def test_after_the_last_retry_the_delivery_has_failed(
    make_env: MakeEnv, receiver: WebhookReceiver
) -> None:
    env = await make_env(webhook_retry_schedule=[1.0, 1.0])
    endpoint_id, _ = await env.endpoint(receiver.url)
    delivery_id, _ = await env.delivery(endpoint_id)
    receiver.policy = answers(503, 503, 503)
    worker = await env.worker()
    for _ in range(3):
        assert await worker.run_once() == 1
        env.clock.advance(1.3)
    gave_up = await env.get(Delivery, delivery_id)
    assert (gave_up.status, gave_up.attempts, gave_up.next_attempt_at) == ("failed", 3, None)
    assert await worker.run_once() == 0
    assert len(receiver.messages()) == 3
    assert (await env.get(WebhookEndpoint, endpoint_id)).status == "active"


async def test_410_gone_disables_the_endpoint_and_holds_its_deliveries(
    make_env: MakeEnv, receiver: WebhookReceiver
) -> None:
    env = await make_env()
    endpoint_id, _ = await env.endpoint(receiver.url)
    first_id, _ = await env.delivery(endpoint_id)
    later_id, _ = await env.delivery(endpoint_id, due_in=60)
    receiver.policy = answers(410)

    assert await (await env.worker()).run_once() == 1

    endpoint = await env.get(WebhookEndpoint, endpoint_id)
    assert (endpoint.status, endpoint.disabled_reason) == ("disabled", "410 Gone")
    assert endpoint.disabled_at == env.clock()
    for delivery_id in (first_id, later_id):
        held = await env.get(Delivery, delivery_id)
        assert (held.status, held.next_attempt_at) == ("held", None)
    env.clock.advance(120)
    assert await (await env.worker()).run_once() == 0
    assert len(receiver.messages()) == 1


async def test_an_endpoint_failing_for_too_long_is_disabled(
    make_env: MakeEnv, receiver: WebhookReceiver
) -> None:
    env = await make_env(webhook_retry_schedule=[20.0] * 8, webhook_disable_after_seconds=50)
    endpoint_id, _ = await env.endpoint(receiver.url)
    delivery_id, _ = await env.delivery(endpoint_id)
    receiver.policy = lambda _h, _b: 500
    worker = await env.worker()
    started = env.clock()

    assert await worker.run_once() == 1
    env.clock.advance(25)
    assert await worker.run_once() == 1  # failing for 25 s: retried
    assert (await env.get(Delivery, delivery_id)).status == "pending"
    assert (await env.get(WebhookEndpoint, endpoint_id)).failing_since == started
    env.clock.advance(30)
    assert await worker.run_once() == 1  # failing for 55 s: given up on the endpoint

    endpoint = await env.get(WebhookEndpoint, endpoint_id)
    assert endpoint.status == "disabled"
    assert endpoint.disabled_reason is not None
    assert endpoint.disabled_reason.startswith("failing since")
    held = await env.get(Delivery, delivery_id)
    assert (held.status, held.attempts) == ("held", 3)
    assert len(await env.attempts(delivery_id)) == 3


async def test_a_refused_url_fails_the_attempt_without_a_request(
    make_env: MakeEnv, receiver: WebhookReceiver
) -> None:
    env = await make_env(webhook_allow_private_targets=False)
    endpoint_id, _ = await env.endpoint(receiver.url)  # http://127.0.0.1:<port>
    delivery_id, _ = await env.delivery(endpoint_id)

    assert await (await env.worker()).run_once() == 1

    assert receiver.messages() == []
    [attempt] = await env.attempts(delivery_id)
    assert attempt.status_code is None
    assert attempt.error is not None
    assert attempt.error.startswith("refused:")
    assert (await env.get(Delivery, delivery_id)).status == "pending"


async def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(
    make_env: MakeEnv, receiver: WebhookReceiver
) -> None:
    env = await make_env(webhook_timeout_seconds=0.3)
    endpoint_id, _ = await env.endpoint(receiver.url)
    delivery_id, _ = await env.delivery(endpoint_id)

    def slow(_headers: dict[str, str], _body: bytes) -> int:
        time.sleep(1.0)
        return 200

    receiver.policy = slow
    assert await (await env.worker()).run_once() == 1
    [attempt] = await env.attempts(delivery_id)
    assert (attempt.status_code, attempt.error) == (None, "timeout after 0.3 s")
    assert attempt.duration_ms < 1000
    assert (await env.get(Delivery, delivery_id)).status == "pending"


async def test_both_secrets_sign_while_a_rotated_one_overlaps(
    make_env: MakeEnv, receiver: WebhookReceiver
) -> None:
    env = await make_env()
    endpoint_id, old = await env.endpoint(receiver.url)
    async with env.runtime.session_factory() as session:
        new, _ = await rotate_secret(
            session, endpoint_id, now=env.clock(), pii=env.runtime.pii, overlap_seconds=5
        )
        await session.commit()
    await env.delivery(endpoint_id)

    assert await (await env.worker()).run_once() == 1

    [message] = receiver.messages()
    assert len(message.headers["webhook-signature"].split(" ")) == 2
    assert verifies(message, old)
    assert verifies(message, new)
    verified_event(message, [old, new])

    env.clock.advance(6)  # the old one has expired: only the new one signs
    await env.delivery(endpoint_id)
    assert await (await env.worker()).run_once() == 1
    latest = receiver.messages()[-1]
    assert len(latest.headers["webhook-signature"].split(" ")) == 1
    assert verifies(latest, new)
    assert not verifies(latest, old)


async def test_an_expired_lease_makes_the_delivery_due_again_and_the_stale_answer_is_ignored(
    make_env: MakeEnv,
) -> None:
    """A gateway killed mid-send: its claim ends, another worker sends the same message again."""
    env = await make_env()
    endpoint_id, _ = await env.endpoint("http://127.0.0.1:9/unused")
    delivery_id, _ = await env.delivery(endpoint_id)
    crashed, other = await env.worker(), await env.worker()

    [lost] = await crashed.claim()  # ... and never records an answer
    assert await other.claim() == []  # leased
    env.clock.advance(lease_seconds(env.settings) + 1)
    [again] = await other.claim()
    assert again.delivery_id == lost.delivery_id == delivery_id
    assert (lost.attempt, again.attempt) == (1, 2)

    ok = worker_module.Outcome(env.clock(), 200, None, 5)
    assert await crashed.record(lost, ok) == "stale"
    assert (await env.get(Delivery, delivery_id)).status == "pending"
    assert await other.record(again, ok) == "succeeded"
    assert (await env.get(Delivery, delivery_id)).status == "succeeded"
    assert len(await env.attempts(delivery_id)) == 2  # both attempts are in the log


async def test_the_background_worker_wakes_on_new_events_and_on_redelivery(
    make_env: MakeEnv, receiver: WebhookReceiver
) -> None:
    env = await make_env(webhook_poll_seconds=30)  # only a wake-up can make it send in time
    endpoint_id, secret = await env.endpoint(receiver.url)
    await worker_module.on_start(env.runtime)
    try:
        await asyncio.sleep(0.2)  # its first round found nothing: it sleeps until woken
        env.clock.now = utcnow()  # the running worker uses the real clock
        delivery_id, _ = await env.delivery(endpoint_id)
        new_events_signal(env.runtime).notify()  # as the event log does after storing events
        assert await asyncio.to_thread(receiver.wait_for, lambda got: len(got) == 1, 5)
        async with env.runtime.session_factory() as session:
            delivery = await session.get(Delivery, delivery_id)
            assert delivery is not None
            await redeliver(session, delivery, now=utcnow())
            await session.commit()
        assert await asyncio.to_thread(receiver.wait_for, lambda got: len(got) == 2, 5)
    finally:
        await worker_module.on_stop(env.runtime)
    assert worker_module.WORKER_KEY not in env.runtime.extras
    first, second = receiver.messages()
    assert first.webhook_id == second.webhook_id == delivery_id
    verified_event(second, [secret])
    for _ in range(50):  # the second answer is recorded just after the receiver saw it
        triggers = [a.trigger for a in await env.attempts(delivery_id)]
        if len(triggers) == 2:
            break
        await asyncio.sleep(0.05)
    assert triggers == ["schedule", "manual"]


async def test_a_ping_is_signed_and_answered(make_env: MakeEnv, receiver: WebhookReceiver) -> None:
    env = await make_env()
    endpoint_id, secret = await env.endpoint(receiver.url)
    endpoint = await env.get(WebhookEndpoint, endpoint_id)

    result = await send_ping(env.runtime, endpoint)

    assert (result.ok, result.status_code, result.error) == (True, 200, None)
    [message] = receiver.messages()
    ping = verified_event(message, [secret])
    assert ping.get_type().endswith(".gateway.webhook.ping.v1")
    assert ping.get_subject() == endpoint_id
    receiver.policy = answers(404)
    failed = await send_ping(env.runtime, endpoint)
    assert (failed.ok, failed.status_code) == (False, 404)


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database (the claim's row locks are PostgreSQL's)."""
    require_postgres()
    with throwaway_database() as url:
        yield url


@pytest.mark.postgres
async def test_two_workers_never_send_one_delivery_twice_at_once(postgres_database: str) -> None:
    in_flight: dict[str, int] = {}
    overlaps: list[str] = []
    lock = threading.Lock()

    def slow(headers: dict[str, str], _body: bytes) -> int:
        key = headers["webhook-id"]
        with lock:
            in_flight[key] = in_flight.get(key, 0) + 1
            if in_flight[key] > 1:
                overlaps.append(key)
        time.sleep(0.02)
        with lock:
            in_flight[key] -= 1
        return 200

    async with AsyncExitStack() as stack:
        env = await _make_env(stack, postgres_database, webhook_concurrency=3)
        with WebhookReceiver(slow) as receiver:
            endpoint_id, _ = await env.endpoint(receiver.url)
            ids = {(await env.delivery(endpoint_id))[0] for _ in range(30)}
            workers = [await env.worker(), await env.worker()]

            async def drain(worker: DeliveryWorker) -> int:
                sent = 0
                while (n := await worker.run_once()) > 0:
                    sent += n
                return sent

            counts = await asyncio.gather(*(drain(w) for w in workers))
            got: list[Received] = receiver.messages()

    assert sum(counts) == 30
    assert all(n > 0 for n in counts)  # both really worked the queue
    assert sorted(m.webhook_id for m in got) == sorted(ids)  # each exactly once
    assert overlaps == []
