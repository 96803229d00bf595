"""Open311 GeoReport v2 documents (JSON), built from complaint categories and public complaints.

Mapping: a complaint category is a ``service``; a public complaint is a ``service request``
whose ``service_request_id`` is its tracking number. ``status`` is ``open`` while LAKAMI waits
for a verification or an answer, ``closed`` once answered, closed or not its authority (archived
and private complaints are never listed). ``expected_datetime`` is the answer deadline,
``status_notes`` the officer's answer, ``agency_responsible`` the agency it was forwarded to (or
the kelurahan). No personal data: no author, contact, photos or citizen notes.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from cimahi_lakami.complaints.categories import Category, find_category
from cimahi_lakami.complaints.workflow import is_open
from cimahi_lakami.models import Complaint
from cimahi_shared.calendar import WIB
from cimahi_shared.regions import find_kelurahan


class Open311Error(Exception):
    """An Open311 error: answered as ``[{"code": status, "description": ...}]``."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


class Service(BaseModel):
    """An entry of ``services.json``."""

    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str

    @classmethod
    def of(cls, category: Category) -> Service:
        """A category as an Open311 service (every one has attributes: ``metadata`` true)."""
        return cls(
            service_code=category.code,
            service_name=category.name,
            description=category.description,
            metadata=bool(category.attributes),
            type="realtime",
            keywords=",".join(category.keywords),
            group=category.group,
        )


class AttributeValue(BaseModel):
    """One allowed value of a list attribute."""

    key: str
    name: str


class ServiceAttribute(BaseModel):
    """One attribute of a service definition."""

    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str
    order: int
    description: str
    values: list[AttributeValue]


class ServiceDefinition(BaseModel):
    """``services/{service_code}.json``."""

    service_code: str
    attributes: list[ServiceAttribute]

    @classmethod
    def of(cls, category: Category) -> ServiceDefinition:
        """The category's attributes in order."""
        return cls(
            service_code=category.code,
            attributes=[
                ServiceAttribute(
                    variable=True,
                    code=a.code,
                    datatype=a.datatype,
                    required=a.required,
                    datatype_description=a.datatype_description,
                    order=i,
                    description=a.description,
                    values=[AttributeValue(key=k, name=n) for k, n in a.values],
                )
                for i, a in enumerate(category.attributes, start=1)
            ],
        )


class RequestCreated(BaseModel):
    """The answer to ``POST requests.json`` (one element of the list)."""

    service_request_id: str
    service_notice: str
    account_id: None = None


class ServiceRequest(BaseModel):
    """A public complaint as an Open311 service request."""

    service_request_id: str
    status: str
    status_notes: str | None
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime
    address: str | None
    address_id: str | None = Field(description="No address register yet: always null")
    zipcode: str | None = Field(description="Not collected: always null")
    lat: float | None
    long: float | None
    media_url: str | None

    @classmethod
    def of(cls, complaint: Complaint) -> ServiceRequest:
        """The Open311 view of a public complaint (no personal data)."""
        category = find_category(complaint.category_code)
        kelurahan = find_kelurahan(complaint.kelurahan_code)
        local = f"Kelurahan {kelurahan.name}" if kelurahan else complaint.kelurahan_code
        return cls(
            service_request_id=complaint.tracking_no,
            status="open" if is_open(complaint.status) else "closed",
            status_notes=complaint.answer,
            service_name=category.name if category else complaint.category_code,
            service_code=complaint.category_code,
            description=complaint.description,
            agency_responsible=complaint.responsible_agency or local,
            service_notice=service_notice(complaint),
            requested_datetime=complaint.submitted_at,
            updated_datetime=complaint.updated_at,
            expected_datetime=complaint.answer_due_at,
            address=complaint.address,
            address_id=None,
            zipcode=None,
            lat=complaint.lat,
            long=complaint.lon,
            media_url=complaint.media_url,
        )


def service_notice(complaint: Complaint) -> str:
    """What happens next, in the words of SP4N-LAPOR!."""
    return (
        f"Diverifikasi paling lambat {_wib(complaint.verify_due_at)}, "
        f"dijawab paling lambat {_wib(complaint.answer_due_at)} (hari kerja, SP4N-LAPOR!)."
    )


def _wib(moment: datetime) -> str:
    return moment.astimezone(WIB).strftime("%Y-%m-%d")
