"""Issued permits and the levy (retribusi) payments of applications."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cimahi_shared.db import UTCDateTime
from cimahi_sipinter.db import Base


class Permit(Base):
    """A permit issued for an approved application (verifiable by its code)."""

    __tablename__ = "permits"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="ULID")
    number: Mapped[str] = mapped_column(String(48), unique=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), unique=True)
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"), index=True)
    permit_type: Mapped[str] = mapped_column(String(24))
    holder_name: Mapped[str] = mapped_column(String(200), comment="Business name when issued")
    kelurahan_code: Mapped[str] = mapped_column(String(16))
    deemed_approval: Mapped[bool] = mapped_column(
        default=False, comment="Issued after the deadline passed (granted by law)"
    )
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, comment="None: valid while in force")
    conditions: Mapped[list[Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), comment="valid | revoked")
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verification_code: Mapped[str] = mapped_column(String(32), unique=True)
    signed_by: Mapped[str | None] = mapped_column(String(100), comment="Name of the signer")
    signed_by_sub: Mapped[str | None] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PermitCounter(Base):
    """The last permit number given per year (gapless numbers)."""

    __tablename__ = "permit_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer)


class PermitReminder(Base):
    """An expiry reminder emitted for a permit (one per permit and number of days before)."""

    __tablename__ = "permit_reminders"
    __table_args__ = (UniqueConstraint("permit_id", "days_before"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="ULID")
    permit_id: Mapped[str] = mapped_column(ForeignKey("permits.id"))
    days_before: Mapped[int] = mapped_column(Integer)
    emitted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LevyPayment(Base):
    """One payment of an application's levy, reported by a payment channel."""

    __tablename__ = "levy_payments"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="ULID")
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    channel_reference: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str] = mapped_column(String(128), comment="webhook-id of the callback")
    body_sha256: Mapped[str] = mapped_column(String(64), comment="Of the callback's body")
    amount: Mapped[int] = mapped_column(Integer, comment="Whole rupiah")
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
