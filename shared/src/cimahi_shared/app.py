"""The skeleton every deployable shares: lifespan-owned resources, middleware, errors, health."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cimahi_shared.auth import TokenVerifier, TrustedIssuer
from cimahi_shared.db import create_engine, create_session_factory
from cimahi_shared.errors import install_problem_handlers
from cimahi_shared.events.bus import EventBus, ensure_stream
from cimahi_shared.events.outbox import OutboxRelay
from cimahi_shared.health import ReadinessCheck, health_router
from cimahi_shared.idempotency import IdempotencyMiddleware
from cimahi_shared.logs import configure_logging
from cimahi_shared.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from cimahi_shared.pii import PiiCipher
from cimahi_shared.settings import ServiceSettings

Hook = Callable[["Runtime"], Awaitable[None]]


@dataclass
class Runtime:
    """What a running service holds: database, event bus, outbox relay, token verifier, PII cipher."""

    settings: ServiceSettings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    bus: EventBus
    relay: OutboxRelay
    verifier: TokenVerifier
    pii: PiiCipher
    http: httpx.AsyncClient
    extras: dict[str, Any] = field(default_factory=dict)

    async def check_database(self) -> None:
        """Readiness: the database answers."""
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))


def build_runtime(settings: ServiceSettings, *, agency: str | None) -> Runtime:
    """Create (not start) the resources of a service; nothing connects until the lifespan starts."""
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    factory = create_session_factory(engine)
    bus = EventBus(settings.nats_url, name=settings.service_name)

    async def streams() -> None:
        if agency is not None:
            await ensure_stream(bus.js, agency)

    relay = OutboxRelay(
        service=settings.service_name,
        session_factory=factory,
        bus=bus,
        ensure_streams=streams,
        poll_interval=settings.outbox_poll_seconds,
    )
    http = httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=2.0))
    verifier = TokenVerifier(
        [TrustedIssuer(settings.token_issuer, settings.jwks_url, settings.token_audience)],
        http=http,
    )
    return Runtime(
        settings=settings,
        engine=engine,
        session_factory=factory,
        bus=bus,
        relay=relay,
        verifier=verifier,
        pii=PiiCipher(settings.pii_key.get_secret_value()),
        http=http,
    )


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    agency: str | None,
    routers: Sequence[APIRouter],
    version: str = "1.0.0",
    runtime: Runtime | None = None,
    on_start: Sequence[Hook] = (),
    on_stop: Sequence[Hook] = (),
    root_path_prefix: str = "",
    body_limits: Mapping[tuple[str, str], int] | None = None,
) -> FastAPI:
    """A FastAPI app with the platform's plumbing; agency services and the gateway both use it.

    ``body_limits`` gives exact ``(method, path)`` routes (e.g. file uploads) their own request
    body limit instead of ``settings.max_body_bytes``.
    """
    configure_logging(settings.service_name, level=settings.log_level, json=settings.log_json)
    rt = runtime or build_runtime(settings, agency=agency)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.nats_enabled:
            await rt.bus.start()
            await rt.relay.start()
        for hook in on_start:
            await hook(rt)
        try:
            yield
        finally:
            for hook in on_stop:
                await hook(rt)
            if settings.nats_enabled:
                await rt.relay.stop()
                await rt.bus.stop()
            await rt.http.aclose()
            await rt.engine.dispose()

    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan)
    app.state.runtime = rt
    app.state.token_verifier = rt.verifier
    install_problem_handlers(app)
    checks: dict[str, ReadinessCheck] = {"database": rt.check_database}
    if settings.nats_enabled:
        checks["nats"] = rt.bus.check
    app.include_router(health_router(checks))
    for router in routers:
        app.include_router(router, prefix=root_path_prefix)
    app.add_middleware(
        IdempotencyMiddleware,
        session_factory=rt.session_factory,
        verifier=rt.verifier,
        ttl_seconds=settings.idempotency_ttl_seconds,
    )
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes, route_limits=body_limits
    )
    app.add_middleware(RequestContextMiddleware, service=settings.service_name)
    return app


def get_runtime(request: Request) -> Runtime:
    """The running service's resources."""
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: commit on success (before the response), roll back on error."""
    rt = get_runtime(request)
    async with rt.session_factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        if session.info.pop("outbox_dirty", False):
            rt.relay.wake()


async def _runtime_dependency(request: Request) -> Runtime:
    # An ``async def`` dependency: FastAPI would run a plain ``def`` one in a worker thread.
    runtime: Runtime = request.app.state.runtime
    return runtime


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
RuntimeDep = Annotated[Runtime, Depends(_runtime_dependency)]
