"""The rules of uploads: what is accepted, who may read it, attaching it to a request.

An upload is its owner's alone until attached; a letter request's attachments are then readable
by whoever may see the request (``letters/access.py``: kecamatan officers once it reached their
level), a complaint's photos by the LAKAMI officers of its kelurahan or kecamatan; every read by
someone else than the owner is written to the access log.

Unlike the other services, creating and deleting an upload commit their own transaction: the
database row and the stored file must agree, so the file is removed when the commit fails (and
only removed after the row's deletion is committed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_lakami.auth import is_lakami_officer
from cimahi_lakami.letters.access import scope_of
from cimahi_lakami.models import AccessAudit, LetterRequest, Upload
from cimahi_lakami.uploads.schemas import AttachmentRef
from cimahi_shared.auth import Principal
from cimahi_shared.context import request_id_var
from cimahi_shared.db import utcnow
from cimahi_shared.errors import Conflict, InvalidInput, NotFound
from cimahi_shared.uploads import records
from cimahi_shared.uploads.receiving import Readable, receive
from cimahi_shared.uploads.storage import UploadStorage

ACCESS_PURPOSE = "public-service task"
LETTER_REQUEST = "letter_request"
COMPLAINT = "complaint"


# --- creating --------------------------------------------------------------------------------


async def create_upload(
    session: AsyncSession,
    storage: UploadStorage,
    *,
    principal: Principal,
    file: Readable,
    filename: str | None,
    purpose: str | None,
    max_bytes: int,
    max_pixels: int,
) -> Upload:
    """Check, store and record one file of a citizen; committed when this returns."""
    received = await receive(file, max_bytes=max_bytes, max_pixels=max_pixels)
    upload = records.new_upload(
        Upload, owner_sub=principal.sub, received=received, filename=filename, purpose=purpose
    )
    await records.store_upload(session, storage, upload, received.data)
    return upload


# --- reading and deleting --------------------------------------------------------------------


async def get_upload(
    session: AsyncSession, *, principal: Principal, upload_id: str, action: str = "read_upload"
) -> Upload:
    """An upload the caller may read (else the same 404 as a missing one); others' reads logged."""
    upload = await records.find_upload(session, Upload, upload_id)
    if upload is None or not await _may_read(session, principal, upload):
        raise NotFound(f"There is no upload {upload_id}.")
    if principal.sub != upload.owner_sub:
        session.add(
            AccessAudit(
                id=str(ULID()),
                actor_sub=principal.sub,
                actor_role=principal.role,
                actor_agency=principal.agency,
                actor_area=principal.area,
                owner_sub=upload.owner_sub,
                tracking_no=upload.attached_ref or upload.id,
                action=action,
                purpose=ACCESS_PURPOSE,
                http_request_id=request_id_var.get(),
                occurred_at=utcnow(),
            )
        )
    return upload


async def _may_read(session: AsyncSession, principal: Principal, upload: Upload) -> bool:
    """``may_read``; for a letter request's attachment, whoever may see that request."""
    if principal.sub == upload.owner_sub and principal.is_citizen:
        return True
    if upload.attached_kind != LETTER_REQUEST or upload.attached_id is None:
        return may_read(principal, upload)
    scope = scope_of(principal)
    if scope is None or scope.owner_sub is not None:
        return False  # another citizen (the owner was answered above)
    row = (
        await session.execute(
            select(
                LetterRequest.owner_sub,
                LetterRequest.kelurahan_code,
                LetterRequest.kecamatan_code,
                LetterRequest.level,
            ).where(LetterRequest.id == upload.attached_id)
        )
    ).first()
    return row is not None and scope.sees(
        owner_sub=row.owner_sub,
        kelurahan_code=row.kelurahan_code,
        kecamatan_code=row.kecamatan_code,
        level=row.level,
    )


def may_read(principal: Principal, upload: Upload) -> bool:
    """The owner always; LAKAMI officers of its kelurahan (or kecamatan) once it is attached.

    Letter requests' attachments follow the request's own rules instead (``_may_read``).
    """
    if principal.is_citizen:
        return principal.sub == upload.owner_sub
    if is_lakami_officer(principal) and principal.area and upload.kelurahan_code:
        area = principal.area
        return upload.kelurahan_code == area or upload.kelurahan_code.startswith(area + ".")
    return False


async def delete_upload(
    session: AsyncSession, storage: UploadStorage, *, principal: Principal, upload_id: str
) -> None:
    """Delete a citizen's own upload that is not attached to anything yet."""
    upload = await records.find_upload(session, Upload, upload_id)
    if upload is None or not principal.is_citizen or upload.owner_sub != principal.sub:
        raise NotFound(f"There is no upload {upload_id}.")
    if upload.attached_kind is not None:
        raise Conflict("The upload is attached to a request and can no longer be deleted.")
    await records.delete_upload(session, storage, upload)


# --- attaching -------------------------------------------------------------------------------


async def attach(
    session: AsyncSession,
    *,
    principal: Principal,
    refs: Sequence[AttachmentRef],
    kind: str,
    target_id: str,
    target_ref: str,
    kelurahan_code: str,
    requirements: Sequence[str] | None = None,
    field: str = "attachments",
) -> list[Upload]:
    """Link the caller's unattached uploads to a request, in the caller's transaction.

    Each upload is claimed with one conditional UPDATE (owner, still unattached), so two requests
    can never attach the same upload. ``requirements`` (when given) are the requirement codes an
    attachment may fulfil. Raises 422 naming ``<field>[i]...`` for anything wrong; the caller's
    transaction must then be rolled back (uploads claimed before the error stay claimed in it).
    """
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    now = utcnow()
    for i, ref in enumerate(refs):
        if requirements is not None and ref.requirement not in requirements:
            errors.append(
                _error(f"{field}[{i}].requirement", "Not a requirement of this letter type.")
            )
            continue
        if ref.upload_id in seen:
            errors.append(_error(f"{field}[{i}].upload_id", "The same upload is listed twice."))
            continue
        seen.add(ref.upload_id)
        claimed = await records.claim_upload(
            session,
            Upload,
            upload_id=ref.upload_id,
            owner_sub=principal.sub,
            kind=kind,
            target_id=target_id,
            target_ref=target_ref,
            requirement=ref.requirement,
            kelurahan_code=kelurahan_code,
            now=now,
        )
        if not claimed:
            errors.append(
                _error(
                    f"{field}[{i}].upload_id",
                    "No unattached upload of yours has this id.",
                )
            )
    if errors:
        raise InvalidInput(
            "Invalid: " + ", ".join(sorted({e["field"] for e in errors})), errors=errors
        )
    return await records.fetch_uploads(session, Upload, seen)


def _error(field: str, message: str) -> dict[str, Any]:
    return {"field": field, "message": message, "in": "body"}
