"""Issued letters: the public check of a verification code, revocation, and the letter as PDF."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from cimahi_lakami.auth import Reader
from cimahi_lakami.config import LakamiSettings
from cimahi_lakami.letters.deadlines import ClockDep
from cimahi_lakami.verification import service
from cimahi_lakami.verification.page import HTML_HEADERS, letter_page, unknown_page
from cimahi_lakami.verification.schemas import (
    LetterRevocationCreate,
    LetterRevocationRead,
    LetterVerificationRead,
)
from cimahi_shared.app import RuntimeDep, SessionDep
from cimahi_shared.auth import CurrentPrincipal
from cimahi_shared.documents.page import wants_html
from cimahi_shared.errors import PROBLEM_JSON

public_router = APIRouter(prefix="/v1/public/letters", tags=["letter verification"])
router = APIRouter(prefix="/v1/letter-requests", tags=["letter requests"])

NO_STORE = {"Cache-Control": "no-store", "Vary": "Accept"}
_PROBLEM: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}


@public_router.get(
    "/{code}",
    response_model=LetterVerificationRead,
    responses={
        200: {"content": {"text/html": {}}, "description": "The letter is known"},
        404: {**_PROBLEM, "description": "No letter has this code (result: unknown)"},
    },
)
async def verify_letter(code: str, request: Request, session: SessionDep) -> Response:
    """Public, no login: is this verification code on a genuine, valid letter? (masked facts only)

    ``code`` as printed (``XXXX-XXXX-XXXX``) or as typed: case, spaces, dashes and I/L/O are
    forgiven. ``result`` is ``genuine`` or ``revoked``; an unknown or malformed code is a 404
    problem with ``result: unknown``. Send ``Accept: text/html`` for a page in Bahasa Indonesia.
    """
    html = wants_html(request.headers.get("accept"))
    try:
        facts = await service.verify_code(session, typed=code)
    except service.UnknownCode as exc:
        if html:
            return HTMLResponse(unknown_page(), 404, headers={**NO_STORE, **HTML_HEADERS})
        exc.headers.update(NO_STORE)
        raise
    if html:
        return HTMLResponse(letter_page(facts), headers={**NO_STORE, **HTML_HEADERS})
    return Response(facts.model_dump_json(), media_type="application/json", headers=NO_STORE)


@router.post(
    "/{tracking_no}/revoke",
    response_model=LetterRevocationRead,
    responses={
        403: _PROBLEM,
        404: _PROBLEM,
        409: {**_PROBLEM, "description": "Not an issued letter, or already revoked"},
    },
)
async def revoke_letter(
    tracking_no: str,
    data: LetterRevocationCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
) -> LetterRevocationRead:
    """Officer of the signing level and area, or admin: revoke an issued letter (with a reason).

    The public check answers ``revoked`` from then on. The reason stays internal (the request's
    history); it is never shown publicly nor put in events.
    """
    return await service.revoke_letter(
        session, principal=principal, tracking_no=tracking_no, reason=data.reason, now=clock.now
    )


@router.get(
    "/{tracking_no}/letter.pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The letter (A4, with QR code)"},
        404: _PROBLEM,
        409: {**_PROBLEM, "description": "The request is not finally approved"},
        410: {**_PROBLEM, "description": "The letter was revoked"},
    },
)
async def download_letter(
    tracking_no: str, principal: Reader, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The issued letter as PDF (A4, Bahasa Indonesia, with the QR code of its public check).

    For the citizen who asked for it and the officers and admins who may see the request
    (officers' and admins' downloads are logged).
    """
    settings = runtime.settings
    base_url = (
        settings.public_base_url
        if isinstance(settings, LakamiSettings)
        else LakamiSettings.model_fields["public_base_url"].default
    )
    pdf, filename = await service.letter_pdf(
        session,
        principal=principal,
        pii=runtime.pii,
        tracking_no=tracking_no,
        base_url=base_url,
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
