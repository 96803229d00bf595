"""Every SQL statement about SIPINTER's uploads (the generic ones come from the shared part)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_shared.uploads import records
from cimahi_sipinter.models import Upload

APPLICATION = "application"
"""The only thing an upload is attached to in SIPINTER (``Upload.attached_kind``)."""


async def find(session: AsyncSession, upload_id: str) -> Upload | None:
    """The upload of this id, or None."""
    return await records.find_upload(session, Upload, upload_id)


async def of_application(session: AsyncSession, application_id: str) -> list[Upload]:
    """The uploads attached to an application, oldest first (ids are time-ordered ULIDs)."""
    rows = await session.execute(
        select(Upload)
        .where(Upload.attached_kind == APPLICATION, Upload.attached_id == application_id)
        .order_by(Upload.id)
    )
    return list(rows.scalars())
