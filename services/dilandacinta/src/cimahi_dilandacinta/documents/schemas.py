"""Bodies of issued documents: the holder's and officers' reads, and the public check."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from cimahi_dilandacinta.models import Document


class DocumentStatus(StrEnum):
    """Whether a document is still valid."""

    ACTIVE = "active"
    SUPERSEDED = "superseded"
    REVOKED = "revoked"


class DocumentRead(BaseModel):
    """An issued document as its holder and the officers of its area see it (masked)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01JDQ7Z3K5M8N9P0Q1R2S3T4V5",
                    "number": "3277-KK-2026-000123",
                    "kind": "kk",
                    "title": "Kartu Keluarga",
                    "status": "active",
                    "holder_name": "A** L******",
                    "holder_nik": "3277********0001",
                    "kelurahan_code": "32.77.01.1001",
                    "issued_on": "2026-11-29",
                    "issued_at": "2026-11-29T03:00:00Z",
                    "signer_title": "Kepala Dinas Kependudukan dan Pencatatan Sipil Kota Cimahi",
                    "signer_name": "Drs. Asep Hidayat",
                    "verification_code": "7K3M-Q9XD-2HVB",
                    "verification_url": "https://api.cimahikota.go.id/api/dilandacinta/v1/public/documents/7K3M-Q9XD-2HVB",
                    "application_id": "01JDQ6Y2J4K7M8N9P0Q1R2S3T4",
                    "superseded_by_id": None,
                    "status_changed_at": None,
                }
            ]
        }
    )

    id: str
    number: str = Field(description="3277-<KIND>-<YEAR>-<NNNNNN>, per kind and year")
    kind: str = Field(description="kk | ktp_el | kia | akta_kelahiran | akta_kematian | ...")
    title: str = Field(description="The printed title, e.g. 'Kartu Keluarga'")
    status: DocumentStatus
    holder_name: str = Field(description="Masked: each word's first letter, then *")
    holder_nik: str | None = Field(description="Masked: 3277********0001")
    kelurahan_code: str
    issued_on: date = Field(description="Date of issue (WIB)")
    issued_at: datetime
    signer_title: str
    signer_name: str
    verification_code: str = Field(description="Printed with the QR code: XXXX-XXXX-XXXX")
    verification_url: str = Field(description="The public check the QR code opens")
    application_id: str | None
    superseded_by_id: str | None = Field(description="The newer document that replaced it")
    status_changed_at: datetime | None

    @classmethod
    def of(cls, document: Document, *, title: str, verification_url: str) -> DocumentRead:
        """The read of a stored document."""
        return cls(
            id=document.id,
            number=document.number,
            kind=document.kind,
            title=title,
            status=DocumentStatus(document.status),
            holder_name=document.holder_name_masked,
            holder_nik=document.holder_nik_masked,
            kelurahan_code=document.kelurahan_code,
            issued_on=document.issued_on,
            issued_at=document.issued_at,
            signer_title=document.signer_title,
            signer_name=document.signer_name,
            verification_code=document.verification_code,
            verification_url=verification_url,
            application_id=document.application_id,
            superseded_by_id=document.superseded_by_id,
            status_changed_at=document.status_changed_at,
        )


class DocumentPage(BaseModel):
    """One page of documents, newest first; pass ``next_cursor`` as ``cursor`` for the next."""

    items: list[DocumentRead]
    next_cursor: str | None


class DocumentVerificationRead(BaseModel):
    """The public answer for a known code: only what a receiver compares with the paper, masked."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "active",
                    "valid": True,
                    "message": "Dokumen ini asli dan berlaku: diterbitkan oleh Disdukcapil "
                    "Kota Cimahi.",
                    "verification_code": "7K3M-Q9XD-2HVB",
                    "kind": "kk",
                    "title": "Kartu Keluarga",
                    "number": "3277-KK-2026-000123",
                    "holder_name": "A** L******",
                    "holder_nik": "3277********0001",
                    "issued_on": "2026-11-29",
                    "signer_title": "Kepala Dinas Kependudukan dan Pencatatan Sipil Kota Cimahi",
                    "status_changed_on": None,
                }
            ]
        }
    )

    status: DocumentStatus = Field(
        description="active (valid), superseded (replaced by a newer document) or revoked"
    )
    valid: bool = Field(description="True only for an active document")
    message: str = Field(description="The answer in one sentence, in Bahasa Indonesia")
    verification_code: str
    kind: str
    title: str
    number: str
    holder_name: str = Field(description="Masked: each word's first letter, then *")
    holder_nik: str | None = Field(description="Masked: 3277********0001")
    issued_on: date = Field(description="Date of issue (WIB)")
    signer_title: str
    status_changed_on: date | None = Field(
        description="Date (WIB) it was superseded or revoked, if it was"
    )
