"""Shared scene of the object, inquiry and access-log tests (no tests here).

Ani (Melong, kecamatan Cimahi Selatan) and Budi (Cibabat, Cimahi Utara) each own an object with
bills of 2025 and 2026; the clock is pinned to 1 June 2026, 10:00 WIB.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from ulid import ULID

from cimahi_epbb.clock import CLOCK_EXTRA
from cimahi_epbb.models import AccessAudit, Bill, ObjectLink
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

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)  # 10:00 WIB
ANI_SUB = "01JANI0000000000000000000A"
BUDI_SUB = "01JBUD0000000000000000000B"
MELONG_DISPLAY = "32.77.010.001.001-0001.0"
CIBABAT_DISPLAY = "32.77.030.002.002-0002.0"
# A second object of Ani's in Melong (small: its 2026 bill is reduced to zero) and one of a
# third taxpayer in Melong without a linked account.
ANI_SMALL_NOP = "327701000100100020"
SITI_NOP = "327701000100200010"
SITI_NIK = "3277014407920003"
LAKAMI_OFFICER = {"agency": "lakami"}

# Hand-computed (see test_inquiry): Ani's Melong object, 120 m2 land A05 + 90 m2 building B03.
ANI_2026_PRINCIPAL = 453_924  # 0.0009 x 0.8 x (409,200,000 + 236,250,000 - 15,000,000)
ANI_2025_PRINCIPAL = 587_000  # 0.001 x 1 x (372,000,000 + 225,000,000 - 10,000,000)


@dataclass
class Scene:
    """Ids of what the scene created."""

    bills: dict[tuple[str, int], str]


@pytest.fixture
async def scene(app: FastAPI) -> Scene:
    """Rules, three objects (Ani's two, Budi's, Siti's) with bills, Ani's and Budi's links."""
    runtime = app.state.runtime
    runtime.extras[CLOCK_EXTRA] = lambda: NOW
    bills: dict[tuple[str, int], str] = {}
    async with runtime.session_factory() as session:
        await load_rules(session)
        ani = await add_object(session, runtime.pii)
        small = await add_object(
            session, runtime.pii, nop=ANI_SMALL_NOP, land_area=30, building_area=0
        )
        budi = await add_object(
            session,
            runtime.pii,
            nop=CIBABAT_NOP,
            kelurahan_code=CIBABAT,
            nik=BUDI_NIK,
            name="Budi Santoso",
        )
        siti = await add_object(
            session, runtime.pii, nop=SITI_NOP, nik=SITI_NIK, name="Siti Rahmawati"
        )
        for obj in (ani, budi, siti):
            for year in (2025, 2026):
                bills[obj.nop, year] = (await add_bill(session, obj, tax_year=year)).id
        bills[small.nop, 2026] = (
            await add_bill(session, small, tax_year=2026, principal=40_000)
        ).id
        await session.commit()
    return Scene(bills)


async def link(app: FastAPI, nop: str, sub: str) -> None:
    """Link an object to an account straight in the database."""
    async with app.state.runtime.session_factory() as session:
        session.add(ObjectLink(nop=nop, owner_sub=sub, linked_at=NOW))
        await session.commit()


async def mark_paid(app: FastAPI, bill_id: str, *, amount: int, ntpd: str) -> None:
    """Mark a bill paid (what the payments module does), with its frozen breakdown."""
    async with app.state.runtime.session_factory() as session:
        bill = await session.get(Bill, bill_id)
        assert bill is not None
        bill.status = "paid"
        bill.paid_at = NOW
        bill.paid_amount = amount
        bill.receipt_ntpd = ntpd
        bill.paid_breakdown = {
            "principal": bill.principal,
            "reduction": 0,
            "discount": bill.principal - amount,
            "penalty": 0,
            "total": amount,
        }
        await session.commit()


async def supersede(app: FastAPI, bill_id: str, *, principal: int) -> str:
    """Make a corrected version of a bill (what a decided objection does); the new id."""
    async with app.state.runtime.session_factory() as session:
        old = await session.get(Bill, bill_id)
        assert old is not None
        new_id = str(ULID())
        old.is_current = False
        old.status = "superseded"
        old.superseded_by_id = new_id
        await session.flush()
        session.add(
            Bill(
                **{
                    c: getattr(old, c)
                    for c in ("nop", "tax_year", "kelurahan_code", "computation", "due_date")
                },
                id=new_id,
                version=old.version + 1,
                is_current=True,
                sppt_number=f"{old.tax_year}.{old.nop}.{old.version + 1}",
                status="unpaid",
                principal=principal,
                granted_reduction=0,
                rules_version=old.rules_version,
                issued_at=NOW,
                reason="objection",
                updated_at=NOW,
            )
        )
        await session.commit()
        return new_id


async def audit_rows(app: FastAPI, **where: Any) -> list[AccessAudit]:
    """Access-log rows matching ``where`` (column == value), oldest first."""
    async with app.state.runtime.session_factory() as session:
        query = select(AccessAudit).order_by(AccessAudit.id)
        for column, value in where.items():
            query = query.where(getattr(AccessAudit, column) == value)
        return list((await session.execute(query)).scalars())


async def count(app: FastAPI, model: Any) -> int:
    """Rows of a table."""
    async with app.state.runtime.session_factory() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


def assert_no_raw_nik(response: httpx.Response) -> None:
    """No demo NIK appears unmasked in a response."""
    for nik in (ANI_NIK, BUDI_NIK, SITI_NIK):
        assert nik not in response.text


def ani(tokens: Tokens) -> dict[str, str]:
    """Ani's citizen token."""
    return tokens.citizen(ANI_SUB)


def budi(tokens: Tokens) -> dict[str, str]:
    """Budi's citizen token."""
    return tokens.citizen(BUDI_SUB)


Headers = Callable[[Tokens], dict[str, str]]
__all__ = ["CIBABAT", "CIBABAT_NOP", "MELONG", "MELONG_NOP", "Scene", "scene"]
