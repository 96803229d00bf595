"""Citizen complaints (pengaduan/aspirasi), their steps, and the Open311 API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cimahi_lakami.db import Base
from cimahi_shared.db import UTCDateTime


class Complaint(Base):
    """A complaint, information request or aspiration filed by a citizen or an Open311 client."""

    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_owner_sub_id", "owner_sub", "id"),
        Index("ix_complaints_kelurahan_code_status", "kelurahan_code", "status"),
        Index("ix_complaints_kecamatan_code_status", "kecamatan_code", "status"),
        Index("ix_complaints_public_submitted_at", "public", "submitted_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="ULID (time-ordered)")
    tracking_no: Mapped[str] = mapped_column(String(32), unique=True)
    category_code: Mapped[str] = mapped_column(String(40))
    complaint_type: Mapped[str] = mapped_column(
        String(16), comment="SP4N-LAPOR! type: information | complaint | dispute | dispute_field"
    )
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text)
    kelurahan_code: Mapped[str] = mapped_column(String(16))
    kecamatan_code: Mapped[str] = mapped_column(String(16))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    photo_upload_ids: Mapped[list[str]] = mapped_column(JSON)
    media_url: Mapped[str | None] = mapped_column(String(500))
    attributes: Mapped[dict[str, str]] = mapped_column(JSON, comment="Open311 attribute values")
    anonymous: Mapped[bool] = mapped_column(Boolean)
    public: Mapped[bool] = mapped_column(Boolean)
    channel: Mapped[str] = mapped_column(String(16), comment="web | open311")
    owner_sub: Mapped[str] = mapped_column(String(64), comment="Citizen subject or open311:<key>")
    # Personal data of the author: shown to officers only when the complaint is not anonymous.
    author_name: Mapped[str | None] = mapped_column(String(100))
    author_contact: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    sequence: Mapped[int] = mapped_column(Integer, comment="Sequence of the last lifecycle event")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    verify_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    responsible_agency: Mapped[str | None] = mapped_column(String(200))
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(String(1000))

    history: Mapped[list[ComplaintHistory]] = relationship(
        lazy="raise", order_by="ComplaintHistory.sequence"
    )


class ComplaintHistory(Base):
    """One step of a complaint: who did what, when, from which status to which, with which note."""

    __tablename__ = "complaint_history"
    __table_args__ = (UniqueConstraint("complaint_id", "sequence"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    complaint_id: Mapped[str] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_sub: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Open311ApiKey(Base):
    """An Open311 client's API key; only its SHA-256 is stored."""

    __tablename__ = "open311_api_keys"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(12), comment="First characters, to recognise it")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
