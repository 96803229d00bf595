"""Registering businesses, adding co-owners, and who may see which business.

Services never commit: the request's session commits or rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_shared.auth import Principal
from cimahi_shared.errors import Conflict, NotFound
from cimahi_shared.identifiers import mask_nik
from cimahi_shared.pii import PiiCipher
from cimahi_sipinter.auth import in_area, is_officer
from cimahi_sipinter.businesses import repository
from cimahi_sipinter.businesses.schemas import BusinessCreate, OwnerCreate
from cimahi_sipinter.models import Business, BusinessOwner

NOT_FOUND = "No such business."


@dataclass(frozen=True)
class BusinessView:
    """A business with its owners."""

    business: Business
    owners: list[BusinessOwner]


def _owner_row(
    *,
    business_id: str,
    owner_sub: str,
    name: str,
    role: str,
    nik: str | None,
    pii: PiiCipher,
    actor_sub: str,
    now: datetime,
) -> BusinessOwner:
    return BusinessOwner(
        id=str(ULID()),
        business_id=business_id,
        owner_sub=owner_sub,
        name=name,
        role=role,
        applicant_nik_encrypted=pii.encrypt(nik) if nik else None,
        applicant_nik_hash=pii.lookup_hash(nik) if nik else None,
        applicant_nik_masked=mask_nik(nik) if nik else None,
        added_by=actor_sub,
        added_at=now,
    )


def _duplicate_nib() -> Conflict:
    message = "A business with this NIB is already registered."
    return Conflict(message, errors=[{"field": "nib", "message": message, "in": "body"}])


async def register_business(
    session: AsyncSession,
    *,
    principal: Principal,
    data: BusinessCreate,
    pii: PiiCipher,
    now: datetime,
) -> BusinessView:
    """Register a business; the caller becomes its owner (409 for a NIB already registered)."""
    if await repository.by_nib(session, data.nib) is not None:
        raise _duplicate_nib()
    business = Business(
        id=str(ULID()),
        nib=data.nib,
        name=data.name,
        legal_form=data.legal_form,
        address=data.address,
        kelurahan_code=data.kelurahan_code,
        created_by=principal.sub,
        created_at=now,
        updated_at=now,
    )
    owner = _owner_row(
        business_id=business.id,
        owner_sub=principal.sub,
        name=data.applicant.name,
        role="owner",
        nik=data.applicant.nik,
        pii=pii,
        actor_sub=principal.sub,
        now=now,
    )
    session.add(business)
    try:
        await session.flush()  # a concurrent registration of the same NIB fails here
    except IntegrityError:
        raise _duplicate_nib() from None
    session.add(owner)
    await session.flush()
    return BusinessView(business, [owner])


def may_see(principal: Principal, business: Business, owners: list[BusinessOwner]) -> bool:
    """Owners, DPMPTSP officers of the business's area, and admins may see a business."""
    if principal.is_admin:
        return True
    if is_officer(principal):
        return in_area(principal, business.kelurahan_code)
    return any(o.owner_sub == principal.sub for o in owners)


async def get_business(
    session: AsyncSession, *, principal: Principal, business_id: str
) -> BusinessView:
    """A business the caller may see (404 otherwise, like an unknown one)."""
    business = await repository.by_id(session, business_id)
    if business is None:
        raise NotFound(NOT_FOUND)
    owners = await repository.owners_of(session, [business.id])
    if not may_see(principal, business, owners):
        raise NotFound(NOT_FOUND)
    return BusinessView(business, owners)


async def list_businesses(
    session: AsyncSession, *, principal: Principal, limit: int, offset: int
) -> tuple[list[BusinessView], int]:
    """Citizens: the businesses they own; officers: those of their area; admins: all."""
    if principal.is_admin:
        owner_sub, area = None, None
    elif is_officer(principal):
        owner_sub, area = None, principal.area or "-"
    else:
        owner_sub, area = principal.sub, None
    businesses, total = await repository.page(
        session, owner_sub=owner_sub, area=area, limit=limit, offset=offset
    )
    owners = await repository.owners_of(session, [b.id for b in businesses])
    views = [BusinessView(b, [o for o in owners if o.business_id == b.id]) for b in businesses]
    return views, total


async def add_owner(
    session: AsyncSession,
    *,
    principal: Principal,
    business_id: str,
    data: OwnerCreate,
    pii: PiiCipher,
    now: datetime,
) -> BusinessView:
    """An owner adds a co-owner by account subject (404 for non-owners, 409 if already one)."""
    business = await repository.by_id(session, business_id)
    if business is None or await repository.owner(session, business_id, principal.sub) is None:
        raise NotFound(NOT_FOUND)
    message = "This account already owns the business."
    already = Conflict(message, errors=[{"field": "owner_sub", "message": message, "in": "body"}])
    if await repository.owner(session, business_id, data.owner_sub) is not None:
        raise already
    session.add(
        _owner_row(
            business_id=business_id,
            owner_sub=data.owner_sub,
            name=data.name,
            role="co_owner",
            nik=data.nik,
            pii=pii,
            actor_sub=principal.sub,
            now=now,
        )
    )
    business.updated_at = now
    try:
        await session.flush()  # a concurrent addition of the same account fails here
    except IntegrityError:
        raise already from None
    return BusinessView(business, await repository.owners_of(session, [business_id]))
