"""New versions of a bill: the outcome of an objection, a reduction or a mutasi.

The old version is kept, marked ``superseded`` (``is_current`` False, ``superseded_by_id``) by a
conditional ``UPDATE ... WHERE status = 'unpaid' AND is_current``: the same guard that marks a
bill paid, so of a payment and a correction racing on one bill exactly one wins and the other
gets 409. The new version keeps the old computation or re-assesses the object with the year's
rules in force (``bills.formula.assess``); it keeps the due date, NJOPTKP as it was applied, and
the old granted reduction unless a new one is given.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_epbb.bills.formula import ObjectFacts, UnknownValueClass, assess
from cimahi_epbb.models import Bill, TaxObject
from cimahi_epbb.rules.service import rules_for
from cimahi_shared.errors import Conflict, InvalidInput

UNPAID = "unpaid"
SUPERSEDED = "superseded"


def sppt_number(tax_year: int, nop: str, version: int) -> str:
    """``<tax year>.<NOP>.<version>``."""
    return f"{tax_year}.{nop}.{version}"


def facts_of(obj: TaxObject) -> ObjectFacts:
    """What assessment needs of a tax object as it is now."""
    return ObjectFacts(obj.land_area, obj.building_area, obj.land_class, obj.building_class)


async def new_bill_version(
    session: AsyncSession,
    *,
    bill: Bill,
    reason: str,
    request_id: str | None,
    now: datetime,
    principal: int | None = None,
    granted_reduction: int | None = None,
    reassess_from_object: bool = False,
    facts: ObjectFacts | None = None,
) -> Bill:
    """Supersede ``bill`` with version + 1 (the caller commits); 409 if it is paid or not current.

    ``principal``: an explicit new principal (the computation is kept, with the decision noted);
    ``facts``: re-assess with these object facts; ``reassess_from_object``: re-assess with the
    object's current data. Otherwise the principal and computation are kept.
    """
    if bill.status != UNPAID or not bill.is_current:
        raise Conflict(
            f"Bill {bill.sppt_number} is {bill.status if bill.is_current else 'superseded'}; "
            "only the current unpaid bill can be corrected."
        )
    new_id = str(ULID())
    new_principal, computation, rules_version = await _assessment(
        session, bill=bill, principal=principal, facts=facts, from_object=reassess_from_object
    )
    superseded = await session.execute(
        update(Bill)
        .where(Bill.id == bill.id, Bill.status == UNPAID, Bill.is_current.is_(True))
        .values(is_current=False, status=SUPERSEDED, superseded_by_id=new_id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(superseded, "rowcount", 0) != 1:
        raise Conflict(f"Bill {bill.sppt_number} was paid or corrected meanwhile.")
    await session.refresh(bill)
    reduction = bill.granted_reduction if granted_reduction is None else granted_reduction
    version = bill.version + 1
    successor = Bill(
        id=new_id,
        nop=bill.nop,
        tax_year=bill.tax_year,
        version=version,
        is_current=True,
        sppt_number=sppt_number(bill.tax_year, bill.nop, version),
        kelurahan_code=bill.kelurahan_code,
        status=UNPAID,
        principal=new_principal,
        granted_reduction=min(max(reduction, 0), new_principal),
        computation=computation,
        rules_version=rules_version,
        due_date=bill.due_date,
        issued_at=now,
        reason=reason,
        request_id=request_id,
        superseded_by_id=None,
        paid_at=None,
        paid_amount=None,
        paid_breakdown=None,
        receipt_ntpd=None,
        updated_at=now,
    )
    session.add(successor)
    await session.flush()
    return successor


async def _assessment(
    session: AsyncSession,
    *,
    bill: Bill,
    principal: int | None,
    facts: ObjectFacts | None,
    from_object: bool,
) -> tuple[int, dict[str, Any], int]:
    """The new principal, computation and rules version."""
    if principal is not None:
        computation = {**bill.computation, "decided_principal": principal}
        return principal, computation, bill.rules_version
    if facts is None and from_object:
        obj = await session.get(TaxObject, bill.nop)
        if obj is None:  # pragma: no cover - bills are of objects
            raise Conflict(f"The object of bill {bill.sppt_number} is gone.")
        facts = facts_of(obj)
    if facts is None:
        return bill.principal, dict(bill.computation), bill.rules_version
    in_force = await rules_for(session, bill.tax_year)
    njoptkp_applied = int(bill.computation.get("njoptkp", 0) or 0) > 0
    try:
        assessment = assess(facts, in_force.rules, njoptkp_applies=njoptkp_applied)
    except UnknownValueClass as exc:
        land_known = facts.land_class in in_force.rules.land_classes
        field = "building_class" if land_known else "land_class"
        raise InvalidInput(
            "The value class is not in the year's rules.",
            errors=[{"field": field, "message": str(exc)}],
        ) from None
    return assessment.principal, assessment.as_json(), in_force.version
