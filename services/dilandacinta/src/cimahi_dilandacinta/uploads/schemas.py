"""Upload schemas: what is known about an uploaded file."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from cimahi_dilandacinta.models import Upload


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
                    "original_filename": "kk-lama.pdf",
                    "purpose": "Kartu Keluarga lama",
                    "created_at": "2026-11-29T02:15:00Z",
                    "attached": True,
                    "tracking_no": "DLC-2026-000123",
                    "requirement": "kk_lama",
                    "attached_at": "2026-11-29T02:20:00Z",
                }
            ]
        }
    )

    id: str = Field(description="Upload id, given as an attachment of an application")
    content_type: str = Field(description="Sniffed from the content: PDF, JPEG or PNG")
    size_bytes: int = Field(description="Size of the stored file (image metadata removed)")
    sha256: str = Field(description="Hex SHA-256 of the stored file")
    original_filename: str | None = Field(description="Sanitized client filename (metadata)")
    purpose: str | None = Field(description="What the citizen said it is")
    created_at: datetime
    attached: bool = Field(description="Attached to an application (then no longer deletable)")
    tracking_no: str | None = Field(description="Tracking number of the application")
    requirement: str | None = Field(description="Requirement code of the application it fulfils")
    attached_at: datetime | None

    @classmethod
    def of(cls, upload: Upload) -> UploadRead:
        """From a row."""
        return cls(
            id=upload.id,
            content_type=upload.content_type,
            size_bytes=upload.size_bytes,
            sha256=upload.sha256,
            original_filename=upload.original_filename,
            purpose=upload.purpose,
            created_at=upload.created_at,
            attached=upload.attached_kind is not None,
            tracking_no=upload.attached_ref,
            requirement=upload.requirement,
            attached_at=upload.attached_at,
        )
