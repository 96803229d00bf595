"""Every SQL statement about DILANDACINTA's uploads (the generic ones come from the shared part)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_dilandacinta.models import Upload
from cimahi_shared.uploads import records

APPLICATION = "application"


async def find(session: AsyncSession, upload_id: str) -> Upload | None:
    """The upload of this id, or None."""
    return await records.find_upload(session, Upload, upload_id)


async def fetch(session: AsyncSession, upload_ids: Collection[str]) -> list[Upload]:
    """The uploads of these ids as stored now, by id."""
    return await records.fetch_uploads(session, Upload, upload_ids)


async def of_application(session: AsyncSession, application_id: str) -> list[Upload]:
    """The uploads attached to an application, by requirement code, then by upload."""
    rows = await session.execute(
        select(Upload)
        .where(Upload.attached_kind == APPLICATION, Upload.attached_id == application_id)
        .order_by(Upload.requirement, Upload.id)
    )
    return list(rows.scalars())
