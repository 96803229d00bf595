"""SIPINTER's event catalogue: every event type DPMPTSP's licensing service publishes.

The models below are the public JSON Schemas integrators (OSS, banks collecting the levy, other
city systems) code against; they are served at ``GET /v1/public/events/catalogue`` and become
the gateway's AsyncAPI document. Every event goes through :func:`publish`, which validates the
data against its model before it is enqueued, so nothing outside the catalogue is published.

Safe to share: no payload carries a NIK, a person's name, an address or a note typed by an
officer or an applicant (decision notes, findings, revocation reasons stay in the service). A
business appears by its opaque id and its NIB (a business registration number). The one
personal datum a domain event carries is declared in its spec's ``personal_data``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from cimahi_shared.events.catalogue import EventCatalogue, EventSpec
from cimahi_sipinter.applications.states import Status
from cimahi_sipinter.auth import AGENCY
from cimahi_sipinter.catalogue.schemas import LevyBasis, Stage, Tier

# An RFC 3339 timestamp written as ``datetime.isoformat()`` (``+00:00``), as the events always were.
Timestamp = Annotated[
    datetime,
    PlainSerializer(datetime.isoformat, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class _Payload(BaseModel):
    """An event payload: closed (an unknown field is a programming error, not data to pass on)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ApplicationEventV1(_Payload):
    """Data of ``sipinter.application.<verb>``: a submitted application changed."""

    application_id: str = Field(description="The application's opaque id (ULID)")
    registration_number: str = Field(description="Registration number given on submission")
    permit_type: str = Field(description="Permit type code of the public catalogue")
    tier: Tier = Field(description="Risk tier of the permit type")
    business_id: str = Field(description="The applying business's opaque id (ULID)")
    kelurahan_code: str = Field(description="Kelurahan of the business or the site")
    status: Status = Field(description="The application's status after the change")
    stage: Stage | None = Field(description="The tier stage it is in (kept while returned)")
    due_at: Timestamp | None = Field(description="Deadline of the decision (null while paused)")
    occurred_at: Timestamp = Field(description="When the change happened")


class ApplicationReturnedV1(ApplicationEventV1):
    """Data of ``sipinter.application.returned``: sent back to the applicant for completion."""

    missing_items: list[str] = Field(
        description="Requirement codes of the permit type that are missing (no free text)"
    )


class LevyQuantityV1(_Payload):
    """What a per-m2 levy was computed on."""

    area_m2: int = Field(ge=0, description="Area in square metres")
    years: int | None = Field(default=None, ge=1, description="Years (yearly levies only)")


class ApplicationLevyDueV1(ApplicationEventV1):
    """Data of ``sipinter.application.levy_due``: the levy (retribusi) was assessed."""

    amount: int = Field(ge=1, description="The levy, whole rupiah")
    levy_code: str = Field(description="Payment code (SKRD) to pay the levy with")
    levy_due_at: Timestamp = Field(description="Pay by this moment")
    levy_basis: LevyBasis = Field(description="How the amount is computed")
    levy_quantity: LevyQuantityV1 | None = Field(
        description="What a per-m2 levy was computed on (null for a flat levy)"
    )


class ApplicationLevyPaidV1(ApplicationEventV1):
    """Data of ``sipinter.application.levy_paid``: a channel confirmed the levy payment."""

    amount: int = Field(ge=1, description="Paid, whole rupiah")
    levy_code: str | None = Field(description="Payment code (SKRD) that was paid")
    channel: str = Field(description="Code of the payment channel")
    channel_reference: str = Field(description="The channel's reference of the payment")
    paid_at: Timestamp = Field(description="When the channel took the payment")


class ApplicationDeemedApprovedV1(ApplicationEventV1):
    """Data of ``sipinter.application.deemed_approved``: not decided in time (fiktif positif)."""

    alert: Literal["head_of_office"] = Field(description="Who must act on it")
    assigned_officer_sub: str | None = Field(
        description="Opaque account id of the officer the application was assigned to"
    )
    deemed_approved_at: Timestamp = Field(description="When it was flagged granted by law")


class PermitEventV1(_Payload):
    """Data of ``sipinter.permit.issued``: a permit and its public facts."""

    permit_id: str = Field(description="The permit's opaque id (ULID)")
    permit_number: str = Field(description="The permit's number")
    permit_type: str = Field(description="Permit type code of the public catalogue")
    application_id: str = Field(description="The application it was issued on (ULID)")
    registration_number: str | None = Field(description="That application's registration number")
    business_id: str = Field(description="The holding business's opaque id (ULID)")
    nib: str = Field(description="The holding business's NIB (business registration number)")
    kelurahan_code: str = Field(description="Kelurahan of the business or the site")
    valid_from: date = Field(description="First day of validity")
    valid_until: date | None = Field(description="Last day of validity (null: while in force)")
    deemed_approval: bool = Field(description="Issued because it was granted by law")
    verification_url: str = Field(description="Public page verifying the permit (its QR code)")
    occurred_at: Timestamp = Field(description="When it happened")


class PermitRevokedV1(PermitEventV1):
    """Data of ``sipinter.permit.revoked``: the permit's facts and when (never the reason)."""

    revoked_at: Timestamp = Field(description="When the head of office revoked it")


class PermitExpiringV1(_Payload):
    """Data of ``sipinter.permit.expiring``: a reminder some days before a permit expires."""

    permit_id: str = Field(description="The permit's opaque id (ULID)")
    permit_number: str = Field(description="The permit's number")
    permit_type: str = Field(description="Permit type code of the public catalogue")
    business_id: str = Field(description="The holding business's opaque id (ULID)")
    kelurahan_code: str = Field(description="Kelurahan of the business or the site")
    valid_until: date = Field(description="Last day of validity")
    days_left: int = Field(description="Days from today to valid_until")
    days_before: int = Field(ge=1, description="Which reminder this is (days before expiry)")
    occurred_at: Timestamp = Field(description="When the reminder was sent")


_APPLICATION = "the application's opaque id (ULID)"
_PERMIT = "the permit's opaque id (ULID)"


def _application(verb: str, summary: str, payload: type[ApplicationEventV1]) -> EventSpec:
    return EventSpec(f"application.{verb}", summary, payload, _APPLICATION)


CATALOGUE = EventCatalogue(
    AGENCY,
    [
        _application("submitted", "A business submitted an application.", ApplicationEventV1),
        _application(
            "returned",
            "An officer returned an application for completion (the deadline pauses).",
            ApplicationReturnedV1,
        ),
        _application(
            "resubmitted", "The applicant resubmitted a returned application.", ApplicationEventV1
        ),
        _application(
            "verified", "An officer completed the technical verification.", ApplicationEventV1
        ),
        _application("levy_due", "The levy (retribusi) is due.", ApplicationLevyDueV1),
        _application("levy_paid", "A channel confirmed the levy payment.", ApplicationLevyPaidV1),
        EventSpec(
            "application.deemed_approved",
            "The application was not decided in time and is granted by law (fiktif positif);"
            " the head of office is alerted.",
            ApplicationDeemedApprovedV1,
            _APPLICATION,
            personal_data={
                "assigned_officer_sub": "opaque account id (not a name or NIK) of the officer"
                " who held the file: the head of office follows up with them"
            },
        ),
        _application("rejected", "The application was rejected.", ApplicationEventV1),
        _application("withdrawn", "The applicant withdrew the application.", ApplicationEventV1),
        EventSpec("permit.issued", "A permit was issued.", PermitEventV1, _PERMIT),
        EventSpec(
            "permit.revoked", "The head of office revoked a permit.", PermitRevokedV1, _PERMIT
        ),
        EventSpec(
            "permit.expiring",
            "A permit expires soon (one reminder per configured number of days before).",
            PermitExpiringV1,
            _PERMIT,
        ),
    ],
)
"""Every event SIPINTER publishes (``request.lifecycle`` included by the shared catalogue)."""


publish = CATALOGUE.publish
"""Validate a catalogued event and enqueue it in the caller's transaction (outbox)."""
publish_lifecycle = CATALOGUE.publish_lifecycle
"""Enqueue the platform's ``request.lifecycle.v1`` (subject: the tracking number)."""
