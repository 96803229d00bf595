"""Uploaded requirement documents (scans of KK, KTP, certificates) and what they are attached to."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from cimahi_dilandacinta.db import Base
from cimahi_shared.uploads.columns import UploadColumns


class Upload(UploadColumns, Base):
    """One file a citizen uploaded (columns: ``UploadColumns``).

    An upload is private to its owner until it is attached to an application: from then on the
    officers whose area covers that application's kelurahan may read it too.
    """

    __tablename__ = "uploads"

    attached_kind: Mapped[str | None] = mapped_column(String(20), comment="application")
