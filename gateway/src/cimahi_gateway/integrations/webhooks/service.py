"""Integrators' webhook endpoints: subscribe, change, delete, rotate the secret, re-enable, and
read the delivery log.

Every function takes the calling integrator and only ever finds that integrator's endpoints:
another integrator's endpoint id is "not found" (404), never "forbidden", so ids leak nothing.

What an endpoint may subscribe to: each of its ``event_types`` patterns must *overlap* at least
one of the integrator's ``allowed_events`` patterns (some event key matches both - e.g.
``*.payment.received`` overlaps ``epbb.>``), otherwise it could never receive anything and is
refused (422 ``event_types[i]``). Overlap is only a sanity check: fan-out matches each event
against both the endpoint's patterns and the integrator's current ``allowed_events``, so an
endpoint never receives more than its integrator may see, even after the admin narrows them.
Each of ``agencies`` must be a configured agency (``GATEWAY_UPSTREAMS``) from which the
integrator may see something (422 ``agencies[i]``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.integrations import scopes
from cimahi_gateway.integrations.models import (
    Delivery,
    DeliveryAttempt,
    EventRecord,
    Integrator,
    WebhookEndpoint,
)
from cimahi_gateway.integrations.webhooks import delivery, secrets, ssrf
from cimahi_gateway.integrations.webhooks.fanout import ACTIVE, HELD, PENDING
from cimahi_gateway.integrations.webhooks.schemas import (
    DeliveryQuery,
    WebhookCreate,
    WebhookUpdate,
)
from cimahi_gateway.requests.service import decode_cursor, encode_cursor
from cimahi_shared.app import Runtime
from cimahi_shared.errors import Conflict, InvalidInput, NotFound

MAX_ENDPOINTS = 20


def overlaps(a: str, b: str) -> bool:
    """Whether some event key matches both patterns (``*`` one part, ``>`` one or more)."""
    left, right = a.split("."), b.split(".")
    for i in range(max(len(left), len(right))):
        x = left[i] if i < len(left) else None
        y = right[i] if i < len(right) else None
        if x == ">" or y == ">":
            return x is not None and y is not None
        if x is None or y is None:
            return False
        if x != y and "*" not in (x, y):
            return False
    return True


def gateway_settings(runtime: Runtime) -> GatewaySettings:
    """The gateway's settings (the webhooks API only runs in the gateway)."""
    settings = runtime.settings
    if not isinstance(settings, GatewaySettings):
        raise TypeError("the webhooks API needs GatewaySettings")
    return settings


def _field_error(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def _check_event_types(patterns: Sequence[str], allowed: Sequence[str]) -> list[dict[str, str]]:
    errors = []
    for i, pattern in enumerate(patterns):
        if not scopes.is_pattern(pattern):
            errors.append(
                _field_error(f"event_types[{i}]", "not a pattern like epbb.payment.* or lakami.>")
            )
        elif not any(overlaps(pattern, a) for a in allowed):
            errors.append(
                _field_error(f"event_types[{i}]", "matches none of the events you may receive")
            )
    return errors


def _check_agencies(
    agencies: Sequence[str], allowed: Sequence[str], configured: set[str]
) -> list[dict[str, str]]:
    errors = []
    for i, agency in enumerate(agencies):
        if agency not in configured:
            errors.append(_field_error(f"agencies[{i}]", "not an agency of the platform"))
        elif not any(overlaps(f"{agency}.>", a) for a in allowed):
            errors.append(_field_error(f"agencies[{i}]", "you may receive no event of this agency"))
    return errors


def validate_subscription(
    integrator: Integrator,
    settings: GatewaySettings,
    *,
    event_types: Sequence[str],
    agencies: Sequence[str] | None,
) -> None:
    """422 naming every pattern or agency the integrator cannot subscribe to."""
    allowed = list(integrator.allowed_events or ())
    errors = _check_event_types(event_types, allowed)
    if agencies is not None:
        errors += _check_agencies(agencies, allowed, set(settings.upstreams))
    if errors:
        fields = ", ".join(e["field"] for e in errors)
        raise InvalidInput(f"Invalid: {fields}", errors=errors)


async def check_target(runtime: Runtime, url: str) -> None:
    """The SSRF guard on a new or changed URL (422 naming ``url``)."""
    await ssrf.check_url(
        url,
        allow_private=gateway_settings(runtime).webhook_allow_private_targets,
        resolver=ssrf.resolver_of(runtime),
    )


def _unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))


async def create_endpoint(
    session: AsyncSession,
    runtime: Runtime,
    integrator: Integrator,
    data: WebhookCreate,
    *,
    now: datetime,
) -> tuple[WebhookEndpoint, str]:
    """A new active endpoint and its first signing secret (in clear, to show once)."""
    settings = gateway_settings(runtime)
    validate_subscription(
        integrator, settings, event_types=data.event_types, agencies=data.agencies
    )
    await check_target(runtime, data.url)
    count = await session.scalar(
        select(func.count())
        .select_from(WebhookEndpoint)
        .where(WebhookEndpoint.integrator_id == integrator.id)
    )
    if (count or 0) >= MAX_ENDPOINTS:
        raise Conflict(f"An integrator has at most {MAX_ENDPOINTS} webhook endpoints.")
    endpoint = WebhookEndpoint(
        id=str(ULID()),
        integrator_id=integrator.id,
        url=data.url,
        description=data.description,
        event_types=_unique(data.event_types),
        agencies=None if data.agencies is None else _unique(data.agencies),
        status=ACTIVE,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    await session.flush()
    secret = await secrets.create_secret(session, endpoint.id, now=now, pii=runtime.pii)
    return endpoint, secret


async def list_endpoints(session: AsyncSession, integrator: Integrator) -> list[WebhookEndpoint]:
    """The integrator's endpoints, oldest first."""
    query = (
        select(WebhookEndpoint)
        .where(WebhookEndpoint.integrator_id == integrator.id)
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    )
    return list((await session.scalars(query)).all())


async def get_endpoint(
    session: AsyncSession, integrator: Integrator, endpoint_id: str
) -> WebhookEndpoint:
    """One of the integrator's endpoints (404 for any other id, another integrator's too)."""
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.integrator_id != integrator.id:
        raise NotFound("No such webhook endpoint.")
    return endpoint


async def update_endpoint(
    session: AsyncSession,
    runtime: Runtime,
    endpoint: WebhookEndpoint,
    integrator: Integrator,
    data: WebhookUpdate,
    *,
    now: datetime,
) -> WebhookEndpoint:
    """Change the given fields (the same checks as on creation)."""
    given = data.model_fields_set
    for name in ("url", "event_types"):
        if name in given and getattr(data, name) is None:
            raise InvalidInput(f"Invalid: {name}", errors=[_field_error(name, "must not be null")])
    # Only what changes is checked: an admin may have narrowed the integrator since.
    validate_subscription(
        integrator,
        gateway_settings(runtime),
        event_types=data.event_types or [],
        agencies=data.agencies if "agencies" in given else None,
    )
    event_types = data.event_types if data.event_types is not None else endpoint.event_types
    agencies = data.agencies if "agencies" in given else endpoint.agencies
    if data.url is not None and data.url != endpoint.url:
        await check_target(runtime, data.url)
        endpoint.url = data.url
    endpoint.event_types = _unique(event_types)
    endpoint.agencies = None if agencies is None else _unique(agencies)
    if "description" in given:
        endpoint.description = data.description
    endpoint.updated_at = now
    await session.flush()
    return endpoint


async def delete_endpoint(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint with its secrets, deliveries (pending ones are dropped) and log."""
    deliveries = select(Delivery.id).where(Delivery.endpoint_id == endpoint.id)
    await session.execute(
        delete(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(deliveries))
    )
    await session.execute(delete(Delivery).where(Delivery.endpoint_id == endpoint.id))
    await secrets.delete_secrets(session, endpoint.id)
    await session.delete(endpoint)
    await session.flush()


async def rotate_secret(
    session: AsyncSession, runtime: Runtime, endpoint: WebhookEndpoint, *, now: datetime
) -> tuple[str, datetime]:
    """A new current secret; the previous one keeps signing for the overlap period."""
    endpoint.updated_at = now
    return await secrets.rotate_secret(
        session,
        endpoint.id,
        now=now,
        pii=runtime.pii,
        overlap_seconds=gateway_settings(runtime).webhook_secret_overlap_seconds,
    )


async def enable_endpoint(
    session: AsyncSession, endpoint: WebhookEndpoint, *, now: datetime
) -> WebhookEndpoint:
    """Re-activate an endpoint: its held deliveries become due now, its failure run forgotten."""
    endpoint.status = ACTIVE
    endpoint.disabled_reason = None
    endpoint.disabled_at = None
    endpoint.failing_since = None
    endpoint.updated_at = now
    await session.execute(
        update(Delivery)
        .where(Delivery.endpoint_id == endpoint.id, Delivery.status == HELD)
        .values(status=PENDING, next_attempt_at=now)
    )
    await session.flush()
    delivery.wake_after_commit(session)  # the released deliveries go out now, not at next poll
    return endpoint


async def get_delivery(
    session: AsyncSession, endpoint: WebhookEndpoint, delivery_id: str
) -> Delivery:
    """One delivery of the endpoint (404 for any other id)."""
    delivery = await session.get(Delivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFound("No such delivery of this endpoint.")
    return delivery


@dataclass(frozen=True, slots=True)
class DeliveryPageData:
    """A page of the delivery log, as plain data for the response model."""

    items: list[dict[str, Any]]
    next_cursor: str | None


async def list_deliveries(
    session: AsyncSession, endpoint: WebhookEndpoint, query: DeliveryQuery
) -> DeliveryPageData:
    """The endpoint's deliveries, newest first, each with its attempts (oldest first)."""
    after = decode_cursor(query.cursor) if query.cursor else None
    statement = (
        select(Delivery, EventRecord.event_id, EventRecord.type)
        .join(EventRecord, EventRecord.seq == Delivery.event_seq)
        .where(Delivery.endpoint_id == endpoint.id)
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
        .limit(query.limit + 1)
    )
    if query.status is not None:
        statement = statement.where(Delivery.status == query.status)
    if after is not None:
        at, last_id = after
        statement = statement.where(
            (Delivery.created_at < at) | ((Delivery.created_at == at) & (Delivery.id < last_id))
        )
    rows = list((await session.execute(statement)).all())
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    attempts = await _attempts_of(session, [row[0].id for row in rows])
    items = [
        _delivery_item(d, event_id, type_, attempts.get(d.id, [])) for d, event_id, type_ in rows
    ]
    last = rows[-1][0] if rows and more else None
    cursor = encode_cursor(last.created_at, last.id) if last is not None else None
    return DeliveryPageData(items=items, next_cursor=cursor)


async def _attempts_of(
    session: AsyncSession, delivery_ids: list[str]
) -> dict[str, list[DeliveryAttempt]]:
    """The attempts of some deliveries (one query), oldest first."""
    if not delivery_ids:
        return {}
    query = (
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id.in_(delivery_ids))
        .order_by(DeliveryAttempt.attempted_at, DeliveryAttempt.id)
    )
    found: dict[str, list[DeliveryAttempt]] = {}
    for attempt in (await session.scalars(query)).all():
        found.setdefault(attempt.delivery_id, []).append(attempt)
    return found


def _delivery_item(
    delivery: Delivery, event_id: str, event_type: str, attempts: list[DeliveryAttempt]
) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "event_id": event_id,
        "event_type": event_type,
        "status": delivery.status,
        "attempt_count": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_attempt_at": delivery.last_attempt_at,
        "last_status_code": delivery.last_status_code,
        "created_at": delivery.created_at,
        "attempts": attempts,
    }
