"""HTTP surface of the population register: identity match, officers' reads, a citizen's own data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from cimahi_dilandacinta.auth import IDENTITY_MATCH_SCOPE, Citizen, Officer
from cimahi_dilandacinta.config import DilandacintaSettings
from cimahi_dilandacinta.models import AccessAudit, Family, Person
from cimahi_dilandacinta.register import service
from cimahi_dilandacinta.register.schemas import (
    AccessLogEntry,
    AccessLogPage,
    FamilyMember,
    FamilyRead,
    IdentityClaim,
    IdentityMatchRequest,
    IdentityMatchResult,
    MyRegisterRead,
    PersonList,
    PersonRead,
    PersonSearch,
    Purpose,
)
from cimahi_dilandacinta.register.service import MatchLimits, MatchOutcome, MatchResult
from cimahi_shared.app import RuntimeDep, SessionDep
from cimahi_shared.auth import CurrentPrincipal, Principal
from cimahi_shared.errors import PROBLEM_JSON, Forbidden, problem_response
from cimahi_shared.regions import kelurahan_name

router = APIRouter(tags=["register"])

_LIMITS = "register.match_limits"
MISMATCH = (
    "Data tidak cocok dengan data kependudukan. Periksa kembali NIK, No. KK, nama lengkap dan "
    "tanggal lahir sesuai Kartu Keluarga. / The details do not match the population register: "
    "check the NIK, No. KK, full name and birth date as written on the family card."
)
TOO_MANY = (
    "Terlalu banyak percobaan; coba lagi nanti. / Too many attempts for this NIK or caller; "
    "try again later."
)


def _settings(runtime: RuntimeDep) -> DilandacintaSettings:
    settings = runtime.settings
    assert isinstance(settings, DilandacintaSettings)
    return settings


async def match_limits(runtime: RuntimeDep) -> MatchLimits:
    """The process's identity-match attempt counters (created on first use)."""
    limits = runtime.extras.get(_LIMITS)
    if not isinstance(limits, MatchLimits):
        settings = _settings(runtime)
        limits = MatchLimits.create(
            per_nik=settings.identity_match_max_per_nik,
            per_client=settings.identity_match_max_per_client,
            window_seconds=settings.identity_match_window_seconds,
        )
        runtime.extras[_LIMITS] = limits
    return limits


async def identity_match_client(principal: CurrentPrincipal, runtime: RuntimeDep) -> Principal:
    """The gateway's machine client: role ``client``, an allowed client_id and the match scope."""
    allowed = _settings(runtime).identity_match_clients
    if (
        principal.role == "client"
        and principal.client_id in allowed
        and IDENTITY_MATCH_SCOPE in principal.scopes
    ):
        return principal
    raise Forbidden("Only the platform gateway may ask the population register for a match.")


Limits = Annotated[MatchLimits, Depends(match_limits)]
MatchClient = Annotated[Principal, Depends(identity_match_client)]
PurposeQuery = Annotated[
    Purpose, Query(description="Legal basis or reason of the read (kept in the access log)")
]


def _refusal(request: Request, result: MatchResult) -> Response | None:
    """A rate-limit problem, returned (not raised) so the attempt's audit row is committed."""
    if result.outcome is not MatchOutcome.RATE_LIMITED:
        return None
    seconds = str(result.retry_after or 1)
    return problem_response(
        429,
        "Too many requests",
        "rate-limited",
        TOO_MANY,
        instance=request.url.path,
        headers={"Retry-After": seconds},
        extra={"retry_after": result.retry_after},
    )


def _person_read(person: Person) -> PersonRead:
    return PersonRead.model_validate(
        {
            **{f: getattr(person, f) for f in PersonRead.model_fields if hasattr(person, f)},
            "kelurahan_name": kelurahan_name(person.kelurahan_code),
        }
    )


def _family_read(family: Family, members: list[Person]) -> FamilyRead:
    return FamilyRead(
        id=family.id,
        no_kk_masked=family.no_kk_masked,
        address=family.address,
        rt=family.rt,
        rw=family.rw,
        kelurahan_code=family.kelurahan_code,
        kelurahan_name=kelurahan_name(family.kelurahan_code),
        status=family.status,
        issued_on=family.issued_on,
        head_person_id=family.head_person_id,
        members=[
            FamilyMember(
                person_id=m.id,
                nik_masked=m.nik_masked,
                full_name=m.full_name,
                relationship_to_head=m.relationship_to_head,
                sex=m.sex,
                birth_date=m.birth_date,
                status=m.status,
            )
            for m in members
        ],
    )


def _log_entry(row: AccessAudit) -> AccessLogEntry:
    return AccessLogEntry(
        occurred_at=row.occurred_at,
        actor_name=row.actor_name,
        actor_role=row.actor_role,
        actor_agency=row.actor_agency,
        resource=row.resource,
        resource_ref=row.resource_ref,
        action=row.action,
        purpose=row.purpose,
    )


@router.post(
    "/internal/v1/identity/match",
    response_model=IdentityMatchResult,
    responses={
        403: {"description": "Not the gateway", "content": {PROBLEM_JSON: {}}},
        429: {"description": "Rate-limited", "content": {PROBLEM_JSON: {}}},
    },
)
async def identity_match(
    body: IdentityMatchRequest,
    request: Request,
    caller: MatchClient,
    session: SessionDep,
    runtime: RuntimeDep,
    limits: Limits,
) -> IdentityMatchResult | Response:
    """Whether NIK + No. KK + name + birth date are one living person of the register (gateway only)."""
    result = await service.match_identity(
        session,
        pii=runtime.pii,
        limits=limits,
        claim=body,
        client_id=caller.client_id or caller.sub,
        account_sub=body.account_sub,
    )
    refusal = _refusal(request, result)
    if refusal is not None:
        return refusal
    return IdentityMatchResult(match=result.outcome is MatchOutcome.MATCH)


@router.post("/v1/persons/search", response_model=PersonList)
async def search_persons(
    body: PersonSearch, officer: Officer, session: SessionDep, runtime: RuntimeDep
) -> PersonList:
    """Find persons of your area by NIK, or a family card's members by No. KK (logged with purpose)."""
    persons = await service.search_persons(session, principal=officer, pii=runtime.pii, query=body)
    return PersonList(items=[_person_read(p) for p in persons])


@router.get("/v1/persons/{person_id}", response_model=PersonRead)
async def read_person(
    person_id: str, purpose: PurposeQuery, officer: Officer, session: SessionDep
) -> PersonRead:
    """A person's register record (your area only; the read is logged with its purpose)."""
    person = await service.read_person(
        session, principal=officer, person_id=person_id, purpose=purpose
    )
    return _person_read(person)


@router.get("/v1/families/{family_id}", response_model=FamilyRead)
async def read_family(
    family_id: str, purpose: PurposeQuery, officer: Officer, session: SessionDep
) -> FamilyRead:
    """A family card with its members and their relationship to the head (your area only; logged)."""
    family, members = await service.read_family(
        session, principal=officer, family_id=family_id, purpose=purpose
    )
    return _family_read(family, members)


@router.get(
    "/v1/me/register",
    response_model=MyRegisterRead,
    responses={
        404: {"description": "Not linked to a register record", "content": {PROBLEM_JSON: {}}}
    },
)
async def my_register(citizen: Citizen, session: SessionDep) -> MyRegisterRead:
    """Your own register record and family card (NIKs masked)."""
    person, family, members = await service.own_record(session, principal=citizen)
    return MyRegisterRead(
        person=_person_read(person),
        family=_family_read(family, members) if family else None,
    )


@router.post(
    "/v1/me/register/link",
    response_model=MyRegisterRead,
    responses={
        422: {"description": "No match (no field named)", "content": {PROBLEM_JSON: {}}},
        429: {"description": "Rate-limited", "content": {PROBLEM_JSON: {}}},
    },
)
async def link_my_register(
    body: IdentityClaim,
    request: Request,
    citizen: Citizen,
    session: SessionDep,
    runtime: RuntimeDep,
    limits: Limits,
) -> MyRegisterRead | Response:
    """Bind your login to your register record: NIK, No. KK, full name and birth date must match."""
    result = await service.link_account(
        session, pii=runtime.pii, limits=limits, claim=body, principal=citizen
    )
    refusal = _refusal(request, result)
    if refusal is not None:
        return refusal
    if result.outcome is not MatchOutcome.MATCH:
        # Returned, not raised: the request's transaction keeps the attempt's audit row.
        return problem_response(
            422,
            "The details do not match the population register",
            "identity-mismatch",
            MISMATCH,
            instance=request.url.path,
            errors=[{"field": "identity", "message": MISMATCH, "in": "body"}],
        )
    person, family, members = await service.own_record(session, principal=citizen)
    return MyRegisterRead(
        person=_person_read(person),
        family=_family_read(family, members) if family else None,
    )


@router.get("/v1/me/access-log", response_model=AccessLogPage)
async def my_access_log(
    citizen: Citizen,
    session: SessionDep,
    cursor: Annotated[
        str | None,
        Query(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$", description="next_cursor of the previous page"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> AccessLogPage:
    """Who read your data (officers of any agency service here), newest first (UU PDP)."""
    rows, next_cursor = await service.own_access_log(
        session, principal=citizen, before_id=cursor, limit=limit
    )
    return AccessLogPage(items=[_log_entry(r) for r in rows], next_cursor=next_cursor)
