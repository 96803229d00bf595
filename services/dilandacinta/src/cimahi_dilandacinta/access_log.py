"""Entries of the access log (UU PDP): who read whose data, when, why; one builder for every domain."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_dilandacinta.models import AccessAudit
from cimahi_shared.auth import Principal
from cimahi_shared.context import request_id_var


def access_entry(
    principal: Principal,
    *,
    resource: str,
    resource_ref: str | None,
    action: str,
    purpose: str,
    now: datetime,
    person_id: str | None = None,
    owner_sub: str | None = None,
) -> AccessAudit:
    """One access-log row for a read by ``principal`` (the current request's id attached)."""
    return AccessAudit(
        id=str(ULID()),
        actor_sub=principal.sub,
        actor_role=principal.role,
        actor_name=principal.name,
        actor_agency=principal.agency,
        actor_area=principal.area,
        person_id=person_id,
        owner_sub=owner_sub,
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
