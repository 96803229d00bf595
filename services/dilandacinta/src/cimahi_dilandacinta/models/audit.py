"""Access log of personal data (UU PDP): who read whose register record or application, when, why.

A citizen can read the entries about themselves (``/v1/me/access-log``); identity-match calls are
logged too (the caller, a hash of the NIK asked about and the outcome, never the data).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from cimahi_dilandacinta.db import Base
from cimahi_shared.db import UTCDateTime


class AccessAudit(Base):
    """One read of a person's data (register record, family card, application)."""

    __tablename__ = "access_audit"
    __table_args__ = (
        Index("ix_access_audit_person_id_occurred_at", "person_id", "occurred_at"),
        Index("ix_access_audit_actor_sub_occurred_at", "actor_sub", "occurred_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    actor_sub: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(16))
    actor_name: Mapped[str | None] = mapped_column(String(100))
    actor_agency: Mapped[str | None] = mapped_column(String(40))
    actor_area: Mapped[str | None] = mapped_column(String(16))
    person_id: Mapped[str | None] = mapped_column(String(26), comment="Whose data was read")
    owner_sub: Mapped[str | None] = mapped_column(String(64), comment="Applicant, for applications")
    resource: Mapped[str] = mapped_column(
        String(40), comment="person | family | application | document"
    )
    resource_ref: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(32), comment="read | list | search")
    purpose: Mapped[str] = mapped_column(String(200), comment="Why (legal basis / stated reason)")
    http_request_id: Mapped[str | None] = mapped_column(String(128))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IdentityMatchAudit(Base):
    """One identity-match call: who asked, about which NIK (keyed hash), and the answer."""

    __tablename__ = "identity_match_audit"
    __table_args__ = (Index("ix_identity_match_audit_nik_hash_at", "nik_hash", "occurred_at"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    client_id: Mapped[str] = mapped_column(
        String(64), comment="Machine client, or 'citizen' for a citizen linking their login"
    )
    account_sub: Mapped[str | None] = mapped_column(
        String(64), comment="The login to bind on a match (the citizen, or the gateway's account)"
    )
    nik_hash: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[str | None] = mapped_column(String(26))
    outcome: Mapped[str] = mapped_column(String(16), comment="match | no_match | rate_limited")
    http_request_id: Mapped[str | None] = mapped_column(String(128))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
