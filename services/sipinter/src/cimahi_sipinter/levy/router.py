"""HTTP surface of levy payments: the payment channels' signed confirmations.

No bearer token: a channel proves itself by signing the message with its secret (Standard
Webhooks headers); the protocol is ``levy.service``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from cimahi_shared.app import RuntimeDep, SessionDep
from cimahi_shared.errors import PROBLEM_JSON
from cimahi_sipinter.clock import ClockDep
from cimahi_sipinter.config import settings_of
from cimahi_sipinter.levy import service
from cimahi_sipinter.levy.schemas import LevyPaymentConfirmation, LevyPaymentRead

router = APIRouter(tags=["levy"])

_PROBLEM: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}
ChannelPath = Annotated[str, Path(min_length=1, max_length=32, description="e.g. bank-bjb")]


@router.post(
    "/v1/levy/channels/{channel}/payments",
    response_model=LevyPaymentRead,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": LevyPaymentConfirmation.model_json_schema()}
            },
        },
        "parameters": [
            {"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
            for h in ("webhook-id", "webhook-timestamp", "webhook-signature")
        ],
    },
    responses={
        401: {**_PROBLEM, "description": "Not signed, wrong signature or timestamp"},
        404: {**_PROBLEM, "description": "No levy has this code"},
        409: {**_PROBLEM, "description": "Not payable now, or the reference confirmed another"},
        422: _PROBLEM,
    },
)
async def confirm_levy_payment(
    channel: ChannelPath,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
) -> LevyPaymentRead:
    """A channel's signed confirmation that a levy was paid; moves the file to the signature.

    The same ``channel_reference`` with the same body again: the same answer (nothing new is
    recorded); with another body: 409.
    """
    settings = settings_of(runtime)
    body = await request.body()
    message = service.verify_callback(
        channel, headers=request.headers, body=body, clock=clock, settings=settings
    )
    return await service.confirm_payment(
        session,
        channel=channel,
        message=message,
        data=service.parse_confirmation(body),
        clock=clock,
        settings=settings,
    )
