"""Tax objects' rules: who sees an object, linking one to a citizen's account, officers' lists.

Visibility, the same for objects, bills, receipts and requests (``visible_object``): the citizen
whose account is linked to the object, a Bapenda officer whose area covers its kelurahan, an
admin. Anyone else gets the same 404 as for an unknown NOP, so existence is never revealed.

Linking (``claim_object``) proves the NIK printed on the SPPT: its keyed hash must equal the
object's ``taxpayer_nik_hash``. A wrong NIK, an unknown NOP and an object linked to another
account all get one answer; failed attempts are recorded (without the NIK) and limited per
account (``claim_max_attempts`` per ``claim_window_seconds``).
"""

from __future__ import annotations

import enum
import hmac
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_epbb.access_log import log_reads
from cimahi_epbb.auth import in_area, is_officer
from cimahi_epbb.bills.inquiry import Inquiry, inquire
from cimahi_epbb.config import EpbbSettings
from cimahi_epbb.models import AccessAudit, TaxObject
from cimahi_epbb.objects import repository
from cimahi_epbb.objects.nop import CITY_PREFIX, kelurahan_prefix, nop_kecamatan_code
from cimahi_epbb.objects.repository import NopRange
from cimahi_shared.auth import Principal
from cimahi_shared.errors import NotFound
from cimahi_shared.pii import PiiCipher
from cimahi_shared.regions import find_kelurahan, kecamatan_codes

NOP_LENGTH = 18

NOT_VISIBLE = "No tax object with this NOP is known to you."


class ObjectNotFound(NotFound):
    """Unknown NOP, or an object the caller may not see (one answer for both)."""

    def __init__(self) -> None:
        super().__init__(NOT_VISIBLE)


# --- visibility ---


def officer_sees(principal: Principal, obj: TaxObject) -> bool:
    """Whether an officer or admin may see ``obj`` (admins: all; officers: their area)."""
    if principal.is_admin:
        return True
    return is_officer(principal) and in_area(principal, obj.kelurahan_code)


async def visible_object(session: AsyncSession, *, principal: Principal, nop: str) -> TaxObject:
    """The object if ``principal`` may see it: its linked citizen, an officer of its area, an admin."""
    obj = await repository.get_object(session, nop)
    if obj is None:
        raise ObjectNotFound
    if principal.is_citizen:
        if await repository.link_owner(session, nop) != principal.sub:
            raise ObjectNotFound
    elif not officer_sees(principal, obj):
        raise ObjectNotFound
    return obj


async def read_object(
    session: AsyncSession, *, principal: Principal, nop: str, purpose: str, now: datetime
) -> TaxObject:
    """One object (its reads by officers and admins are logged with their purpose)."""
    obj = await visible_object(session, principal=principal, nop=nop)
    log_reads(
        session,
        principal,
        resource="object",
        refs=[(nop, nop)],
        action="read",
        purpose=purpose,
        now=now,
    )
    return obj


# --- officers' list ---


@dataclass(frozen=True, slots=True)
class ObjectQuery:
    """Filters of the officers' object list."""

    kelurahan_code: str | None = None
    q: str | None = None
    cursor: str | None = None
    limit: int = 50


def _nop_digits(q: str) -> str | None:
    """The digits of ``q`` when it looks like (the start of) a NOP, else None."""
    stripped = q.replace(".", "").replace("-", "").replace(" ", "")
    return stripped if stripped.isdigit() and len(stripped) <= NOP_LENGTH else None


def prefix_range(prefix: str) -> NopRange:
    """The NOPs starting with ``prefix`` as a range of 18-digit strings."""
    return prefix.ljust(NOP_LENGTH, "0"), prefix.ljust(NOP_LENGTH, "9")


def area_nop_ranges(codes: list[str | None], settings: EpbbSettings) -> list[NopRange]:
    """NOP ranges of kelurahan/kecamatan codes (the NOP's digits are the object's location).

    The ``kelurahan_code`` filter stays the rule; these ranges only let the database walk the
    primary-key index instead of the whole table (unknown codes and the city: no range).
    """
    ranges: list[NopRange] = []
    for code in codes:
        kelurahan = find_kelurahan(code) if code else None
        try:
            if kelurahan is not None:
                ranges.append(prefix_range(kelurahan_prefix(kelurahan, settings)))
            elif code in kecamatan_codes():
                ranges.append(prefix_range(CITY_PREFIX + nop_kecamatan_code(code, settings)))
        except KeyError:
            continue
    return ranges


async def list_objects(
    session: AsyncSession,
    *,
    principal: Principal,
    query: ObjectQuery,
    settings: EpbbSettings,
    purpose: str,
    now: datetime,
) -> tuple[list[TaxObject], str | None]:
    """A page of objects of the officer's area (admins: the city) by NOP; each one shown is logged."""
    area = None if principal.is_admin else principal.area
    if area is None and not principal.is_admin:
        return [], None
    q = (query.q or "").strip()
    digits = _nop_digits(q) if q else None
    objects = await repository.list_objects(
        session,
        area=area,
        kelurahan_code=query.kelurahan_code,
        nop_ranges=area_nop_ranges([area, query.kelurahan_code], settings)
        + ([prefix_range(digits)] if digits else []),
        name_prefix=q if q and digits is None else None,
        after_nop=query.cursor,
        limit=query.limit,
    )
    log_reads(
        session,
        principal,
        resource="object",
        refs=[(o.nop, o.nop) for o in objects],
        action="search" if q else "list",
        purpose=purpose,
        now=now,
    )
    next_cursor = objects[-1].nop if len(objects) == query.limit else None
    return objects, next_cursor


# --- a citizen's own objects ---


class ClaimOutcome(enum.Enum):
    """What an attempt to link an object came to."""

    LINKED = "linked"  # 201
    ALREADY_LINKED = "already_linked"  # 200: linked to this account before
    REFUSED = "refused"  # 422: unknown NOP, wrong NIK, or another account's object
    RATE_LIMITED = "rate_limited"  # 429


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """The outcome, the object when linked, and how long to wait when rate-limited."""

    outcome: ClaimOutcome
    obj: TaxObject | None = None
    retry_after: int | None = None


@dataclass(frozen=True, slots=True)
class ClaimLimit:
    """Failed link attempts allowed per account within a window."""

    max_attempts: int
    window_seconds: int


async def _retry_after(
    session: AsyncSession, *, owner_sub: str, limit: ClaimLimit, now: datetime
) -> int | None:
    window = timedelta(seconds=limit.window_seconds)
    failed = await repository.failed_claims_since(session, owner_sub=owner_sub, since=now - window)
    if len(failed) < limit.max_attempts:
        return None
    # A slot frees when the oldest of the last `max_attempts` failures leaves the window.
    frees_at = failed[-limit.max_attempts] + window
    return max(1, math.ceil((frees_at - now).total_seconds()))


def _nik_matches(obj: TaxObject | None, nik_hash: str) -> bool:
    if obj is None or obj.taxpayer_nik_hash is None:
        return False
    return hmac.compare_digest(obj.taxpayer_nik_hash, nik_hash)


async def claim_object(
    session: AsyncSession,
    *,
    principal: Principal,
    pii: PiiCipher,
    nop: str,
    nik: str,
    limit: ClaimLimit,
    now: datetime,
) -> ClaimResult:
    """Link ``nop`` to the caller's account when ``nik`` is its taxpayer's (attempt recorded)."""
    wait = await _retry_after(session, owner_sub=principal.sub, limit=limit, now=now)
    if wait is not None:
        return ClaimResult(ClaimOutcome.RATE_LIMITED, retry_after=wait)
    obj = await repository.get_object(session, nop)
    outcome = ClaimOutcome.REFUSED
    if _nik_matches(obj, pii.lookup_hash(nik)):
        if await repository.insert_link(session, nop=nop, owner_sub=principal.sub, now=now):
            outcome = ClaimOutcome.LINKED
        elif await repository.link_owner(session, nop) == principal.sub:
            outcome = ClaimOutcome.ALREADY_LINKED
    linked = outcome is not ClaimOutcome.REFUSED
    repository.add_claim_attempt(session, owner_sub=principal.sub, nop=nop, matched=linked, now=now)
    return ClaimResult(outcome, obj if linked else None)


async def unlink_object(session: AsyncSession, *, principal: Principal, nop: str) -> None:
    """Remove the link between the caller's account and ``nop`` (404 when there is none)."""
    if not await repository.delete_link(session, nop=nop, owner_sub=principal.sub):
        raise ObjectNotFound


@dataclass(frozen=True, slots=True)
class OwnObject:
    """One of a citizen's linked objects with its bills priced on a day."""

    obj: TaxObject
    linked_at: datetime
    inquiry: Inquiry

    @property
    def unpaid_years(self) -> int:
        """Bills with something to pay on the day."""
        return sum(1 for b in self.inquiry.unpaid if b.due is not None and b.due.total > 0)


async def own_objects(session: AsyncSession, *, principal: Principal, on: date) -> list[OwnObject]:
    """The caller's linked objects, each with what it owes on ``on``."""
    out: list[OwnObject] = []
    for obj, linked_at in await repository.linked_objects(session, principal.sub):
        out.append(OwnObject(obj, linked_at, await inquire(session, nop=obj.nop, on=on)))
    return out


async def own_access_log(
    session: AsyncSession, *, principal: Principal, before_id: str | None, limit: int
) -> tuple[list[AccessAudit], str | None]:
    """Who read the data of the caller's linked objects, newest first (UU PDP)."""
    rows = await repository.access_log_of_owner(
        session, owner_sub=principal.sub, before_id=before_id, limit=limit
    )
    return rows, (rows[-1].id if len(rows) == limit else None)
