"""HTTP surface of payments: admin channels, channel inquiry / codes / signed callback, the
citizen's payment codes, receipts and their public check (the protocol: ``payments.service``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import TypeAdapter, ValidationError

from cimahi_epbb.access_log import DEFAULT_PURPOSE, PurposeHeader
from cimahi_epbb.auth import Admin, ChannelClient, Citizen, Reader
from cimahi_epbb.clock import ClockDep
from cimahi_epbb.config import EpbbSettings
from cimahi_epbb.payments import receipts, service
from cimahi_epbb.payments.schemas import (
    ChannelCreate,
    ChannelInquiryRead,
    ChannelList,
    ChannelRead,
    ChannelSecretRead,
    MyPaymentCodeCreate,
    PaymentCodeCreate,
    PaymentCodeRead,
    PaymentConfirmation,
    PaymentRead,
    ReceiptPage,
    ReceiptRead,
    ReceiptVerificationRead,
)
from cimahi_shared.app import Runtime, RuntimeDep, SessionDep
from cimahi_shared.documents.page import HTML_HEADERS, wants_html
from cimahi_shared.errors import PROBLEM_JSON, InvalidInput
from cimahi_shared.idempotency import refuse_idempotency_key
from cimahi_shared.identifiers import NOP
from cimahi_shared.webhooks import signing

router = APIRouter()

NO_STORE = {"Cache-Control": "no-store", "Vary": "Accept"}
_PROBLEM: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}
_NOP = TypeAdapter(NOP)
NopPath = Annotated[str, Path(description="NOP, 18 digits or 32.77.010.001.001-0001.0")]


def settings_of(runtime: Runtime) -> EpbbSettings:
    """E-PBB's settings (the runtime's)."""
    settings = runtime.settings
    return settings if isinstance(settings, EpbbSettings) else EpbbSettings()


def parse_nop(value: str) -> str:
    """A NOP from a path (display form accepted), or a 422 naming ``nop``."""
    try:
        return _NOP.validate_python(value)
    except ValidationError as exc:
        message = exc.errors()[0]["msg"]
        raise InvalidInput(
            f"Invalid NOP: {message}", errors=[{"field": "nop", "message": message}]
        ) from None


def _confirmation(body: bytes) -> PaymentConfirmation:
    try:
        return PaymentConfirmation.model_validate_json(body)
    except ValidationError as exc:
        errors = [
            {
                "field": ".".join(str(p) for p in e["loc"]) or "body",
                "message": e["msg"],
            }
            for e in exc.errors()
        ]
        fields = ", ".join(sorted({e["field"] for e in errors}))
        raise InvalidInput(f"Invalid: {fields}", errors=errors) from None


# --- admin: channels ---


@router.post(
    "/v1/admin/channels",
    tags=["payment channels"],
    status_code=201,
    dependencies=[Depends(refuse_idempotency_key)],
    response_model=ChannelSecretRead,
    responses={409: _PROBLEM, 422: _PROBLEM},
)
async def create_channel(
    data: ChannelCreate, _admin: Admin, session: SessionDep, runtime: RuntimeDep, clock: ClockDep
) -> ChannelSecretRead:
    """Register a payment channel; its HMAC callback secret is in this answer only."""
    return await service.create_channel(session, data=data, pii=runtime.pii, now=clock.now)


@router.get("/v1/admin/channels", tags=["payment channels"], response_model=ChannelList)
async def list_channels(_admin: Admin, session: SessionDep) -> ChannelList:
    """Every payment channel (without secrets)."""
    return ChannelList(items=await service.list_channels(session))


@router.post(
    "/v1/admin/channels/{code}/secret",
    tags=["payment channels"],
    dependencies=[Depends(refuse_idempotency_key)],
    response_model=ChannelSecretRead,
    responses={404: _PROBLEM},
)
async def rotate_channel_secret(
    code: str, _admin: Admin, session: SessionDep, runtime: RuntimeDep
) -> ChannelSecretRead:
    """Give a channel a new HMAC secret (shown once; the old one stops working at once)."""
    return await service.rotate_secret(session, code=code, pii=runtime.pii)


@router.post(
    "/v1/admin/channels/{code}/deactivate",
    tags=["payment channels"],
    response_model=ChannelRead,
    responses={404: _PROBLEM},
)
async def deactivate_channel(code: str, _admin: Admin, session: SessionDep) -> ChannelRead:
    """Stop a channel: its inquiries, codes and callbacks are refused (403)."""
    return await service.set_active(session, code=code, active=False)


@router.post(
    "/v1/admin/channels/{code}/activate",
    tags=["payment channels"],
    response_model=ChannelRead,
    responses={404: _PROBLEM},
)
async def activate_channel(code: str, _admin: Admin, session: SessionDep) -> ChannelRead:
    """Let a deactivated channel work again."""
    return await service.set_active(session, code=code, active=True)


# --- channels ---


@router.get(
    "/v1/channel/bills/{nop}",
    tags=["channel payments"],
    response_model=ChannelInquiryRead,
    responses={403: _PROBLEM, 404: _PROBLEM, 422: _PROBLEM},
)
async def channel_inquiry(
    nop: NopPath, principal: ChannelClient, session: SessionDep, clock: ClockDep
) -> ChannelInquiryRead:
    """The object's unpaid bills with today's amounts (taxpayer name masked)."""
    await service.calling_channel(session, principal)
    return await service.channel_inquiry(session, nop=parse_nop(nop), on=clock.today)


@router.post(
    "/v1/channel/payment-codes",
    tags=["channel payments"],
    status_code=201,
    response_model=PaymentCodeRead,
    responses={403: _PROBLEM, 404: _PROBLEM, 422: _PROBLEM},
)
async def create_payment_code(
    data: PaymentCodeCreate,
    principal: ChannelClient,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
) -> PaymentCodeRead:
    """Freeze the exact amount of unpaid bills in a payment code valid until ``expires_at``."""
    channel = await service.calling_channel(session, principal)
    return await service.create_payment_code(
        session,
        channel=channel,
        nop=data.nop,
        tax_years=data.tax_years,
        now=clock.now,
        settings=settings_of(runtime),
    )


@router.get(
    "/v1/channel/payment-codes/{code}",
    tags=["channel payments"],
    response_model=PaymentCodeRead,
    responses={403: _PROBLEM, 404: _PROBLEM},
)
async def read_payment_code(
    code: str, principal: ChannelClient, session: SessionDep, clock: ClockDep
) -> PaymentCodeRead:
    """One of your payment codes: open, paid (with its NTPD) or expired."""
    channel = await service.calling_channel(session, principal)
    return await service.read_payment_code(session, channel=channel, number=code, now=clock.now)


@router.post(
    "/v1/channel/payments",
    tags=["channel payments"],
    status_code=201,
    response_model=PaymentRead,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": PaymentConfirmation.model_json_schema()}},
        },
        "parameters": [
            {"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
            for h in ("webhook-id", "webhook-timestamp", "webhook-signature")
        ],
    },
    responses={
        200: {"model": PaymentRead, "description": "Already confirmed: the same receipt"},
        401: _PROBLEM,
        403: _PROBLEM,
        404: _PROBLEM,
        409: _PROBLEM,
        422: _PROBLEM,
    },
)
async def confirm_payment(
    request: Request,
    response: Response,
    principal: ChannelClient,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
) -> PaymentRead:
    """The channel's signed confirmation of a payment code (Standard Webhooks HMAC headers).

    201 with the receipt (NTPD); the same reference, code and amount again: 200, same receipt.
    """
    settings = settings_of(runtime)
    channel = await service.calling_channel(session, principal)
    body = await request.body()
    message = signing.verify(
        [service.channel_secret(channel, runtime.pii)],
        headers=request.headers,
        body=body,
        now=clock.now,
        tolerance_seconds=settings.callback_tolerance_seconds,
    )
    payment, created = await service.confirm_payment(
        session,
        channel=channel,
        message=message,
        data=_confirmation(body),
        now=clock.now,
        settings=settings,
    )
    if not created:
        response.status_code = 200
    return payment


# --- citizens ---


@router.post(
    "/v1/me/payment-codes",
    tags=["channel payments"],
    status_code=201,
    response_model=PaymentCodeRead,
    responses={404: _PROBLEM, 422: _PROBLEM},
)
async def create_my_payment_code(
    data: MyPaymentCodeCreate,
    principal: Citizen,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
) -> PaymentCodeRead:
    """A payment code for one of your linked objects, to pay through a QRIS or VA channel."""
    return await service.create_my_payment_code(
        session,
        principal=principal,
        nop=data.nop,
        tax_years=data.tax_years,
        channel_code=data.channel,
        now=clock.now,
        settings=settings_of(runtime),
    )


# --- receipts ---


@router.get("/v1/me/receipts", tags=["receipts"], response_model=ReceiptPage)
async def my_receipts(
    principal: Citizen,
    session: SessionDep,
    runtime: RuntimeDep,
    cursor: Annotated[
        str | None, Query(pattern=r"^\d{17}$", description="next_cursor of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ReceiptPage:
    """Receipts of your linked objects, newest first."""
    return await receipts.my_receipts(
        session,
        principal=principal,
        cursor=cursor,
        limit=limit,
        base_url=settings_of(runtime).public_base_url,
    )


@router.get(
    "/v1/receipts/{ntpd}",
    tags=["receipts"],
    response_model=ReceiptRead,
    responses={404: _PROBLEM},
)
async def read_receipt(
    ntpd: str,
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> ReceiptRead:
    """A receipt: for the object's linked owner, officers of its area (logged) and admins."""
    return await receipts.read_receipt(
        session,
        principal=principal,
        ntpd=ntpd,
        purpose=purpose,
        now=clock.now,
        base_url=settings_of(runtime).public_base_url,
    )


@router.get(
    "/v1/receipts/{ntpd}/pdf",
    tags=["receipts"],
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The receipt (A4, QR code)"},
        404: _PROBLEM,
    },
)
async def download_receipt(
    ntpd: str,
    principal: Reader,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> Response:
    """The receipt as PDF (A4, printable on plain paper, with the QR code of its public check)."""
    settings = settings_of(runtime)
    pdf, filename = await receipts.receipt_pdf(
        session,
        principal=principal,
        ntpd=ntpd,
        purpose=purpose,
        now=clock.now,
        base_url=settings.public_base_url,
        signer_title=settings.receipt_signer_title,
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
    "/v1/public/receipts/{code}",
    tags=["receipt verification"],
    response_model=ReceiptVerificationRead,
    responses={
        200: {"content": {"text/html": {}}, "description": "The receipt is genuine"},
        404: {**_PROBLEM, "description": "No receipt has this code: not genuine"},
    },
)
async def verify_receipt(code: str, request: Request, session: SessionDep) -> Response:
    """Public, no login: is the receipt with this verification code genuine?

    ``code`` as printed (``XXXX-XXXX-XXXX``) or typed (case, spaces, dashes, I/L/O forgiven).
    Masked facts only; an unknown code is a 404 "tidak terdaftar / not genuine". Send
    ``Accept: text/html`` for a page in Bahasa Indonesia.
    """
    html = wants_html(request.headers.get("accept"))
    try:
        facts = await receipts.verify_code(session, typed=code)
    except receipts.NotGenuine as exc:
        if html:
            return HTMLResponse(
                receipts.not_genuine_page(), 404, headers={**NO_STORE, **HTML_HEADERS}
            )
        exc.headers.update(NO_STORE)
        raise
    if html:
        return HTMLResponse(receipts.receipt_page(facts), headers={**NO_STORE, **HTML_HEADERS})
    return Response(facts.model_dump_json(), media_type="application/json", headers=NO_STORE)
