"""Upload rows and their stored files, kept in agreement; claiming uploads for a target.

Creating and deleting an upload commit their own transaction (unlike other writes, which the
request's session commits): the database row and the stored file must agree, so a new file is
removed when the commit fails, and a deleted row's file only once the deletion is committed.

The steps every service takes the same way are here once: ``create_upload`` (receive, check,
store, record), ``delete_own_upload`` (a citizen's own, unattached upload) and
``claim_uploads`` (attach requirement code -> upload ids, reporting what could not be claimed so
each service names the fields its own way).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_shared.auth import Principal
from cimahi_shared.db import utcnow
from cimahi_shared.errors import Conflict, NotFound
from cimahi_shared.uploads.columns import UploadColumns
from cimahi_shared.uploads.receiving import Readable, ReceivedFile, receive, sanitize_filename
from cimahi_shared.uploads.storage import UploadStorage, new_storage_key

U = TypeVar("U", bound=UploadColumns)

ID_MAX_LENGTH = 26  # a ULID


def new_upload(
    model: type[U],
    *,
    owner_sub: str,
    received: ReceivedFile,
    filename: str | None,
    purpose: str | None,
) -> U:
    """A new, unattached row for a received file (not yet added to a session)."""
    upload = model()
    upload.id = str(ULID())
    upload.owner_sub = owner_sub
    upload.storage_key = new_storage_key()
    upload.content_type = received.content_type
    upload.size_bytes = received.size_bytes
    upload.sha256 = received.sha256
    upload.original_filename = sanitize_filename(filename)
    upload.purpose = purpose
    upload.created_at = utcnow()
    return upload


async def store_upload(
    session: AsyncSession, storage: UploadStorage, upload: UploadColumns, data: bytes
) -> None:
    """Save the bytes, then commit the row; the file is removed again if the commit fails."""
    await storage.save(upload.storage_key, data)
    try:
        session.add(upload)
        await session.commit()
    except BaseException:
        await session.rollback()
        await storage.delete(upload.storage_key)
        raise


async def delete_upload(
    session: AsyncSession, storage: UploadStorage, upload: UploadColumns
) -> None:
    """Delete the row (committed), then its file."""
    await session.delete(upload)
    await session.commit()
    await storage.delete(upload.storage_key)


async def find_upload(session: AsyncSession, model: type[U], upload_id: str) -> U | None:
    """The upload of this id, or None (also for ids that cannot be one)."""
    if len(upload_id) > ID_MAX_LENGTH:
        return None
    return await session.get(model, upload_id)


async def claim_upload(
    session: AsyncSession,
    model: type[U],
    *,
    upload_id: str,
    owner_sub: str,
    kind: str,
    target_id: str,
    target_ref: str,
    requirement: str | None,
    kelurahan_code: str,
    now: datetime,
    again: bool = False,
) -> bool:
    """Attach one upload of ``owner_sub`` to a target with one conditional UPDATE.

    Only an unattached upload is claimed (so two targets can never take the same one); with
    ``again`` one already attached to this very target is claimed too (a resubmission). Returns
    whether the upload was claimed; the caller's transaction is not committed.
    """
    if len(upload_id) > ID_MAX_LENGTH:
        return False
    free: ColumnElement[bool] = model.attached_kind.is_(None)
    if again:
        free = or_(free, (model.attached_kind == kind) & (model.attached_id == target_id))
    result = await session.execute(
        update(model)
        .where(model.id == upload_id, model.owner_sub == owner_sub, free)
        .values(
            attached_kind=kind,
            attached_id=target_id,
            attached_ref=target_ref,
            requirement=requirement,
            kelurahan_code=kelurahan_code,
            attached_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


async def fetch_uploads(session: AsyncSession, model: type[U], ids: Collection[str]) -> list[U]:
    """The rows of ``ids`` as the database holds them now (after claims), ordered by id."""
    if not ids:
        return []
    rows = await session.execute(
        select(model)
        .where(model.id.in_(ids))
        .order_by(model.id)
        .execution_options(populate_existing=True)
    )
    return list(rows.scalars())


async def create_upload(
    session: AsyncSession,
    storage: UploadStorage,
    model: type[U],
    *,
    owner_sub: str,
    file: Readable,
    filename: str | None,
    purpose: str | None,
    max_bytes: int,
    max_pixels: int,
) -> U:
    """Check, store and record one file of a citizen; committed when this returns.

    Refusals (413 too large, 415 not a PDF/JPEG/PNG, 422 empty) come from ``receive`` before
    anything is stored.
    """
    received = await receive(file, max_bytes=max_bytes, max_pixels=max_pixels)
    upload = new_upload(
        model, owner_sub=owner_sub, received=received, filename=filename, purpose=purpose
    )
    await store_upload(session, storage, upload, received.data)
    return upload


async def delete_own_upload(
    session: AsyncSession,
    storage: UploadStorage,
    model: type[U],
    *,
    principal: Principal,
    upload_id: str,
    attached_to: str = "an application",
) -> None:
    """Delete a citizen's own upload while it is not attached (committed).

    Anyone else's or a missing upload is the same 404; an attached one is a 409 naming what it
    is attached to (``attached_to``), since the officers rely on it.
    """
    upload = await find_upload(session, model, upload_id)
    if upload is None or not principal.is_citizen or upload.owner_sub != principal.sub:
        raise NotFound(f"There is no upload {upload_id}.")
    if upload.attached_kind is not None:
        raise Conflict(f"The upload is attached to {attached_to} and can no longer be deleted.")
    await delete_upload(session, storage, upload)


@dataclass(frozen=True)
class Unclaimed:
    """An upload a ``claim_uploads`` call could not attach: where it was listed, and why."""

    code: str
    index: int
    upload_id: str
    message: str


@dataclass
class Claims:
    """What ``claim_uploads`` did: the ids it attached and the ones it refused."""

    claimed: set[str] = field(default_factory=set)
    refused: list[Unclaimed] = field(default_factory=list)


async def claim_uploads(
    session: AsyncSession,
    model: type[U],
    attachments: Mapping[str, Sequence[str]],
    *,
    owner_sub: str,
    kind: str,
    target_id: str,
    target_ref: str,
    kelurahan_code: str,
    now: datetime,
    again: bool = False,
) -> Claims:
    """Claim each upload of ``attachments`` (requirement code -> upload ids) for one target.

    An upload listed twice, not ``owner_sub``'s, unknown or attached elsewhere is refused (with
    ``again``, one already attached to this target is claimed again under the code given now).
    The caller turns the refusals into its 422 and must then roll back its transaction.
    """
    claims = Claims()
    for code, upload_ids in attachments.items():
        for index, upload_id in enumerate(upload_ids):
            if upload_id in claims.claimed:
                claims.refused.append(
                    Unclaimed(code, index, upload_id, f"Upload {upload_id} is listed twice.")
                )
                continue
            claimed = await claim_upload(
                session,
                model,
                upload_id=upload_id,
                owner_sub=owner_sub,
                kind=kind,
                target_id=target_id,
                target_ref=target_ref,
                requirement=code,
                kelurahan_code=kelurahan_code,
                now=now,
                again=again,
            )
            if claimed:
                claims.claimed.add(upload_id)
            else:
                message = f"No upload of yours with id {upload_id[:26]} is free to attach."
                claims.refused.append(Unclaimed(code, index, upload_id, message))
    return claims
