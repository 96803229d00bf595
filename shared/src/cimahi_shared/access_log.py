"""The access log (UU PDP): who read whose data, when and why - the builder every service shares.

Every read of a person's data by an officer or an admin is one row of the service's own
``access_audit`` table, staged in the same transaction as the read; a list read is one row per
record shown. Citizens' reads of their own data are not logged. The purpose comes from the
``X-Purpose`` header (``purpose_header``), or the service's default naming its public-service
task. The service's model keeps the common columns (``id``, ``actor_*``, ``resource``,
``resource_ref``, ``action``, ``purpose``, ``http_request_id``, ``occurred_at``) and one column
naming whose data it was (``AccessLog(subject=...)``, e.g. ``nop`` or ``business_id``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Header
from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_shared.auth import Principal
from cimahi_shared.context import request_id_var

PURPOSE_HEADER = "X-Purpose"


def purpose_header(description: str) -> Any:
    """The ``X-Purpose`` header parameter type (3-200 characters) with the service's wording."""
    return Annotated[
        str, Header(alias=PURPOSE_HEADER, min_length=3, max_length=200, description=description)
    ]


def is_logged(principal: Principal) -> bool:
    """Whether ``principal``'s reads go to the access log (everyone but citizens)."""
    return not principal.is_citizen


class AccessLog:
    """Writes a service's access-log rows (``model``), naming whose data in ``subject``."""

    def __init__(self, model: Callable[..., object], *, subject: str) -> None:
        self.model = model
        self.subject = subject

    def entry(
        self,
        principal: Principal,
        *,
        subject: str | None,
        resource: str,
        resource_ref: str | None,
        action: str,
        purpose: str,
        now: datetime,
    ) -> object:
        """One row for a read by ``principal`` (the current request's id attached)."""
        return self.model(
            id=str(ULID()),
            actor_sub=principal.sub,
            actor_role=principal.role,
            actor_name=principal.name,
            actor_area=principal.area,
            resource=resource,
            resource_ref=resource_ref,
            action=action,
            purpose=purpose,
            http_request_id=request_id_var.get(),
            occurred_at=now,
            **{self.subject: subject},
        )

    def log_reads(
        self,
        session: AsyncSession,
        principal: Principal,
        *,
        resource: str,
        refs: Iterable[tuple[str | None, str | None]],
        action: str,
        purpose: str,
        now: datetime,
    ) -> None:
        """Log ``principal``'s read of each ``(subject, resource_ref)`` unless they are a citizen."""
        if not is_logged(principal):
            return
        session.add_all(
            [
                self.entry(
                    principal,
                    subject=subject,
                    resource=resource,
                    resource_ref=ref,
                    action=action,
                    purpose=purpose,
                    now=now,
                )
                for subject, ref in refs
            ]
        )
