"""Payment channels, payment codes, confirmed payments and their receipts (NTPD).

The protocol (docs/epbb.md): a channel asks for the exact amount of one or more bills and gets a
``PaymentCode`` (virtual account number or QRIS payload) valid until ``expires_at``; it confirms
with a signed callback carrying its own reference. ``payments`` is unique per (channel,
channel_reference): a repeated callback finds the same payment and receipt. A bill is marked paid
only by ``UPDATE ... WHERE status = 'unpaid'`` in the confirming transaction, so of concurrent
confirmations of one bill exactly one wins.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cimahi_epbb.db import Base
from cimahi_shared.db import UTCDateTime


class PaymentChannel(Base):
    """A bank, QRIS acquirer, virtual-account provider, post office or retail chain."""

    __tablename__ = "payment_channels"

    code: Mapped[str] = mapped_column(String(32), primary_key=True, comment="e.g. bjb, qris")
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(12), comment="bank | qris | va | post | retail")
    client_id: Mapped[str] = mapped_column(
        String(64), unique=True, comment="The gateway machine client the channel calls with"
    )
    secret_encrypted: Mapped[str] = mapped_column(Text, comment="HMAC secret of its callbacks")
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PaymentCode(Base):
    """An exact amount for one or more bills, payable through one channel until it expires."""

    __tablename__ = "payment_codes"
    __table_args__ = (
        Index("ix_payment_codes_channel_code_created_at", "channel_code", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="ULID")
    code: Mapped[str] = mapped_column(
        String(64), unique=True, comment="Virtual account number or QRIS reference"
    )
    payload: Mapped[str | None] = mapped_column(Text, comment="QRIS payload (EMVCo), if any")
    channel_code: Mapped[str] = mapped_column(ForeignKey("payment_channels.code"))
    amount: Mapped[int] = mapped_column(BigInteger)
    breakdown: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON,
        comment="Per bill: bill_id, nop, tax_year, principal, reduction, discount, penalty, total",
    )
    status: Mapped[str] = mapped_column(String(12), comment="open | paid | expired | cancelled")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PaymentCodeBill(Base):
    """A bill covered by a payment code (and the amount frozen for it)."""

    __tablename__ = "payment_code_bills"

    payment_code_id: Mapped[str] = mapped_column(ForeignKey("payment_codes.id"), primary_key=True)
    bill_id: Mapped[str] = mapped_column(ForeignKey("bills.id"), primary_key=True, index=True)
    amount: Mapped[int] = mapped_column(BigInteger)


class Payment(Base):
    """A confirmed payment: one per channel reference (repeated callbacks find it again)."""

    __tablename__ = "payments"
    __table_args__ = (
        Index("uq_payments_channel_reference", "channel_code", "channel_reference", unique=True),
        Index("ix_payments_channel_code_paid_on", "channel_code", "paid_on"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="ULID")
    channel_code: Mapped[str] = mapped_column(ForeignKey("payment_channels.code"))
    channel_reference: Mapped[str] = mapped_column(String(64))
    payment_code_id: Mapped[str] = mapped_column(ForeignKey("payment_codes.id"), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime, comment="When the channel took it")
    paid_on: Mapped[date] = mapped_column(Date, comment="Settlement day (WIB), reconciliation")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    receipt_ntpd: Mapped[str] = mapped_column(String(32), unique=True)


class Receipt(Base):
    """Proof of payment (bukti bayar) with its NTPD and a public verification code."""

    __tablename__ = "receipts"

    ntpd: Mapped[str] = mapped_column(String(32), primary_key=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), unique=True)
    verification_code: Mapped[str] = mapped_column(String(32), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON,
        comment="Per bill: nop, tax_year, sppt_number, principal, reduction, discount, penalty, total",
    )
    taxpayer_name_masked: Mapped[str] = mapped_column(String(100))
    channel_code: Mapped[str] = mapped_column(String(32))
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReceiptCounter(Base):
    """Last NTPD serial per day (gapless; bumped in the confirming transaction)."""

    __tablename__ = "receipt_counters"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class CallbackReplay(Base):
    """Callback message ids seen per channel (webhook-id): a replayed message is refused."""

    __tablename__ = "callback_replays"

    channel_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    body_sha256: Mapped[str | None] = mapped_column(
        String(64), comment="SHA-256 of the raw body: a replayed id with another body is refused"
    )


class Reconciliation(Base):
    """One reconciliation of a channel's settlement file for a day, with its differences."""

    __tablename__ = "reconciliations"
    __table_args__ = (Index("ix_reconciliations_channel_code_day", "channel_code", "day"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="ULID")
    channel_code: Mapped[str] = mapped_column(ForeignKey("payment_channels.code"))
    day: Mapped[date] = mapped_column(Date)
    file_sha256: Mapped[str] = mapped_column(String(64))
    matched_count: Mapped[int] = mapped_column(Integer)
    matched_amount: Mapped[int] = mapped_column(BigInteger)
    differences: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON,
        comment=(
            "kind (missing_in_channel | missing_here | amount_differs | duplicate_in_file),"
            " channel_reference, ours, theirs"
        ),
    )
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
