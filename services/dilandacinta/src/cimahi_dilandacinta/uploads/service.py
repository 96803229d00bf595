"""The rules of uploads: who may read one, attaching uploads to an application, the access log.

An upload is its owner's alone until it is attached to an application; from then on the
DILANDACINTA officers whose area covers the application's kelurahan may read it too, and each of
their reads is written to the access log. Everyone else gets the same 404 as for a missing
upload. Uploads are scans of identity documents (KTP, KK, certificates): admins and other
agencies' officers do not read them.

Creating and deleting an upload commit their own transaction (``cimahi_shared.uploads.records``:
the stored file and the row must agree); reads and attachments use the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_dilandacinta.access_log import access_entry, add_access_entries
from cimahi_dilandacinta.auth import in_area, is_officer
from cimahi_dilandacinta.models import AccessAudit, Upload
from cimahi_dilandacinta.uploads import repository
from cimahi_dilandacinta.uploads.repository import APPLICATION
from cimahi_shared.auth import Principal
from cimahi_shared.db import utcnow
from cimahi_shared.errors import InvalidInput, NotFound
from cimahi_shared.uploads import records
from cimahi_shared.uploads.receiving import Readable
from cimahi_shared.uploads.storage import UploadStorage

ACCESS_PURPOSE = "public-service task: verifying an application's requirements"
READ = "read"
DOWNLOAD = "download"


async def create_upload(
    session: AsyncSession,
    storage: UploadStorage,
    *,
    owner_sub: str,
    file: Readable,
    filename: str | None,
    purpose: str | None,
    max_bytes: int,
    max_pixels: int,
) -> Upload:
    """Check, store and record one file of a citizen; committed when this returns."""
    return await records.create_upload(
        session,
        storage,
        Upload,
        owner_sub=owner_sub,
        file=file,
        filename=filename,
        purpose=purpose,
        max_bytes=max_bytes,
        max_pixels=max_pixels,
    )


async def get_upload(
    session: AsyncSession, *, principal: Principal, upload_id: str, action: str = READ
) -> Upload:
    """An upload the caller may read (else the same 404 as a missing one); officers' reads logged."""
    upload = await repository.find(session, upload_id)
    if upload is None or not may_read(principal, upload):
        raise NotFound(f"There is no upload {upload_id}.")
    if principal.sub != upload.owner_sub:
        add_access_entries(session, [_audit_entry(principal, upload, action)])
    return upload


def may_read(principal: Principal, upload: Upload) -> bool:
    """The owning citizen; once attached to an application, officers whose area covers it."""
    if principal.is_citizen:
        return principal.sub == upload.owner_sub
    if upload.attached_kind != APPLICATION or not upload.kelurahan_code:
        return False
    return is_officer(principal) and in_area(principal, upload.kelurahan_code)


def _audit_entry(principal: Principal, upload: Upload, action: str) -> AccessAudit:
    return access_entry(
        principal,
        owner_sub=upload.owner_sub,
        resource="upload",
        resource_ref=upload.id,
        action=action,
        purpose=ACCESS_PURPOSE,
        now=utcnow(),
    )


async def delete_upload(
    session: AsyncSession, storage: UploadStorage, *, principal: Principal, upload_id: str
) -> None:
    """Delete a citizen's own upload that is not attached to an application yet."""
    await records.delete_own_upload(
        session, storage, Upload, principal=principal, upload_id=upload_id
    )


async def attach_uploads(
    session: AsyncSession,
    *,
    owner_sub: str,
    uploads: dict[str, list[str]],
    application_id: str,
    tracking_no: str,
    kelurahan_code: str,
    now: datetime,
) -> list[Upload]:
    """Attach the applicant's uploads (requirement code -> upload ids) to an application.

    Each upload must be ``owner_sub``'s and not attached to another application; one already
    attached to this application (a resubmission) is attached again, under the code given now.
    Uploads attached before and not named again stay attached. Anything wrong raises 422 naming
    ``attachments.<code>``; the caller's transaction must then be rolled back. Not committed.
    """
    claims = await records.claim_uploads(
        session,
        Upload,
        uploads,
        owner_sub=owner_sub,
        kind=APPLICATION,
        target_id=application_id,
        target_ref=tracking_no,
        kelurahan_code=kelurahan_code,
        now=now,
        again=True,
    )
    errors = [_attachment_error(r.code, r.message) for r in claims.refused]
    if errors:
        fields = ", ".join(sorted({e["field"] for e in errors}))
        raise InvalidInput(f"Invalid attachments: {fields}", errors=errors)
    return await repository.fetch(session, claims.claimed)


async def uploads_of(session: AsyncSession, application_id: str) -> list[Upload]:
    """The uploads attached to an application (for its view), by requirement code."""
    return await repository.of_application(session, application_id)


def _attachment_error(code: str, message: str) -> dict[str, Any]:
    return {"field": f"attachments.{code}", "message": message, "in": "body"}
