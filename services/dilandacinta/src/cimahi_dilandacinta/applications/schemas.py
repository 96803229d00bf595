"""Application schemas: what a citizen submits, what officers send, what a read shows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cimahi_shared.identifiers import NIK, NoKK

KK_CHANGE_EXAMPLE: dict[str, Any] = {
    "type": "kk_change",
    "applicant": {"nik": "3277011505800001", "no_kk": "3277011001150001", "name": "Asep Sunandar"},
    "fields": {"reason": "perubahan_alamat", "address": "Jl. Melong Raya No. 12", "rt": "003"},
    "attachments": {"formulir_f101": ["01JDQ7ZK3M4X9V2B6N8P0R5T7W"]},
}


class ApplicantIn(BaseModel):
    """Who applies: checked against the register (NIK, the family card and the name match)."""

    nik: NIK
    no_kk: NoKK | None = Field(
        default=None, description="The applicant's family card (not for pindah_datang)"
    )
    name: str = Field(min_length=1, max_length=100)


class PersonIn(BaseModel):
    """A person an application lists in ``people``: a NIK, plus the data of a newcomer.

    NIKs from outside Kota Cimahi are accepted (newcomers keep their NIK).
    """

    nik: NIK
    full_name: str | None = Field(default=None, max_length=100)
    birth_place: str | None = Field(default=None, max_length=60)
    birth_date: date | None = None
    sex: Literal["L", "P"] | None = None
    religion: str | None = Field(default=None, max_length=20)
    marital_status: Literal["belum_kawin", "kawin", "cerai_hidup", "cerai_mati"] | None = None
    occupation: str | None = Field(default=None, max_length=60)
    relationship_to_head: str | None = Field(default=None, max_length=24)
    father_name: str | None = Field(default=None, max_length=100)
    mother_name: str | None = Field(default=None, max_length=100)


class ApplicationCreate(BaseModel):
    """A new application (see ``GET /v1/public/services/{code}`` for what each type needs)."""

    model_config = ConfigDict(json_schema_extra={"examples": [KK_CHANGE_EXAMPLE]})

    type: str = Field(max_length=40, description="Service code, e.g. kk_change")
    applicant: ApplicantIn
    subject_nik: NIK | None = Field(
        default=None, description="The family member concerned, where the service names one"
    )
    people: list[PersonIn] = Field(default_factory=list, max_length=20)
    fields: dict[str, Any] = Field(default_factory=dict)
    attachments: dict[str, list[str]] = Field(
        default_factory=dict, description="Requirement code -> upload ids"
    )


class ResubmitIn(BaseModel):
    """Corrections after a return: fields replace the old ones (when given), uploads are added."""

    fields: dict[str, Any] | None = None
    attachments: dict[str, list[str]] = Field(default_factory=dict)
    note: str | None = Field(default=None, max_length=500)


class CancelIn(BaseModel):
    """Why the citizen withdraws."""

    note: str | None = Field(default=None, max_length=500)


class VerifyIn(BaseModel):
    """The officer's verification: accept, return for revision, or reject."""

    outcome: Literal["accept", "return", "reject"]
    note: str | None = Field(default=None, max_length=1000, description="Required unless accept")
    missing_items: list[str] = Field(
        default_factory=list, description="Requirement codes missing or wrong"
    )


class DecideIn(BaseModel):
    """The head of Dinas' decision on a late birth registration."""

    outcome: Literal["approve", "reject"]
    note: str | None = Field(default=None, max_length=1000)


class StepIn(BaseModel):
    """An optional note for a step (process, sign)."""

    note: str | None = Field(default=None, max_length=1000)


class HistoryRead(BaseModel):
    """One step of the application."""

    sequence: int
    action: str
    from_status: str | None
    to_status: str
    actor_role: str
    note: str | None
    occurred_at: datetime


class AttachmentRead(BaseModel):
    """An upload attached to the application."""

    upload_id: str
    requirement: str | None
    content_type: str
    size_bytes: int


class ApplicationRead(BaseModel):
    """An application as its owner or an officer of its area sees it (NIKs masked)."""

    tracking_no: str
    type: str
    title: str
    status: str = Field(description="DILANDACINTA status")
    unified_status: str = Field(description="Status in the city's unified request list")
    applicant_name: str
    applicant_nik_masked: str
    subject_nik_masked: str | None
    people_nik_masked: list[str]
    kelurahan_code: str
    fields: dict[str, Any]
    needs_head_decision: bool
    missing_items: list[str] | None
    submitted_at: datetime
    updated_at: datetime
    due_at: datetime | None
    overdue: bool
    document_id: str | None
    attachments: list[AttachmentRead] = Field(default_factory=list)
    history: list[HistoryRead] = Field(default_factory=list)


class ApplicationPage(BaseModel):
    """A page of applications."""

    items: list[ApplicationRead]
    next_offset: int | None
