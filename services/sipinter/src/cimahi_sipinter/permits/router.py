"""HTTP surface of permits: owners' and officers' reads, the PDF, the head's revocation, and the
public check by verification code (no login, rate-limited per client address)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from cimahi_shared.app import Runtime, RuntimeDep, SessionDep
from cimahi_shared.auth import Principal
from cimahi_shared.documents.page import HTML_HEADERS, wants_html
from cimahi_shared.errors import PROBLEM_JSON
from cimahi_shared.ratelimit import client_address, process_counter, refuse_if_limited
from cimahi_sipinter.access_log import DEFAULT_PURPOSE, PurposeHeader
from cimahi_sipinter.auth import Officer, Reader
from cimahi_sipinter.clock import ClockDep
from cimahi_sipinter.config import SettingsDep, SipinterSettings
from cimahi_sipinter.permits import service, verification
from cimahi_sipinter.permits.schemas import (
    PermitPage,
    PermitRead,
    PermitRevoke,
    PermitVerificationRead,
)

router = APIRouter(tags=["permits"])

_PROBLEM: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}
PRIVATE = {"Cache-Control": "private, no-store"}
PUBLIC_NO_STORE = {"Cache-Control": "no-store", "Vary": "Accept"}
PUBLIC_LIMIT_EXTRA = "sipinter.public_verification_limit"
TOO_MANY = "Terlalu banyak permintaan; coba lagi nanti. / Too many checks; try again later."


async def no_store(response: Response) -> None:
    """Answers about a business's permits are never kept by shared caches."""
    response.headers.update(PRIVATE)


def _reader(principal: Principal, purpose: str, clock: ClockDep) -> service.Reader:
    return service.Reader(principal=principal, purpose=purpose, now=clock.now)


@router.get("/v1/permits", response_model=PermitPage, dependencies=[Depends(no_store)])
async def list_permits(
    principal: Reader,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> PermitPage:
    """Permits, newest first: your businesses'; DPMPTSP officers: their area's (logged); admins: all."""
    views, next_offset = await service.list_permits(
        session, reader=_reader(principal, purpose, clock), limit=limit, offset=offset
    )
    base_url = settings.public_base_url
    return PermitPage(
        items=[service.permit_read(v, today=clock.today, base_url=base_url) for v in views],
        next_offset=next_offset,
    )


@router.get(
    "/v1/permits/{permit_id}",
    response_model=PermitRead,
    dependencies=[Depends(no_store)],
    responses={404: {**_PROBLEM, "description": "Unknown, or not yours to see"}},
)
async def read_permit(
    permit_id: str,
    principal: Reader,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> PermitRead:
    """One permit of your business, or (DPMPTSP officers) of your area (logged)."""
    view = await service.get_permit(
        session, reader=_reader(principal, purpose, clock), permit_id=permit_id
    )
    return service.permit_read(view, today=clock.today, base_url=settings.public_base_url)


@router.get(
    "/v1/permits/{permit_id}/pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The permit (A4, QR code)"},
        404: {**_PROBLEM, "description": "Unknown, or not yours to see"},
    },
)
async def download_permit(
    permit_id: str,
    principal: Reader,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> Response:
    """The permit as PDF (A4, printable on plain paper, with the QR code of its public check).

    For the business's owners and DPMPTSP officers of its area (officers' downloads are logged).
    """
    pdf, filename = await service.permit_pdf(
        session, reader=_reader(principal, purpose, clock), permit_id=permit_id, settings=settings
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
            **PRIVATE,
        },
    )


@router.post(
    "/v1/permits/{permit_id}/revoke",
    response_model=PermitRead,
    dependencies=[Depends(no_store)],
    responses={
        403: {**_PROBLEM, "description": "Not the head of DPMPTSP"},
        404: {**_PROBLEM, "description": "Unknown, or outside your area"},
        409: {**_PROBLEM, "description": "Already revoked"},
    },
)
async def revoke_permit(
    permit_id: str,
    body: PermitRevoke,
    officer: Officer,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> PermitRead:
    """Revoke a permit of your area with its reason (head of DPMPTSP only).

    The public check answers ``revoked`` from then on; ``sipinter.permit.revoked`` is published.
    """
    view = await service.revoke(
        session,
        principal=officer,
        permit_id=permit_id,
        reason=body.reason,
        now=clock.now,
        base_url=settings.public_base_url,
    )
    return service.permit_read(view, today=clock.today, base_url=settings.public_base_url)


def _refuse_floods(request: Request, runtime: Runtime, settings: SipinterSettings) -> None:
    counter = process_counter(
        runtime.extras, PUBLIC_LIMIT_EXTRA, limit=settings.public_verification_per_minute
    )
    address = client_address(request)
    refuse_if_limited([(counter, address)], TOO_MANY)
    counter.add(address)


@router.get(
    "/v1/public/permits/{code}",
    tags=["permit verification"],
    response_model=PermitVerificationRead,
    responses={
        200: {"content": {"text/html": {}}, "description": "The permit is known"},
        404: {**_PROBLEM, "description": 'No permit has this code: result "unknown"'},
        429: {**_PROBLEM, "description": "Too many checks from your address"},
    },
)
async def verify_permit(
    code: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> Response:
    """Public, no login: is the permit with this verification code genuine and in force?

    ``code`` as printed (``XXXX-XXXX-XXXX``) or as typed: case, spaces, dashes and I/L/O are
    forgiven. ``status`` is ``valid``, ``expired`` (past its last day, in Cimahi's time) or
    ``revoked``, with public facts only (no owner, NIK or address). An unknown or malformed
    code is a 404 problem whose ``result`` is ``unknown``. Send ``Accept: text/html`` for a
    page in Bahasa Indonesia. At most ``SIPINTER_PUBLIC_VERIFICATION_PER_MINUTE`` checks per
    minute from one address (429 with Retry-After beyond).
    """
    _refuse_floods(request, runtime, settings)
    html = wants_html(request.headers.get("accept"))
    try:
        facts = await verification.verify_code(session, typed=code, today=clock.today)
    except verification.PermitUnknown as exc:
        if html:
            page = verification.unknown_page()
            return HTMLResponse(page, 404, headers={**PUBLIC_NO_STORE, **HTML_HEADERS})
        exc.headers.update(PUBLIC_NO_STORE)
        raise
    if html:
        page = verification.permit_page(facts)
        return HTMLResponse(page, headers={**PUBLIC_NO_STORE, **HTML_HEADERS})
    return Response(facts.model_dump_json(), media_type="application/json", headers=PUBLIC_NO_STORE)
