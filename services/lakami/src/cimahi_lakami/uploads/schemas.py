"""Upload schemas: an upload's metadata and a reference to one when attaching it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cimahi_lakami.models import Upload

RequirementCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{1,39}$")
]


class UploadRead(BaseModel):
    """What is known about an upload (its content is at ``/v1/uploads/{id}/content``)."""

    id: str
    content_type: str = Field(description="Sniffed from the content: PDF, JPEG or PNG")
    size_bytes: int
    sha256: str = Field(description="Hex SHA-256 of the content")
    original_filename: str | None = Field(description="Sanitized client filename (metadata)")
    purpose: str | None
    created_at: datetime
    attached: bool
    attached_kind: str | None = Field(description="letter_request | complaint")
    attached_ref: str | None = Field(description="Tracking number it is attached to")
    requirement: str | None

    @classmethod
    def of(cls, upload: Upload, *, for_owner: bool = True) -> UploadRead:
        """From a row; others than the owner (officers) never see the client's filename or
        purpose text, which can name the author of an anonymous complaint."""
        return cls(
            id=upload.id,
            content_type=upload.content_type,
            size_bytes=upload.size_bytes,
            sha256=upload.sha256,
            original_filename=upload.original_filename if for_owner else None,
            purpose=upload.purpose if for_owner else None,
            created_at=upload.created_at,
            attached=upload.attached_kind is not None,
            attached_kind=upload.attached_kind,
            attached_ref=upload.attached_ref,
            requirement=upload.requirement,
        )


class AttachmentRef(BaseModel):
    """An upload of yours offered for one of the letter type's requirements."""

    model_config = ConfigDict(extra="forbid")

    requirement: RequirementCode = Field(
        description="Code of the requirement as listed in the letter type, e.g. 'ktp'"
    )
    upload_id: str = Field(max_length=26, description="id returned by POST /v1/uploads")
