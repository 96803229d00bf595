"""Access log of personal data (UU PDP): who read whose request, when, and for what purpose."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from cimahi_lakami.db import Base
from cimahi_shared.db import UTCDateTime


class AccessAudit(Base):
    """One read of a citizen's request by an officer or an administrator."""

    __tablename__ = "access_audit"
    __table_args__ = (
        Index("ix_access_audit_owner_sub_occurred_at", "owner_sub", "occurred_at"),
        Index("ix_access_audit_actor_sub_occurred_at", "actor_sub", "occurred_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    actor_sub: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(16))
    actor_agency: Mapped[str | None] = mapped_column(String(40))
    actor_area: Mapped[str | None] = mapped_column(String(16))
    owner_sub: Mapped[str] = mapped_column(String(64), comment="Whose data was read")
    tracking_no: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32), comment="read | list")
    purpose: Mapped[str] = mapped_column(String(100), comment="Legal basis of the processing")
    http_request_id: Mapped[str | None] = mapped_column(String(128))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
