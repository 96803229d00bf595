"""Upload endpoints: applicants upload requirement documents; whoever sees the application reads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile, status
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_shared.app import RuntimeDep, SessionDep
from cimahi_shared.auth import Principal
from cimahi_shared.uploads.http import CONTENT_RESPONSES, StorageDep, content_response
from cimahi_shared.uploads.receiving import clean_purpose
from cimahi_sipinter.access_log import DEFAULT_PURPOSE, PurposeHeader, log_reads
from cimahi_sipinter.auth import Citizen, Reader
from cimahi_sipinter.clock import ClockDep
from cimahi_sipinter.config import settings_of
from cimahi_sipinter.uploads import service
from cimahi_sipinter.uploads.schemas import UploadRead
from cimahi_sipinter.uploads.service import UploadView

PATH = "/v1/uploads"

router = APIRouter(prefix=PATH, tags=["uploads"])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_NOT_YOURS: dict[int | str, dict[str, Any]] = {
    404: {**_PROBLEM, "description": "Unknown, or not yours to read"}
}


@router.post(
    "",
    response_model=UploadRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        413: {**_PROBLEM, "description": "Larger than the upload limit"},
        415: {**_PROBLEM, "description": "Not a PDF, JPEG or PNG (decided by the content)"},
    },
)
async def create_upload(
    file: Annotated[UploadFile, File(description="PDF, JPEG or PNG (decided by the content)")],
    principal: Citizen,
    session: SessionDep,
    runtime: RuntimeDep,
    storage: StorageDep,
    response: Response,
    purpose: Annotated[
        str | None, Form(max_length=200, description="e.g. the requirement's name")
    ] = None,
) -> UploadRead:
    """Upload one requirement document (multipart field ``file``); attach it by its ``id``.

    The type is sniffed from the bytes (the filename and the claimed Content-Type are ignored);
    image metadata (EXIF, GPS, XMP, PNG text) is removed before storing. Send an
    Idempotency-Key (and the same body) to retry safely.
    """
    settings = settings_of(runtime)
    upload = await service.create_upload(
        session,
        storage,
        owner_sub=principal.sub,
        file=file,
        filename=file.filename,
        purpose=clean_purpose(purpose),
        max_bytes=settings.upload_max_bytes,
        max_pixels=settings.upload_max_image_pixels,
    )
    response.headers["Location"] = f"uploads/{upload.id}"
    return UploadRead.of(UploadView(upload, None))


async def _read(
    session: AsyncSession,
    principal: Principal,
    upload_id: str,
    *,
    action: str,
    purpose: str,
    clock: ClockDep,
) -> UploadView:
    """The upload if the caller may read it; officers' and admins' reads are logged."""
    view = await service.get_upload(session, principal=principal, upload_id=upload_id)
    business_id = view.application.business_id if view.application else None
    log_reads(
        session,
        principal,
        resource="upload",
        refs=[(business_id, view.upload.id)],
        action=action,
        purpose=purpose,
        now=clock.now,
    )
    return view


@router.get("/{upload_id}", response_model=UploadRead, responses=_NOT_YOURS)
async def get_upload(
    upload_id: str,
    principal: Reader,
    session: SessionDep,
    clock: ClockDep,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> UploadRead:
    """An upload's metadata: for its uploader and, once attached, for whoever sees the
    application (its business's owners, DPMPTSP officers of its area - logged - and admins)."""
    view = await _read(
        session, principal, upload_id, action=service.READ, purpose=purpose, clock=clock
    )
    return UploadRead.of(view)


@router.get(
    "/{upload_id}/content",
    response_class=Response,
    responses={**CONTENT_RESPONSES, **_NOT_YOURS},
)
async def get_upload_content(
    upload_id: str,
    principal: Reader,
    session: SessionDep,
    storage: StorageDep,
    clock: ClockDep,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> Response:
    """The uploaded bytes, always as a download (never rendered inline by the browser)."""
    view = await _read(
        session, principal, upload_id, action=service.DOWNLOAD, purpose=purpose, clock=clock
    )
    return content_response(view.upload, await storage.read(view.upload.storage_key))


@router.delete(
    "/{upload_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_NOT_YOURS, 409: {**_PROBLEM, "description": "Attached to an application"}},
)
async def delete_upload(
    upload_id: str, principal: Citizen, session: SessionDep, storage: StorageDep
) -> Response:
    """Delete your own upload while it is not attached to an application."""
    await service.delete_upload(session, storage, principal=principal, upload_id=upload_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
