"""Bill inquiry's rules: an object's bills priced on a day for its taxpayer, officers, the public.

Every amount comes from ``bills.inquiry.inquire`` (the computation payment channels get too).
Who may see a bill is who may see its object (``objects.service.visible_object``); officers'
and admins' reads are logged with their purpose, one row per object.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_epbb.access_log import log_reads
from cimahi_epbb.bills.formula import DueAmounts
from cimahi_epbb.bills.inquiry import UNPAID, BillDue, Inquiry, inquire, price
from cimahi_epbb.bills.schemas import BillAmounts, BillStatus, BillVersion, ExplanationLine
from cimahi_epbb.config import EpbbSettings
from cimahi_epbb.models import Bill, TaxObject
from cimahi_epbb.objects import repository
from cimahi_epbb.objects.repository import BillFilter
from cimahi_epbb.objects.service import ObjectNotFound, area_nop_ranges, visible_object
from cimahi_epbb.rules.service import RulesInForce, rules_for
from cimahi_shared.auth import Principal
from cimahi_shared.errors import NotFound

LIST_STATUSES = ("unpaid", "overdue", "paid", "reduced-to-zero")


class BillNotFound(NotFound):
    """Unknown bill id, or a bill of an object the caller may not see (one answer for both)."""

    def __init__(self) -> None:
        super().__init__("No bill with this id is known to you.")


def bill_status(bill: Bill, due: DueAmounts | None) -> BillStatus:
    """A bill's status as the taxpayer sees it on the day ``due`` was priced for."""
    if bill.status == "paid":
        return "paid"
    if bill.status == "superseded" or bill.status == "cancelled":
        return bill.status  # type: ignore[return-value]
    if due is None:
        return "unpaid"
    if due.principal - due.reduction <= 0:
        return "reduced-to-zero"
    return "overdue" if due.overdue else "unpaid"


def _whole(value: object) -> int:
    return value if isinstance(value, int) else 0


def paid_amounts(bill: Bill) -> DueAmounts | None:
    """What a paid bill cost, as frozen at payment (None: not paid, or paid without a breakdown)."""
    frozen = bill.paid_breakdown
    if bill.status != "paid" or not frozen:
        return None
    on = frozen.get("on")
    reason = frozen.get("reduction_reason")
    return DueAmounts(
        on=date.fromisoformat(on) if isinstance(on, str) else bill.due_date,
        principal=bill.principal,
        reduction=_whole(frozen.get("reduction")),
        reduction_reason=reason if isinstance(reason, str) else None,
        discount=_whole(frozen.get("discount")),
        penalty_months=_whole(frozen.get("penalty_months")),
        penalty=_whole(frozen.get("penalty")),
        penalty_waived=_whole(frozen.get("penalty_waived")),
        total=bill.paid_amount if bill.paid_amount is not None else _whole(frozen.get("total")),
    )


def amounts(bill: Bill, due: DueAmounts | None) -> dict[str, Any]:
    """The fields of ``BillAmounts``: priced on the day when unpaid, as paid when paid."""
    data: dict[str, Any] = {
        "id": bill.id,
        "tax_year": bill.tax_year,
        "sppt_number": bill.sppt_number,
        "version": bill.version,
        "status": bill_status(bill, due),
        "due_date": bill.due_date,
        "principal": bill.principal,
        "granted_reduction": bill.granted_reduction,
        "paid_at": bill.paid_at,
        "paid_amount": bill.paid_amount,
        "receipt_ntpd": bill.receipt_ntpd,
    }
    if due is not None:
        data |= {
            "reduction": due.reduction,
            "reduction_reason": due.reduction_reason,
            "discount": due.discount,
            "penalty_months": due.penalty_months,
            "penalty": due.penalty,
            "penalty_waived": due.penalty_waived,
            "total_due": due.total,
        }
    else:
        paid = paid_amounts(bill)
        data |= {
            "reduction": paid.reduction if paid else 0,
            "reduction_reason": paid.reduction_reason if paid else None,
            "discount": paid.discount if paid else 0,
            "penalty_months": paid.penalty_months if paid else 0,
            "penalty": paid.penalty if paid else 0,
            "penalty_waived": paid.penalty_waived if paid else 0,
            "total_due": 0,
        }
    return data


def bill_amounts(item: BillDue) -> BillAmounts:
    """The API view of one priced bill."""
    return BillAmounts.model_validate(amounts(item.bill, item.due))


# --- an object's bills ---


async def object_bills(
    session: AsyncSession,
    *,
    principal: Principal,
    nop: str,
    on: date,
    purpose: str,
    now: datetime,
) -> Inquiry:
    """Every current bill of an object the caller may see, priced on ``on`` (officers' reads logged)."""
    await visible_object(session, principal=principal, nop=nop)
    inquiry = await inquire(session, nop=nop, on=on)
    log_reads(
        session,
        principal,
        resource="bill",
        refs=[(nop, f"{nop}@{on.isoformat()}")],
        action="read",
        purpose=purpose,
        now=now,
    )
    return inquiry


async def public_bills(session: AsyncSession, *, nop: str, on: date) -> tuple[TaxObject, Inquiry]:
    """The object and its bills priced on ``on``, for the public inquiry (caller masks the data)."""
    obj = await repository.get_object(session, nop)
    if obj is None:
        raise ObjectNotFound
    return obj, await inquire(session, nop=nop, on=on)


# --- one bill ---


@dataclass(frozen=True, slots=True)
class BillView:
    """One bill version with what it costs on a day, its explanation and its year's versions."""

    bill: Bill
    due: DueAmounts | None
    explanation: list[ExplanationLine]
    versions: list[BillVersion]


def rp(amount: object) -> str:
    """Rupiah as written in Indonesia: ``Rp3.410.000`` (``-`` when not a whole number)."""
    if not isinstance(amount, int):
        return "-"
    return "Rp" + f"{amount:,}".replace(",", ".")


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def explanation(bill: Bill, due: DueAmounts | None) -> list[ExplanationLine]:
    """The bill line by line: the assessment stored with it, then the amounts of the day.

    A paid bill ends with the amounts it was paid with (``due`` is then ignored).
    """
    paid = paid_amounts(bill)
    due = paid or due
    c = bill.computation
    njoptkp = _int(c.get("njoptkp"))
    computed = _int(c.get("computed_tax"))
    lines = [
        ExplanationLine(
            key="land_njop",
            label="NJOP bumi / land value",
            formula=f"{c.get('land_area')} m2 x {rp(c.get('land_njop_per_m2'))} "
            f"(kelas {c.get('land_class')})",
            amount=_int(c.get("land_njop")),
        ),
        ExplanationLine(
            key="building_njop",
            label="NJOP bangunan / building value",
            formula=f"{c.get('building_area')} m2 x {rp(c.get('building_njop_per_m2'))} "
            f"(kelas {c.get('building_class') or '-'})",
            amount=_int(c.get("building_njop")),
        ),
        ExplanationLine(
            key="njop", label="NJOP", formula="bumi + bangunan", amount=_int(c.get("njop"))
        ),
        ExplanationLine(
            key="njoptkp",
            label="NJOPTKP (tidak kena pajak / non-taxable)",
            formula="sekali per wajib pajak / once per taxpayer",
            amount=-njoptkp if njoptkp is not None else None,
        ),
        ExplanationLine(
            key="taxable_njop",
            label="NJOP kena pajak / taxable value",
            formula="NJOP - NJOPTKP",
            amount=_int(c.get("taxable_njop")),
        ),
        ExplanationLine(
            key="computed_tax",
            label="PBB dihitung / tax computed",
            formula=f"tarif {c.get('tariff')} x NJOP% {c.get('njop_percent')} x NJOP kena pajak "
            f"(minimum {rp(c.get('minimum_tax', 0))})",
            amount=computed,
        ),
        ExplanationLine(
            key="principal",
            label="PBB terutang (pokok) / principal",
            formula=None if computed == bill.principal else f"ditetapkan / decided ({bill.reason})",
            amount=bill.principal,
        ),
    ]
    if bill.granted_reduction:
        lines.append(
            ExplanationLine(
                key="granted_reduction",
                label="Pengurangan dikabulkan / reduction granted",
                formula="permohonan pengurangan / on request",
                amount=bill.granted_reduction,
            )
        )
    if due is not None:
        lines += [
            ExplanationLine(
                key="reduction",
                label="Pengurangan / reduction",
                formula=due.reduction_reason,
                amount=-due.reduction,
            ),
            ExplanationLine(
                key="discount",
                label="Diskon bayar awal / early-payment discount",
                amount=-due.discount,
            ),
            ExplanationLine(
                key="penalty",
                label="Denda / late penalty",
                formula=f"{due.penalty_months} bulan / months late",
                amount=due.penalty,
            ),
            ExplanationLine(
                key="penalty_waived",
                label="Penghapusan denda / penalty waived",
                amount=-due.penalty_waived,
            ),
            ExplanationLine(
                key="total",
                label=(
                    f"Dibayar {due.on.isoformat()} / paid"
                    if paid
                    else f"Jumlah bayar {due.on.isoformat()} / total due"
                ),
                amount=due.total,
            ),
        ]
    return lines


def _version(b: Bill) -> BillVersion:
    return BillVersion(
        id=b.id,
        version=b.version,
        sppt_number=b.sppt_number,
        status=b.status,
        is_current=b.is_current,
        principal=b.principal,
        granted_reduction=b.granted_reduction,
        reason=b.reason,
        request_id=b.request_id,
        issued_at=b.issued_at,
        superseded_by_id=b.superseded_by_id,
    )


async def read_bill(
    session: AsyncSession,
    *,
    principal: Principal,
    bill_id: str,
    on: date,
    purpose: str,
    now: datetime,
) -> BillView:
    """One bill version (current or old) of an object the caller may see, priced on ``on``."""
    bill = await repository.get_bill(session, bill_id)
    if bill is None:
        raise BillNotFound
    try:
        await visible_object(session, principal=principal, nop=bill.nop)
    except ObjectNotFound:
        raise BillNotFound from None
    due = None
    if bill.status == UNPAID and bill.is_current:
        due = price(bill, await rules_for(session, bill.tax_year), on)
    versions = await repository.bill_versions(session, nop=bill.nop, tax_year=bill.tax_year)
    log_reads(
        session,
        principal,
        resource="bill",
        refs=[(bill.nop, bill.id)],
        action="read",
        purpose=purpose,
        now=now,
    )
    return BillView(bill, due, explanation(bill, due), [_version(v) for v in versions])


# --- officers' list ---


@dataclass(frozen=True, slots=True)
class BillQuery:
    """Filters of the officers' bill list."""

    on: date
    tax_year: int | None = None
    kelurahan_code: str | None = None
    status: str | None = None
    cursor: tuple[str, int] | None = None
    limit: int = 50


def _filter(principal: Principal, query: BillQuery, settings: EpbbSettings) -> BillFilter:
    states: tuple[str, ...] = ("unpaid", "paid")
    due_before = due_from = None
    if query.status == "paid":
        states = ("paid",)
    elif query.status == "overdue":
        states, due_before = ("unpaid",), query.on
    elif query.status == "unpaid":
        states, due_from = ("unpaid",), query.on
    elif query.status == "reduced-to-zero":
        states = ("unpaid",)
    area = None if principal.is_admin else (principal.area or "-")
    return BillFilter(
        area=area,
        tax_year=query.tax_year,
        kelurahan_code=query.kelurahan_code,
        states=states,
        nop_ranges=area_nop_ranges([area, query.kelurahan_code], settings),
        due_before=due_before,
        due_from=due_from,
        after=query.cursor,
        limit=query.limit,
    )


async def list_bills(
    session: AsyncSession,
    *,
    principal: Principal,
    query: BillQuery,
    settings: EpbbSettings,
    purpose: str,
    now: datetime,
) -> tuple[list[tuple[Bill, TaxObject, DueAmounts | None]], str | None]:
    """A page of current bills of the officer's area (admins: the city), priced on ``query.on``.

    ``status`` filters what the taxpayer would see on the day; a page may hold fewer than
    ``limit`` items when bills reduced to zero are left out of ``unpaid``/``overdue`` (the
    cursor still moves on).
    """
    rows = await repository.list_bills(session, _filter(principal, query, settings))
    rules: dict[int, RulesInForce] = {}
    out: list[tuple[Bill, TaxObject, DueAmounts | None]] = []
    for bill, obj in rows:
        due = None
        if bill.status == UNPAID:
            if bill.tax_year not in rules:
                rules[bill.tax_year] = await rules_for(session, bill.tax_year)
            due = price(bill, rules[bill.tax_year], query.on)
        if query.status is None or bill_status(bill, due) == query.status:
            out.append((bill, obj, due))
    log_reads(
        session,
        principal,
        resource="bill",
        refs=[(bill.nop, bill.id) for bill, _, _ in out],
        action="list",
        purpose=purpose,
        now=now,
    )
    last = rows[-1][0] if len(rows) == query.limit else None
    return out, (f"{last.nop}-{last.tax_year}" if last else None)
