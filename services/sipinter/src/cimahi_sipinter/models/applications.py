"""Permit applications and their history (the workflow is built on these tables).

An application's ``fields`` hold the permit type's form values without raw personal data
(NIKs are masked before they are stored). Its deadline (``due_at``) counts working days from
submission; while it waits for the applicant (status ``returned``, ``paused_at`` set) the clock
is stopped: the working days left are kept in ``remaining_working_days`` and the deadline is
counted again from the resubmission; the time spent paused adds up in ``paused_seconds``.
The statuses and steps are ``cimahi_sipinter.applications.states``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cimahi_shared.db import UTCDateTime
from cimahi_sipinter.db import Base


class Application(Base):
    """One application for a permit of the catalogue, by a business."""

    __tablename__ = "applications"
    __table_args__ = (
        Index("ix_applications_status_due_at", "status", "due_at"),
        Index("ix_applications_business_id_created_at", "business_id", "created_at"),
        Index("ix_applications_kelurahan_code_status", "kelurahan_code", "status"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="ULID")
    registration_number: Mapped[str | None] = mapped_column(
        String(32), unique=True, comment="Given on submission (gapless per year)"
    )
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"))
    applicant_sub: Mapped[str] = mapped_column(String(64), index=True)
    kelurahan_code: Mapped[str] = mapped_column(String(16), comment="Of the business or the site")
    site_address: Mapped[str | None] = mapped_column(
        String(200), comment="Where the permitted activity takes place"
    )
    description: Mapped[str | None] = mapped_column(Text, comment="The applicant's summary")
    permit_type: Mapped[str] = mapped_column(String(24), comment="Catalogue code")
    tier: Mapped[str] = mapped_column(String(12), comment="low | medium_low | medium_high | high")
    status: Mapped[str] = mapped_column(
        String(24), comment="See cimahi_sipinter.applications.states.STATUSES"
    )
    stage: Mapped[str | None] = mapped_column(
        String(24), comment="Current stage of the tier (kept while returned: resumed there)"
    )
    assigned_officer_sub: Mapped[str | None] = mapped_column(String(64), index=True)
    assigned_officer_name: Mapped[str | None] = mapped_column(String(100))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    prerequisites: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, comment="Prerequisite permit code -> its number"
    )
    missing_items: Mapped[list[Any] | None] = mapped_column(
        JSON, comment="Requirement codes named when it was last returned"
    )
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    remaining_working_days: Mapped[int | None] = mapped_column(
        Integer, comment="Working days left when the clock paused"
    )
    deemed_approved: Mapped[bool] = mapped_column(default=False, comment="Fiktif positif")
    deemed_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    survey_requested: Mapped[bool] = mapped_column(
        default=False, comment="The verifier asked for a site survey (optional types)"
    )
    survey_scheduled_for: Mapped[date | None] = mapped_column(Date)
    survey_findings: Mapped[str | None] = mapped_column(Text)
    survey_passed: Mapped[bool | None] = mapped_column()
    survey_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verification_findings: Mapped[str | None] = mapped_column(Text)
    recommendation_note: Mapped[str | None] = mapped_column(Text)
    conditions: Mapped[list[Any] | None] = mapped_column(
        JSON, comment="Conditions the permit will carry (from the recommendation)"
    )
    levy_quantity: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, comment="What the levy was computed on, e.g. {area_m2, years}"
    )
    levy_code: Mapped[str | None] = mapped_column(
        String(16), unique=True, comment="Payment code of the levy (SKRD)"
    )
    levy_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    levy_amount: Mapped[int | None] = mapped_column(Integer, comment="Whole rupiah")
    levy_status: Mapped[str] = mapped_column(String(12), comment="none | due | paid")
    decision_note: Mapped[str | None] = mapped_column(Text)
    sequence: Mapped[int] = mapped_column(Integer, default=0, comment="Of its lifecycle events")
    version: Mapped[int] = mapped_column(Integer, default=1, comment="Optimistic concurrency")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApplicationHistory(Base):
    """One step of an application (status or stage change, note, document), kept forever."""

    __tablename__ = "application_history"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="ULID")
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer, comment="Lifecycle sequence after this step")
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    stage: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    actor_sub: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApplicationCounter(Base):
    """The last registration number given per year (gapless numbers)."""

    __tablename__ = "application_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer)
