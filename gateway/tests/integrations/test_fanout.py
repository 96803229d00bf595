"""Fan-out: which endpoints get a delivery of which logged event, and in which state."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_gateway.integrations.models import Delivery, EventRecord, Integrator, WebhookEndpoint
from cimahi_gateway.integrations.webhooks.fanout import fan_out
from cimahi_shared.events.envelope import TYPE_PREFIX

NOW = datetime(2026, 5, 4, 3, 0, tzinfo=UTC)
KEYS = [
    "lakami.letter.submitted",
    "lakami.request.lifecycle",
    "epbb.payment.received",
    "epbb.request.lifecycle",
]


def integrator(name: str, allowed: list[str], *, revoked: bool = False) -> Integrator:
    return Integrator(
        id=str(ULID()),
        name=name,
        contact_email="integrasi@example.com",
        client_id=f"{name}-{uuid.uuid4().hex[:6]}",
        allowed_events=allowed,
        created_at=NOW,
        updated_at=NOW,
        revoked_at=NOW if revoked else None,
    )


def endpoint(
    owner: Integrator,
    types: list[str],
    agencies: list[str] | None = None,
    *,
    status: str = "active",
) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=str(ULID()),
        integrator_id=owner.id,
        url="http://127.0.0.1:9/hook",
        event_types=types,
        agencies=agencies,
        status=status,
        created_at=NOW,
        updated_at=NOW,
    )


def record(key: str) -> EventRecord:
    agency, _name = key.split(".", 1)
    event_id = str(uuid.uuid4())
    event_type = f"{TYPE_PREFIX}{key}.v1"
    event: dict[str, Any] = {"id": event_id, "source": f"/{agency}", "type": event_type}
    return EventRecord(
        event_id=event_id,
        key=key,
        type=event_type,
        agency=agency,
        subject=None,
        event=event,
        occurred_at=NOW,
        received_at=NOW,
    )


async def deliveries(session: AsyncSession) -> list[tuple[str, str, str, datetime | None, str]]:
    """(endpoint id, event key, status, next_attempt_at, delivery id) of every delivery."""
    query = select(
        Delivery.endpoint_id,
        EventRecord.key,
        Delivery.status,
        Delivery.next_attempt_at,
        Delivery.id,
    ).join(EventRecord, EventRecord.seq == Delivery.event_seq)
    return [tuple(row) for row in await session.execute(query)]  # type: ignore[misc]


async def test_matching_table(start_gateway: Any, no_delivery_worker: None) -> None:
    gw = await start_gateway()
    city = integrator("city", ["lakami.>"])
    bank = integrator("bank", ["epbb.payment.*"])
    gone = integrator("gone", ["lakami.>", "epbb.>"], revoked=True)
    letters = endpoint(city, ["lakami.letter.*"])
    filtered_out = endpoint(city, ["*.letter.submitted"], agencies=["epbb"])
    beyond_scope = endpoint(city, ["epbb.payment.received"])  # its integrator was narrowed
    bank_all = endpoint(bank, ["epbb.>"])
    revoked = endpoint(gone, ["lakami.>"])
    disabled = endpoint(city, ["lakami.>"], status="disabled")
    # Platform-internal lifecycle events match no pattern (scopes.is_internal), even `lakami.>`.
    lifecycles = endpoint(city, ["*.request.lifecycle"], agencies=["lakami", "epbb"])
    async with gw.session() as session:
        session.add_all([city, bank, gone])
        await session.flush()
        session.add_all([letters, filtered_out, beyond_scope, bank_all, revoked, disabled])
        session.add(lifecycles)
        records = [record(key) for key in KEYS]
        session.add_all(records)
        await session.flush()
        created = await fan_out(session, records, now=NOW)
        await session.commit()
    expected = {
        (letters.id, "lakami.letter.submitted", "pending"),
        (bank_all.id, "epbb.payment.received", "pending"),
        (disabled.id, "lakami.letter.submitted", "held"),
    }
    async with gw.session() as session:
        found = await deliveries(session)
    assert created == len(expected)
    assert {(e, k, s) for e, k, s, _, _ in found} == expected
    for _, _, status, due, delivery_id in found:
        assert delivery_id.startswith("msg_")
        assert len(delivery_id) == 30
        assert (due is None) == (status == "held")
        if due is not None:
            assert due == NOW
    async with gw.session() as session:  # the same events again: nothing twice
        again = await fan_out(session, records, now=NOW)
        await session.commit()
    assert again == 0
    async with gw.session() as session:
        assert len(await deliveries(session)) == len(expected)


async def test_no_endpoints_no_deliveries(start_gateway: Any, no_delivery_worker: None) -> None:
    gw = await start_gateway()
    async with gw.session() as session:
        records = [record("lakami.letter.submitted")]
        session.add_all(records)
        await session.flush()
        assert await fan_out(session, records, now=NOW) == 0
        assert await fan_out(session, [], now=NOW) == 0


async def test_many_endpoints_and_events_in_one_call(
    start_gateway: Any, no_delivery_worker: None
) -> None:
    gw = await start_gateway()
    city = integrator("city", ["lakami.>"])
    async with gw.session() as session:
        session.add(city)
        await session.flush()
        session.add_all([endpoint(city, ["lakami.letter.*"]) for _ in range(40)])
        records = [record("lakami.letter.submitted") for _ in range(25)]
        records += [record("epbb.payment.received") for _ in range(5)]
        session.add_all(records)
        await session.flush()
        assert await fan_out(session, records, now=NOW) == 40 * 25
        await session.commit()
