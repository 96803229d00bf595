"""LAKAMI's event catalogue: every event type it publishes, with the public schema of its data.

Integrators (banks, SP4N-LAPOR!, other city systems) code against these schemas, so they say
exactly what a change of a letter request or of a complaint tells the outside world: the tracking
number, the area, the letter type or complaint category, the statuses and the deadlines. They
never carry a NIK, a No. KK, a name, an address, a contact, a location, the citizen's account id or
a text typed by a citizen or an officer (notes, descriptions, revocation reasons stay in LAKAMI's
history; the citizen sees an officer's note through the platform's lifecycle event only).

Every change publishes one domain event (``letter_request.<verb>`` or ``complaint.<verb>``) and
the platform's ``request.lifecycle`` event; :data:`CATALOGUE` validates both before they are
enqueued (:mod:`cimahi_lakami.events.letters`, :mod:`cimahi_lakami.events.complaints`).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from cimahi_lakami.auth import AGENCY
from cimahi_lakami.complaints.categories import ComplaintType
from cimahi_lakami.complaints.workflow import ComplaintStatus
from cimahi_lakami.letters.workflow import AgencyStatus, Level
from cimahi_shared.events.catalogue import EventCatalogue, EventSpec
from cimahi_shared.events.lifecycle import UnifiedStatus

TRACKING_NO = "The request's public tracking number, unique city-wide"
SEQUENCE = "Per-request counter, the same as in the lifecycle event of this change"
ACTOR_ROLE = "Role of who made the change: citizen, officer, admin or client (an Open311 app)"
OCCURRED_AT = "When the change happened (RFC 3339, UTC)"


class LetterRequestEventV1(BaseModel):
    """Data of every ``letter_request.<verb>.v1`` event: one change of a letter request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tracking_no: str = Field(description=TRACKING_NO)
    letter_type: str = Field(
        description="Letter type code of the public catalogue, e.g. 'domisili'"
    )
    kelurahan_code: str = Field(
        description="Kemendagri code of the kelurahan, e.g. '32.77.01.1001'"
    )
    kecamatan_code: str | None = Field(
        default=None, description="Kemendagri code of the kecamatan of the kelurahan"
    )
    level: Level = Field(
        default=Level.KELURAHAN, description="Who acts on the request now (the level of the status)"
    )
    previous_status: AgencyStatus | None = Field(
        description="LAKAMI status before the change (null when the request was just submitted)"
    )
    agency_status: AgencyStatus = Field(description="LAKAMI status after the change")
    status: UnifiedStatus = Field(description="The unified status a citizen sees")
    sequence: int = Field(ge=1, description=SEQUENCE)
    actor_role: str = Field(description=ACTOR_ROLE)
    letter_number: str | None = Field(
        default=None, description="Number printed on the issued letter (once approved)"
    )
    issued_on: date | None = Field(default=None, description="Date the letter was issued (WIB)")
    occurred_at: datetime = Field(description=OCCURRED_AT)


class ComplaintEventV1(BaseModel):
    """Data of every ``complaint.<verb>.v1`` event: one change of a complaint (pengaduan)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tracking_no: str = Field(description=TRACKING_NO)
    category: str = Field(description="Complaint category code, e.g. 'jalan-drainase'")
    complaint_type: ComplaintType = Field(description="SP4N-LAPOR! type of the complaint")
    kelurahan_code: str = Field(description="Kemendagri code of the kelurahan concerned")
    kecamatan_code: str = Field(description="Kemendagri code of the kecamatan concerned")
    anonymous: bool = Field(description="Whether the author asked to stay anonymous")
    public: bool = Field(description="Whether the complaint is readable by the public")
    previous_status: ComplaintStatus | None = Field(
        description="LAKAMI status before the change (null when the complaint was just filed)"
    )
    agency_status: ComplaintStatus = Field(description="LAKAMI status after the change")
    status: UnifiedStatus = Field(description="The unified status a citizen sees")
    sequence: int = Field(ge=1, description=SEQUENCE)
    actor_role: str = Field(description=ACTOR_ROLE)
    responsible_agency: str | None = Field(
        default=None,
        description="Agency the complaint was forwarded to or declared the responsibility of",
    )
    verify_due_at: datetime = Field(description="Deadline of the verification (SP4N-LAPOR!)")
    answer_due_at: datetime = Field(description="Deadline of the answer (SP4N-LAPOR!)")
    occurred_at: datetime = Field(description=OCCURRED_AT)


LETTER_REQUEST_EVENTS: dict[str, str] = {
    "submitted": "A citizen submitted a letter request to their kelurahan.",
    "verified": "An officer checked a letter request's data and attachments.",
    "processed": "An officer started preparing the letter.",
    "approved": "A letter request was approved at its level; the letter is issued at the last.",
    "rejected": "A letter request was rejected (the reason goes to the citizen only).",
    "returned": "A letter request was returned to the citizen for revision.",
    "resubmitted": "The citizen revised a returned letter request and sent it again.",
    "cancelled": "The citizen cancelled an open letter request.",
    "forwarded": "The kelurahan approved a two-level request and forwarded it to the kecamatan.",
    "revoked": "An issued letter was revoked; its public verification answers 'revoked'.",
}
COMPLAINT_EVENTS: dict[str, str] = {
    "submitted": "A complaint was filed (on the web or by an Open311 app).",
    "verified": "An officer verified a complaint; the answer deadline runs.",
    "forwarded": "A complaint was forwarded to the agency that handles it (it stays open).",
    "answered": "An officer answered a complaint.",
    "not_authority": "A complaint is not the city's authority; the responsible agency is named.",
    "closed": "An answered complaint was closed.",
    "archived": "A complaint was archived (spam or duplicate).",
    "info_added": "The author added information to an open complaint (the text stays in LAKAMI).",
    "rated": "The author rated the answer (the comment stays in LAKAMI).",
    "reopened": "The author reopened an answered complaint; it is answered again.",
}


def _specs(entity: str, events: dict[str, str], payload: type[BaseModel]) -> list[EventSpec]:
    """One spec per verb of an entity whose events share one data model."""
    return [
        EventSpec(
            name=f"{entity}.{verb}",
            summary=summary,
            payload=payload,
            subject="the request's tracking number",
        )
        for verb, summary in events.items()
    ]


CATALOGUE = EventCatalogue(
    AGENCY,
    [
        *_specs("letter_request", LETTER_REQUEST_EVENTS, LetterRequestEventV1),
        *_specs("complaint", COMPLAINT_EVENTS, ComplaintEventV1),
    ],
)
