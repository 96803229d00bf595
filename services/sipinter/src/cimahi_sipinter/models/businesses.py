"""Businesses (by NIB) and their owners' accounts.

The applicant's NIK is personal data: kept encrypted (``applicant_nik_encrypted``), found by its
keyed hash (``applicant_nik_hash``), shown masked (``applicant_nik_masked``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cimahi_shared.db import UTCDateTime
from cimahi_sipinter.db import Base


class Business(Base):
    """One business identified by its NIB (Nomor Induk Berusaha, issued by OSS)."""

    __tablename__ = "businesses"
    __table_args__ = (
        Index("ix_businesses_kelurahan_code_created_at", "kelurahan_code", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="ULID")
    nib: Mapped[str] = mapped_column(String(13), unique=True, comment="13 digits")
    name: Mapped[str] = mapped_column(String(200))
    legal_form: Mapped[str] = mapped_column(String(16), comment="perorangan | cv | pt | ...")
    address: Mapped[str] = mapped_column(String(200))
    kelurahan_code: Mapped[str] = mapped_column(String(16), comment="In Cimahi, e.g. 32.77.01.1001")
    created_by: Mapped[str] = mapped_column(String(64), comment="Account sub of the registrant")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BusinessOwner(Base):
    """An account that may act for a business (the registrant and the co-owners they add)."""

    __tablename__ = "business_owners"
    __table_args__ = (UniqueConstraint("business_id", "owner_sub"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="ULID")
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"))
    owner_sub: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16), comment="owner | co_owner")
    applicant_nik_encrypted: Mapped[str | None] = mapped_column(Text)
    applicant_nik_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    applicant_nik_masked: Mapped[str | None] = mapped_column(String(16))
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
