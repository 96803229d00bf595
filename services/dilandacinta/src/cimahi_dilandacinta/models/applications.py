"""Document applications, their history, and the per-type document number counters.

An application's ``fields`` hold the type-specific data (catalogue/standards.py) except
identifiers: every NIK or No. KK an application names is kept in the encrypted columns
(``applicant_*``, ``subject_*``, ``family_*``), never in ``fields``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cimahi_dilandacinta.db import Base
from cimahi_shared.db import UTCDateTime


class Application(Base):
    """A citizen's application for a population document."""

    __tablename__ = "applications"
    __table_args__ = (
        Index("ix_applications_owner_sub_id", "owner_sub", "id"),
        Index("ix_applications_kelurahan_code_id", "kelurahan_code", "id"),
        Index("ix_applications_status_due_at", "status", "due_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="ULID (time-ordered)")
    tracking_no: Mapped[str] = mapped_column(String(32), unique=True)
    type_code: Mapped[str] = mapped_column(String(40), comment="Catalogue code, e.g. kk_change")
    owner_sub: Mapped[str] = mapped_column(String(64), comment="The applicant's token subject")
    # The applicant (personal data: encrypted, keyed hash, masked).
    applicant_nik_encrypted: Mapped[str] = mapped_column(Text)
    applicant_nik_hash: Mapped[str] = mapped_column(String(64), index=True)
    applicant_nik_masked: Mapped[str] = mapped_column(String(16))
    applicant_name: Mapped[str] = mapped_column(String(100))
    # Whom the document is about, when that is a person of the register (the deceased, the
    # person moving, the card holder); None for a birth (the person does not exist yet).
    subject_person_id: Mapped[str | None] = mapped_column(ForeignKey("persons.id"))
    subject_nik_masked: Mapped[str | None] = mapped_column(String(16))
    family_id: Mapped[str | None] = mapped_column(
        ForeignKey("families.id"), comment="The family card concerned"
    )
    # Other people the application names (who moves out, who moves in, new card members):
    # encrypted JSON list of objects with their NIK (and, for newcomers, their data), and
    # their masked NIKs for display.
    people_encrypted: Mapped[str | None] = mapped_column(Text)
    people_masked: Mapped[list[str] | None] = mapped_column(JSON)
    kelurahan_code: Mapped[str] = mapped_column(
        String(16), comment="Area whose officers handle it (the family's or the destination)"
    )
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(
        String(24),
        comment="submitted | verified | returned | resubmitted | awaiting_decision | processing"
        " | awaiting_signature | issued | rejected | cancelled",
    )
    needs_head_decision: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="Late birth registration: the head of Dinas decides"
    )
    missing_items: Mapped[list[str] | None] = mapped_column(
        JSON, comment="Requirement codes named when rejected or returned"
    )
    sequence: Mapped[int] = mapped_column(Integer, comment="Sequence of the last lifecycle event")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    document_id: Mapped[str | None] = mapped_column(String(26), comment="The issued document")

    history: Mapped[list[ApplicationHistory]] = relationship(
        lazy="raise", order_by="ApplicationHistory.sequence"
    )


class ApplicationHistory(Base):
    """One step of an application: who did what, when, from which status to which, why."""

    __tablename__ = "application_history"
    __table_args__ = (UniqueConstraint("application_id", "sequence"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    actor_sub: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
