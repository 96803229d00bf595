"""Letter requests, their history, and the per-kelurahan letter number counters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cimahi_lakami.db import Base
from cimahi_lakami.models.catalogue import LetterType
from cimahi_shared.db import UTCDateTime


class LetterRequest(Base):
    """A citizen's request for a letter from their kelurahan (and, for some types, kecamatan)."""

    __tablename__ = "letter_requests"
    __table_args__ = (
        Index("ix_letter_requests_owner_sub_id", "owner_sub", "id"),
        Index("ix_letter_requests_kelurahan_code_id", "kelurahan_code", "id"),
        Index("ix_letter_requests_kecamatan_code_level_id", "kecamatan_code", "level", "id"),
        Index("ix_letter_requests_kelurahan_code_due_at", "kelurahan_code", "due_at"),
        Index("ix_letter_requests_kecamatan_code_due_at", "kecamatan_code", "due_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="ULID (time-ordered)")
    tracking_no: Mapped[str] = mapped_column(String(32), unique=True)
    letter_type_code: Mapped[str] = mapped_column(ForeignKey("letter_types.code"))
    owner_sub: Mapped[str] = mapped_column(String(64), comment="The citizen's token subject")
    # Personal data: encrypted at rest, looked up by keyed hash, shown masked only.
    nik_encrypted: Mapped[str] = mapped_column(Text)
    nik_hash: Mapped[str] = mapped_column(String(64), index=True)
    nik_masked: Mapped[str] = mapped_column(String(16))
    no_kk_encrypted: Mapped[str] = mapped_column(Text)
    no_kk_hash: Mapped[str] = mapped_column(String(64), index=True)
    no_kk_masked: Mapped[str] = mapped_column(String(16))
    full_name: Mapped[str] = mapped_column(String(100))
    kelurahan_code: Mapped[str] = mapped_column(String(16))
    kecamatan_code: Mapped[str] = mapped_column(String(16), comment="Kecamatan of the kelurahan")
    needs_kecamatan: Mapped[bool] = mapped_column(
        Boolean, comment="Copied from the letter type at submission: the kecamatan approves too"
    )
    level: Mapped[str] = mapped_column(
        String(16), comment="Who acts on it now: kelurahan | kecamatan"
    )
    rt: Mapped[str] = mapped_column(String(3))
    rw: Mapped[str] = mapped_column(String(3))
    cover_letter_number: Mapped[str] = mapped_column(String(60))
    cover_letter_date: Mapped[date] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(String(500))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(
        String(16), comment="Agency status (submitted, verify, ...)"
    )
    sequence: Mapped[int] = mapped_column(Integer, comment="Sequence of the last lifecycle event")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    letter_number: Mapped[str | None] = mapped_column(String(80), unique=True)
    issued_on: Mapped[date | None] = mapped_column(Date)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signer_sub: Mapped[str | None] = mapped_column(String(64))
    signer_name: Mapped[str | None] = mapped_column(String(100))
    signer_title: Mapped[str | None] = mapped_column(String(100), comment="e.g. Lurah Melong")
    verification_code: Mapped[str | None] = mapped_column(
        String(32), unique=True, comment="Printed on the letter; public verification looks it up"
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_sub: Mapped[str | None] = mapped_column(String(64))
    revoked_reason: Mapped[str | None] = mapped_column(String(500))

    letter_type: Mapped[LetterType] = relationship(lazy="raise")
    history: Mapped[list[LetterRequestHistory]] = relationship(
        lazy="raise", order_by="LetterRequestHistory.sequence"
    )


class LetterRequestHistory(Base):
    """One step of a request: who did what, when, from which status to which, with which note."""

    __tablename__ = "letter_request_history"
    __table_args__ = (UniqueConstraint("request_id", "sequence"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("letter_requests.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(16), comment="kelurahan | kecamatan")
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_sub: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LetterNumberCounter(Base):
    """Last letter number issued by a kelurahan in a year; bumped in the approving transaction."""

    __tablename__ = "letter_number_counters"

    kelurahan_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)
