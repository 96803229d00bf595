"""The access log (UU PDP): who read whose data, when and why; one builder for every domain.

Every read of a applicant's data (a business, its owners, an application, a permit) by an officer or an
admin is one ``access_audit`` row, staged in the same transaction as the read; a list read is one
row per object shown. The applicant's own reads are not logged. The purpose comes from the
``X-Purpose`` header (``PurposeHeader``), or a default naming the public-service task.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

from fastapi import Header
from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_shared.auth import Principal
from cimahi_shared.context import request_id_var
from cimahi_sipinter.models import AccessAudit

DEFAULT_PURPOSE = "Pelayanan perizinan (tugas pelayanan publik DPMPTSP)"
PURPOSE_HEADER = "X-Purpose"

PurposeHeader = Annotated[
    str,
    Header(
        alias=PURPOSE_HEADER,
        min_length=3,
        max_length=200,
        description="Why the applicant's data is read (kept in the access log); officers and admins",
    ),
]


def is_logged(principal: Principal) -> bool:
    """Whether ``principal``'s reads go to the access log (everyone but citizens reading their own)."""
    return not principal.is_citizen


def access_entry(
    principal: Principal,
    *,
    resource: str,
    resource_ref: str | None,
    action: str,
    purpose: str,
    now: datetime,
    business_id: str | None = None,
) -> AccessAudit:
    """One access-log row for a read by ``principal`` (the current request's id attached)."""
    return AccessAudit(
        id=str(ULID()),
        actor_sub=principal.sub,
        actor_role=principal.role,
        actor_name=principal.name,
        actor_area=principal.area,
        business_id=business_id,
        resource=resource,
        resource_ref=resource_ref,
        action=action,
        purpose=purpose,
        http_request_id=request_id_var.get(),
        occurred_at=now,
    )


def add_access_entries(session: AsyncSession, entries: Iterable[AccessAudit]) -> None:
    """Stage access-log rows in the same transaction as the read they record."""
    session.add_all(list(entries))


def log_reads(
    session: AsyncSession,
    principal: Principal,
    *,
    resource: str,
    refs: Iterable[tuple[str | None, str | None]],
    action: str,
    purpose: str,
    now: datetime,
) -> None:
    """Log ``principal``'s read of each ``(business_id, resource_ref)`` unless they are a citizen."""
    if not is_logged(principal):
        return
    add_access_entries(
        session,
        (
            access_entry(
                principal,
                resource=resource,
                resource_ref=ref,
                action=action,
                purpose=purpose,
                now=now,
                business_id=business_id,
            )
            for business_id, ref in refs
        ),
    )
