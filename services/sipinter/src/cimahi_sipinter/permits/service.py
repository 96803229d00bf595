"""Reading permits (owners, officers of the area, admins), their PDF, and the head's revocation.

Who sees a permit: the owners and co-owners of its business, DPMPTSP officers whose area covers
its kelurahan (every read logged in the access log with its purpose), and admins. Anyone else
gets the 404 of an unknown id. Services never commit: the request's session commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from anyio import to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_shared.auth import Principal
from cimahi_shared.calendar import WIB
from cimahi_shared.errors import Conflict, NotFound
from cimahi_shared.regions import kelurahan_name
from cimahi_sipinter.access_log import log_reads
from cimahi_sipinter.applications.workflow import require_head
from cimahi_sipinter.auth import in_area, is_officer
from cimahi_sipinter.catalogue.standards import CATALOGUE
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.events.applications import publish_domain
from cimahi_sipinter.models import Business, Permit
from cimahi_sipinter.permits import repository
from cimahi_sipinter.permits.issuance import permit_facts
from cimahi_sipinter.permits.pdf import PermitSheet, render_permit, signature_lines
from cimahi_sipinter.permits.schemas import PermitBusiness, PermitRead
from cimahi_sipinter.permits.verification import effective_status, verification_url

NOT_FOUND = "No such permit."
REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class PermitView:
    """A permit with its business and its application's registration number."""

    permit: Permit
    business: Business
    registration_number: str | None


@dataclass(frozen=True, slots=True)
class Reader:
    """Who reads, why (for the access log) and when."""

    principal: Principal
    purpose: str
    now: datetime


async def _views(session: AsyncSession, permits: list[Permit]) -> list[PermitView]:
    businesses = await repository.businesses(session, [p.business_id for p in permits])
    numbers = await repository.registration_numbers(session, [p.application_id for p in permits])
    return [
        PermitView(p, businesses[p.business_id], numbers.get(p.application_id)) for p in permits
    ]


def _log(session: AsyncSession, reader: Reader, views: list[PermitView], action: str) -> None:
    """Officers' and admins' reads go to the access log (the owners' own reads do not)."""
    log_reads(
        session,
        reader.principal,
        resource="permit",
        refs=[(v.permit.business_id, v.permit.id) for v in views],
        action=action,
        purpose=reader.purpose,
        now=reader.now,
    )


async def may_see(session: AsyncSession, principal: Principal, permit: Permit) -> bool:
    """Owners of the permit's business, DPMPTSP officers of its area, and admins."""
    if principal.is_admin:
        return True
    if is_officer(principal):
        return in_area(principal, permit.kelurahan_code)
    return principal.is_citizen and await repository.is_owner(
        session, permit.business_id, principal.sub
    )


async def list_permits(
    session: AsyncSession, *, reader: Reader, limit: int, offset: int
) -> tuple[list[PermitView], int | None]:
    """Citizens: their businesses' permits; officers: their area's (logged); admins: all.

    Newest first; returns the page and the next page's offset (None on the last page).
    """
    principal = reader.principal
    if principal.is_admin:
        owner_sub, area = None, None
    elif is_officer(principal):
        owner_sub, area = None, principal.area or "-"
    else:
        owner_sub, area = principal.sub, None
    rows = await repository.page(
        session, owner_sub=owner_sub, area=area, limit=limit + 1, offset=offset
    )
    views = await _views(session, rows[:limit])
    _log(session, reader, views, "list")
    return views, offset + limit if len(rows) > limit else None


async def _visible(
    session: AsyncSession, principal: Principal, permit_id: str, *, for_update: bool = False
) -> Permit:
    permit = await repository.by_id(session, permit_id, for_update=for_update)
    if permit is None or not await may_see(session, principal, permit):
        raise NotFound(NOT_FOUND)
    return permit


async def get_permit(
    session: AsyncSession, *, reader: Reader, permit_id: str, action: str = "read"
) -> PermitView:
    """A permit the caller may see (404 otherwise, as for an unknown id); officers' reads logged."""
    permit = await _visible(session, reader.principal, permit_id)
    [view] = await _views(session, [permit])
    _log(session, reader, [view], action)
    return view


def permit_read(view: PermitView, *, today: date, base_url: str) -> PermitRead:
    """The API view of a permit (its status as of ``today``: valid, expired or revoked)."""
    permit, business = view.permit, view.business
    permit_type = CATALOGUE[permit.permit_type]
    return PermitRead(
        id=permit.id,
        number=permit.number,
        permit_type=permit.permit_type,
        permit_name=permit_type.name_id,
        product=permit_type.product,
        status=effective_status(permit, today),
        application_id=permit.application_id,
        registration_number=view.registration_number,
        business=PermitBusiness(id=business.id, nib=business.nib, name=business.name),
        holder_name=permit.holder_name,
        kelurahan_code=permit.kelurahan_code,
        kelurahan_name=kelurahan_name(permit.kelurahan_code),
        valid_from=permit.valid_from,
        valid_until=permit.valid_until,
        conditions=[str(c) for c in permit.conditions],
        deemed_approval=permit.deemed_approval,
        signed_by=permit.signed_by,
        issued_at=permit.issued_at,
        verification_code=permit.verification_code,
        verification_url=verification_url(permit.verification_code, base_url=base_url),
        revoked_at=permit.revoked_at,
        revoked_reason=permit.revoked_reason,
    )


def permit_sheet(view: PermitView, *, settings: SipinterSettings) -> PermitSheet:
    """What the permit's PDF prints."""
    permit, business = view.permit, view.business
    permit_type = CATALOGUE[permit.permit_type]
    return PermitSheet(
        number=permit.number,
        product=permit_type.product,
        permit_name=permit_type.name_id,
        permit_type=permit.permit_type,
        registration_number=view.registration_number,
        holder_name=permit.holder_name,
        nib=business.nib,
        address=business.address,
        kelurahan_name=kelurahan_name(permit.kelurahan_code),
        valid_from=permit.valid_from,
        valid_until=permit.valid_until,
        conditions=[str(c) for c in permit.conditions],
        deemed_approval=permit.deemed_approval,
        issued_on=permit.issued_at.astimezone(WIB).date(),
        signature=signature_lines(
            signed_by=permit.signed_by,
            system=permit.signed_by_sub is None,
            head_title=settings.head_title,
        ),
        verification_code=permit.verification_code,
        verification_url=verification_url(
            permit.verification_code, base_url=settings.public_base_url
        ),
        revoked_on=permit.revoked_at.astimezone(WIB).date() if permit.revoked_at else None,
    )


async def permit_pdf(
    session: AsyncSession, *, reader: Reader, permit_id: str, settings: SipinterSettings
) -> tuple[bytes, str]:
    """The permit as PDF bytes and a file name (officers' downloads logged).

    A revoked or expired permit can still be downloaded (the holder's record); it says so, and
    its QR code answers that it is no longer valid.
    """
    view = await get_permit(session, reader=reader, permit_id=permit_id, action="download")
    sheet = permit_sheet(view, settings=settings)
    pdf = await to_thread.run_sync(render_permit, sheet)  # tens of ms of CPU: off the loop
    return pdf, view.permit.number.replace("/", "-") + ".pdf"


async def revoke(
    session: AsyncSession,
    *,
    principal: Principal,
    permit_id: str,
    reason: str,
    now: datetime,
    base_url: str,
) -> PermitView:
    """The head of DPMPTSP revokes a permit of their area, with a reason; 409 if already revoked.

    Officers outside the area get 404 (as for an unknown id), other officers of the area 403.
    The row is locked, so of two simultaneous revocations one wins and the other gets 409.
    ``permit.revoked`` carries the permit's facts and the time, not the reason's text (free
    text that may name people; the holder and officers read it on the permit).
    """
    permit = await _visible(session, principal, permit_id, for_update=True)
    require_head(principal)
    if permit.status == REVOKED:
        raise Conflict("This permit is already revoked.")
    permit.status = REVOKED
    permit.revoked_reason = reason
    permit.revoked_at = now
    [view] = await _views(session, [permit])
    facts = permit_facts(
        permit,
        nib=view.business.nib,
        registration_number=view.registration_number,
        base_url=base_url,
    )
    await publish_domain(
        session,
        "permit.revoked",
        subject=permit.id,
        data={**facts, "revoked_at": now},
        occurred_at=now,
    )
    return view
