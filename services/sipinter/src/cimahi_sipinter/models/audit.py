"""Access log: every read of an applicant's data by an officer or admin (who, whose, why, when)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from cimahi_shared.db import UTCDateTime
from cimahi_sipinter.db import Base


class AccessAudit(Base):
    """One read of applicant data by someone other than the applicant."""

    __tablename__ = "access_audit"
    __table_args__ = (
        Index("ix_access_audit_actor_sub_occurred_at", "actor_sub", "occurred_at"),
        Index("ix_access_audit_business_id_occurred_at", "business_id", "occurred_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="ULID")
    actor_sub: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(16))
    actor_name: Mapped[str | None] = mapped_column(String(100))
    actor_area: Mapped[str | None] = mapped_column(String(16))
    business_id: Mapped[str | None] = mapped_column(String(26), comment="Whose data was read")
    resource: Mapped[str] = mapped_column(
        String(24), comment="business | application | permit | list"
    )
    resource_ref: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(16), comment="read | list | search")
    purpose: Mapped[str] = mapped_column(String(200))
    http_request_id: Mapped[str | None] = mapped_column(String(128))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
