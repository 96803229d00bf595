"""The gateway's event log fed by a real nats-server: order, idempotency, the signal, pruning."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from cimahi_gateway.integrations import eventlog
from cimahi_gateway.integrations.models import (
    Delivery,
    DeliveryAttempt,
    EventRecord,
    Integrator,
    WebhookEndpoint,
)
from cimahi_shared.db import utcnow
from cimahi_shared.events.envelope import CloudEvent, nats_subject
from cimahi_shared.testing.processes import NatsServer

StartGateway = Any
MakeEvent = Callable[..., CloudEvent]


async def records(gw: Any) -> list[EventRecord]:
    """The whole log in seq order."""
    async with gw.session() as session:
        return list((await session.scalars(select(EventRecord).order_by(EventRecord.seq))).all())


async def wait_for_count(gw: Any, count: int, within: float = 20.0) -> list[EventRecord]:
    """Poll until the log holds ``count`` records."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        rows = await records(gw)
        if len(rows) >= count or asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.05)


class TestEventLogConsumer:
    async def test_every_agency_event_is_logged_once_in_order(
        self,
        start_gateway: StartGateway,
        nats_server: NatsServer,
        agency_code: str,
        make_event: MakeEvent,
        publish: Callable[..., Any],
    ) -> None:
        other = agency_code + "b"
        gw = await start_gateway(
            nats_enabled=True,
            nats_url=nats_server.url,
            upstreams={agency_code: "http://127.0.0.1:9", other: "http://127.0.0.1:9"},
        )
        await asyncio.wait_for(gw.runtime.bus.connected.wait(), 10)
        js = gw.runtime.bus.js
        signal = eventlog.new_events_signal(gw.runtime)
        seen = signal.snapshot()
        ours = [make_event(agency_code, "payment.received", {"n": i}) for i in range(5)]
        theirs = [make_event(other, "permit.issued", {"n": i}, subject=f"P-{i}") for i in range(3)]
        for event in ours:
            await publish(js, agency_code, event)
        for event in theirs:
            await publish(js, other, event)
        # The same event again under another message id: JetStream keeps it, the log must not.
        await js.publish(
            nats_subject(agency_code, ours[0].type),
            ours[0].to_json(),
            headers={"Nats-Msg-Id": ours[0].id + "-again"},
        )
        assert await signal.wait(seen, within=20.0)
        rows = await wait_for_count(gw, 8)
        await asyncio.sleep(0.3)  # a second copy would land now
        rows = await records(gw)
        assert len(rows) == 8
        assert [r.event_id for r in rows if r.agency == agency_code] == [e.id for e in ours]
        assert [r.event_id for r in rows if r.agency == other] == [e.id for e in theirs]
        assert {r.key for r in rows} == {
            f"{agency_code}.payment.received",
            f"{other}.permit.issued",
        }
        first = next(r for r in rows if r.event_id == theirs[0].id)
        assert first.event["type"] == theirs[0].type
        assert first.event["data"] == {"n": 0}
        assert first.subject == "P-0"
        assert CloudEvent.model_validate(first.event) == theirs[0]

    async def test_append_skips_a_known_event_a_foreign_source_and_lifecycle_events(
        self, start_gateway: StartGateway, make_event: MakeEvent
    ) -> None:
        gw = await start_gateway(upstreams={"epbb": "http://127.0.0.1:9"})
        event = make_event("epbb", "payment.received")
        async with gw.session() as session, session.begin():
            assert await eventlog.append(session, event, agency="epbb") is not None
        async with gw.session() as session, session.begin():
            assert await eventlog.append(session, event, agency="epbb") is None
            foreign = make_event("lakami", "letter.issued")
            assert await eventlog.append(session, foreign, agency="epbb") is None
            # The lifecycle event feeds the unified status only: never in the integrators' log.
            lifecycle = make_event("epbb", "request.lifecycle")
            assert await eventlog.append(session, lifecycle, agency="epbb") is None
        assert [r.event_id for r in await records(gw)] == [event.id]


class TestPrune:
    async def test_old_records_go_unless_a_pending_or_held_delivery_needs_them(
        self, start_gateway: StartGateway, make_event: MakeEvent
    ) -> None:
        gw = await start_gateway(
            upstreams={"epbb": "http://127.0.0.1:9"}, event_log_retention_days=14
        )
        now = utcnow()
        old, recent = now - timedelta(days=15), now - timedelta(days=13)
        events = [make_event("epbb", "payment.received", {"n": i}) for i in range(5)]
        async with gw.session() as session, session.begin():
            stored = []
            for event, when in zip(events, [old, old, old, old, recent], strict=True):
                record = await eventlog.append(session, event, agency="epbb", now=when)
                assert record is not None
                stored.append(record)
            session.add(
                Integrator(
                    id="01INTEGRATOR",
                    name="Bank",
                    contact_email="b@b.example",
                    client_id="integrator-x",
                    allowed_events=["epbb.>"],
                    created_at=now,
                    updated_at=now,
                    revoked_at=None,
                )
            )
            session.add(
                WebhookEndpoint(
                    id="01ENDPOINT",
                    integrator_id="01INTEGRATOR",
                    url="https://bank.example/h",
                    description=None,
                    event_types=["epbb.>"],
                    agencies=None,
                    status="active",
                    disabled_reason=None,
                    disabled_at=None,
                    failing_since=None,
                    created_at=now,
                    updated_at=now,
                )
            )
            await session.flush()
            for record, status in zip(stored[:3], ["succeeded", "pending", "held"], strict=True):
                session.add(
                    Delivery(
                        id=f"msg_{record.seq}",
                        endpoint_id="01ENDPOINT",
                        event_seq=record.seq,
                        status=status,
                        attempts=1,
                        created_at=old,
                    )
                )
            await session.flush()
            session.add(
                DeliveryAttempt(
                    id="01ATTEMPT",
                    delivery_id=f"msg_{stored[0].seq}",
                    attempted_at=old,
                    status_code=200,
                    error=None,
                    duration_ms=5,
                    trigger="schedule",
                )
            )
        pruned = await eventlog.prune(gw.runtime.session_factory, retention_days=14, now=now)
        assert pruned == 2  # the succeeded one's event and the undelivered old one
        kept = [r.event_id for r in await records(gw)]
        assert kept == [events[1].id, events[2].id, events[4].id]
        async with gw.session() as session:
            assert await session.scalar(select(func.count()).select_from(DeliveryAttempt)) == 0
            statuses = set((await session.scalars(select(Delivery.status))).all())
            assert statuses == {"pending", "held"}
        assert await eventlog.prune(gw.runtime.session_factory, retention_days=14, now=now) == 0
