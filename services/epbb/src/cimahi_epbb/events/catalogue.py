"""E-PBB's event catalogue: every event type Bapenda's property-tax service publishes.

The models below are the public JSON Schemas integrators (banks, the treasury, dashboards) code
against; they are served at ``GET /v1/public/events/catalogue`` and become the AsyncAPI
document of the gateway. Every event goes through :func:`publish`, which validates the data
against its model before it is enqueued, so nothing outside the catalogue is ever published.

Safe to share: no payload carries a NIK, a taxpayer's name or address, or a note typed by an
officer or a citizen. A NOP identifies a property, not a person; an NTPD a payment. The only
personal datum is the lifecycle event's ``owner_sub`` (declared by the shared lifecycle spec).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from cimahi_epbb.auth import AGENCY
from cimahi_shared.events.catalogue import EventCatalogue, EventSpec

# An RFC 3339 timestamp written as ``datetime.isoformat()`` (``+00:00``), as the events always were.
Timestamp = Annotated[
    datetime,
    PlainSerializer(datetime.isoformat, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
NOP_PATTERN = r"^\d{18}$"
NTPD_PATTERN = r"^\d{17}$"

RequestKind = Literal["keberatan", "pengurangan", "mutasi"]
RequestStatus = Literal[
    "submitted", "verified", "returned", "resubmitted", "approved", "rejected", "cancelled"
]
MutasiField = Literal[
    "address",
    "land_area",
    "building_area",
    "building_class",
    "taxpayer_name",
    "taxpayer_nik_masked",
    "taxpayer_address",
]


class _Payload(BaseModel):
    """An event payload: closed (an unknown field is a programming error, not data to pass on)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class BillsGeneratedV1(_Payload):
    """Data of ``epbb.bills.generated``: a bill run created bills (SPPT) for a tax year."""

    tax_year: int = Field(ge=1900, le=9999, description="The tax year the bills are for")
    rules_version: int = Field(ge=1, description="Version of the tax-year rules applied")
    created: int = Field(ge=1, description="How many bills this run created")
    total_principal: int = Field(
        ge=0, description="Sum of the principal (pokok) of the created bills, whole rupiah"
    )


class PaidBillV1(_Payload):
    """One bill settled by a payment."""

    nop: str = Field(pattern=NOP_PATTERN, description="Tax object number (NOP), 18 digits")
    tax_year: int = Field(ge=1900, le=9999, description="Tax year of the bill")
    sppt_number: str = Field(description="The bill's SPPT number: <tax year>.<NOP>.<version>")
    amount: int = Field(ge=0, description="Paid for this bill (penalty included), whole rupiah")


class PaymentReceivedV1(_Payload):
    """Data of ``epbb.payment.received``: a channel confirmed a payment (no taxpayer name/NIK)."""

    ntpd: str = Field(pattern=NTPD_PATTERN, description="Payment reference (NTPD), 17 digits")
    channel: str = Field(description="Code of the payment channel, e.g. 'bjb', 'qris'")
    amount: int = Field(ge=1, description="Total paid, whole rupiah")
    paid_at: Timestamp = Field(description="When the channel took the payment")
    bills: list[PaidBillV1] = Field(min_length=1, description="The bills the payment settled")


class TaxpayerRequestV1(_Payload):
    """Data of ``epbb.taxpayer_request.<verb>``: a taxpayer request moved to a new status."""

    request_id: str = Field(description="The request's opaque id (ULID)")
    tracking_no: str = Field(description="Public tracking number, PBB-...")
    kind: RequestKind = Field(
        description="keberatan (objection), pengurangan (reduction) or mutasi (data change)"
    )
    nop: str = Field(pattern=NOP_PATTERN, description="Tax object number (NOP), 18 digits")
    tax_year: int | None = Field(description="Tax year of the bill concerned (null: the object)")
    kelurahan_code: str = Field(description="Kelurahan of the object, e.g. 32.77.01.1001")
    bill_id: str | None = Field(description="The bill concerned (null for a mutasi)")
    status: RequestStatus = Field(description="The request's status after the change")
    sequence: int = Field(ge=1, description="Per-request sequence of its changes, 1 first")
    occurred_at: Timestamp = Field(description="When the change happened")


class TaxpayerRequestApprovedV1(TaxpayerRequestV1):
    """Data of ``epbb.taxpayer_request.approved``: the change plus what was decided."""

    outcome_bill_id: str | None = Field(
        description="The new bill version the decision made (null: no unpaid bill changed)"
    )
    granted_reduction: int | None = Field(
        ge=0, description="Reduction granted (pengurangan), whole rupiah; null otherwise"
    )
    principal: int | None = Field(
        ge=0, description="Principal of the new bill (keberatan, pengurangan); null for mutasi"
    )
    changed_fields: list[MutasiField] | None = Field(
        description="Names (never values) of the object's data a mutasi changed; null otherwise"
    )


REQUEST_VERBS: tuple[str, ...] = (
    "submitted",
    "verified",
    "returned",
    "resubmitted",
    "approved",
    "rejected",
    "cancelled",
)
_REQUEST_SUMMARIES = {
    "submitted": "A taxpayer filed a request (objection, reduction or data change).",
    "verified": "An officer verified a taxpayer request; it awaits the decision.",
    "returned": "An officer returned a taxpayer request for completion.",
    "resubmitted": "The taxpayer resubmitted a returned request.",
    "approved": "A taxpayer request was approved; the outcome is a new bill or object version.",
    "rejected": "A taxpayer request was rejected.",
    "cancelled": "The taxpayer cancelled a request before the decision.",
}


def _request_spec(verb: str) -> EventSpec:
    return EventSpec(
        name=f"taxpayer_request.{verb}",
        summary=_REQUEST_SUMMARIES[verb],
        payload=TaxpayerRequestApprovedV1 if verb == "approved" else TaxpayerRequestV1,
        subject="the request's tracking number (PBB-...)",
    )


CATALOGUE = EventCatalogue(
    AGENCY,
    [
        EventSpec(
            name="bills.generated",
            summary="Bills (SPPT) of a tax year were generated (published only when some were).",
            payload=BillsGeneratedV1,
            subject="the tax year",
        ),
        EventSpec(
            name="payment.received",
            summary="A payment of one or more PBB bills was confirmed by a payment channel.",
            payload=PaymentReceivedV1,
            subject="the payment's NTPD",
        ),
        *(_request_spec(verb) for verb in REQUEST_VERBS),
    ],
)
"""Every event E-PBB publishes (``request.lifecycle`` included by the shared catalogue)."""


publish = CATALOGUE.publish
"""Validate a catalogued event and enqueue it in the caller's transaction (outbox)."""
publish_lifecycle = CATALOGUE.publish_lifecycle
"""Enqueue the platform's ``request.lifecycle.v1`` (subject: the tracking number)."""
