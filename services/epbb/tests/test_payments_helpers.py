"""Helpers of the payment tests: a pinned clock, a registered channel, signed callbacks."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from ulid import ULID

from cimahi_epbb.clock import CLOCK_EXTRA
from cimahi_epbb.models import Bill, ObjectLink
from cimahi_shared.events.tables import outbox
from cimahi_shared.webhooks.signing import signed_headers
from services.epbb.tests.conftest import Tokens
from services.epbb.tests.factories import NOW


def pin_clock(app: FastAPI, when: datetime) -> Callable[[datetime], None]:
    """Pin the service's clock at ``when``; returns a setter to move it."""
    moment = {"now": when}
    app.state.runtime.extras[CLOCK_EXTRA] = lambda: moment["now"]

    def move(to: datetime) -> None:
        moment["now"] = to

    return move


@dataclass
class Channel:
    """A registered channel as the channel itself knows it."""

    code: str
    client_id: str
    secret: str
    auth: dict[str, str]


async def register_channel(
    client: httpx.AsyncClient,
    tokens: Tokens,
    *,
    code: str = "bjb",
    kind: str = "bank",
    client_id: str | None = None,
) -> Channel:
    """Register a channel through the admin API and return its one-time secret."""
    client_id = client_id or f"{code}-client"
    response = await client.post(
        "/v1/admin/channels",
        json={"code": code, "name": f"Channel {code}", "kind": kind, "client_id": client_id},
        headers=tokens.admin(),
    )
    assert response.status_code == 201, response.text
    return Channel(code, client_id, response.json()["secret"], tokens.machine(client_id))


async def new_code(
    client: httpx.AsyncClient, channel: Channel, nop: str, tax_years: list[int] | None = None
) -> dict[str, Any]:
    """A payment code from the channel API (asserted 201)."""
    body: dict[str, Any] = {"nop": nop}
    if tax_years is not None:
        body["tax_years"] = tax_years
    response = await client.post("/v1/channel/payment-codes", json=body, headers=channel.auth)
    assert response.status_code == 201, response.text
    code: dict[str, Any] = response.json()
    return code


def callback_body(code: str, amount: int, reference: str, paid_at: datetime | None = None) -> bytes:
    """The JSON of a confirmation."""
    return json.dumps(
        {
            "payment_code": code,
            "amount": amount,
            "channel_reference": reference,
            "paid_at": (paid_at or NOW).isoformat(),
        }
    ).encode()


async def confirm(
    client: httpx.AsyncClient,
    channel: Channel,
    *,
    code: str,
    amount: int,
    reference: str,
    message_id: str | None = None,
    timestamp: datetime = NOW,
    secret: str | None = None,
    body: bytes | None = None,
    paid_at: datetime | None = None,
) -> httpx.Response:
    """Send a signed confirmation callback the way a channel does."""
    raw = body if body is not None else callback_body(code, amount, reference, paid_at)
    headers = signed_headers(
        secret or channel.secret,
        message_id=message_id or f"msg_{ULID()}",
        timestamp=int(timestamp.timestamp()),
        body=raw,
    )
    return await client.post(
        "/v1/channel/payments",
        content=raw,
        headers={**channel.auth, **headers, "Content-Type": "application/json"},
    )


async def link(session: Any, nop: str, sub: str) -> None:
    """Link an object to a citizen's account (committed)."""
    session.add(ObjectLink(nop=nop, owner_sub=sub, linked_at=datetime(2026, 1, 5, tzinfo=UTC)))
    await session.commit()


async def bills_of(app: FastAPI, nop: str) -> list[Bill]:
    """The object's bills as stored now."""
    async with app.state.runtime.session_factory() as s:
        return list((await s.execute(select(Bill).where(Bill.nop == nop))).scalars())


async def outboxed(app: FastAPI) -> list[dict[str, Any]]:
    """Every event in the outbox (CloudEvents as dicts)."""
    async with app.state.runtime.session_factory() as s:
        rows = (await s.execute(select(outbox.c.payload))).scalars()
        return [json.loads(r) for r in rows]
