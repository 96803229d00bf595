"""Shapes of the bill inquiry API: a year's bill with what it costs on a day, lists, the public view.

Amounts are whole rupiah. ``status`` of a current bill as the taxpayer sees it on the day:
``unpaid`` (nothing late yet), ``overdue`` (penalty months started), ``paid``, or
``reduced-to-zero`` (the reduction covers the whole principal: nothing to pay); old versions are
``superseded``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

BillStatus = Literal["unpaid", "overdue", "paid", "reduced-to-zero", "superseded", "cancelled"]


class BillAmounts(BaseModel):
    """One year's bill and what it costs on the inquiry's day (paid: as it was paid)."""

    id: str
    tax_year: int
    sppt_number: str
    version: int
    status: BillStatus
    due_date: date
    principal: int = Field(description="Tax assessed (pokok)")
    granted_reduction: int = Field(description="Reduction granted on request (pengurangan)")
    reduction: int = Field(description="Reduction applied (policy tier or granted, the larger)")
    reduction_reason: str | None = Field(description="policy | granted | None")
    discount: int = Field(description="Early-payment discount")
    penalty_months: int
    penalty: int = Field(description="Late penalty (denda) before any amnesty")
    penalty_waived: int = Field(description="Penalty waived by an amnesty window")
    total_due: int = Field(description="What paying this bill on the day costs; 0 when paid")
    paid_at: datetime | None = None
    paid_amount: int | None = None
    receipt_ntpd: str | None = None


class ObjectBills(BaseModel):
    """Every current bill of a tax object, newest year first, priced on ``on``."""

    nop: str
    nop_display: str
    on: date
    bills: list[BillAmounts]
    total_due: int = Field(description="Sum of every unpaid bill's total on the day")


class BillVersion(BaseModel):
    """One version of a year's bill (a correction makes a new one and keeps the old)."""

    id: str
    version: int
    sppt_number: str
    status: str
    is_current: bool
    principal: int
    granted_reduction: int
    reason: str = Field(description="generated | objection | reduction | mutasi")
    request_id: str | None
    issued_at: datetime
    superseded_by_id: str | None


class ExplanationLine(BaseModel):
    """One line of a bill's computation, from the object's areas to the total due."""

    key: str
    label: str
    formula: str | None = None
    amount: int | None = Field(default=None, description="Rupiah (deductions negative)")


class BillDetail(BillAmounts):
    """One bill version with its computation, explanation and the year's other versions."""

    nop: str
    nop_display: str
    kelurahan_code: str
    is_current: bool
    reason: str
    request_id: str | None
    rules_version: int
    issued_at: datetime
    on: date = Field(description="The day the amounts are for")
    computation: dict[str, Any]
    explanation: list[ExplanationLine]
    versions: list[BillVersion]


class BillListItem(BillAmounts):
    """A bill of the officers' list, with its object."""

    nop: str
    nop_display: str
    kelurahan_code: str
    taxpayer_name: str


class BillPage(BaseModel):
    """A page of bills; pass ``next_cursor`` as ``cursor`` for the next one (None: the last)."""

    on: date
    items: list[BillListItem]
    next_cursor: str | None


class PublicBill(BaseModel):
    """One year of a public inquiry."""

    tax_year: int
    status: BillStatus
    due_date: date
    principal: int
    reduction: int
    discount: int
    penalty: int
    penalty_waived: int
    total_due: int


class PublicInquiry(BaseModel):
    """The public inquiry by NOP: the years and what is due today; the taxpayer's name masked."""

    nop: str
    nop_display: str
    taxpayer_name_masked: str
    kelurahan_code: str
    kelurahan_name: str | None
    kecamatan_name: str | None
    on: date
    bills: list[PublicBill]
    total_due: int
