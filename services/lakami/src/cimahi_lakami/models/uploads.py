"""Uploaded documents (requirement scans, complaint photos) and what they are attached to."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from cimahi_lakami.db import Base
from cimahi_shared.uploads.columns import UploadColumns


class Upload(UploadColumns, Base):
    """One file a citizen uploaded (columns: ``UploadColumns``).

    An upload is private to its owner until it is attached (once, for good) to a letter request or
    a complaint: from then on the officers of that kelurahan may read it too.
    """

    __tablename__ = "uploads"

    attached_kind: Mapped[str | None] = mapped_column(
        String(20), comment="letter_request | complaint"
    )
