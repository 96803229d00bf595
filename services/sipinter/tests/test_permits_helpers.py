"""Helpers of the permit tests: issuing a permit straight through ``issue_permit``, reading the
outbox and the access log."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

import pypdf
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select

from cimahi_shared.app import Runtime
from cimahi_shared.calendar import RequestClock
from cimahi_shared.events.tables import outbox
from cimahi_sipinter.applications.workflow import Actor
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.events.applications import domain_event_type
from cimahi_sipinter.models import AccessAudit, Application, Business, Permit
from cimahi_sipinter.permits.issuance import issue_permit
from services.sipinter.tests.factories import CALENDAR, NOW, make_application, make_business

HEAD_SUB = "01JHEAD0000000000000000000"
HEAD = Actor(HEAD_SUB, "officer", "dr. Hj. Siti Rahmawati, M.Kes.")


def clock_at(when: datetime = NOW) -> RequestClock:
    """A request clock at ``when`` on the tests' calendar."""
    return RequestClock(when, CALENDAR)


async def issue_for(
    app: FastAPI,
    application: Application,
    *,
    signer: Actor | None = HEAD,
    when: datetime = NOW,
) -> Permit:
    """Issue the permit of an application (own session, committed)."""
    runtime = app.state.runtime
    settings = runtime.settings
    assert isinstance(settings, SipinterSettings)
    async with runtime.session_factory() as session:
        loaded = await session.get(Application, application.id)
        assert loaded is not None
        permit = await issue_permit(
            session, loaded, signer=signer, clock=clock_at(when), settings=settings
        )
        await session.commit()
        return permit


async def issued(
    app: FastAPI,
    business: Business | None = None,
    *,
    permit_type: str = "IZIN_KLINIK",
    signer: Actor | None = HEAD,
    when: datetime = NOW,
    **overrides: Any,
) -> Permit:
    """A permit of a new application awaiting signature (of a new business unless given)."""
    business = business or await make_business(app)
    values: dict[str, Any] = {"status": "awaiting_signature", "stage": "signature", **overrides}
    application = await make_application(app, business, permit_type=permit_type, **values)
    return await issue_for(app, application, signer=signer, when=when)


async def events(app: FastAPI, name: str) -> list[dict[str, Any]]:
    """Every ``sipinter.<name>`` domain event in the outbox (decoded CloudEvents)."""
    async with app.state.runtime.session_factory() as session:
        rows = (await session.execute(select(outbox.c.payload))).all()
    decoded = [json.loads(row[0]) for row in rows]
    return [e for e in decoded if e["type"] == domain_event_type(name)]


async def audit_rows(app: FastAPI, permit_id: str) -> list[AccessAudit]:
    """Access-log rows naming a permit."""
    async with app.state.runtime.session_factory() as session:
        query = select(AccessAudit).where(AccessAudit.resource_ref == permit_id)
        return list((await session.execute(query)).scalars())


async def permit_row(app: FastAPI, permit_id: str) -> Permit:
    """The permit as stored now."""
    runtime: Runtime = app.state.runtime
    async with runtime.session_factory() as session:
        permit = await session.get(Permit, permit_id)
        assert permit is not None
        return permit


def pdf_text(content: bytes) -> str:
    """The text of every page of a PDF."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def qr_modules(image: Image.Image, *, size: int) -> list[list[bool]]:
    """The dark/light modules of an embedded QR image of ``size`` x ``size`` modules."""
    gray = image.convert("L")
    step = gray.width / size
    return [
        [gray.getpixel((int((x + 0.5) * step), int((y + 0.5) * step))) < 128 for x in range(size)]  # type: ignore[operator]
        for y in range(size)
    ]
