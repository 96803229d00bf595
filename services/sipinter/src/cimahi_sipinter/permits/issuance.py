"""Issuing the permit of an application whose last stage is done.

Called by ``applications.workflow.advance`` when no stage is left: on submission (low tier, by
the system), on the administrative check's acceptance (medium-low tier) and on the head's
signature (medium-high and high tiers). The permit gets the next number of the year's gapless
series, its validity (from today in Cimahi for the type's ``validity_years``), the conditions of
the recommendation, an unguessable verification code, and ``sipinter.permit.issued`` is
enqueued in the same transaction. The caller records the ``issued`` step.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_shared.calendar import RequestClock
from cimahi_shared.documents.codes import new_code
from cimahi_sipinter.catalogue.standards import CATALOGUE
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.events.applications import publish_domain
from cimahi_sipinter.models import Application, Business, Permit
from cimahi_sipinter.permits.numbers import next_number
from cimahi_sipinter.permits.verification import verification_url

if TYPE_CHECKING:
    from cimahi_sipinter.applications.workflow import Actor

VALID = "valid"
SYSTEM_SIGNATURE = "Diterbitkan secara elektronik oleh sistem SIPINTER"
"""``signed_by`` of a permit no person signed (low and medium-low tiers)."""


def valid_until(valid_from: date, years: int | None) -> date | None:
    """The last valid day: ``years`` years after ``valid_from``, less one day.

    A permit from 29 February counts its anniversary on 1 March of a common year, so its last
    day is 28 February. None when the type's permits have no end (valid while the business runs).
    """
    if years is None:
        return None
    try:
        anniversary = valid_from.replace(year=valid_from.year + years)
    except ValueError:  # 29 February into a common year
        anniversary = date(valid_from.year + years, 3, 1)
    return anniversary - timedelta(days=1)


def signature(application: Application, signer: Actor | None) -> tuple[str, str | None]:
    """(signed_by, signed_by_sub): the signer when the tier has the head's signature stage.

    Tiers without it (low, medium-low) are issued by the system even though an officer's
    acceptance triggered the issuance: nobody signed them, and the history names that officer.
    """
    if signer is None or "signature" not in CATALOGUE[application.permit_type].stages:
        return SYSTEM_SIGNATURE, None
    return (signer.name or signer.sub)[:100], signer.sub


def permit_facts(
    permit: Permit, *, nib: str, registration_number: str | None, base_url: str
) -> dict[str, Any]:
    """What every ``permit.*`` event says (ids, numbers, type, NIB, kelurahan, dates; nothing
    personal: no owner, no NIK, no person's name)."""
    return {
        "permit_id": permit.id,
        "permit_number": permit.number,
        "permit_type": permit.permit_type,
        "application_id": permit.application_id,
        "registration_number": registration_number,
        "business_id": permit.business_id,
        "nib": nib,
        "kelurahan_code": permit.kelurahan_code,
        "valid_from": permit.valid_from.isoformat(),
        "valid_until": permit.valid_until.isoformat() if permit.valid_until else None,
        "deemed_approval": permit.deemed_approval,
        "verification_url": verification_url(permit.verification_code, base_url=base_url),
    }


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
    business = await session.get(Business, application.business_id)
    if business is None:  # a foreign key guarantees it; a clear error if that ever breaks
        raise LookupError(f"application {application.id} names no business")
    today = clock.today
    signed_by, signed_by_sub = signature(application, signer)
    permit = Permit(
        id=str(ULID()),
        number=await next_number(session, permit_type=application.permit_type, year=today.year),
        application_id=application.id,
        business_id=business.id,
        permit_type=application.permit_type,
        holder_name=business.name[:200],
        kelurahan_code=application.kelurahan_code,
        deemed_approval=application.deemed_approved,
        valid_from=today,
        valid_until=valid_until(today, CATALOGUE[application.permit_type].validity_years),
        conditions=list(application.conditions or []),
        status=VALID,
        verification_code=new_code(),
        signed_by=signed_by,
        signed_by_sub=signed_by_sub,
        issued_at=clock.now,
    )
    session.add(permit)
    await session.flush()
    await publish_domain(
        session,
        "permit.issued",
        subject=permit.id,
        data=permit_facts(
            permit,
            nib=business.nib,
            registration_number=application.registration_number,
            base_url=settings.public_base_url,
        ),
        occurred_at=clock.now,
    )
    return permit
