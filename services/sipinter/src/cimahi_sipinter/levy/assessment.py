"""Assessing an application's levy at the recommendation (CONTRACT - helper C fills it)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_shared.calendar import RequestClock
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.levy.schemas import LevyQuantity
from cimahi_sipinter.models import Application


async def assess(
    session: AsyncSession,
    application: Application,
    *,
    quantity: LevyQuantity | None,
    clock: RequestClock,
    settings: SipinterSettings,
) -> None:
    """Set the levy of ``application`` from its permit type's formula and ``quantity``.

    Sets ``levy_amount``, ``levy_quantity``, ``levy_status`` ("due" when the amount is above 0,
    else "none"), and for a due levy ``levy_code`` (a unique payment code) and ``levy_due_at``;
    enqueues ``sipinter.application.levy_due``. Raises ``InvalidInput`` naming
    ``levy.area_m2`` / ``levy.years`` when the basis needs a measure that is missing.
    Does not move the application: the caller then calls ``workflow.advance``.
    """
    raise NotImplementedError
