"""HTTP surface of issued documents: the holder's and officers' reads, the PDF, the public check."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from cimahi_dilandacinta.auth import Reader
from cimahi_dilandacinta.config import DilandacintaSettings
from cimahi_dilandacinta.documents import service, verification
from cimahi_dilandacinta.documents.schemas import (
    DocumentPage,
    DocumentRead,
    DocumentVerificationRead,
)
from cimahi_shared.app import Runtime, RuntimeDep, SessionDep
from cimahi_shared.documents.page import HTML_HEADERS, wants_html
from cimahi_shared.errors import PROBLEM_JSON

router = APIRouter(tags=["documents"])

NO_STORE = {"Cache-Control": "no-store", "Vary": "Accept"}
_PROBLEM: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}


def _base_url(runtime: Runtime) -> str:
    settings = runtime.settings
    if isinstance(settings, DilandacintaSettings):
        return settings.public_base_url
    default: str = DilandacintaSettings.model_fields["public_base_url"].default
    return default


@router.get("/v1/documents", response_model=DocumentPage, responses={422: _PROBLEM})
async def list_documents(
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> DocumentPage:
    """Issued documents, newest first: a citizen's own; an officer's: those of their area."""
    return await service.list_documents(
        session, principal=principal, cursor=cursor, limit=limit, base_url=_base_url(runtime)
    )


@router.get("/v1/documents/{document_id}", response_model=DocumentRead, responses={404: _PROBLEM})
async def read_document(
    document_id: str, principal: Reader, session: SessionDep, runtime: RuntimeDep
) -> DocumentRead:
    """One issued document (masked), for its holder and the officers of its area."""
    return await service.read_document(
        session, principal=principal, document_id=document_id, base_url=_base_url(runtime)
    )


@router.get(
    "/v1/documents/{document_id}/pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The document (A4, QR code)"},
        404: _PROBLEM,
    },
)
async def download_document(
    document_id: str, principal: Reader, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The issued document as PDF (A4, printable on plain paper, with the QR code of its check).

    For its holder and the officers of its area (officers' downloads are logged).
    """
    pdf, filename = await service.document_pdf(
        session,
        principal=principal,
        document_id=document_id,
        pii=runtime.pii,
        base_url=_base_url(runtime),
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


@router.get(
    "/v1/public/documents/{code}",
    tags=["document verification"],
    response_model=DocumentVerificationRead,
    responses={
        200: {"content": {"text/html": {}}, "description": "The document is known"},
        404: {**_PROBLEM, "description": "No document has this code: not genuine"},
    },
)
async def verify_document(code: str, request: Request, session: SessionDep) -> Response:
    """Public, no login: is the document with this verification code genuine and still valid?

    ``code`` as printed (``XXXX-XXXX-XXXX``) or as typed: case, spaces, dashes and I/L/O are
    forgiven. ``status`` is ``active``, ``superseded`` or ``revoked`` (masked facts only); an
    unknown or malformed code is a 404 problem: "tidak terdaftar / not genuine". Send
    ``Accept: text/html`` for a page in Bahasa Indonesia.
    """
    html = wants_html(request.headers.get("accept"))
    try:
        facts = await verification.verify_code(session, typed=code)
    except verification.NotGenuine as exc:
        if html:
            page = verification.not_genuine_page()
            return HTMLResponse(page, 404, headers={**NO_STORE, **HTML_HEADERS})
        exc.headers.update(NO_STORE)
        raise
    if html:
        page = verification.document_page(facts)
        return HTMLResponse(page, headers={**NO_STORE, **HTML_HEADERS})
    return Response(facts.model_dump_json(), media_type="application/json", headers=NO_STORE)
