"""Bodies of permits: the holder's and officers' reads, the revocation, the public check."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

PermitStatus = Literal["valid", "expired", "revoked"]
"""``valid`` and ``revoked`` are stored; ``expired`` is a valid permit past its last day."""

VerificationStatus = Literal["valid", "expired", "revoked"]
"""The public check's answer for a known code (an unknown code is a 404 with result ``unknown``)."""


class PermitBusiness(BaseModel):
    """The business holding a permit."""

    id: str
    nib: str
    name: str = Field(description="The business's current name (the permit prints holder_name)")


class PermitRead(BaseModel):
    """An issued permit as the business's owners and DPMPTSP officers of its area see it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01JQ3Z3K5M8N9P0Q1R2S3T4V5W",
                    "number": "503/00042/IZIN_KLINIK/DPMPTSP/2026",
                    "permit_type": "IZIN_KLINIK",
                    "permit_name": "Izin Operasional Klinik",
                    "product": "Izin Operasional Klinik",
                    "status": "valid",
                    "application_id": "01JQ2Y2J4K7M8N9P0Q1R2S3T4V",
                    "registration_number": "SPN-2026-000123",
                    "business": {
                        "id": "01JD0B5S1NE550000000000000",
                        "nib": "9120001234567",
                        "name": "Klinik Pratama Sehat",
                    },
                    "holder_name": "Klinik Pratama Sehat",
                    "kelurahan_code": "32.77.01.1001",
                    "kelurahan_name": "Melong",
                    "valid_from": "2026-03-02",
                    "valid_until": "2031-03-01",
                    "conditions": ["Papan nama klinik dipasang di depan bangunan"],
                    "deemed_approval": False,
                    "signed_by": "dr. Hj. Siti Rahmawati, M.Kes.",
                    "issued_at": "2026-03-02T03:15:00Z",
                    "verification_code": "7K3M-Q9XD-2HVB",
                    "verification_url": "https://api.cimahikota.go.id/api/sipinter/v1/public/permits/7K3M-Q9XD-2HVB",
                    "revoked_at": None,
                    "revoked_reason": None,
                }
            ]
        }
    )

    id: str
    number: str = Field(description="503/<serial>/<PERMIT_TYPE>/DPMPTSP/<year>, gapless per year")
    permit_type: str = Field(description="Catalogue code")
    permit_name: str = Field(description="The type's name in Indonesian")
    product: str = Field(description="The document the permit is")
    status: PermitStatus
    application_id: str
    registration_number: str | None
    business: PermitBusiness
    holder_name: str = Field(description="The business's name when the permit was issued")
    kelurahan_code: str
    kelurahan_name: str | None
    valid_from: date
    valid_until: date | None = Field(description="Last valid day; null: valid while in force")
    conditions: list[str]
    deemed_approval: bool = Field(description="Granted by law: not decided within the time limit")
    signed_by: str | None
    issued_at: datetime
    verification_code: str
    verification_url: str
    revoked_at: datetime | None
    revoked_reason: str | None


class PermitPage(BaseModel):
    """A page of permits, newest first; ``next_offset`` is null on the last page."""

    items: list[PermitRead]
    next_offset: int | None


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class PermitRevoke(BaseModel):
    """The head's revocation of a permit (an official act: the reason is kept with the permit)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"reason": "Klinik tidak lagi memenuhi standar sarana (hasil pengawasan 2026)."}
            ]
        },
    )

    reason: Reason


class PermitVerificationRead(BaseModel):
    """What anyone holding the permit's code may learn: public facts only.

    The holder is the business (its name and NIB, both printed on the permit); never an
    owner, a NIK, an address or the revocation's reason.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "valid",
                    "valid": True,
                    "message": "Izin ini asli dan berlaku: diterbitkan oleh DPMPTSP Kota Cimahi.",
                    "verification_code": "7K3M-Q9XD-2HVB",
                    "number": "503/00042/IZIN_KLINIK/DPMPTSP/2026",
                    "permit_type": "IZIN_KLINIK",
                    "permit_name": "Izin Operasional Klinik",
                    "holder_name": "Klinik Pratama Sehat",
                    "nib": "9120001234567",
                    "kelurahan_name": "Melong",
                    "valid_from": "2026-03-02",
                    "valid_until": "2031-03-01",
                    "issued_at": "2026-03-02T03:15:00Z",
                    "deemed_approval": False,
                    "revoked_at": None,
                }
            ]
        }
    )

    status: VerificationStatus
    valid: bool = Field(description="status == valid")
    message: str = Field(description="The answer in Bahasa Indonesia")
    verification_code: str
    number: str
    permit_type: str
    permit_name: str
    holder_name: str = Field(description="The business's name as printed on the permit")
    nib: str | None = Field(description="The business's NIB (printed on the permit)")
    kelurahan_name: str | None
    valid_from: date
    valid_until: date | None
    issued_at: datetime
    deemed_approval: bool
    revoked_at: datetime | None
