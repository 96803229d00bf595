"""The columns every service's upload table has, as a declarative mixin.

Each service declares its own model on its own ``Base`` with ``__tablename__`` and the
``attached_kind`` column (whose values - what an upload can be attached to - are the service's):

    class Upload(UploadColumns, Base):
        __tablename__ = "uploads"
        attached_kind: Mapped[str | None] = mapped_column(String(20), comment="application")
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from cimahi_shared.db import UTCDateTime


class UploadColumns:
    """One file a citizen uploaded; the bytes live in the upload storage under ``storage_key``.

    Private to its owner until attached to something of the service (``attached_*``); from then
    on the officers of ``kelurahan_code`` may read it too, under the service's rules.
    """

    __tablename__: str
    attached_kind: Mapped[str | None]

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Any, ...]:
        table = cls.__tablename__
        return (
            Index(f"ix_{table}_owner_sub_id", "owner_sub", "id"),
            Index(f"ix_{table}_attached_kind_attached_id", "attached_kind", "attached_id"),
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
