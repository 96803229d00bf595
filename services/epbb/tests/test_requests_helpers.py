"""The scene of taxpayer-request tests: rules, Ani's object in Melong with its 2026 bill, her
account link, a pinned clock; and a small client of the request API."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from cimahi_epbb.clock import CALENDAR_EXTRA, CLOCK_EXTRA
from cimahi_epbb.models import Bill, ObjectLink
from cimahi_shared.app import Runtime
from cimahi_shared.calendar import WorkCalendar
from cimahi_shared.events.tables import outbox
from services.epbb.tests.conftest import Tokens
from services.epbb.tests.factories import (
    ANI_NIK,
    BUDI_NIK,
    CIBABAT,
    CIBABAT_NOP,
    MELONG,
    MELONG_NOP,
    add_bill,
    add_object,
    load_rules,
)

MONDAY = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)  # 10:00 WIB
ANI = "citizen-ani"
BUDI = "citizen-budi"
# The default object (120 m2 A05 land, 90 m2 B03 building) assessed with the 2026 rules:
# 0.0009 x 0.8 x (120 x 3,410,000 + 90 x 2,625,000 - 15,000,000) = 453,924.
PRINCIPAL_2026 = 453_924
NEW_NIK = "3277034107900003"  # Citra (a woman born 1 July 1990)

__all__ = ["ANI_NIK", "BUDI_NIK", "CIBABAT", "CIBABAT_NOP", "MELONG", "MELONG_NOP"]


def runtime(app: FastAPI) -> Runtime:
    rt: Runtime = app.state.runtime
    return rt


def pin_clock(
    app: FastAPI, now: datetime = MONDAY, calendar: WorkCalendar | None = None
) -> Callable[[datetime], None]:
    """Pin E-PBB's clock (and a calendar without holidays); returns a setter to move it."""
    moment = {"now": now}
    extras = runtime(app).extras
    extras[CLOCK_EXTRA] = lambda: moment["now"]
    extras[CALENDAR_EXTRA] = calendar or WorkCalendar()

    def move(to: datetime) -> None:
        moment["now"] = to

    return move


@dataclass
class Scene:
    """What the tests act on."""

    bill_id: str
    budi_bill_id: str


async def scene(
    app: FastAPI, session: Any, *, years: tuple[int, ...] = (2026,), bare_land: bool = False
) -> Scene:
    """Rules, Ani's object in Melong and Budi's in Cibabat with their bills, both linked."""
    pii = runtime(app).pii
    await load_rules(session)
    ani = (
        await add_object(session, pii, building_area=0)
        if bare_land
        else await add_object(session, pii)
    )
    budi = await add_object(
        session, pii, nop=CIBABAT_NOP, kelurahan_code=CIBABAT, nik=BUDI_NIK, name="Budi Santoso"
    )
    bills = {year: await add_bill(session, ani, tax_year=year) for year in years}
    budi_bill = await add_bill(session, budi)
    session.add(ObjectLink(nop=ani.nop, owner_sub=ANI, linked_at=MONDAY))
    session.add(ObjectLink(nop=budi.nop, owner_sub=BUDI, linked_at=MONDAY))
    await session.commit()
    return Scene(bill_id=bills[max(years)].id, budi_bill_id=budi_bill.id)


class Flow:
    """Ani, Budi, officers of Melong and Cibabat, the head of Bapenda, against the request API."""

    def __init__(self, client: httpx.AsyncClient, tokens: Tokens) -> None:
        self.client = client
        self.ani = tokens.citizen(sub=ANI)
        self.budi = tokens.citizen(sub=BUDI)
        self.officer = tokens.officer(MELONG)
        self.cibabat_officer = tokens.officer(CIBABAT)
        self.head = tokens.head()
        self.lakami = tokens.officer(MELONG, agency="lakami")

    async def submit(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        response = await self.client.post("/v1/requests", json=body, headers=headers or self.ani)
        assert response.status_code == 201, response.text
        return response.json()

    async def step(
        self,
        ref: str,
        action: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return await self.client.post(
            f"/v1/requests/{ref}/{action}", json=body or {}, headers=headers or self.officer
        )

    async def ok(
        self,
        ref: str,
        action: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        response = await self.step(ref, action, body, headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def get(self, ref: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.client.get(f"/v1/requests/{ref}", headers=headers or self.ani)


def keberatan(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "keberatan",
        "nop": "32.77.010.001.001-0001.0",
        "tax_year": 2026,
        "reason": "Luas tanah sebenarnya 100 m2, bukan 120 m2.",
        "claimed_land_area": 100,
        **overrides,
    }


def pengurangan(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "pengurangan",
        "nop": MELONG_NOP,
        "tax_year": 2026,
        "ground": "pensioner",
        "reason": "Pensiunan PNS, penghasilan tetap kecil.",
        "requested_percent": 25,
        **overrides,
    }


def mutasi(**overrides: Any) -> dict[str, Any]:
    return {"kind": "mutasi", "nop": MELONG_NOP, **overrides}


async def bills_of(app: FastAPI, nop: str = MELONG_NOP, tax_year: int = 2026) -> list[Bill]:
    """Every version of a bill, oldest first."""
    async with runtime(app).session_factory() as session:
        rows = await session.scalars(
            select(Bill).where(Bill.nop == nop, Bill.tax_year == tax_year).order_by(Bill.version)
        )
        return list(rows)


async def outbox_events(app: FastAPI) -> list[dict[str, Any]]:
    """Every event in the outbox (decoded CloudEvents), oldest first."""
    async with runtime(app).session_factory() as session:
        rows = (
            await session.execute(
                select(outbox.c.payload).order_by(outbox.c.created_at, outbox.c.id)
            )
        ).all()
    return [json.loads(row[0]) for row in rows]
