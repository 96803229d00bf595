"""What the webhooks API reads and returns (integrators' endpoints, secrets, deliveries)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cimahi_gateway.integrations.models import EVENT_TYPE_MAX, URL_MAX

MAX_PATTERNS = 50
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=URL_MAX)]
Pattern = Annotated[str, StringConstraints(strip_whitespace=True, max_length=EVENT_TYPE_MAX)]
AgencyCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
DeliveryStatus = Literal["pending", "succeeded", "failed", "held"]


class WebhookCreate(BaseModel):
    """A new subscription: where to POST which events."""

    model_config = ConfigDict(extra="forbid")

    url: Url = Field(description="https:// URL of your receiver (must resolve to public addresses)")
    event_types: list[Pattern] = Field(
        min_length=1,
        max_length=MAX_PATTERNS,
        description="Patterns over event keys, e.g. `epbb.payment.*` (within your allowed events)",
    )
    agencies: list[AgencyCode] | None = Field(
        default=None, max_length=MAX_PATTERNS, description="Only these agencies' events (null: all)"
    )
    description: Description | None = None


class WebhookUpdate(BaseModel):
    """Fields to change (absent ones stay; ``agencies: null`` removes the agency filter)."""

    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    event_types: list[Pattern] | None = Field(default=None, min_length=1, max_length=MAX_PATTERNS)
    agencies: list[AgencyCode] | None = Field(default=None, max_length=MAX_PATTERNS)
    description: Description | None = None


class WebhookRead(BaseModel):
    """A subscription (never its secret)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    url: str
    event_types: list[str]
    agencies: list[str] | None
    description: str | None
    status: Literal["active", "disabled"]
    disabled_reason: str | None = Field(description="Why the gateway disabled it (410, failures)")
    disabled_at: datetime | None
    failing_since: datetime | None = Field(description="First failure of the current failing run")
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookRead):
    """A new subscription with its signing secret - shown this once only."""

    secret: str = Field(description="`whsec_...`: verify deliveries with it (Standard Webhooks)")


class WebhookList(BaseModel):
    """Your subscriptions, oldest first."""

    items: list[WebhookRead]


class SecretRotated(BaseModel):
    """The new signing secret (shown this once) and when the previous one stops signing."""

    secret: str
    previous_expires_at: datetime = Field(
        description="Until then every delivery is signed with both secrets"
    )


class PingRead(BaseModel):
    """The answer of your receiver to a test ping."""

    status_code: int | None = Field(description="HTTP status; null when there was no answer")
    duration_ms: int
    ok: bool
    error: str | None = None


class AttemptRead(BaseModel):
    """One HTTP attempt of a delivery."""

    model_config = ConfigDict(from_attributes=True)

    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    trigger: Literal["schedule", "manual", "ping"]


class DeliveryRead(BaseModel):
    """One event to deliver to the endpoint (``id`` is the ``webhook-id`` of every attempt)."""

    id: str
    event_id: str = Field(description="The CloudEvents id")
    event_type: str = Field(description="The CloudEvents type")
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    created_at: datetime
    attempts: list[AttemptRead] = Field(description="Every attempt, oldest first")


class DeliveryPage(BaseModel):
    """One page of deliveries, newest first."""

    items: list[DeliveryRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class DeliveryQuery(BaseModel):
    """Filters and paging of the delivery log."""

    status: DeliveryStatus | None = None
    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    cursor: str | None = Field(default=None, max_length=512)
