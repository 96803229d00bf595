"""Uploaded requirement documents (scans of KK, KTP, certificates) and what they are attached to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cimahi_dilandacinta.db import Base
from cimahi_shared.db import UTCDateTime


class Upload(Base):
    """One file a citizen uploaded; the bytes live in the upload storage under ``storage_key``.

    An upload is private to its owner until it is attached (once, for good) to an application:
    from then on the officers whose area covers that application may read it too.
    """

    __tablename__ = "uploads"
    __table_args__ = (
        Index("ix_uploads_owner_sub_id", "owner_sub", "id"),
        Index("ix_uploads_attached_kind_attached_id", "attached_kind", "attached_id"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="ULID (time-ordered)")
    owner_sub: Mapped[str] = mapped_column(String(64), comment="The citizen who uploaded it")
    storage_key: Mapped[str] = mapped_column(
        String(64), unique=True, comment="Random name in the storage (never the client's)"
    )
    content_type: Mapped[str] = mapped_column(String(40), comment="Sniffed from the content")
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), comment="Hex SHA-256 of the content")
    original_filename: Mapped[str | None] = mapped_column(
        String(255), comment="Sanitized client filename (metadata only)"
    )
    purpose: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attached_kind: Mapped[str | None] = mapped_column(String(20), comment="application")
    attached_id: Mapped[str | None] = mapped_column(String(26))
    attached_ref: Mapped[str | None] = mapped_column(
        String(32), comment="Tracking number of what it is attached to"
    )
    requirement: Mapped[str | None] = mapped_column(
        String(200), comment="Catalogue requirement it fulfils"
    )
    kelurahan_code: Mapped[str | None] = mapped_column(
        String(16), comment="Kelurahan whose officers may read it (set on attachment)"
    )
    attached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
