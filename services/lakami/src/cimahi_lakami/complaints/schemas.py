"""Complaint schemas: what a citizen files, what an officer sends, what each reader sees.

Inputs forbid unknown fields (nobody sets ``status``, ``owner_sub`` or a deadline). Outputs are
built per reader by ``ComplaintRead.of``: the author (``author``) is filled only for the owner,
for officers when the complaint is not anonymous, and for the identity role; the public view of
someone else's public complaint carries no personal data at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from cimahi_lakami.complaints.categories import find_category
from cimahi_lakami.complaints.workflow import ComplaintStatus, next_actions, unified_status
from cimahi_lakami.models import Complaint, ComplaintHistory
from cimahi_shared.events.lifecycle import UnifiedStatus
from cimahi_shared.regions import find_kelurahan

#: Bounding box of Kota Cimahi (approximate, generous by ~1 km): a location outside is refused.
CIMAHI_LAT = (-6.95, -6.83)
CIMAHI_LON = (107.50, 107.58)
MAX_DESCRIPTION = 4000


def _known_kelurahan(code: str) -> str:
    if find_kelurahan(code) is None:
        raise ValueError(
            "must be the code of one of Kota Cimahi's 15 kelurahan, e.g. 32.77.01.1001"
        )
    return code


def _known_category(code: str) -> str:
    if find_category(code) is None:
        raise ValueError("unknown category; see GET /v1/public/complaint-categories")
    return code


def _lat(value: float) -> float:
    if not CIMAHI_LAT[0] <= value <= CIMAHI_LAT[1]:
        raise ValueError(f"must be inside Kota Cimahi ({CIMAHI_LAT[0]}..{CIMAHI_LAT[1]})")
    return value


def _lon(value: float) -> float:
    if not CIMAHI_LON[0] <= value <= CIMAHI_LON[1]:
        raise ValueError(f"must be inside Kota Cimahi ({CIMAHI_LON[0]}..{CIMAHI_LON[1]})")
    return value


KelurahanCode = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=16), AfterValidator(_known_kelurahan)
]
CategoryCode = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=40), AfterValidator(_known_category)
]
Latitude = Annotated[float, AfterValidator(_lat)]
Longitude = Annotated[float, AfterValidator(_lon)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=150)]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=10, max_length=MAX_DESCRIPTION)
]
Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)]
Contact = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
UploadId = Annotated[str, StringConstraints(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Agency = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]


class Location(BaseModel):
    """A point inside Kota Cimahi (WGS 84)."""

    model_config = ConfigDict(extra="forbid")

    lat: Latitude
    long: Longitude


class ComplaintCreate(BaseModel):
    """A citizen's complaint, information request or aspiration."""

    model_config = ConfigDict(extra="forbid")

    category: CategoryCode
    title: Title
    description: Description
    kelurahan_code: KelurahanCode
    location: Location | None = None
    address: Address | None = None
    photo_upload_ids: list[UploadId] = Field(
        default_factory=list,
        max_length=5,
        description="Ids of your unattached JPEG/PNG uploads (POST /v1/uploads); attached here",
    )
    anonymous: bool = Field(
        default=False, description="Officers never see who filed an anonymous complaint"
    )
    public: bool = Field(
        default=True, description="Public complaints are readable (without personal data)"
    )
    contact: Contact | None = Field(
        default=None, description="Phone or e-mail for the officer (personal data)"
    )


class ActionNote(BaseModel):
    """An officer's or citizen's note on a step."""

    model_config = ConfigDict(extra="forbid")

    note: Note | None = None


class ForwardBody(BaseModel):
    """Forward a complaint to the agency that handles it (it stays open)."""

    model_config = ConfigDict(extra="forbid")

    responsible_agency: Agency
    note: Note | None = None


class NotAuthorityBody(BaseModel):
    """Not LAKAMI's authority: say who is responsible."""

    model_config = ConfigDict(extra="forbid")

    responsible_agency: Agency
    note: Note


class RatingBody(BaseModel):
    """The citizen's rating of the answer (once)."""

    model_config = ConfigDict(extra="forbid")

    rating: int = Field(ge=1, le=5)
    comment: Note | None = None


class InfoBody(BaseModel):
    """More information from the citizen (while the complaint is open)."""

    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=4000)]
    photo_upload_ids: list[UploadId] = Field(default_factory=list, max_length=5)


class Author(BaseModel):
    """Who filed the complaint (personal data)."""

    sub: str
    name: str | None
    contact: str | None


class ComplaintHistoryRead(BaseModel):
    """One step of a complaint (``actor_sub`` hidden for the author's steps unless you may see it)."""

    sequence: int
    action: str
    from_status: str | None
    to_status: str
    actor_sub: str | None
    actor_role: str
    note: str | None
    occurred_at: datetime


class ComplaintRead(BaseModel):
    """A complaint as the caller may see it."""

    tracking_no: str
    category: str
    category_name: str
    complaint_type: str
    title: str
    description: str
    kelurahan_code: str
    kecamatan_code: str
    location: Location | None
    address: str | None
    photo_upload_ids: list[str]
    media_url: str | None
    anonymous: bool
    public: bool
    channel: str
    status: ComplaintStatus
    unified_status: UnifiedStatus
    submitted_at: datetime
    updated_at: datetime
    verify_due_at: datetime
    answer_due_at: datetime
    due_at: datetime | None = Field(
        description="The deadline it waits for now (verification, then answer); null once answered"
    )
    overdue: bool = Field(description="due_at has passed")
    reopen_until: datetime | None = Field(
        description="Last moment the author may reopen it (answered, closed or not our authority)"
    )
    verified_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None
    answer: str | None
    responsible_agency: str | None
    rating: int | None
    rating_comment: str | None
    author: Author | None = Field(description="Only for readers allowed to see who filed it")
    next_actions: list[str]
    history: list[ComplaintHistoryRead]

    @classmethod
    def of(
        cls,
        complaint: Complaint,
        *,
        show_author: bool,
        full: bool,
        now: datetime,
        reopen_until: datetime | None,
    ) -> ComplaintRead:
        """The view of a reader: ``show_author`` reveals the author, ``full`` the private parts.

        ``now`` decides ``overdue``; ``reopen_until`` is the end of the reopening window, if any.
        """
        due_at = current_deadline(complaint)
        category = find_category(complaint.category_code)
        location = (
            Location.model_construct(lat=complaint.lat, long=complaint.lon)
            if complaint.lat is not None and complaint.lon is not None
            else None
        )
        return cls(
            tracking_no=complaint.tracking_no,
            category=complaint.category_code,
            category_name=category.name if category else complaint.category_code,
            complaint_type=complaint.complaint_type,
            title=complaint.title,
            description=complaint.description,
            kelurahan_code=complaint.kelurahan_code,
            kecamatan_code=complaint.kecamatan_code,
            location=location,
            address=complaint.address,
            photo_upload_ids=list(complaint.photo_upload_ids) if full else [],
            media_url=complaint.media_url,
            anonymous=complaint.anonymous,
            public=complaint.public,
            channel=complaint.channel,
            status=ComplaintStatus(complaint.status),
            unified_status=unified_status(complaint.status),
            submitted_at=complaint.submitted_at,
            updated_at=complaint.updated_at,
            verify_due_at=complaint.verify_due_at,
            answer_due_at=complaint.answer_due_at,
            due_at=due_at,
            overdue=due_at is not None and due_at < now,
            reopen_until=reopen_until,
            verified_at=complaint.verified_at,
            answered_at=complaint.answered_at,
            closed_at=complaint.closed_at,
            answer=complaint.answer,
            responsible_agency=complaint.responsible_agency,
            rating=complaint.rating,
            rating_comment=complaint.rating_comment if full else None,
            author=Author(
                sub=complaint.owner_sub,
                name=complaint.author_name,
                contact=complaint.author_contact,
            )
            if show_author
            else None,
            next_actions=[a.value for a in next_actions(complaint.status)] if full else [],
            history=[_history(h, show_author=show_author, full=full) for h in complaint.history],
        )


def _history(entry: ComplaintHistory, *, show_author: bool, full: bool) -> ComplaintHistoryRead:
    by_author = entry.actor_role in ("citizen", "client")
    return ComplaintHistoryRead(
        sequence=entry.sequence,
        action=entry.action,
        from_status=entry.from_status,
        to_status=entry.to_status,
        actor_sub=None if by_author and not show_author else entry.actor_sub,
        actor_role=entry.actor_role,
        # The author's own notes (added information) may hold personal data: owner/officers only.
        note=entry.note if full or not by_author else None,
        occurred_at=entry.occurred_at,
    )


class ComplaintSummary(BaseModel):
    """A complaint in a list."""

    tracking_no: str
    category: str
    title: str
    kelurahan_code: str
    status: ComplaintStatus
    unified_status: UnifiedStatus
    anonymous: bool
    public: bool
    submitted_at: datetime
    verify_due_at: datetime
    answer_due_at: datetime
    due_at: datetime | None
    overdue: bool

    @classmethod
    def of(cls, complaint: Complaint, *, now: datetime) -> ComplaintSummary:
        """Summary of a complaint; ``overdue`` against ``now``."""
        deadline = current_deadline(complaint)
        return cls(
            tracking_no=complaint.tracking_no,
            category=complaint.category_code,
            title=complaint.title,
            kelurahan_code=complaint.kelurahan_code,
            status=ComplaintStatus(complaint.status),
            unified_status=unified_status(complaint.status),
            anonymous=complaint.anonymous,
            public=complaint.public,
            submitted_at=complaint.submitted_at,
            verify_due_at=complaint.verify_due_at,
            answer_due_at=complaint.answer_due_at,
            due_at=deadline,
            overdue=deadline is not None and deadline < now,
        )


def current_deadline(complaint: Complaint) -> datetime | None:
    """The deadline the complaint waits for now: verification, answer, or none when answered."""
    if complaint.status == ComplaintStatus.SUBMITTED:
        return complaint.verify_due_at
    if complaint.status in (
        ComplaintStatus.VERIFIED,
        ComplaintStatus.FORWARDED,
        ComplaintStatus.REOPENED,
    ):
        return complaint.answer_due_at
    return None


class ComplaintPage(BaseModel):
    """A page of complaints, newest first."""

    items: list[ComplaintSummary]
    next_cursor: str | None = None


class CategoryRead(BaseModel):
    """A complaint category with its deadlines."""

    code: str
    name: str
    description: str
    group: str
    complaint_type: str
    verify_working_days: int
    answer_working_days: int
