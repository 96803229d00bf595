"""Tax objects (objek pajak, one per NOP), their data changes, and links to citizens' accounts.

The taxpayer's NIK is personal data: kept encrypted (``taxpayer_nik_encrypted``), found by its
keyed hash (``taxpayer_nik_hash``, also the grouping key for NJOPTKP: once per taxpayer), shown
masked. The taxpayer's name is shown masked to anyone but the taxpayer and the officers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cimahi_epbb.db import Base
from cimahi_shared.db import UTCDateTime


class TaxObject(Base):
    """One property (land and building) identified by its NOP."""

    __tablename__ = "tax_objects"
    __table_args__ = (
        Index("ix_tax_objects_kelurahan_code_nop", "kelurahan_code", "nop"),
        Index("ix_tax_objects_taxpayer_nik_hash", "taxpayer_nik_hash"),
    )

    nop: Mapped[str] = mapped_column(String(18), primary_key=True, comment="18 digits, no dots")
    kecamatan_code: Mapped[str] = mapped_column(String(16), comment="Region code, e.g. 32.77.01")
    kelurahan_code: Mapped[str] = mapped_column(String(16), comment="e.g. 32.77.01.1001")
    block: Mapped[str] = mapped_column(String(3), comment="NOP block (3 digits)")
    address: Mapped[str] = mapped_column(String(200), comment="Location of the object")
    rt: Mapped[str | None] = mapped_column(String(3))
    rw: Mapped[str | None] = mapped_column(String(3))
    land_area: Mapped[int] = mapped_column(Integer, comment="m2")
    building_area: Mapped[int] = mapped_column(Integer, comment="m2, 0 for bare land")
    land_class: Mapped[str] = mapped_column(String(8), comment="NJOP land value class (rules)")
    building_class: Mapped[str | None] = mapped_column(
        String(8), comment="NJOP building value class (rules); None without building"
    )
    taxpayer_name: Mapped[str] = mapped_column(String(100))
    taxpayer_nik_encrypted: Mapped[str | None] = mapped_column(Text)
    taxpayer_nik_hash: Mapped[str | None] = mapped_column(String(64))
    taxpayer_nik_masked: Mapped[str | None] = mapped_column(String(16))
    taxpayer_address: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), comment="active | retired")
    version: Mapped[int] = mapped_column(Integer, comment="Bumped by every data change (mutasi)")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TaxObjectChange(Base):
    """One change of an object's data (mutasi), with the values before and after (kept forever).

    Personal data in ``before``/``after`` is limited to names and masked NIKs.
    """

    __tablename__ = "tax_object_changes"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="ULID")
    nop: Mapped[str] = mapped_column(String(18), index=True)
    version: Mapped[int] = mapped_column(Integer, comment="The object's version after the change")
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(26), comment="The mutasi request")
    actor_sub: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ObjectLink(Base):
    """The citizen account linked to a tax object (proved with NOP + the taxpayer's NIK).

    One account per object: the taxpayer's. A change of taxpayer (mutasi) removes the link.
    """

    __tablename__ = "object_links"

    nop: Mapped[str] = mapped_column(String(18), primary_key=True)
    owner_sub: Mapped[str] = mapped_column(String(64), index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ObjectClaimAttempt(Base):
    """One attempt to link an object (audit; also what the claim rate limit counts)."""

    __tablename__ = "object_claim_attempts"
    __table_args__ = (Index("ix_object_claim_attempts_sub_at", "owner_sub", "attempted_at"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    owner_sub: Mapped[str] = mapped_column(String(64))
    nop: Mapped[str] = mapped_column(String(18))
    matched: Mapped[bool] = mapped_column(Boolean)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
