"""The gateway application: POLAKAMI identity, unified request status, and the agency proxy."""

from __future__ import annotations

from starlette.types import ASGIApp

from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.identity import demo_proofing
from cimahi_gateway.identity import service as identity
from cimahi_gateway.identity.router import router as identity_router
from cimahi_gateway.integrations import eventlog
from cimahi_gateway.integrations.asyncapi import router as asyncapi_router
from cimahi_gateway.integrations.integrators.router import router as integrators_router
from cimahi_gateway.integrations.stream import router as stream_router
from cimahi_gateway.integrations.webhooks import delivery
from cimahi_gateway.integrations.webhooks.router import router as webhooks_router
from cimahi_gateway.requests import projection
from cimahi_gateway.requests.router import router as requests_router
from cimahi_gateway.routing.proxy import ProxyDispatcher
from cimahi_shared.app import build_runtime, create_service_app
from cimahi_shared.problem_docs import document_problems


def create_app(settings: GatewaySettings | None = None) -> ASGIApp:
    """Build the gateway: FastAPI for its own API, a plain ASGI proxy in front for ``/api/<agency>/``."""
    settings = settings or GatewaySettings()
    runtime = build_runtime(settings, agency=None)
    api = create_service_app(
        settings,
        title="Kota Cimahi - API gateway (POLAKAMI)",
        description=(
            "One front door for the city's public services: identity, routing, request status, "
            "events for integrators."
        ),
        agency=None,
        routers=[
            identity_router,
            requests_router,
            integrators_router,
            webhooks_router,
            stream_router,
            asyncapi_router,
        ],
        runtime=runtime,
        on_start=[
            identity.on_start,
            demo_proofing.on_start,
            projection.on_start,
            eventlog.on_start,
            delivery.on_start,
        ],
        on_stop=[delivery.on_stop, eventlog.on_stop, projection.on_stop, identity.on_stop],
    )
    return ProxyDispatcher(document_problems(api), settings=settings, runtime=runtime)
