"""The platform contract every agency speaks: the versioned request-lifecycle event.

Each agency publishes one of these on every change of a citizen request, next to its own domain
events. The gateway's unified request status is built only from these. The schema is versioned in
its type (``...request.lifecycle.v1``); a breaking change becomes ``v2`` published side by side.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cimahi_shared.events.envelope import TYPE_PREFIX, CloudEvent

LIFECYCLE_V1 = TYPE_PREFIX + "request.lifecycle.v1"
LIFECYCLE_SCHEMA_V1 = "https://api.cimahikota.go.id/schemas/request-lifecycle/v1.json"


class UnifiedStatus(StrEnum):
    """The status a citizen sees for any request of any agency."""

    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    NEEDS_REVISION = "needs_revision"
    IN_PROCESS = "in_process"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        """Whether nothing follows this status."""
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset(
    {UnifiedStatus.COMPLETED, UnifiedStatus.REJECTED, UnifiedStatus.CANCELLED}
)


class RequestLifecycleV1(BaseModel):
    """Payload of ``id.go.cimahikota.request.lifecycle.v1``. Never carries a NIK or other personal data."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    tracking_no: str = Field(description="The request's public tracking number, unique city-wide")
    agency: str = Field(description="Agency service code, e.g. 'lakami'")
    request_kind: str = Field(description="What was requested, e.g. 'letter.domisili'")
    title: str = Field(default="", description="Short human-readable label of the request")
    owner_sub: str = Field(description="The citizen's opaque subject id (the token's 'sub')")
    area: str | None = Field(
        default=None, description="Kelurahan or kecamatan code the request belongs to"
    )
    agency_status: str = Field(description="The agency's own status name")
    status: UnifiedStatus = Field(description="The unified status")
    note: str | None = Field(
        default=None, description="Note for the citizen (e.g. a rejection reason)"
    )
    occurred_at: datetime
    sequence: int = Field(ge=1, description="Per-request sequence number, 1 for the first event")
    submitted_at: datetime | None = None
    due_at: datetime | None = None


def lifecycle_event(*, source: str, payload: RequestLifecycleV1) -> CloudEvent:
    """Wrap a lifecycle payload in its CloudEvent envelope."""
    data: dict[str, Any] = payload.model_dump(mode="json")
    return CloudEvent(
        source=source,
        type=LIFECYCLE_V1,
        subject=payload.tracking_no,
        time=payload.occurred_at,
        dataschema=LIFECYCLE_SCHEMA_V1,
        data=data,
    )
