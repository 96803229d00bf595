"""(being built)"""

from __future__ import annotations

from cimahi_shared.app import Runtime


async def on_start(runtime: Runtime) -> None:
    """Start (nothing yet)."""


async def on_stop(runtime: Runtime) -> None:
    """Stop."""


# --- CONTRACT stubs (added by the webhooks API helper; the delivery helper replaces them) ---

from dataclasses import dataclass  # noqa: E402
from datetime import datetime  # noqa: E402

from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402

from cimahi_gateway.integrations.models import Delivery, WebhookEndpoint  # noqa: E402


@dataclass(frozen=True, slots=True)
class PingResult:
    """What a test ping got: the receiver's status code (None: no answer), time, success."""

    status_code: int | None
    duration_ms: int
    ok: bool
    error: str | None = None


async def send_ping(runtime: Runtime, endpoint: WebhookEndpoint) -> PingResult:
    """POST a signed test event to ``endpoint`` now (an attempt with trigger ``ping``)."""
    return PingResult(status_code=None, duration_ms=0, ok=False, error="not implemented yet")


async def redeliver(session: AsyncSession, delivery: Delivery, *, now: datetime) -> None:
    """Make ``delivery`` due now (status pending, even a failed one) and wake the worker."""
    delivery.status = "pending"
    delivery.next_attempt_at = now
