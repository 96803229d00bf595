"""Upload endpoints: citizens upload documents and photos; owners and responsible officers read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile, status

from cimahi_lakami.auth import Citizen
from cimahi_lakami.config import LakamiSettings
from cimahi_lakami.uploads import service
from cimahi_lakami.uploads.schemas import UploadRead
from cimahi_shared.app import RuntimeDep, SessionDep
from cimahi_shared.auth import CurrentPrincipal
from cimahi_shared.errors import PROBLEM_JSON
from cimahi_shared.uploads.http import CONTENT_RESPONSES, StorageDep, content_response
from cimahi_shared.uploads.receiving import clean_purpose

PATH = "/v1/uploads"

router = APIRouter(prefix=PATH, tags=["uploads"])


@router.post(
    "",
    response_model=UploadRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        413: {"description": "The file is too large", "content": {PROBLEM_JSON: {}}},
        415: {"description": "Not a PDF, JPEG or PNG", "content": {PROBLEM_JSON: {}}},
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
    """Upload one document or photo (multipart field ``file``); attach it later by its ``id``.

    The type is sniffed from the bytes: the filename and the claimed Content-Type are ignored.
    Send an Idempotency-Key (and the same body) to retry safely.
    """
    settings = runtime.settings
    assert isinstance(settings, LakamiSettings)
    upload = await service.create_upload(
        session,
        storage,
        principal=principal,
        file=file,
        filename=file.filename,
        purpose=clean_purpose(purpose),
        max_bytes=settings.upload_max_bytes,
        max_pixels=settings.upload_max_image_pixels,
    )
    response.headers["Location"] = f"uploads/{upload.id}"
    return UploadRead.of(upload)


@router.get("/{upload_id}", response_model=UploadRead)
async def get_upload(
    upload_id: str, principal: CurrentPrincipal, session: SessionDep
) -> UploadRead:
    """An upload's metadata: for its owner, and for the kelurahan's officers once attached."""
    upload = await service.get_upload(session, principal=principal, upload_id=upload_id)
    return UploadRead.of(upload, for_owner=upload.owner_sub == principal.sub)


@router.get(
    "/{upload_id}/content",
    response_class=Response,
    responses=CONTENT_RESPONSES,
)
async def get_upload_content(
    upload_id: str, principal: CurrentPrincipal, session: SessionDep, storage: StorageDep
) -> Response:
    """The uploaded bytes, always as a download (never rendered inline by the browser)."""
    upload = await service.get_upload(
        session, principal=principal, upload_id=upload_id, action="read_upload_content"
    )
    return content_response(upload, await storage.read(upload.storage_key))


@router.delete("/{upload_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_upload(
    upload_id: str, principal: Citizen, session: SessionDep, storage: StorageDep
) -> Response:
    """Delete your own upload while it is not attached to a request."""
    await service.delete_upload(session, storage, principal=principal, upload_id=upload_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
