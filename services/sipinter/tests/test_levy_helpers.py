"""Helpers of the levy and sweep tests: a channel's signed callback, outbox events, counts."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from ulid import ULID

from cimahi_shared.calendar import RequestClock
from cimahi_shared.events.tables import outbox
from cimahi_shared.webhooks import signing
from cimahi_sipinter.applications import workflow
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.levy.assessment import assess
from cimahi_sipinter.levy.schemas import LevyQuantity
from cimahi_sipinter.models import Application, Business
from services.sipinter.tests.factories import CALENDAR, NOW, VERIFIER, make_application

CHANNEL = "bank-bjb"
SECRET = signing.new_secret()
OTHER_SECRET = signing.new_secret()
EVENT = "id.go.cimahikota.sipinter.{}.v1"
OFFICER = workflow.Actor(VERIFIER, "officer", "Dedi Kurniawan")


def clock_at(when: datetime = NOW) -> RequestClock:
    """The clock a request would have at ``when`` (the tests' calendar)."""
    return RequestClock(when, CALENDAR)


async def outbox_events(app: FastAPI, name: str | None = None) -> list[dict[str, Any]]:
    """Events in the outbox (decoded CloudEvents), oldest first; only ``name`` when given."""
    async with app.state.runtime.session_factory() as session:
        rows = (
            await session.execute(
                select(outbox.c.payload).order_by(outbox.c.created_at, outbox.c.id)
            )
        ).all()
    events = [json.loads(row[0]) for row in rows]
    if name is None:
        return events
    return [e for e in events if e["type"] == EVENT.format(name)]


async def count(app: FastAPI, model: Any, *where: Any) -> int:
    """Rows of ``model`` (matching ``where``)."""
    async with app.state.runtime.session_factory() as session:
        query = select(func.count()).select_from(model).where(*where)
        return int((await session.execute(query)).scalar_one())


async def reload(app: FastAPI, application_id: str) -> Application:
    """The application as stored now."""
    async with app.state.runtime.session_factory() as session:
        application: Application | None = await session.get(Application, application_id)
    assert application is not None
    return application


async def recommended(
    app: FastAPI,
    business: Business,
    settings: SipinterSettings,
    *,
    permit_type: str = "IZIN_KLINIK",
    quantity: LevyQuantity | None = None,
    when: datetime = NOW,
) -> Application:
    """An application recommended at ``when`` the way the recommendation does it: levy
    assessed, then advanced (to awaiting_payment when a levy is due, its clock paused)."""
    created = await make_application(
        app,
        business,
        permit_type=permit_type,
        status="awaiting_recommendation",
        stage="recommendation",
        assigned_officer_sub=VERIFIER,
    )
    clock = clock_at(when)
    async with app.state.runtime.session_factory() as session:
        application = await session.get(Application, created.id)
        assert application is not None
        await assess(session, application, quantity=quantity, clock=clock, settings=settings)
        await workflow.advance(
            session,
            application,
            action="recommended",
            actor=OFFICER,
            note="Layak.",
            clock=clock,
            settings=settings,
        )
        await session.commit()
    return await reload(app, created.id)


def confirmation(application: Application, **overrides: Any) -> dict[str, Any]:
    """A channel's confirmation of paying ``application``'s levy in full."""
    body: dict[str, Any] = {
        "levy_code": application.levy_code,
        "amount": application.levy_amount,
        "channel_reference": f"BJB-{ULID()}",
        "paid_at": "2026-03-02T08:55:00+07:00",
    }
    body.update(overrides)
    return body


async def pay(
    client: httpx.AsyncClient,
    body: dict[str, Any],
    *,
    channel: str = CHANNEL,
    secret: str = SECRET,
    timestamp: datetime = NOW,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a confirmation signed the way a bank signs it (a fresh webhook-id each time)."""
    raw = json.dumps(body).encode()
    signed = signing.signed_headers(
        secret, message_id=f"msg_{ULID()}", timestamp=int(timestamp.timestamp()), body=raw
    )
    return await client.post(
        f"/v1/levy/channels/{channel}/payments",
        content=raw,
        headers={"Content-Type": "application/json", **(signed if headers is None else headers)},
    )
