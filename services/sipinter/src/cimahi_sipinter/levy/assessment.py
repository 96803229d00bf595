"""Assessing an application's levy (retribusi) at the recommendation.

The amount is the permit type's catalogue formula (``catalogue.schemas.Levy.amount``): none,
flat, per m2, or per m2 per year (years default to 1), never below the type's minimum, in
whole rupiah. The recommending officer states the measures (``LevyQuantity``); a basis that
needs the area without one is a 422 naming ``levy.area_m2``. A levy above 0 is due: it gets a
payment code (``levy.codes``) and a date by which to pay (``levy_payment_working_days`` working
days), and ``application.levy_due`` tells the applicant (through the notifier) what to pay.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_shared.calendar import RequestClock
from cimahi_shared.errors import InvalidInput
from cimahi_sipinter.catalogue.schemas import Levy
from cimahi_sipinter.catalogue.standards import CATALOGUE
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.events.applications import publish_application_event
from cimahi_sipinter.levy import codes
from cimahi_sipinter.levy.schemas import LevyQuantity
from cimahi_sipinter.models import Application

AREA_BASES = frozenset({"per_m2", "per_m2_per_year"})


def measures(levy: Levy, quantity: LevyQuantity | None) -> dict[str, Any] | None:
    """What the amount is computed on for this basis (None for none/flat), or a 422."""
    if levy.basis not in AREA_BASES:
        return None
    area = quantity.area_m2 if quantity is not None else None
    if area is None:
        raise InvalidInput(
            "This permit type's levy is charged per m2: state the area.",
            errors=[{"field": "levy.area_m2", "message": f"required for a {levy.basis} levy"}],
        )
    if levy.basis == "per_m2":
        return {"area_m2": area}
    years = quantity.years if quantity is not None and quantity.years is not None else 1
    return {"area_m2": area, "years": years}


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
    ``levy.area_m2`` when the basis needs an area that is missing.
    Does not move the application: the caller then calls ``workflow.advance``.
    """
    levy = CATALOGUE[application.permit_type].levy
    used = measures(levy, quantity)
    amount = levy.amount(**(used or {}))
    application.levy_amount = amount
    application.levy_quantity = used
    if amount <= 0:
        application.levy_status = "none"
        application.levy_code = None
        application.levy_due_at = None
        return
    application.levy_status = "due"
    # A file recommended again (after a return) keeps the code the applicant may already hold.
    if application.levy_code is None:
        application.levy_code = await codes.unused_code(session)
    application.levy_due_at = clock.due_at(settings.levy_payment_working_days)
    await publish_application_event(
        session,
        "application.levy_due",
        application,
        occurred_at=clock.now,
        amount=amount,
        levy_code=application.levy_code,
        levy_due_at=application.levy_due_at.isoformat(),
        levy_basis=levy.basis,
        levy_quantity=used,
    )
