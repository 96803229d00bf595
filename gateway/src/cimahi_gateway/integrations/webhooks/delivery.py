"""The webhook delivery worker: the persisted queue of deliveries, sent signed, retried, given up.

Every state lives in the database (``webhook_deliveries``), so a gateway restart loses nothing
and several gateway replicas can share the queue:

1. **Claim.** One transaction picks a small batch of due deliveries (``pending``,
   ``next_attempt_at <= now``, endpoint active) with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
   *leases* them by moving ``next_attempt_at`` past the longest a send can take, counts the
   attempt (``attempts + 1``) and commits before anything is sent. Another replica skips the
   locked rows and then sees them as not due: one attempt is never sent twice at once. A gateway
   killed mid-send leaves a lease that simply expires - the delivery becomes due again and is
   sent with the same ``webhook-id`` (receivers deduplicate by it).
2. **Send.** Up to ``webhook_concurrency`` at once with one shared ``httpx.AsyncClient`` (no
   redirects followed, no proxies from the environment, ``webhook_timeout_seconds`` for the
   whole attempt, at most a few KiB of the answer read). The URL is checked again by
   :func:`ssrf.resolve_public` and the connection pinned to the checked address (a second DNS
   answer cannot rebind the name to an internal host); a refused URL fails the attempt without a
   request. The body is the structured CloudEvent (``application/cloudevents+json``) signed as
   Standard Webhooks says: ``webhook-id`` (the delivery id, the same on every retry),
   ``webhook-timestamp`` and ``webhook-signature`` with one ``v1,...`` per signing secret (two
   while a rotated secret overlaps).
3. **Record.** One transaction per attempt writes a ``DeliveryAttempt`` (the integrator's
   delivery log) and moves the delivery on - but only if it is still the attempt it claimed
   (``status`` pending and ``attempts`` unchanged), so a lease that expired under a slow send,
   or a manual redelivery meanwhile, is never overwritten by a stale answer:

   * 2xx: ``succeeded``; the endpoint's ``failing_since`` is cleared;
   * 410 Gone: the receiver asked us to stop - the endpoint is disabled and its pending
     deliveries (this one included) are ``held`` until the integrator enables it again;
   * anything else, a timeout, a connection error or a refused URL: retried after
     ``webhook_retry_schedule[attempts - 1]`` seconds +-20% jitter (so receivers coming back
     after an outage are not hit by every sender at the same instant), ``failed`` after the last
     delay; when the endpoint has been failing for longer than
     ``webhook_disable_after_seconds`` it is disabled and its pending deliveries held.

The worker wakes when the event log stores new events (``eventlog.new_events_signal``) or a
delivery is redelivered (in this process), and polls every ``webhook_poll_seconds`` for the rest (retries falling due, other
replicas' events). Logs name deliveries and endpoints by id only: URLs can carry tokens and
events personal data.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
from prometheus_client import Counter
from sqlalchemy import CursorResult, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from ulid import ULID

from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.integrations.eventlog import NewEventsSignal, new_events_signal
from cimahi_gateway.integrations.models import (
    Delivery,
    DeliveryAttempt,
    EventRecord,
    WebhookEndpoint,
)
from cimahi_gateway.integrations.webhooks import ssrf
from cimahi_gateway.integrations.webhooks.secrets import signing_secrets
from cimahi_shared.app import Runtime
from cimahi_shared.db import utcnow
from cimahi_shared.errors import ProblemError
from cimahi_shared.events.envelope import TYPE_PREFIX, CloudEvent
from cimahi_shared.pii import PiiCipher
from cimahi_shared.webhooks.signing import signature

logger = logging.getLogger("cimahi.gateway.webhooks")

WORKER_KEY = "webhook_worker"
USER_AGENT = "Cimahi-Webhooks/1"
CONTENT_TYPE = "application/cloudevents+json"
PING_TYPE = f"{TYPE_PREFIX}gateway.webhook.ping.v1"
JITTER = 0.2
RESPONSE_READ_CAP = 4096  # bytes of an answer read (only to keep the connection reusable)
ERROR_MAX = 300  # DeliveryAttempt.error
STOP_GRACE_SECONDS = 5.0

ATTEMPTS = Counter(
    "cimahi_gateway_webhook_attempts_total",
    "Webhook delivery attempts by what became of the delivery",
    ["outcome"],
)

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one HTTP attempt gave: a status code, or an error without an answer."""

    started_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True, slots=True)
class PingResult:
    """The answer to a test ping (shown to the integrator, not stored as a delivery)."""

    status_code: int | None
    duration_ms: int
    ok: bool
    error: str | None


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed delivery with everything sending it needs (read before the claim commits)."""

    delivery_id: str
    endpoint_id: str
    url: str
    body: bytes
    secrets: tuple[str, ...]
    attempt: int  # ``attempts`` after the claim: recording checks it is still ours
    trigger: str  # schedule | manual


# --- signing and sending -------------------------------------------------------------------


def signed_headers(
    message_id: str, timestamp: int, body: bytes, secrets: Sequence[str]
) -> dict[str, str]:
    """The headers of a delivery: Standard Webhooks' three, one signature per secret."""
    signatures = [
        signature(s, message_id=message_id, timestamp=timestamp, body=body) for s in secrets
    ]
    return {
        "content-type": CONTENT_TYPE,
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
    }


def _pinned(url: str, address: str) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
    """``url`` aimed at the checked ``address``: the Host header and TLS name stay the URL's."""
    original = httpx.URL(url)
    extensions: dict[str, Any] = {}
    if original.scheme == "https":
        extensions["sni_hostname"] = original.host
    return original.copy_with(host=address), {"host": original.netloc.decode("ascii")}, extensions


async def _post(
    client: httpx.AsyncClient, url: str, address: str, headers: dict[str, str], body: bytes
) -> int:
    """POST to the pinned address; the status code (a few KiB of the answer read, no more)."""
    target, host, extensions = _pinned(url, address)
    request = client.build_request(
        "POST", target, content=body, headers={**headers, **host}, extensions=extensions
    )
    response = await client.send(request, stream=True, follow_redirects=False)
    try:
        read = 0
        async for chunk in response.aiter_raw():
            read += len(chunk)
            if read >= RESPONSE_READ_CAP:
                break
    finally:
        await response.aclose()
    return response.status_code


def _error_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text[:ERROR_MAX]


async def send_signed(
    client: httpx.AsyncClient,
    settings: GatewaySettings,
    *,
    url: str,
    message_id: str,
    body: bytes,
    secrets: Sequence[str],
    now: datetime,
    resolver: ssrf.Resolver | None = None,
) -> Outcome:
    """One attempt: check and resolve the URL, POST the signed body; never raises."""
    started = time.monotonic()
    status_code: int | None = None
    error: str | None = None
    try:
        if not secrets:
            raise RuntimeError("the endpoint has no signing secret")
        async with asyncio.timeout(settings.webhook_timeout_seconds):
            addresses = await ssrf.resolve_public(
                url, allow_private=settings.webhook_allow_private_targets, resolver=resolver
            )
            headers = signed_headers(message_id, int(now.timestamp()), body, secrets)
            status_code = await _post(client, url, addresses[0], headers, body)
    except ProblemError as exc:  # the SSRF guard's refusal: no request was sent
        error = f"refused: {exc.detail}"[:ERROR_MAX]
    except TimeoutError:
        error = f"timeout after {settings.webhook_timeout_seconds:g} s"
    except (httpx.HTTPError, OSError, RuntimeError) as exc:
        error = _error_text(exc)
    duration_ms = int((time.monotonic() - started) * 1000)
    return Outcome(started_at=now, status_code=status_code, error=error, duration_ms=duration_ms)


def new_client(settings: GatewaySettings) -> httpx.AsyncClient:
    """The client deliveries share: no redirects, no environment proxies, the attempt timeout."""
    return httpx.AsyncClient(
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(settings.webhook_timeout_seconds),
        limits=httpx.Limits(max_connections=max(settings.webhook_concurrency, 1)),
    )


# --- the schedule ---------------------------------------------------------------------------


def retry_delay(schedule: Sequence[float], attempts: int, rng: random.Random) -> float | None:
    """Seconds until the next attempt after ``attempts`` failed ones (+-20%); None: give up."""
    if attempts < 1 or attempts > len(schedule):
        return None
    return float(schedule[attempts - 1]) * rng.uniform(1 - JITTER, 1 + JITTER)


def lease_seconds(settings: GatewaySettings) -> float:
    """How long a claimed delivery stays invisible: the attempt's timeout and time to record it."""
    return 2 * settings.webhook_timeout_seconds + 1


# --- the worker -----------------------------------------------------------------------------

_WORKERS: weakref.WeakSet[DeliveryWorker] = weakref.WeakSet()


def wake_all() -> None:
    """Wake every delivery worker of this process (new deliveries are due)."""
    for worker in list(_WORKERS):
        worker.wake()


# Deliveries redelivered by hand in this process, so their next attempt is logged ``manual``
# (a replica that claims one first logs it ``schedule``: only the label differs).
_MANUAL: set[str] = set()


def _trigger(delivery_id: str) -> str:
    if delivery_id in _MANUAL:
        _MANUAL.discard(delivery_id)
        return "manual"
    return "schedule"


def wake_after_commit(session: AsyncSession, *, manual: Sequence[str] = ()) -> None:
    """Wake the workers once ``session`` commits (before, they would not see the rows)."""

    def committed(_session: Any) -> None:
        _MANUAL.update(manual)
        wake_all()

    sa_event.listen(session.sync_session, "after_commit", committed, once=True)


class DeliveryWorker:
    """Claims, sends and records deliveries; one per gateway process (replicas share the queue)."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        settings: GatewaySettings,
        pii: PiiCipher,
        client: httpx.AsyncClient,
        *,
        clock: Clock = utcnow,
        rng: random.Random | None = None,
        resolver: ssrf.Resolver | None = None,
        signal: NewEventsSignal | None = None,
    ) -> None:
        self.factory = session_factory
        self.signal = signal  # the event log's: new events (and so deliveries) were stored
        self.settings = settings
        self.pii = pii
        self.client = client
        self.clock = clock
        self.rng = rng or random.Random()
        self.resolver = resolver
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        _WORKERS.add(self)

    @property
    def batch_size(self) -> int:
        """Deliveries claimed (and sent at once) per round."""
        return max(self.settings.webhook_concurrency, 1)

    def wake(self) -> None:
        """Look at the queue now instead of at the next poll."""
        self._wake.set()

    async def run_once(self) -> int:
        """One round: claim due deliveries, send them at once, record each; how many were sent."""
        jobs = await self.claim()
        if jobs:
            await asyncio.gather(*(self._attempt(job) for job in jobs))
        return len(jobs)

    async def claim(self) -> list[Job]:
        """Lease a batch of due deliveries and read what sending them needs (committed)."""
        now = self.clock()
        async with self.factory() as session, session.begin():
            ids = await _lock_due(session, now=now, limit=self.batch_size)
            if not ids:
                return []
            lease = now + timedelta(seconds=lease_seconds(self.settings))
            await session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids))
                .values(next_attempt_at=lease, attempts=Delivery.attempts + 1)
            )
            return await self._jobs(session, ids, now=now)

    async def _jobs(self, session: AsyncSession, ids: list[str], *, now: datetime) -> list[Job]:
        query = (
            select(Delivery, WebhookEndpoint.url, EventRecord.event)
            .join(WebhookEndpoint, WebhookEndpoint.id == Delivery.endpoint_id)
            .join(EventRecord, EventRecord.seq == Delivery.event_seq)
            .where(Delivery.id.in_(ids))
            .execution_options(populate_existing=True)
        )
        secrets: dict[str, tuple[str, ...]] = {}
        jobs = []
        for delivery, url, event in (await session.execute(query)).all():
            if delivery.endpoint_id not in secrets:
                found = await signing_secrets(session, delivery.endpoint_id, now=now, pii=self.pii)
                secrets[delivery.endpoint_id] = tuple(found)
            jobs.append(
                Job(
                    delivery_id=delivery.id,
                    endpoint_id=delivery.endpoint_id,
                    url=url,
                    body=orjson.dumps(event),
                    secrets=secrets[delivery.endpoint_id],
                    attempt=delivery.attempts,
                    trigger=_trigger(delivery.id),
                )
            )
        return jobs

    async def _attempt(self, job: Job) -> None:
        outcome = await send_signed(
            self.client,
            self.settings,
            url=job.url,
            message_id=job.delivery_id,
            body=job.body,
            secrets=job.secrets,
            now=self.clock(),
            resolver=self.resolver,
        )
        result = await self.record(job, outcome)
        ATTEMPTS.labels(result).inc()
        logger.info(
            "webhook delivery %s to endpoint %s: attempt %d %s -> %s",
            job.delivery_id,
            job.endpoint_id,
            job.attempt,
            outcome.status_code if outcome.status_code is not None else "no answer",
            result,
        )

    async def record(self, job: Job, outcome: Outcome) -> str:
        """Write the attempt and move the delivery on; what became of it (or ``stale``)."""
        now = self.clock()
        async with self.factory() as session, session.begin():
            session.add(
                DeliveryAttempt(
                    id=str(ULID()),
                    delivery_id=job.delivery_id,
                    attempted_at=outcome.started_at,
                    status_code=outcome.status_code,
                    error=outcome.error,
                    duration_ms=outcome.duration_ms,
                    trigger=job.trigger,
                )
            )
            return await _apply(
                session, job, outcome, now=now, settings=self.settings, rng=self.rng
            )

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            seen = self.signal.snapshot() if self.signal else None  # before reading the queue
            try:
                sent = await self.run_once()
            except Exception:  # the database away for a moment: try again at the next poll
                logger.exception("webhook delivery round failed")
                sent = 0
            if sent >= self.batch_size or self._stopping:
                continue
            await self._idle(seen)

    async def _idle(self, seen: asyncio.Event | None) -> None:
        """Until woken (redelivery, new events since ``seen``) or the next poll."""
        waits = [asyncio.ensure_future(self._wake.wait())]
        if seen is not None:
            waits.append(asyncio.ensure_future(seen.wait()))
        try:
            await asyncio.wait(
                waits, timeout=self.settings.webhook_poll_seconds, return_when="FIRST_COMPLETED"
            )
        finally:
            for waiting in waits:
                waiting.cancel()
            await asyncio.gather(*waits, return_exceptions=True)

    def start(self) -> None:
        """Run in the background until :meth:`stop`."""
        self._task = asyncio.create_task(self._loop(), name="webhook-delivery")

    async def stop(self) -> None:
        """Let the round in flight finish (briefly); a cut attempt is retried when its lease ends."""
        self._stopping = True
        self.wake()
        task, self._task = self._task, None
        if task is None:
            return
        grace = min(self.settings.webhook_timeout_seconds, STOP_GRACE_SECONDS)
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(task, grace)


async def _lock_due(session: AsyncSession, *, now: datetime, limit: int) -> list[str]:
    """Ids of due deliveries of active endpoints, locked (rows another worker holds skipped)."""
    active = select(WebhookEndpoint.id).where(WebhookEndpoint.status == "active")
    query = (
        select(Delivery.id)
        .where(
            Delivery.status == "pending",
            Delivery.next_attempt_at <= now,
            Delivery.endpoint_id.in_(active),
        )
        .order_by(Delivery.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(query)).all())


async def _apply(
    session: AsyncSession,
    job: Job,
    outcome: Outcome,
    *,
    now: datetime,
    settings: GatewaySettings,
    rng: random.Random,
) -> str:
    """Move the delivery (if still ours) and its endpoint on after an attempt."""
    if outcome.ok:
        if not await _move(session, job, outcome, status="succeeded", next_at=None):
            return "stale"
        await _set_failing_since(session, job.endpoint_id, None)
        return "succeeded"
    if outcome.status_code == 410:
        if not await _move(session, job, outcome, status="held", next_at=None):
            return "stale"
        await _disable(session, job.endpoint_id, reason="410 Gone", now=now)
        return "disabled"
    failing_since = await _failing_since(session, job.endpoint_id) or now
    if (now - failing_since).total_seconds() >= settings.webhook_disable_after_seconds:
        if not await _move(session, job, outcome, status="held", next_at=None):
            return "stale"
        reason = f"failing since {failing_since.isoformat(timespec='seconds')}"
        await _disable(session, job.endpoint_id, reason=reason, now=now)
        return "disabled"
    delay = retry_delay(settings.webhook_retry_schedule, job.attempt, rng)
    next_at = None if delay is None else now + timedelta(seconds=delay)
    status = "failed" if delay is None else "pending"
    if not await _move(session, job, outcome, status=status, next_at=next_at):
        return "stale"
    await _set_failing_since(session, job.endpoint_id, failing_since)
    return "failed" if delay is None else "retry"


async def _move(
    session: AsyncSession, job: Job, outcome: Outcome, *, status: str, next_at: datetime | None
) -> bool:
    """Update the delivery if it is still the attempt claimed; whether it was."""
    result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        update(Delivery)
        .where(
            Delivery.id == job.delivery_id,
            Delivery.status == "pending",
            Delivery.attempts == job.attempt,
        )
        .values(
            status=status,
            next_attempt_at=next_at,
            last_attempt_at=outcome.started_at,
            last_status_code=outcome.status_code,
        )
    )
    return result.rowcount == 1


async def _failing_since(session: AsyncSession, endpoint_id: str) -> datetime | None:
    query = select(WebhookEndpoint.failing_since).where(WebhookEndpoint.id == endpoint_id)
    return (await session.execute(query)).scalar_one_or_none()


async def _set_failing_since(
    session: AsyncSession, endpoint_id: str, value: datetime | None
) -> None:
    await session.execute(
        update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id).values(failing_since=value)
    )


async def _disable(session: AsyncSession, endpoint_id: str, *, reason: str, now: datetime) -> None:
    """Disable an endpoint and hold its pending deliveries (the integrator enables it again)."""
    await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.status == "active")
        .values(
            status="disabled",
            disabled_reason=reason[:200],
            disabled_at=now,
            failing_since=None,
            updated_at=now,
        )
    )
    await session.execute(
        update(Delivery)
        .where(Delivery.endpoint_id == endpoint_id, Delivery.status == "pending")
        .values(status="held", next_attempt_at=None)
    )
    logger.warning("webhook endpoint %s disabled: %s", endpoint_id, reason)


# --- what the webhooks API calls --------------------------------------------------------------


async def redeliver(session: AsyncSession, delivery: Delivery, *, now: datetime) -> None:
    """Send a delivery again now (manual), whatever became of it.

    Its id, and so its ``webhook-id``, stays the same, and so does its attempt count: a
    redelivered delivery that fails again continues its retry schedule, or fails for good at
    once when the schedule was used up. The worker is woken once ``session`` commits; the
    attempt is logged with trigger ``manual``."""
    delivery.status = "pending"
    delivery.next_attempt_at = now
    wake_after_commit(session, manual=[delivery.id])


def _settings(runtime: Runtime) -> GatewaySettings:
    settings = runtime.settings
    return settings if isinstance(settings, GatewaySettings) else GatewaySettings()


async def send_ping(runtime: Runtime, endpoint: WebhookEndpoint) -> PingResult:
    """POST a signed test event (type ``...gateway.webhook.ping.v1``) to an endpoint now."""
    settings = _settings(runtime)
    now = utcnow()
    async with runtime.session_factory() as session:
        secrets = await signing_secrets(session, endpoint.id, now=now, pii=runtime.pii)
    event = CloudEvent(
        source="/gateway",
        type=PING_TYPE,
        subject=endpoint.id,
        time=now,
        data={"endpoint_id": endpoint.id, "message": "Ping from the Cimahi gateway"},
    )
    worker: DeliveryWorker | None = runtime.extras.get(WORKER_KEY)
    async with contextlib.AsyncExitStack() as stack:
        client = worker.client if worker else await stack.enter_async_context(new_client(settings))
        outcome = await send_signed(
            client,
            settings,
            url=endpoint.url,
            message_id=f"msg_{ULID()}",
            body=event.to_json(),
            secrets=secrets,
            now=now,
            resolver=ssrf.resolver_of(runtime),
        )
    return PingResult(outcome.status_code, outcome.duration_ms, outcome.ok, outcome.error)


# --- lifespan hooks -----------------------------------------------------------------------------


async def on_start(runtime: Runtime) -> None:
    """Start this process's delivery worker (the gateway only)."""
    if not isinstance(runtime.settings, GatewaySettings):
        return

    async def resolve(host: str, port: int) -> list[str]:
        # Looked up at each send: tests put their resolver in runtime.extras after the start.
        return await (ssrf.resolver_of(runtime) or ssrf.system_resolver)(host, port)

    client = new_client(runtime.settings)
    worker = DeliveryWorker(
        runtime.session_factory,
        runtime.settings,
        runtime.pii,
        client,
        resolver=resolve,
        signal=new_events_signal(runtime),
    )
    runtime.extras[WORKER_KEY] = worker
    worker.start()


async def on_stop(runtime: Runtime) -> None:
    """Stop the worker; an attempt cut short is sent again when its lease ends."""
    worker: DeliveryWorker | None = runtime.extras.pop(WORKER_KEY, None)
    if worker is None:
        return
    await worker.stop()
    await worker.client.aclose()
