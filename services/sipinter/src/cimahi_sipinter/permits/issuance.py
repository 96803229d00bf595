"""Issuing a permit for an application whose last stage is done (CONTRACT - helper D fills it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_shared.calendar import RequestClock
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.models import Application, Permit

if TYPE_CHECKING:
    from cimahi_sipinter.applications.workflow import Actor


async def issue_permit(
    session: AsyncSession,
    application: Application,
    *,
    signer: Actor | None,
    clock: RequestClock,
    settings: SipinterSettings,
) -> Permit:
    """Create the permit of ``application`` (number, validity, conditions, verification code)
    and enqueue ``sipinter.permit.issued``. ``signer`` None: issued electronically by the system
    (low and medium-low tiers). The caller records the ``issued`` step."""
    raise NotImplementedError
