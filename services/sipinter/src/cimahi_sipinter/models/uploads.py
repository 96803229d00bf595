"""Uploaded requirement documents (design drawings, certificates, statements) of applications."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from cimahi_shared.uploads.columns import UploadColumns
from cimahi_sipinter.db import Base


class Upload(UploadColumns, Base):
    """One file an applicant uploaded (columns: ``UploadColumns``).

    Private to its owner until attached to an application (``attached_id``, ``requirement``
    = the requirement code it fulfils); from then on the business's other owners and the
    DPMPTSP officers of the application's area may read it too (officers' reads are logged).
    """

    __tablename__ = "uploads"

    attached_kind: Mapped[str | None] = mapped_column(String(20), comment="application")
