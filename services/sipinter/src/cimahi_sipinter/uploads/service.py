"""Uploads of SIPINTER applicants (CONTRACT - helper E fills it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_sipinter.catalogue.schemas import PermitType
from cimahi_sipinter.models import Application, Upload


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
    """
    raise NotImplementedError


async def uploads_of(session: AsyncSession, application_id: str) -> list[Upload]:
    """The uploads attached to an application, oldest first."""
    raise NotImplementedError


def missing_documents(permit: PermitType, uploads: Sequence[Upload]) -> list[str]:
    """The mandatory document requirement codes of ``permit`` that no upload fulfils."""
    raise NotImplementedError
