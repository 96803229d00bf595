"""HTTP surface of tax objects: a citizen's linked objects, officers' reads and lists."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from cimahi_epbb.access_log import DEFAULT_PURPOSE, PurposeHeader
from cimahi_epbb.auth import Citizen, Reader, is_officer
from cimahi_epbb.clock import ClockDep
from cimahi_epbb.config import EpbbSettings
from cimahi_epbb.models import TaxObject
from cimahi_epbb.objects import service
from cimahi_epbb.objects.schemas import (
    AccessLogEntry,
    AccessLogPage,
    Location,
    MyObject,
    MyObjectList,
    ObjectClaim,
    ObjectPage,
    ObjectRead,
    ObjectSummary,
    Taxpayer,
)
from cimahi_epbb.objects.service import ClaimLimit, ClaimOutcome, ObjectQuery
from cimahi_shared.app import RuntimeDep, SessionDep
from cimahi_shared.auth import CurrentPrincipal, Principal
from cimahi_shared.errors import Forbidden, problem_response
from cimahi_shared.identifiers import NOP, format_nop
from cimahi_shared.regions import find_kelurahan, kelurahan_name


async def no_store(response: Response) -> None:
    """Answers about taxpayers and their bills are never kept by caches (amounts change daily)."""
    response.headers["Cache-Control"] = "private, no-store"


router = APIRouter(tags=["tax objects"], dependencies=[Depends(no_store)])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
REFUSED = (
    "NOP dan NIK wajib pajak tidak cocok, atau objek sudah terhubung ke akun lain. / The NOP and "
    "the taxpayer's NIK do not match a tax object you can link."
)
TOO_MANY = (
    "Terlalu banyak percobaan; coba lagi nanti. / Too many failed attempts to link a tax object; "
    "try again later."
)

NopPath = Annotated[NOP, Path(description="18 digits or 32.77.010.001.001-0001.0")]


async def staff(principal: CurrentPrincipal) -> Principal:
    """A Bapenda officer or an admin (officers' lists; other agencies' officers are strangers)."""
    if principal.is_admin or is_officer(principal):
        return principal
    raise Forbidden("Only Bapenda officers and administrators can do this.")


Staff = Annotated[Principal, Depends(staff)]


def epbb_settings(runtime: RuntimeDep) -> EpbbSettings:
    """E-PBB's settings of the running service."""
    settings = runtime.settings
    assert isinstance(settings, EpbbSettings)
    return settings


def _claim_limit(runtime: RuntimeDep) -> ClaimLimit:
    settings = epbb_settings(runtime)
    return ClaimLimit(settings.claim_max_attempts, settings.claim_window_seconds)


def object_read(obj: TaxObject) -> ObjectRead:
    """The API view of an object (NIK masked)."""
    kelurahan = find_kelurahan(obj.kelurahan_code)
    return ObjectRead(
        nop=obj.nop,
        nop_display=format_nop(obj.nop),
        location=Location(
            kecamatan_code=obj.kecamatan_code,
            kecamatan_name=kelurahan.kecamatan_name if kelurahan else None,
            kelurahan_code=obj.kelurahan_code,
            kelurahan_name=kelurahan.name if kelurahan else None,
            block=obj.block,
            address=obj.address,
            rt=obj.rt,
            rw=obj.rw,
        ),
        land_area=obj.land_area,
        building_area=obj.building_area,
        land_class=obj.land_class,
        building_class=obj.building_class,
        taxpayer=Taxpayer(
            name=obj.taxpayer_name,
            nik_masked=obj.taxpayer_nik_masked,
            address=obj.taxpayer_address,
        ),
        status=obj.status,
        version=obj.version,
        updated_at=obj.updated_at,
    )


def _summary(obj: TaxObject) -> ObjectSummary:
    return ObjectSummary(
        nop=obj.nop,
        nop_display=format_nop(obj.nop),
        kelurahan_code=obj.kelurahan_code,
        kelurahan_name=kelurahan_name(obj.kelurahan_code),
        address=obj.address,
        taxpayer_name=obj.taxpayer_name,
        status=obj.status,
    )


@router.post(
    "/v1/me/objects",
    response_model=ObjectRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": ObjectRead, "description": "Already linked to your account"},
        422: {**_PROBLEM, "description": "No match (field 'identity'), or a malformed NOP/NIK"},
        429: {**_PROBLEM, "description": "Too many failed attempts"},
    },
)
async def link_object(
    body: ObjectClaim,
    request: Request,
    response: Response,
    citizen: Citizen,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
) -> ObjectRead | Response:
    """Link a tax object to your account with its NOP and the taxpayer's NIK (as on the SPPT)."""
    result = await service.claim_object(
        session,
        principal=citizen,
        pii=runtime.pii,
        nop=body.nop,
        nik=body.nik,
        limit=_claim_limit(runtime),
        now=clock.now,
    )
    # Refusals are returned, not raised: the request's transaction keeps the attempt's row.
    if result.outcome is ClaimOutcome.RATE_LIMITED:
        return problem_response(
            429,
            "Too many requests",
            "rate-limited",
            TOO_MANY,
            instance=request.url.path,
            headers={"Retry-After": str(result.retry_after)},
            extra={"retry_after": result.retry_after},
        )
    if result.obj is None:
        return problem_response(
            422,
            "The NOP and NIK do not match",
            "identity-mismatch",
            REFUSED,
            instance=request.url.path,
            errors=[{"field": "identity", "message": REFUSED, "in": "body"}],
        )
    if result.outcome is ClaimOutcome.ALREADY_LINKED:
        response.status_code = status.HTTP_200_OK
    return object_read(result.obj)


@router.get("/v1/me/objects", response_model=MyObjectList)
async def my_objects(citizen: Citizen, session: SessionDep, clock: ClockDep) -> MyObjectList:
    """Your linked tax objects, each with its unpaid years and what they cost today."""
    own = await service.own_objects(session, principal=citizen, on=clock.today)
    items = [
        MyObject(
            nop=o.obj.nop,
            nop_display=format_nop(o.obj.nop),
            kelurahan_code=o.obj.kelurahan_code,
            kelurahan_name=kelurahan_name(o.obj.kelurahan_code),
            address=o.obj.address,
            taxpayer_name=o.obj.taxpayer_name,
            linked_at=o.linked_at,
            unpaid_years=o.unpaid_years,
            total_due=o.inquiry.total_due,
        )
        for o in own
    ]
    return MyObjectList(on=clock.today, items=items, total_due=sum(i.total_due for i in items))


@router.delete(
    "/v1/me/objects/{nop}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {**_PROBLEM, "description": "Not linked to your account"}},
)
async def unlink_object(nop: NopPath, citizen: Citizen, session: SessionDep) -> Response:
    """Remove a tax object from your account."""
    await service.unlink_object(session, principal=citizen, nop=nop)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/v1/objects/{nop}",
    response_model=ObjectRead,
    responses={404: {**_PROBLEM, "description": "Unknown, or not yours to see"}},
)
async def read_object(
    nop: NopPath,
    reader: Reader,
    session: SessionDep,
    clock: ClockDep,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> ObjectRead:
    """A tax object: location, land and building, classes, taxpayer (NIK masked); officers' reads logged."""
    obj = await service.read_object(
        session, principal=reader, nop=nop, purpose=purpose, now=clock.now
    )
    return object_read(obj)


@router.get("/v1/objects", response_model=ObjectPage)
async def list_objects(
    principal: Staff,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
    kelurahan_code: Annotated[
        str | None, Query(pattern=r"^32\.77\.\d{2}\.\d{4}$", description="e.g. 32.77.01.1001")
    ] = None,
    q: Annotated[
        str | None,
        Query(min_length=2, max_length=100, description="Taxpayer name prefix, or NOP prefix"),
    ] = None,
    cursor: Annotated[
        str | None, Query(pattern=r"^\d{18}$", description="next_cursor of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> ObjectPage:
    """Tax objects of your area by NOP (officers and admins; every object shown is logged)."""
    objects, next_cursor = await service.list_objects(
        session,
        principal=principal,
        query=ObjectQuery(kelurahan_code=kelurahan_code, q=q, cursor=cursor, limit=limit),
        settings=epbb_settings(runtime),
        purpose=purpose,
        now=clock.now,
    )
    return ObjectPage(items=[_summary(o) for o in objects], next_cursor=next_cursor)


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
    """Who read your tax objects' data (Bapenda officers, admins), newest first (UU PDP)."""
    rows, next_cursor = await service.own_access_log(
        session, principal=citizen, before_id=cursor, limit=limit
    )
    items = [
        AccessLogEntry(
            occurred_at=r.occurred_at,
            actor_name=r.actor_name,
            actor_role=r.actor_role,
            nop=r.nop,
            resource=r.resource,
            action=r.action,
            purpose=r.purpose,
        )
        for r in rows
    ]
    return AccessLogPage(items=items, next_cursor=next_cursor)
