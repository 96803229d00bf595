"""What a tax object owes on a day: every current bill of the NOP with its amount due.

The one computation behind every inquiry (taxpayer, officer, public, payment channel) and behind
payment codes: ``inquire`` reads the object's current bills and prices the unpaid ones with their
year's rules in force (``bills.formula.amount_due``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_epbb.bills.formula import DueAmounts, amount_due
from cimahi_epbb.models import Bill
from cimahi_epbb.rules.service import RulesInForce, rules_for

UNPAID = "unpaid"
PAID = "paid"


@dataclass(frozen=True, slots=True)
class BillDue:
    """A current bill and, when unpaid, what it costs on the inquiry's day."""

    bill: Bill
    due: DueAmounts | None


@dataclass(frozen=True, slots=True)
class Inquiry:
    """Every current bill of one object, newest tax year first."""

    nop: str
    on: date
    bills: list[BillDue]

    @property
    def total_due(self) -> int:
        """What paying every unpaid bill on ``on`` costs."""
        return sum(b.due.total for b in self.bills if b.due is not None)

    @property
    def unpaid(self) -> list[BillDue]:
        """The bills still to pay."""
        return [b for b in self.bills if b.due is not None]


def price(bill: Bill, in_force: RulesInForce, on: date) -> DueAmounts:
    """The amount due of one unpaid bill on ``on`` (the rules must be of the bill's year)."""
    return amount_due(
        principal=bill.principal,
        granted_reduction=bill.granted_reduction,
        due_date=bill.due_date,
        rules=in_force.rules,
        on=on,
    )


async def current_bills(session: AsyncSession, nop: str) -> list[Bill]:
    """The current version of each year's bill of an object (unpaid or paid), newest year first."""
    rows = await session.execute(
        select(Bill)
        .where(Bill.nop == nop, Bill.is_current.is_(True), Bill.status.in_((UNPAID, PAID)))
        .order_by(Bill.tax_year.desc())
    )
    return list(rows.scalars())


async def inquire(session: AsyncSession, *, nop: str, on: date) -> Inquiry:
    """An object's current bills with the amount due on ``on`` of each unpaid one."""
    bills = await current_bills(session, nop)
    rules: dict[int, RulesInForce] = {}
    priced: list[BillDue] = []
    for bill in bills:
        if bill.status != UNPAID:
            priced.append(BillDue(bill, None))
            continue
        if bill.tax_year not in rules:
            rules[bill.tax_year] = await rules_for(session, bill.tax_year)
        priced.append(BillDue(bill, price(bill, rules[bill.tax_year], on)))
    return Inquiry(nop=nop, on=on, bills=priced)
