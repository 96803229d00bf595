"""Taxpayer requests: objection (keberatan), reduction (pengurangan), data change (mutasi).

They follow an officer workflow with working-day deadlines and speak the platform's
request-lifecycle contract. An approved request's outcome is a new bill version
(``outcome_bill_id``) and, for mutasi, a new version of the tax object.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from cimahi_epbb.db import Base
from cimahi_shared.db import UTCDateTime

# Requests not decided yet (cimahi_epbb.requests.kinds.UNDECIDED_STATUSES): one at a time per
# kind and bill (keberatan, pengurangan) or per object (mutasi), enforced by the database too.
_UNDECIDED = "status IN ('submitted', 'resubmitted', 'verified', 'returned')"
_ONE_PER_BILL = f"tax_year IS NOT NULL AND {_UNDECIDED}"
_ONE_MUTASI = f"kind = 'mutasi' AND {_UNDECIDED}"


class TaxpayerRequest(Base):
    """One taxpayer request about one tax object (and, except mutasi of the object, one bill)."""

    __tablename__ = "taxpayer_requests"
    __table_args__ = (
        Index("ix_taxpayer_requests_owner_sub_id", "owner_sub", "id"),
        Index("ix_taxpayer_requests_kelurahan_code_id", "kelurahan_code", "id"),
        Index("ix_taxpayer_requests_status_due_at", "status", "due_at"),
        Index(
            "uq_taxpayer_requests_open_per_bill",
            "kind",
            "nop",
            "tax_year",
            unique=True,
            sqlite_where=text(_ONE_PER_BILL),
            postgresql_where=text(_ONE_PER_BILL),
        ),
        Index(
            "uq_taxpayer_requests_open_mutasi",
            "nop",
            unique=True,
            sqlite_where=text(_ONE_MUTASI),
            postgresql_where=text(_ONE_MUTASI),
        ),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="ULID")
    tracking_no: Mapped[str] = mapped_column(String(32), unique=True, comment="PBB-...")
    kind: Mapped[str] = mapped_column(String(16), comment="keberatan | pengurangan | mutasi")
    owner_sub: Mapped[str] = mapped_column(String(64))
    nop: Mapped[str] = mapped_column(String(18))
    tax_year: Mapped[int | None] = mapped_column(Integer)
    bill_id: Mapped[str | None] = mapped_column(String(26), comment="The bill concerned")
    kelurahan_code: Mapped[str] = mapped_column(String(16))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, comment="Kind-specific (no raw NIK)")
    # A new taxpayer's NIK for a mutasi (encrypted; masked for display).
    new_taxpayer_nik_encrypted: Mapped[str | None] = mapped_column(Text)
    new_taxpayer_nik_masked: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(
        String(16),
        comment="submitted | verified | returned | resubmitted | approved | rejected | cancelled",
    )
    decision: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, comment="What was decided (e.g. new principal, granted reduction, changed fields)"
    )
    outcome_bill_id: Mapped[str | None] = mapped_column(String(26))
    granted_reduction: Mapped[int | None] = mapped_column(BigInteger)
    sequence: Mapped[int] = mapped_column(Integer, comment="Sequence of the last lifecycle event")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TaxpayerRequestHistory(Base):
    """One step of a taxpayer request: who, when, from which status to which, and why."""

    __tablename__ = "taxpayer_request_history"

    request_id: Mapped[str] = mapped_column(ForeignKey("taxpayer_requests.id"), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_sub: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(16))
    actor_name: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(2000))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
