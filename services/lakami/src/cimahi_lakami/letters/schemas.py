"""Letter request schemas: what a citizen sends, what an officer sends, what everyone reads.

Inputs forbid unknown fields (mass assignment: nobody sets ``status``, ``owner_sub`` or a
``letter_number``). Outputs never carry a NIK or No. KK, only their masked form.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from cimahi_lakami.letters.repository import AttachmentView, HistoryView, RequestView
from cimahi_lakami.letters.workflow import AgencyStatus, Level, is_overdue, unified_status
from cimahi_lakami.models import LetterRequest, LetterRequestHistory
from cimahi_lakami.uploads.schemas import AttachmentRef
from cimahi_shared.events.lifecycle import UnifiedStatus
from cimahi_shared.identifiers import NIK, NoKK
from cimahi_shared.regions import find_kelurahan


def _known_kelurahan(code: str) -> str:
    if find_kelurahan(code) is None:
        raise ValueError(
            "must be the code of one of Kota Cimahi's 15 kelurahan, e.g. 32.77.01.1001"
        )
    return code


def _rt_rw(value: str) -> str:
    return value.zfill(3)


KelurahanCode = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=16), AfterValidator(_known_kelurahan)
]
RtRw = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^\d{1,3}$"),
    AfterValidator(_rt_rw),
    Field(description="1-3 digits; stored zero-padded ('3' -> '003')"),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
CoverLetterNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)
]
Purpose = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
Attachments = Annotated[
    list[AttachmentRef],
    Field(
        max_length=20,
        description="Your uploads (POST /v1/uploads, not attached yet) offered for the letter "
        "type's requirements, by requirement code; missing documents can be brought on paper",
    ),
]
FieldScalar = str | int | float | bool | None
FieldValues = Annotated[
    # Scalars, or a list of entries of scalars for list fields (e.g. ahli_waris.heirs); the
    # catalogue's check_fields types and bounds each of them.
    dict[str, FieldScalar | list[dict[str, FieldScalar]]],
    Field(
        max_length=30,
        description="Type-specific fields as listed in the letter type's 'fields' "
        "(GET /v1/public/letter-types/{code})",
    ),
]


class LetterRequestCreate(BaseModel):
    """A citizen's request for a letter."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "letter_type": "domisili",
                    "nik": "3277015205900011",
                    "no_kk": "3277011205900011",
                    "full_name": "Rina Marlina",
                    "kelurahan_code": "32.77.01.1001",
                    "rt": "003",
                    "rw": "007",
                    "cover_letter_number": "012/RT03/2026",
                    "cover_letter_date": "2026-11-20",
                    "purpose": "Persyaratan pembukaan rekening bank",
                    "fields": {"address": "Jl. Melong Asih No. 12", "resident_since": "2015-03-01"},
                    "attachments": [
                        {"requirement": "ktp", "upload_id": "01JDQ4W3N5X6Y7Z8A9B0C1D2E3"}
                    ],
                }
            ]
        },
    )

    letter_type: str = Field(max_length=40, description="Catalogue code, e.g. 'domisili'")
    nik: NIK
    no_kk: NoKK
    full_name: Name
    kelurahan_code: KelurahanCode
    rt: RtRw
    rw: RtRw
    cover_letter_number: CoverLetterNumber = Field(description="Number of the RT/RW cover letter")
    cover_letter_date: date
    purpose: Purpose
    fields: FieldValues = Field(default_factory=dict)
    attachments: Attachments = Field(default_factory=list)


class LetterRequestResubmit(BaseModel):
    """Corrections after an officer returned the request; omitted fields stay as they were.

    ``fields`` is merged into the stored type-specific fields (``null`` removes an optional one).
    """

    model_config = ConfigDict(extra="forbid")

    nik: NIK | None = None
    no_kk: NoKK | None = None
    full_name: Name | None = None
    rt: RtRw | None = None
    rw: RtRw | None = None
    cover_letter_number: CoverLetterNumber | None = None
    cover_letter_date: date | None = None
    purpose: Purpose | None = None
    fields: FieldValues | None = None
    attachments: Attachments = Field(default_factory=list)
    note: Note | None = Field(default=None, description="Message to the officer")


class ActionNote(BaseModel):
    """Body of an officer or citizen action; ``note`` is required to reject or return."""

    model_config = ConfigDict(extra="forbid")

    note: Note | None = None


class HistoryEntryRead(BaseModel):
    """One step in the life of a request."""

    sequence: int
    level: Level = Field(description="Who acted: kelurahan or kecamatan (citizens at either)")
    action: str
    from_status: str | None
    to_status: str
    status: UnifiedStatus = Field(description="Unified status after this step")
    actor_sub: str
    actor_role: str
    note: str | None
    occurred_at: datetime

    @classmethod
    def of(
        cls, entry: LetterRequestHistory | HistoryView, *, needs_kecamatan: bool
    ) -> HistoryEntryRead:
        """From a history row of a request that does (not) need the kecamatan."""
        return cls(
            sequence=entry.sequence,
            level=Level(entry.level),
            action=entry.action,
            from_status=entry.from_status,
            to_status=entry.to_status,
            status=unified_status(entry.to_status, entry.level, needs_kecamatan),
            actor_sub=entry.actor_sub,
            actor_role=entry.actor_role,
            note=entry.note,
            occurred_at=entry.occurred_at,
        )


class LetterRequestSummary(BaseModel):
    """A request in a list."""

    tracking_no: str
    letter_type: str
    letter_name: str
    status: AgencyStatus = Field(description="LAKAMI status at ``level``")
    level: Level = Field(description="Who acts on it now: kelurahan or kecamatan")
    unified_status: UnifiedStatus
    full_name: str
    kelurahan_code: str
    kecamatan_code: str
    submitted_at: datetime
    updated_at: datetime
    due_at: datetime | None = Field(
        description="End (WIB) of the last working day of the time limit, counted from "
        "submission or from the last resubmission"
    )
    overdue: bool = Field(description="Open, with officers to act, and past ``due_at``")
    letter_number: str | None

    @classmethod
    def of(cls, request: LetterRequest | RequestView, now: datetime) -> LetterRequestSummary:
        """From a request whose ``letter_type`` is loaded, read at ``now``."""
        return cls(**_summary_fields(request, now))


def _summary_fields(request: LetterRequest | RequestView, now: datetime) -> dict[str, Any]:
    return {
        "tracking_no": request.tracking_no,
        "letter_type": request.letter_type_code,
        "letter_name": request.letter_type.name,
        "status": AgencyStatus(request.status),
        "level": Level(request.level),
        "unified_status": unified_status(request.status, request.level, request.needs_kecamatan),
        "full_name": request.full_name,
        "kelurahan_code": request.kelurahan_code,
        "kecamatan_code": request.kecamatan_code,
        "submitted_at": request.submitted_at,
        "updated_at": request.updated_at,
        "due_at": request.due_at,
        "overdue": is_overdue(request.status, request.due_at, now),
        "letter_number": request.letter_number,
    }


class AttachmentRead(BaseModel):
    """A document attached to a request (its bytes: ``GET /v1/uploads/{id}/content``)."""

    id: str = Field(description="The upload's id")
    requirement: str | None = Field(description="Requirement code it fulfils")
    content_type: str = Field(description="Sniffed from the content: PDF, JPEG or PNG")
    size_bytes: int
    sha256: str = Field(description="Hex SHA-256 of the content")
    filename: str | None = Field(description="Sanitized client filename (metadata only)")

    @classmethod
    def of(cls, upload: AttachmentView) -> AttachmentRead:
        """From an attached upload."""
        return cls(
            id=upload.id,
            requirement=upload.requirement,
            content_type=upload.content_type,
            size_bytes=upload.size_bytes,
            sha256=upload.sha256,
            filename=upload.original_filename,
        )


class LetterRequestRead(LetterRequestSummary):
    """A request with its details, its issued letter (once approved) and its history."""

    owner_sub: str
    nik_masked: str
    no_kk_masked: str
    kelurahan_name: str
    rt: str
    rw: str
    cover_letter_number: str
    cover_letter_date: date
    purpose: str
    fields: dict[str, Any]
    issued_on: date | None = Field(description="Date of the letter (WIB)")
    approved_at: datetime | None
    signer_name: str | None
    signer_sub: str | None
    signer_title: str | None = Field(description="e.g. 'Lurah Melong' or 'Camat Cimahi Selatan'")
    verification_code: str | None = Field(description="Printed on the letter (with its QR code)")
    revoked_at: datetime | None = Field(description="When the issued letter was revoked")
    needs_kecamatan: bool = Field(
        description="The kecamatan approves too (copied from the letter type at submission)"
    )
    attachments: list[AttachmentRead]
    missing_requirements: list[str] = Field(
        description="Codes of required documents with no attachment (may come on paper)"
    )
    history: list[HistoryEntryRead]

    @classmethod
    def of(
        cls,
        request: LetterRequest | RequestView,
        now: datetime,
        *,
        attachments: Sequence[AttachmentView] = (),
    ) -> LetterRequestRead:
        """From a request whose ``letter_type`` and ``history`` are loaded, read at ``now``."""
        kelurahan = find_kelurahan(request.kelurahan_code)
        attached = {a.requirement for a in attachments}
        return cls(
            **_summary_fields(request, now),
            owner_sub=request.owner_sub,
            nik_masked=request.nik_masked,
            no_kk_masked=request.no_kk_masked,
            kelurahan_name=kelurahan.name if kelurahan else request.kelurahan_code,
            rt=request.rt,
            rw=request.rw,
            cover_letter_number=request.cover_letter_number,
            cover_letter_date=request.cover_letter_date,
            purpose=request.purpose,
            fields=request.fields,
            issued_on=request.issued_on,
            approved_at=request.approved_at,
            signer_name=request.signer_name,
            signer_sub=request.signer_sub,
            signer_title=request.signer_title,
            verification_code=request.verification_code,
            revoked_at=request.revoked_at,
            needs_kecamatan=request.needs_kecamatan,
            attachments=[AttachmentRead.of(a) for a in attachments],
            missing_requirements=[
                r["code"]
                for r in request.letter_type.requirements
                if r.get("required", True) and r.get("code") and r["code"] not in attached
            ],
            history=[
                HistoryEntryRead.of(entry, needs_kecamatan=request.needs_kecamatan)
                for entry in request.history
            ],
        )


class LetterRequestPage(BaseModel):
    """A page of requests, newest first; pass ``next_cursor`` as ``cursor`` for the next page."""

    items: list[LetterRequestSummary]
    next_cursor: str | None
