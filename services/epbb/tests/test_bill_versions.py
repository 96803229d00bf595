"""New bill versions (``bills.versions.new_bill_version``): the old one is kept and superseded,
the new one keeps or re-assesses the computation, and a paid or stale bill is never replaced."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from cimahi_epbb.bills.formula import ObjectFacts
from cimahi_epbb.bills.versions import new_bill_version
from cimahi_epbb.models import Bill, TaxObject
from cimahi_shared.errors import Conflict, InvalidInput
from services.epbb.tests.factories import MELONG_NOP, NOW, add_bill, add_object, load_rules

PRINCIPAL_2026 = 453_924  # 0.0009 x 0.8 x (120 x 3,410,000 + 90 x 2,625,000 - 15,000,000)


async def _bill(app: FastAPI, session: Any) -> Bill:
    await load_rules(session)
    obj = await add_object(session, app.state.runtime.pii)
    bill = await add_bill(session, obj)
    await session.commit()
    return bill


async def _versions(app: FastAPI) -> list[Bill]:
    async with app.state.runtime.session_factory() as s:
        rows = await s.scalars(select(Bill).where(Bill.nop == MELONG_NOP).order_by(Bill.version))
        return list(rows)


class TestNewBillVersion:
    async def test_supersedes_the_old_and_keeps_its_computation(
        self, app: FastAPI, session: Any
    ) -> None:
        bill = await _bill(app, session)
        new = await new_bill_version(
            session, bill=bill, reason="reduction", request_id="R1", now=NOW, granted_reduction=1000
        )
        await session.commit()
        old, current = await _versions(app)
        assert (old.status, old.is_current, old.superseded_by_id) == ("superseded", False, new.id)
        assert (old.principal, old.granted_reduction) == (PRINCIPAL_2026, 0)
        assert current.id == new.id
        assert (current.version, current.sppt_number) == (2, f"2026.{MELONG_NOP}.2")
        assert (current.status, current.is_current) == ("unpaid", True)
        assert (current.principal, current.granted_reduction) == (PRINCIPAL_2026, 1000)
        assert current.computation == old.computation
        assert (current.due_date, current.rules_version) == (old.due_date, old.rules_version)
        assert (current.reason, current.request_id) == ("reduction", "R1")

    async def test_versions_chain_and_keep_a_granted_reduction(
        self, app: FastAPI, session: Any
    ) -> None:
        bill = await _bill(app, session)
        second = await new_bill_version(
            session, bill=bill, reason="reduction", request_id=None, now=NOW, granted_reduction=5000
        )
        third = await new_bill_version(
            session, bill=second, reason="objection", request_id=None, now=NOW, principal=4000
        )
        await session.commit()
        versions = await _versions(app)
        assert [b.version for b in versions] == [1, 2, 3]
        assert [b.is_current for b in versions] == [False, False, True]
        assert versions[1].superseded_by_id == third.id
        # The granted reduction carries over, never above the principal.
        assert (third.principal, third.granted_reduction) == (4000, 4000)
        assert third.computation["decided_principal"] == 4000

    async def test_reassesses_from_the_object_or_given_facts(
        self, app: FastAPI, session: Any
    ) -> None:
        bill = await _bill(app, session)
        obj = await session.get(TaxObject, MELONG_NOP)
        obj.building_area = 60
        second = await new_bill_version(
            session, bill=bill, reason="mutasi", request_id=None, now=NOW, reassess_from_object=True
        )
        # 0.0009 x 0.8 x (120 x 3,410,000 + 60 x 2,625,000 - 15,000,000)
        assert second.principal == 397_224
        assert second.computation["building_area"] == 60
        facts = ObjectFacts(land_area=100, building_area=0, land_class="A05", building_class=None)
        third = await new_bill_version(
            session, bill=second, reason="objection", request_id=None, now=NOW, facts=facts
        )
        # 0.0009 x 0.8 x (100 x 3,410,000 - 15,000,000) = 234,720
        assert third.principal == 234_720
        with pytest.raises(InvalidInput) as refused:
            await new_bill_version(
                session,
                bill=third,
                reason="objection",
                request_id=None,
                now=NOW,
                facts=ObjectFacts(100, 0, "Z99", None),
            )
        assert refused.value.errors is not None
        assert [e["field"] for e in refused.value.errors] == ["land_class"]

    async def test_a_paid_or_superseded_bill_gets_no_new_version(
        self, app: FastAPI, session: Any
    ) -> None:
        bill = await _bill(app, session)
        await new_bill_version(session, bill=bill, reason="mutasi", request_id=None, now=NOW)
        with pytest.raises(Conflict):
            await new_bill_version(session, bill=bill, reason="mutasi", request_id=None, now=NOW)
        await session.rollback()
        (bill,) = await _versions(app)  # nothing of the failed attempt was kept
        paid = await session.merge(bill)
        paid.status = "paid"
        await session.commit()
        with pytest.raises(Conflict):
            await new_bill_version(session, bill=paid, reason="mutasi", request_id=None, now=NOW)
        assert len(await _versions(app)) == 1

    async def test_a_bill_paid_since_it_was_read_is_not_replaced(
        self, app: FastAPI, session: Any
    ) -> None:
        bill = await _bill(app, session)
        # Another transaction (a payment channel's confirmation) pays it after we read it.
        async with app.state.runtime.session_factory() as other:
            await other.execute(
                update(Bill)
                .where(Bill.id == bill.id, Bill.status == "unpaid")
                .values(status="paid")
            )
            await other.commit()
        assert bill.status == "unpaid"  # our stale copy
        with pytest.raises(Conflict):
            await new_bill_version(session, bill=bill, reason="mutasi", request_id=None, now=NOW)
        await session.rollback()
        (only,) = await _versions(app)
        assert (only.status, only.is_current) == ("paid", True)
