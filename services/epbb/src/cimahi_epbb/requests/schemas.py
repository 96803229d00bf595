"""Bodies and answers of the taxpayer-request API.

One body for the three kinds (``kind`` says which); the fields a kind needs are checked by the
service so that a 422 names the field itself (``reason``, ``requested_percent``, ...). Unknown
fields are refused (a citizen cannot set ``status`` or an outcome).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cimahi_shared.identifiers import NIK, NOP

Kind = Literal["keberatan", "pengurangan", "mutasi"]
Ground = Literal["pensioner", "veteran", "low_income", "disaster", "other"]
ValueClass = str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewTaxpayer(_Strict):
    """The new taxpayer of a mutasi (the NIK is stored encrypted and shown masked)."""

    name: str = Field(min_length=1, max_length=100)
    nik: NIK
    address: str | None = Field(default=None, min_length=1, max_length=200)


class ObjectChanges(_Strict):
    """New object data asked for by a mutasi (only the fields given change)."""

    address: str | None = Field(default=None, min_length=1, max_length=200)
    land_area: int | None = Field(default=None, ge=1, le=100_000_000, description="m2")
    building_area: int | None = Field(default=None, ge=0, le=100_000_000, description="m2")
    building_class: ValueClass | None = Field(
        default=None, min_length=1, max_length=8, description="Needed when a building appears"
    )


class _KindFields(_Strict):
    """Fields of one kind or another (which are required depends on ``kind``)."""

    tax_year: int | None = Field(default=None, ge=2000, le=2100)
    reason: str | None = Field(default=None, max_length=2000)
    # keberatan: what the taxpayer claims instead of the assessment (each optional)
    claimed_land_area: int | None = Field(default=None, ge=1, le=100_000_000)
    claimed_building_area: int | None = Field(default=None, ge=0, le=100_000_000)
    claimed_land_class: ValueClass | None = Field(default=None, min_length=1, max_length=8)
    claimed_building_class: ValueClass | None = Field(default=None, min_length=1, max_length=8)
    # pengurangan
    ground: Ground | None = None
    requested_percent: int | None = Field(default=None, ge=1, le=100)
    # mutasi
    new_taxpayer: NewTaxpayer | None = None
    object_changes: ObjectChanges | None = None


class RequestCreate(_KindFields):
    """A new request about a tax object linked to the caller's account."""

    kind: Kind
    nop: NOP


class RequestResubmit(_KindFields):
    """Corrections after a return: the fields given replace the request's (kind and NOP stay)."""

    note: str | None = Field(default=None, max_length=2000)


class NoteIn(_Strict):
    """An optional note for a step."""

    note: str | None = Field(default=None, max_length=2000)


class RequiredNoteIn(_Strict):
    """A step that needs a note (return: what to correct; reject: the reason)."""

    note: str = Field(min_length=1, max_length=2000)


class ApproveIn(_Strict):
    """The decision. keberatan: the decided areas/classes (re-assessed) or an explicit
    principal; pengurangan: the decided percent (default: as requested); mutasi: nothing."""

    note: str | None = Field(default=None, max_length=2000)
    decided_land_area: int | None = Field(default=None, ge=1, le=100_000_000)
    decided_building_area: int | None = Field(default=None, ge=0, le=100_000_000)
    decided_land_class: ValueClass | None = Field(default=None, min_length=1, max_length=8)
    decided_building_class: ValueClass | None = Field(default=None, min_length=1, max_length=8)
    principal: int | None = Field(default=None, ge=0, le=10**13, description="Rupiah")
    decided_percent: int | None = Field(default=None, ge=1, le=100)


class HistoryRead(BaseModel):
    """One step of a request."""

    sequence: int
    from_status: str | None
    to_status: str
    actor_role: str
    actor_name: str | None
    note: str | None
    occurred_at: datetime


class RequestRead(BaseModel):
    """A taxpayer request as its owner and the officers see it (no raw NIK)."""

    id: str
    tracking_no: str
    kind: Kind
    request_kind: str
    title: str
    nop: str
    nop_display: str
    tax_year: int | None
    bill_id: str | None
    kelurahan_code: str
    fields: dict[str, Any]
    new_taxpayer_nik_masked: str | None
    status: str
    unified_status: str
    decision: dict[str, Any] | None
    outcome_bill_id: str | None
    granted_reduction: int | None
    submitted_at: datetime
    updated_at: datetime
    due_at: datetime | None
    decided_at: datetime | None
    overdue: bool
    history: list[HistoryRead] | None = None


class RequestPage(BaseModel):
    """A page of requests; ``next_offset`` is None on the last page."""

    items: list[RequestRead]
    next_offset: int | None
