"""Upload schemas: what is known about an uploaded requirement document."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from cimahi_sipinter.uploads.service import UploadView


class UploadRead(BaseModel):
    """An upload's metadata (its bytes are at ``/v1/uploads/{id}/content``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01JDQ7ZK3M4X9V2B6N8P0R5T7W",
                    "content_type": "application/pdf",
                    "size_bytes": 184220,
                    "sha256": "9f2c0d0c1b7e3a4f5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4",
                    "original_filename": "denah-klinik.pdf",
                    "purpose": "Denah bangunan",
                    "created_at": "2026-03-02T02:15:00Z",
                    "attached": True,
                    "application_id": "01JDQ80A1B2C3D4E5F6G7H8J9K",
                    "registration_number": "SPN-2026-000123",
                    "requirement": "denah_bangunan",
                    "attached_at": "2026-03-02T02:20:00Z",
                }
            ]
        }
    )

    id: str = Field(description="Upload id, given in an application's attachments")
    content_type: str = Field(description="Sniffed from the content: PDF, JPEG or PNG")
    size_bytes: int = Field(description="Size of the stored file (image metadata removed)")
    sha256: str = Field(description="Hex SHA-256 of the stored file")
    original_filename: str | None = Field(description="Sanitized client filename (metadata)")
    purpose: str | None = Field(description="What the applicant said it is")
    created_at: datetime
    attached: bool = Field(description="Attached to an application (then no longer deletable)")
    application_id: str | None = Field(description="The application it is attached to")
    registration_number: str | None = Field(
        description="Registration number of that application (none while it is a draft)"
    )
    requirement: str | None = Field(description="Requirement code of the permit type it fulfils")
    attached_at: datetime | None

    @classmethod
    def of(cls, view: UploadView) -> UploadRead:
        """From an upload and (when the caller may see it) its application."""
        upload, application = view.upload, view.application
        number = application.registration_number if application else None
        return cls(
            id=upload.id,
            content_type=upload.content_type,
            size_bytes=upload.size_bytes,
            sha256=upload.sha256,
            original_filename=upload.original_filename,
            purpose=upload.purpose,
            created_at=upload.created_at,
            attached=upload.attached_kind is not None,
            application_id=upload.attached_id,
            registration_number=number,
            requirement=upload.requirement,
            attached_at=upload.attached_at,
        )
