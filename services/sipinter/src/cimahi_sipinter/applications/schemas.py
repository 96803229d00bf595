"""Application schemas: what an applicant sends, and what a read of an application shows.

:class:`ApplicationRead` is the one answer of every application endpoint of every part of the
service (the applicant's steps, the officers' steps, levy, permits): it is built by
``cimahi_sipinter.applications.views.application_read`` for an application in any status.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

FieldKey = Annotated[str, StringConstraints(min_length=1, max_length=64)]
FieldText = Annotated[str, StringConstraints(max_length=500)]
FieldValue = FieldText | StrictBool | StrictInt
"""A form value: text (at most 500 characters), a whole number or yes/no."""

RequirementCode = Annotated[str, StringConstraints(min_length=1, max_length=40)]
PermitNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
UploadId = Annotated[str, StringConstraints(min_length=1, max_length=26)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]

DRAFT_EXAMPLE: dict[str, Any] = {
    "business_id": "01JD0B5S1NE550000000000000",
    "permit_type": "IZIN_KLINIK",
    "site_address": "Jl. Melong Raya No. 12",
    "site_kelurahan_code": "32.77.01.1001",
    "description": "Klinik pratama rawat jalan",
    "fields": {"beds": 0, "responsible_doctor": "dr. Rina", "emergency_service": False},
    "prerequisites": {"pbg": "PBG-2025-000123", "slf": "SLF-2025-000045"},
    "attachments": {"ktp": ["01JDQ7ZK3M4X9V2B6N8P0R5T7W"]},
}


class DraftFields(BaseModel):
    """What an applicant can set on a draft (all optional: a PATCH sets only what it names).

    ``fields`` replaces the form values when given; ``prerequisites`` and ``attachments`` are
    merged by requirement code. NIK-looking values (16 digits) in ``fields`` are kept masked.
    """

    model_config = ConfigDict(extra="forbid")

    site_address: str | None = Field(default=None, max_length=200)
    site_kelurahan_code: str | None = Field(
        default=None, max_length=16, description="Kelurahan of the site (default: the business's)"
    )
    description: str | None = Field(default=None, max_length=1000)
    fields: dict[FieldKey, FieldValue] | None = Field(
        default=None, max_length=30, description="The permit type's form values (<= 30)"
    )
    prerequisites: dict[RequirementCode, PermitNumber] | None = Field(
        default=None,
        max_length=10,
        description="Prerequisite permit requirement code -> the number of the permit held",
    )
    attachments: dict[RequirementCode, list[UploadId]] | None = Field(
        default=None, max_length=30, description="Document requirement code -> upload ids"
    )


class ApplicationCreate(DraftFields):
    """A new draft application of a business the caller owns."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [DRAFT_EXAMPLE]})

    business_id: str = Field(min_length=1, max_length=26)
    permit_type: str = Field(min_length=1, max_length=24, description="Catalogue code, e.g. PBG")


class ApplicationPatch(DraftFields):
    """Changes to a draft (only the keys sent are changed)."""


class ResubmitIn(BaseModel):
    """The applicant's corrections after a return: a note, and what changed."""

    model_config = ConfigDict(extra="forbid")

    note: Note = Field(min_length=1, description="What was corrected")
    fields: dict[FieldKey, FieldValue] | None = Field(default=None, max_length=30)
    prerequisites: dict[RequirementCode, PermitNumber] | None = Field(default=None, max_length=10)
    attachments: dict[RequirementCode, list[UploadId]] | None = Field(default=None, max_length=30)


class WithdrawIn(BaseModel):
    """Why the applicant withdraws (optional)."""

    model_config = ConfigDict(extra="forbid")

    note: Note | None = None


# --- reads ---


class BusinessRef(BaseModel):
    """The business that applies."""

    id: str
    nib: str
    name: str


class OfficerRef(BaseModel):
    """The officer assigned to the technical stages."""

    sub: str
    name: str | None


class DeadlineRead(BaseModel):
    """Where the application stands against its time limit (working days, paused while the
    applicant acts)."""

    due_at: datetime | None
    colour: Literal["red", "amber", "green", "paused", "none"]
    working_days_left: int | None
    paused_since: datetime | None
    deemed_approved: bool
    deemed_approved_at: datetime | None


class SurveyRead(BaseModel):
    """The site survey (only for types whose tier has the stage)."""

    requested: bool
    required: bool
    scheduled_for: date | None
    findings: str | None
    passed: bool | None
    done_at: datetime | None


class LevyRead(BaseModel):
    """The levy (retribusi) once it is assessed."""

    amount: int | None
    status: Literal["none", "due", "paid"]
    code: str | None
    due_at: datetime | None
    quantity: dict[str, Any] | None


class PermitSummary(BaseModel):
    """The permit issued for the application."""

    id: str
    number: str
    status: str
    valid_until: date | None


class AttachmentRead(BaseModel):
    """An upload attached to the application."""

    id: str
    requirement: str | None
    content_type: str
    size_bytes: int
    original_filename: str | None


class HistoryRead(BaseModel):
    """One step of the application (who by role only)."""

    sequence: int
    action: str
    from_status: str | None
    to_status: str
    stage: str | None
    note: str | None
    actor_role: str
    occurred_at: datetime


class ApplicationRead(BaseModel):
    """An application as its owners, or the DPMPTSP officers of its area, see it."""

    id: str
    registration_number: str | None
    business: BusinessRef
    permit_type: str
    permit_name: str
    tier: str
    status: str
    stage: str | None
    stages: list[str] = Field(description="The stages of the tier this application goes through")
    assigned_officer: OfficerRef | None
    site_address: str | None
    site_kelurahan_code: str
    description: str | None
    fields: dict[str, Any]
    prerequisites: dict[str, Any]
    missing_items: list[str] | None
    submitted_at: datetime | None
    decided_at: datetime | None
    deadline: DeadlineRead
    survey: SurveyRead | None
    verification_findings: str | None
    recommendation_note: str | None
    conditions: list[str] | None
    levy: LevyRead | None
    permit: PermitSummary | None
    attachments: list[AttachmentRead] = Field(default_factory=list)
    history: list[HistoryRead] = Field(default_factory=list)


class ApplicationPage(BaseModel):
    """A page of applications (``next_offset`` None: the last page)."""

    items: list[ApplicationRead]
    next_offset: int | None
