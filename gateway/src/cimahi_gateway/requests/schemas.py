"""What the unified request status API reads and returns."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from cimahi_shared.events.lifecycle import UnifiedStatus

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class RequestListQuery(BaseModel):
    """Filters and paging of ``GET /api/v1/requests``."""

    agency: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_-]{0,31}$",
        description="Only requests of this agency (service code, e.g. `lakami`)",
    )
    status: list[UnifiedStatus] = Field(
        default_factory=list, description="Only requests in one of these statuses (repeatable)"
    )
    submitted_from: date | None = Field(
        default=None, description="Submitted on or after this date (city time, WIB)"
    )
    submitted_to: date | None = Field(
        default=None, description="Submitted on or before this date (city time, WIB)"
    )
    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Page size")
    cursor: str | None = Field(
        default=None,
        max_length=512,
        description="Opaque position from a previous page's `next_cursor`",
    )

    @field_validator("submitted_to")
    @classmethod
    def _not_before_from(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("submitted_from")
        if value is not None and start is not None and value < start:
            raise ValueError("must not be before submitted_from")
        return value


class TimelineEntryRead(BaseModel):
    """One step of a request's history."""

    model_config = ConfigDict(from_attributes=True)

    sequence: int
    status: UnifiedStatus
    agency_status: str = Field(description="The agency's own name of this step")
    note: str | None = Field(description="Note for the citizen, e.g. a rejection reason")
    occurred_at: datetime


class RequestSummary(BaseModel):
    """A request as it appears in lists."""

    model_config = ConfigDict(from_attributes=True)

    tracking_no: str
    agency: str
    request_kind: str
    title: str
    area: str | None = Field(description="Kelurahan or kecamatan code the request belongs to")
    status: UnifiedStatus
    agency_status: str = Field(description="The agency's own status name")
    submitted_at: datetime
    updated_at: datetime = Field(description="When the current status was reached")
    due_at: datetime | None = Field(description="Legal deadline, if the service has one")


class RequestDetail(RequestSummary):
    """A request's current status and its whole timeline, in sequence order."""

    timeline: list[TimelineEntryRead]


class RequestPage(BaseModel):
    """One page of requests, newest submission first."""

    items: list[RequestSummary]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )
