"""Yearly tax bills (SPPT), one current version per NOP and tax year.

Money is whole rupiah (``BigInteger``). A bill keeps its principal and the inputs it was computed
from (``computation``: areas, classes, NJOP per m2, NJOP%, NJOPTKP, tariff, rules version) so it
can be explained line by line. A taxpayer request's outcome (objection, reduction, mutasi) makes
a new version and marks the old one ``superseded`` (kept, with ``superseded_by_id``). Amounts
that depend on the payment date (the on-time reduction, early discount, penalty, amnesty) are
computed when asked (``cimahi_epbb.bills.formula.amount_due``) and frozen on the bill when it is
paid (``paid_*``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from cimahi_epbb.db import Base
from cimahi_shared.db import UTCDateTime


class Bill(Base):
    """One version of the bill of one tax object for one tax year."""

    __tablename__ = "bills"
    __table_args__ = (
        Index("uq_bills_nop_tax_year_version", "nop", "tax_year", "version", unique=True),
        # At most one current version per object and year.
        Index(
            "uq_bills_current",
            "nop",
            "tax_year",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
        Index("ix_bills_tax_year_kelurahan_code_status", "tax_year", "kelurahan_code", "status"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="ULID")
    nop: Mapped[str] = mapped_column(String(18))
    tax_year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, comment="1 when generated; +1 per correction")
    is_current: Mapped[bool] = mapped_column(Boolean)
    sppt_number: Mapped[str] = mapped_column(String(32), comment="<tax year>.<NOP>.<version>")
    kelurahan_code: Mapped[str] = mapped_column(String(16), comment="Copied for officer lists")
    status: Mapped[str] = mapped_column(
        String(12), comment="unpaid | paid | superseded | cancelled (overdue is derived)"
    )
    principal: Mapped[int] = mapped_column(BigInteger, comment="Tax assessed (pokok), rupiah")
    granted_reduction: Mapped[int] = mapped_column(
        BigInteger, comment="Reduction granted by a pengurangan request (rupiah), 0 if none"
    )
    computation: Mapped[dict[str, Any]] = mapped_column(
        JSON, comment="Assessment inputs and lines (cimahi_epbb.bills.formula.Assessment)"
    )
    rules_version: Mapped[int] = mapped_column(Integer, comment="Rules version assessed with")
    due_date: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(
        String(40), comment="generated | objection | reduction | mutasi"
    )
    request_id: Mapped[str | None] = mapped_column(String(26), comment="Request that made it")
    superseded_by_id: Mapped[str | None] = mapped_column(String(26))
    # Frozen at payment.
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_amount: Mapped[int | None] = mapped_column(BigInteger)
    paid_breakdown: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, comment="principal, reduction, discount, penalty, total at payment"
    )
    receipt_ntpd: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
