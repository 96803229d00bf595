"""Helpers for the officers' stage tests: who is who, calling a step, reading what it left.

Officers are DPMPTSP's, city-wide unless a test says otherwise: the head (position ``head``),
a front-office officer (no position) and a verifier (position ``verifier``; only the
assignment lets him do the technical stages).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from cimahi_shared.events.lifecycle import LIFECYCLE_V1
from cimahi_shared.events.tables import outbox
from cimahi_sipinter.events.applications import domain_event_type
from cimahi_sipinter.models import Application, ApplicationHistory
from services.sipinter.tests.conftest import Tokens
from services.sipinter.tests.factories import VERIFIER

HEAD = "01JHEAD0000000000000000000"
FRONT = "01JFRONT000000000000000000"


def head(tokens: Tokens, area: str | None = None) -> dict[str, str]:
    """The head of DPMPTSP (signs, assigns, rejects)."""
    return tokens.officer(area, sub=HEAD, position="head")


def front(tokens: Tokens, area: str | None = None) -> dict[str, str]:
    """A front-office officer of DPMPTSP (administrative check only)."""
    return tokens.officer(area, sub=FRONT)


def verifier(tokens: Tokens, sub: str = VERIFIER) -> dict[str, str]:
    """A verifier of DPMPTSP (technical stages once assigned)."""
    return tokens.officer(sub=sub, position="verifier")


async def call(
    client: httpx.AsyncClient,
    application_id: str,
    step: str,
    body: dict[str, Any] | None,
    headers: dict[str, str],
    *,
    method: str = "POST",
) -> httpx.Response:
    """Call one officer's step on an application."""
    return await client.request(
        method, f"/v1/applications/{application_id}/{step}", json=body, headers=headers
    )


async def ok(
    client: httpx.AsyncClient,
    application_id: str,
    step: str,
    body: dict[str, Any] | None,
    headers: dict[str, str],
    *,
    method: str = "POST",
) -> dict[str, Any]:
    """A step that must succeed: its ApplicationRead."""
    response = await call(client, application_id, step, body, headers, method=method)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def assign_verifier(
    client: httpx.AsyncClient, tokens: Tokens, application_id: str, sub: str = VERIFIER
) -> dict[str, Any]:
    """The head assigns the technical stages to the verifier."""
    body = {"officer_sub": sub, "officer_name": "Rina Verifikator"}
    return await ok(client, application_id, "assign", body, head(tokens))


async def stored(app: FastAPI, application_id: str) -> Application:
    """The application as the database holds it now."""
    async with app.state.runtime.session_factory() as session:
        application: Application | None = await session.get(Application, application_id)
        assert application is not None
        return application


async def history(app: FastAPI, application_id: str) -> list[ApplicationHistory]:
    """The application's history rows, in order."""
    async with app.state.runtime.session_factory() as session:
        query = (
            select(ApplicationHistory)
            .where(ApplicationHistory.application_id == application_id)
            .order_by(ApplicationHistory.sequence)
        )
        return list((await session.execute(query)).scalars())


async def events(app: FastAPI, subject: str | None = None) -> list[dict[str, Any]]:
    """Every event in the outbox (decoded CloudEvents), optionally about one subject."""
    async with app.state.runtime.session_factory() as session:
        rows = (await session.execute(select(outbox.c.payload))).all()
    decoded = [json.loads(row[0]) for row in rows]
    return [e for e in decoded if subject is None or e.get("subject") == subject]


async def lifecycle(app: FastAPI, registration_number: str) -> list[dict[str, Any]]:
    """The lifecycle events' data of one application, by sequence."""
    found = [
        e["data"]
        for e in await events(app)
        if e["type"] == LIFECYCLE_V1 and e["data"]["tracking_no"] == registration_number
    ]
    return sorted(found, key=lambda d: int(d["sequence"]))


async def domain(app: FastAPI, name: str, application_id: str) -> list[dict[str, Any]]:
    """The data of the domain events ``name`` about the application."""
    wanted = domain_event_type(name)
    return [e["data"] for e in await events(app, application_id) if e["type"] == wanted]
