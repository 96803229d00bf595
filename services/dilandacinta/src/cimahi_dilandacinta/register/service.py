"""The register's rules: identity proofing, officers' reads of their area, a citizen's own data.

Identity match: an alive person with that NIK, whose current family card has that No. KK, whose
name has the same :func:`~cimahi_dilandacinta.register.names.name_key` and who was born on that
date. The answer never says which fact differed. Attempts are counted per NIK (keyed hash) and
per caller (machine client or citizen) in sliding windows; every attempt is logged in
``identity_match_audit`` without the NIK. Officers' reads are logged in ``access_audit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_dilandacinta.access_log import access_entry, add_access_entries
from cimahi_dilandacinta.auth import in_area
from cimahi_dilandacinta.models import AccessAudit, Family, IdentityMatchAudit, Person
from cimahi_dilandacinta.register import repository
from cimahi_dilandacinta.register.names import name_key
from cimahi_dilandacinta.register.schemas import IdentityClaim, PersonSearch
from cimahi_shared.auth import Principal
from cimahi_shared.context import request_id_var
from cimahi_shared.db import utcnow
from cimahi_shared.errors import Forbidden, InvalidInput, NotFound
from cimahi_shared.pii import PiiCipher
from cimahi_shared.ratelimit import SlidingWindowCounter, retry_after_seconds

ALIVE = "alive"
CITIZEN_CHANNEL = "citizen"


class MatchOutcome(StrEnum):
    """What an identity-match attempt came to (also the audit log's ``outcome``)."""

    MATCH = "match"
    NO_MATCH = "no_match"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True, slots=True)
class MatchLimits:
    """Attempt counters: per NIK (any channel), per machine client, per citizen login."""

    per_nik: SlidingWindowCounter
    per_client: SlidingWindowCounter
    per_account: SlidingWindowCounter

    @classmethod
    def create(cls, *, per_nik: int, per_client: int, window_seconds: float) -> MatchLimits:
        """Counters with these limits over one window."""
        return cls(
            per_nik=SlidingWindowCounter(limit=per_nik, window=window_seconds),
            per_client=SlidingWindowCounter(limit=per_client, window=window_seconds),
            per_account=SlidingWindowCounter(limit=per_nik, window=window_seconds),
        )


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The outcome, the person on a match, and how long to wait when rate-limited."""

    outcome: MatchOutcome
    person: Person | None = None
    retry_after: int | None = None


# --- identity proofing ---


async def match_identity(
    session: AsyncSession,
    *,
    pii: PiiCipher,
    limits: MatchLimits,
    claim: IdentityClaim,
    client_id: str,
    account_sub: str | None,
) -> MatchResult:
    """Check a claim for a machine client (the gateway); bind ``account_sub`` on a match."""
    return await _attempt(
        session,
        pii=pii,
        limits=limits,
        claim=claim,
        caller=(limits.per_client, client_id),
        channel=client_id,
        account_sub=account_sub,
    )


async def link_account(
    session: AsyncSession,
    *,
    pii: PiiCipher,
    limits: MatchLimits,
    claim: IdentityClaim,
    principal: Principal,
) -> MatchResult:
    """A citizen proves a claim and binds their login to that person."""
    return await _attempt(
        session,
        pii=pii,
        limits=limits,
        claim=claim,
        caller=(limits.per_account, principal.sub),
        channel=CITIZEN_CHANNEL,
        account_sub=principal.sub,
    )


async def _attempt(
    session: AsyncSession,
    *,
    pii: PiiCipher,
    limits: MatchLimits,
    claim: IdentityClaim,
    caller: tuple[SlidingWindowCounter, str],
    channel: str,
    account_sub: str | None,
) -> MatchResult:
    nik_hash = pii.lookup_hash(claim.nik)
    checks = [(limits.per_nik, nik_hash), caller]
    wait = retry_after_seconds(checks)
    if wait is not None:
        result = MatchResult(MatchOutcome.RATE_LIMITED, retry_after=wait)
    else:
        for counter, key in checks:
            counter.add(key)
        person = await repository.find_person_by_nik_hash(session, nik_hash)
        if person is not None and await _is_match(session, pii, person, claim):
            if account_sub is not None:
                await _bind(session, person, account_sub)
            result = MatchResult(MatchOutcome.MATCH, person=person)
        else:
            result = MatchResult(MatchOutcome.NO_MATCH)
    repository.add_identity_match_audit(
        session,
        IdentityMatchAudit(
            id=str(ULID()),
            client_id=channel,
            account_sub=account_sub,
            nik_hash=nik_hash,
            person_id=result.person.id if result.person else None,
            outcome=result.outcome.value,
            http_request_id=request_id_var.get(),
            occurred_at=utcnow(),
        ),
    )
    return result


async def _is_match(
    session: AsyncSession, pii: PiiCipher, person: Person, claim: IdentityClaim
) -> bool:
    if person.status != ALIVE or person.family_id is None:
        return False
    if person.birth_date != claim.birth_date or person.name_key != name_key(claim.full_name):
        return False
    family = await repository.get_family(session, person.family_id)
    return family is not None and family.no_kk_hash == pii.lookup_hash(claim.no_kk)


async def _bind(session: AsyncSession, person: Person, account_sub: str) -> None:
    if person.account_sub == account_sub:
        return
    await repository.unbind_account(session, account_sub=account_sub, except_person_id=person.id)
    person.account_sub = account_sub
    person.updated_at = utcnow()
    await session.flush()


# --- officers' reads ---


def _require_area(principal: Principal) -> str:
    if not principal.area:
        raise Forbidden("Your account has no area assigned.")
    return principal.area


def _audit_reads(
    session: AsyncSession,
    *,
    principal: Principal,
    persons: list[Person],
    resource: str,
    resource_ref: str | None,
    action: str,
    purpose: str,
) -> None:
    now = utcnow()
    add_access_entries(
        session,
        (
            access_entry(
                principal,
                person_id=person.id,
                resource=resource,
                resource_ref=resource_ref or person.id,
                action=action,
                purpose=purpose,
                now=now,
            )
            for person in persons
        ),
    )


async def search_persons(
    session: AsyncSession, *, principal: Principal, pii: PiiCipher, query: PersonSearch
) -> list[Person]:
    """Persons with a NIK, or members of a KK, in the officer's area (each read logged)."""
    area = _require_area(principal)
    if (query.nik is None) == (query.no_kk is None):
        message = "Give exactly one of nik or no_kk."
        raise InvalidInput(
            message,
            errors=[
                {"field": "nik", "message": message, "in": "body"},
                {"field": "no_kk", "message": message, "in": "body"},
            ],
        )
    if query.nik is not None:
        person = await repository.find_person_by_nik_hash(session, pii.lookup_hash(query.nik))
        found = [person] if person and in_area(principal, person.kelurahan_code) else []
    else:
        assert query.no_kk is not None
        found = await repository.list_persons_of_family_in_area(
            session, no_kk_hash=pii.lookup_hash(query.no_kk), area=area
        )
    _audit_reads(
        session,
        principal=principal,
        persons=found,
        resource="person",
        resource_ref=None,
        action="search",
        purpose=query.purpose,
    )
    return found


async def read_person(
    session: AsyncSession, *, principal: Principal, person_id: str, purpose: str
) -> Person:
    """One person of the officer's area (logged); others are not found."""
    _require_area(principal)
    person = await repository.get_person(session, person_id)
    if person is None or not in_area(principal, person.kelurahan_code):
        raise NotFound("No such person.")
    _audit_reads(
        session,
        principal=principal,
        persons=[person],
        resource="person",
        resource_ref=None,
        action="read",
        purpose=purpose,
    )
    return person


async def read_family(
    session: AsyncSession, *, principal: Principal, family_id: str, purpose: str
) -> tuple[Family, list[Person]]:
    """A family card of the officer's area with its members (a read of each member, logged)."""
    _require_area(principal)
    family = await repository.get_family(session, family_id)
    if family is None or not in_area(principal, family.kelurahan_code):
        raise NotFound("No such family card.")
    members = await repository.list_family_members(session, family.id)
    _audit_reads(
        session,
        principal=principal,
        persons=members,
        resource="family",
        resource_ref=family.id,
        action="read",
        purpose=purpose,
    )
    return family, members


# --- the citizen's own data ---

NOT_LINKED = (
    "Akun Anda belum terhubung dengan data kependudukan; hubungkan lewat POST "
    "/v1/me/register/link. / No population record is linked to your account yet: link it with "
    "POST /v1/me/register/link (NIK, No. KK, full name and birth date)."
)


async def own_record(
    session: AsyncSession, *, principal: Principal
) -> tuple[Person, Family | None, list[Person]]:
    """The person bound to the citizen's login, their family card and its members."""
    person = await repository.find_person_by_account(session, principal.sub)
    if person is None:
        raise NotFound(NOT_LINKED)
    if person.family_id is None:
        return person, None, []
    family = await repository.get_family(session, person.family_id)
    members = await repository.list_family_members(session, person.family_id) if family else []
    return person, family, members


async def own_access_log(
    session: AsyncSession, *, principal: Principal, before_id: str | None, limit: int
) -> tuple[list[AccessAudit], str | None]:
    """Reads by others of the citizen's record or applications, newest first, and the next cursor."""
    person = await repository.find_person_by_account(session, principal.sub)
    rows = await repository.list_access_log(
        session,
        person_id=person.id if person else None,
        account_sub=principal.sub,
        before_id=before_id,
        limit=limit + 1,
    )
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_cursor
