"""The rules of SIPINTER's uploads: who may read one, attaching them, what is still missing.

An upload is its uploader's alone until it is attached to an application; from then on whoever
may see that application may read it too: every owner of the application's business, the
DPMPTSP officers whose area covers the application's kelurahan (once it is submitted, as for the
application itself) and admins (``applications.workflow.load_for_owner`` / ``load_for_officer``
decide, so uploads never follow other rules than their application). Everyone else gets the
same 404 as for a missing upload. Officers' and admins' reads are access-logged by the router.

Creating and deleting an upload commit their own transaction (``cimahi_shared.uploads.records``:
the stored file and the row must agree); reads and attachments use the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_shared.auth import Principal
from cimahi_shared.errors import InvalidInput, NotFound
from cimahi_shared.uploads import records
from cimahi_shared.uploads.receiving import Readable
from cimahi_shared.uploads.storage import UploadStorage
from cimahi_sipinter.applications import workflow
from cimahi_sipinter.catalogue.schemas import PermitType
from cimahi_sipinter.models import Application, Upload
from cimahi_sipinter.uploads import repository
from cimahi_sipinter.uploads.repository import APPLICATION

READ = "read"
DOWNLOAD = "download"


@dataclass(frozen=True)
class UploadView:
    """An upload and the application it is attached to (None: unattached, or not the caller's
    to see - then the caller is its uploader)."""

    upload: Upload
    application: Application | None


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
    """Check, store and record one file of an applicant; committed when this returns."""
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


async def get_upload(session: AsyncSession, *, principal: Principal, upload_id: str) -> UploadView:
    """An upload the caller may read, with its application; the same 404 as a missing one else."""
    upload = await repository.find(session, upload_id)
    if upload is None:
        raise NotFound(f"There is no upload {upload_id}.")
    application = await _visible_application(session, principal, upload)
    uploader = principal.is_citizen and principal.sub == upload.owner_sub
    if application is None and not uploader:
        raise NotFound(f"There is no upload {upload_id}.")
    return UploadView(upload, application)


async def _visible_application(
    session: AsyncSession, principal: Principal, upload: Upload
) -> Application | None:
    """The application the upload is attached to, if the caller may see that application."""
    if upload.attached_kind != APPLICATION or upload.attached_id is None:
        return None
    load = workflow.load_for_owner if principal.is_citizen else workflow.load_for_officer
    try:
        return await load(session, principal, upload.attached_id)
    except NotFound:
        return None


async def delete_upload(
    session: AsyncSession, storage: UploadStorage, *, principal: Principal, upload_id: str
) -> None:
    """Delete an applicant's own upload while it is not attached to an application (409 then)."""
    await records.delete_own_upload(
        session, storage, Upload, principal=principal, upload_id=upload_id
    )


def document_codes(permit: PermitType) -> set[str]:
    """The requirement codes of ``permit`` that are documents to upload."""
    return {r.code for r in permit.requirements if r.kind == "document"}


async def attach(
    session: AsyncSession,
    *,
    owner_sub: str,
    application: Application,
    attachments: dict[str, list[str]],
    now: datetime,
) -> None:
    """Attach the caller's uploads to ``application``: requirement code -> upload ids.

    Raises ``InvalidInput`` naming ``attachments.<code>`` for a code that is not a document
    requirement of the permit type and ``attachments.<code>[i]`` for an upload that is not the
    caller's or already attached elsewhere.

    Calling it again (a draft edited, a returned application completed) adds files; an upload
    already attached to this application is attached again under the code given now (attaching
    the same upload again is harmless). Uploads attached before and not named again stay attached. Officers of
    the application's kelurahan read them from now on. Not committed; after a 422 the caller's
    transaction must be rolled back (uploads claimed before the error stay claimed in it).
    """
    codes = document_codes(workflow.permit_type_of(application))
    errors = [
        _error(f"attachments.{code}", "Not a document requirement of this permit type.")
        for code in attachments
        if code not in codes
    ]
    claims = await records.claim_uploads(
        session,
        Upload,
        {code: ids for code, ids in attachments.items() if code in codes},
        owner_sub=owner_sub,
        kind=APPLICATION,
        target_id=application.id,
        target_ref=application.registration_number or application.id,
        kelurahan_code=application.kelurahan_code,
        now=now,
        again=True,
    )
    errors += [_error(f"attachments.{r.code}[{r.index}]", r.message) for r in claims.refused]
    if errors:
        fields = ", ".join(sorted({e["field"] for e in errors}))
        raise InvalidInput(f"Invalid attachments: {fields}", errors=errors)


async def uploads_of(session: AsyncSession, application_id: str) -> list[Upload]:
    """The uploads attached to an application, oldest first."""
    return await repository.of_application(session, application_id)


def missing_documents(permit: PermitType, uploads: Sequence[Upload]) -> list[str]:
    """The mandatory document requirement codes of ``permit`` that no upload fulfils."""
    fulfilled = {u.requirement for u in uploads}
    return [
        r.code
        for r in permit.requirements
        if r.kind == "document" and r.mandatory and r.code not in fulfilled
    ]


def _error(field: str, message: str) -> dict[str, Any]:
    return {"field": field, "message": message, "in": "body"}
