"""The unified request status projection: one current row per request plus its timeline.

Built only from the agencies' ``request.lifecycle.v1`` events (see ``projection``); the gateway
never writes these rows from its own API.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cimahi_gateway.db import Base
from cimahi_shared.db import UTCDateTime

TRACKING_NO_MAX = 64
AGENCY_MAX = 32
REQUEST_KIND_MAX = 100
OWNER_SUB_MAX = 64
AREA_MAX = 32
AGENCY_STATUS_MAX = 64
EVENT_ID_MAX = 64


class TrackedRequest(Base):
    """The current unified status of one citizen request (the state at its highest sequence)."""

    __tablename__ = "request_status"

    tracking_no: Mapped[str] = mapped_column(String(TRACKING_NO_MAX), primary_key=True)
    agency: Mapped[str] = mapped_column(String(AGENCY_MAX))
    request_kind: Mapped[str] = mapped_column(String(REQUEST_KIND_MAX))
    title: Mapped[str] = mapped_column(Text)
    owner_sub: Mapped[str] = mapped_column(String(OWNER_SUB_MAX))
    area: Mapped[str | None] = mapped_column(String(AREA_MAX))
    # The kecamatan code the area lies in (`32.77.01` for `32.77.01.1001` and for `32.77.01`):
    # lets a kecamatan officer's list be one index range instead of a prefix scan plus a sort.
    kecamatan: Mapped[str | None] = mapped_column(String(AREA_MAX))
    agency_status: Mapped[str] = mapped_column(String(AGENCY_STATUS_MAX))
    status: Mapped[str] = mapped_column(String(32))
    last_sequence: Mapped[int]
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TimelineEntry(Base):
    """One lifecycle step of a request; exactly one row per (tracking_no, sequence)."""

    __tablename__ = "request_timeline"

    tracking_no: Mapped[str] = mapped_column(
        String(TRACKING_NO_MAX),
        ForeignKey("request_status.tracking_no", ondelete="CASCADE"),
        primary_key=True,
    )
    sequence: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(32))
    agency_status: Mapped[str] = mapped_column(String(AGENCY_STATUS_MAX))
    note: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    event_id: Mapped[str] = mapped_column(String(EVENT_ID_MAX))


# Every list is ordered by (submitted_at DESC, tracking_no DESC) and paged by keyset; each index
# below serves one visibility scope as range reads backwards, with no sort and no row read only to
# be filtered out. An officer's scope is read one status at a time (one range per status, merged
# when several or all statuses are listed, see repository.list_visible): a status filter never
# reads past the scope's requests in other statuses, and the scope has no second index the
# planner could pick instead when it has no statistics.
Index(
    "ix_request_status_owner",
    TrackedRequest.owner_sub,
    TrackedRequest.submitted_at,
    TrackedRequest.tracking_no,
)
Index(
    "ix_request_status_agency_area_status",
    TrackedRequest.agency,
    TrackedRequest.area,
    TrackedRequest.status,
    TrackedRequest.submitted_at,
    TrackedRequest.tracking_no,
)
Index(
    "ix_request_status_agency_kecamatan_status",
    TrackedRequest.agency,
    TrackedRequest.kecamatan,
    TrackedRequest.status,
    TrackedRequest.submitted_at,
    TrackedRequest.tracking_no,
)
Index("ix_request_status_submitted", TrackedRequest.submitted_at, TrackedRequest.tracking_no)
