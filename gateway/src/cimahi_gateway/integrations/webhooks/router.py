"""Webhooks API for integrators (Standard Webhooks): endpoints, secrets, ping, delivery log.

Only an integrator's machine client calls it (``IntegratorDep``: 403 for anyone else, admins
included - an admin is not an integrator); each integrator sees only its own endpoints (404).
The answers that carry a signing secret (create, rotate) refuse an ``Idempotency-Key``: a stored
replay would keep the secret in clear text.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from cimahi_gateway.integrations.access import IntegratorDep
from cimahi_gateway.integrations.models import ULID_LEN, WebhookEndpoint
from cimahi_gateway.integrations.webhooks import delivery, service
from cimahi_gateway.integrations.webhooks.fanout import ACTIVE
from cimahi_gateway.integrations.webhooks.schemas import (
    DeliveryPage,
    DeliveryQuery,
    DeliveryRead,
    PingRead,
    SecretRotated,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookRead,
    WebhookUpdate,
)
from cimahi_gateway.problems import NOT_FOUND, problem
from cimahi_shared.app import RuntimeDep, SessionDep
from cimahi_shared.db import utcnow
from cimahi_shared.errors import InvalidTransition
from cimahi_shared.idempotency import refuse_idempotency_key

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

EndpointId = Annotated[str, Path(min_length=1, max_length=ULID_LEN)]
DeliveryId = Annotated[str, Path(min_length=1, max_length=40)]
NO_IDEMPOTENCY_KEY = [Depends(refuse_idempotency_key)]
FOUND: dict[int | str, dict[str, Any]] = {404: NOT_FOUND}


async def _endpoint(
    endpoint_id: EndpointId, integrator: IntegratorDep, session: SessionDep
) -> WebhookEndpoint:
    """The caller's endpoint named in the path (404 otherwise)."""
    return await service.get_endpoint(session, integrator, endpoint_id)


EndpointDep = Annotated[WebhookEndpoint, Depends(_endpoint)]


@router.post(
    "",
    response_model=WebhookCreated,
    status_code=201,
    dependencies=NO_IDEMPOTENCY_KEY,
    responses={409: problem("The integrator has the most endpoints it may have")},
)
async def create_webhook(
    data: WebhookCreate, integrator: IntegratorDep, session: SessionDep, runtime: RuntimeDep
) -> WebhookCreated:
    """Subscribe a URL to event types; the answer holds the signing secret, shown this once."""
    endpoint, secret = await service.create_endpoint(
        session, runtime, integrator, data, now=utcnow()
    )
    read = WebhookRead.model_validate(endpoint)
    return WebhookCreated(**read.model_dump(), secret=secret)


@router.get("", response_model=WebhookList)
async def list_webhooks(integrator: IntegratorDep, session: SessionDep) -> WebhookList:
    """Your webhook endpoints, oldest first."""
    endpoints = await service.list_endpoints(session, integrator)
    return WebhookList(items=[WebhookRead.model_validate(e) for e in endpoints])


@router.get("/{endpoint_id}", response_model=WebhookRead, responses=FOUND)
async def get_webhook(endpoint: EndpointDep) -> WebhookRead:
    """One of your endpoints (its secret is never shown again)."""
    return WebhookRead.model_validate(endpoint)


@router.patch("/{endpoint_id}", response_model=WebhookRead, responses=FOUND)
async def update_webhook(
    data: WebhookUpdate,
    endpoint: EndpointDep,
    integrator: IntegratorDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> WebhookRead:
    """Change the URL, event types, agencies or description."""
    updated = await service.update_endpoint(
        session, runtime, endpoint, integrator, data, now=utcnow()
    )
    return WebhookRead.model_validate(updated)


@router.delete("/{endpoint_id}", status_code=204, response_class=Response, responses=FOUND)
async def delete_webhook(endpoint: EndpointDep, session: SessionDep) -> Response:
    """Delete the endpoint: nothing more is sent to it; its pending deliveries are dropped."""
    await service.delete_endpoint(session, endpoint)
    return Response(status_code=204)


@router.post(
    "/{endpoint_id}/rotate-secret",
    response_model=SecretRotated,
    dependencies=NO_IDEMPOTENCY_KEY,
    responses=FOUND,
)
async def rotate_secret(
    endpoint: EndpointDep, session: SessionDep, runtime: RuntimeDep
) -> SecretRotated:
    """A new signing secret (shown once); the previous one also signs until it expires."""
    secret, previous_expires_at = await service.rotate_secret(
        session, runtime, endpoint, now=utcnow()
    )
    return SecretRotated(secret=secret, previous_expires_at=previous_expires_at)


@router.post("/{endpoint_id}/enable", response_model=WebhookRead, responses=FOUND)
async def enable_webhook(endpoint: EndpointDep, session: SessionDep) -> WebhookRead:
    """Re-enable a disabled endpoint: what was held while it was disabled is sent now."""
    enabled = await service.enable_endpoint(session, endpoint, now=utcnow())
    return WebhookRead.model_validate(enabled)


@router.post("/{endpoint_id}/ping", response_model=PingRead, responses=FOUND)
async def ping_webhook(endpoint: EndpointDep, runtime: RuntimeDep) -> PingRead:
    """Send a signed test event now and report your receiver's answer."""
    result = await delivery.send_ping(runtime, endpoint)
    return PingRead.model_validate(result, from_attributes=True)


@router.get("/{endpoint_id}/deliveries", response_model=DeliveryPage, responses=FOUND)
async def list_deliveries(
    endpoint: EndpointDep, session: SessionDep, query: Annotated[DeliveryQuery, Query()]
) -> DeliveryPage:
    """The delivery log, newest first, each delivery with its attempts."""
    page = await service.list_deliveries(session, endpoint, query)
    items = [DeliveryRead.model_validate(item) for item in page.items]
    return DeliveryPage(items=items, next_cursor=page.next_cursor)


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    responses={404: NOT_FOUND, 409: problem("The endpoint is disabled: enable it first")},
)
async def redeliver(
    delivery_id: DeliveryId, endpoint: EndpointDep, session: SessionDep
) -> dict[str, str]:
    """Send a delivery again now (same ``webhook-id``), even one that failed for good."""
    found = await service.get_delivery(session, endpoint, delivery_id)
    if endpoint.status != ACTIVE:
        raise InvalidTransition("The endpoint is disabled: enable it first.")
    await delivery.redeliver(session, found, now=utcnow())
    return {"id": found.id, "status": "pending"}
