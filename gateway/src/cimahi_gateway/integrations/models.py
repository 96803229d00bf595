"""Integrators, the event log, webhook endpoints, their secrets and deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cimahi_gateway.db import Base
from cimahi_shared.db import UTCDateTime

ULID_LEN = 26
EVENT_TYPE_MAX = 160
URL_MAX = 2048

# A 64-bit sequence on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
Sequence = BigInteger().with_variant(Integer(), "sqlite")


class Integrator(Base):
    """An organisation that receives events: a machine client plus the event types it may see."""

    __tablename__ = "integrators"

    id: Mapped[str] = mapped_column(String(ULID_LEN), primary_key=True, comment="ULID")
    name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    client_id: Mapped[str] = mapped_column(
        String(64), unique=True, comment="Its machine client (identity_clients.client_id)"
    )
    allowed_events: Mapped[list[Any]] = mapped_column(
        JSON, comment="Patterns over <agency>.<entity>.<verb>, e.g. epbb.payment.*"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EventRecord(Base):
    """One event of an agency as the gateway received it; ``seq`` orders the log (SSE ids)."""

    __tablename__ = "integration_events"
    __table_args__ = (Index("ix_integration_events_key_seq", "key", "seq"),)

    seq: Mapped[int] = mapped_column(Sequence, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True, comment="CloudEvents id")
    key: Mapped[str] = mapped_column(
        String(EVENT_TYPE_MAX), comment="<agency>.<entity>.<verb> (scopes match this)"
    )
    type: Mapped[str] = mapped_column(String(EVENT_TYPE_MAX), comment="CloudEvents type")
    agency: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(200))
    event: Mapped[dict[str, Any]] = mapped_column(JSON, comment="The structured CloudEvent")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, comment="CloudEvents time")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class WebhookEndpoint(Base):
    """An integrator's webhook subscription: where to POST which events."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(ULID_LEN), primary_key=True, comment="ULID")
    integrator_id: Mapped[str] = mapped_column(ForeignKey("integrators.id"), index=True)
    url: Mapped[str] = mapped_column(String(URL_MAX))
    description: Mapped[str | None] = mapped_column(String(200))
    event_types: Mapped[list[Any]] = mapped_column(
        JSON, comment="Patterns (within the integrator's allowed events)"
    )
    agencies: Mapped[list[Any] | None] = mapped_column(JSON, comment="None: every agency")
    status: Mapped[str] = mapped_column(String(12), comment="active | disabled")
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failing_since: Mapped[datetime | None] = mapped_column(
        UTCDateTime, comment="First failure of the current run of failures"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EndpointSecret(Base):
    """A signing secret of an endpoint; after a rotation the old one signs too until it expires."""

    __tablename__ = "webhook_secrets"

    id: Mapped[str] = mapped_column(String(ULID_LEN), primary_key=True, comment="ULID")
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    secret_encrypted: Mapped[str] = mapped_column(Text, comment="whsec_... encrypted (PII key)")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, comment="None: current")


class Delivery(Base):
    """One event to deliver to one endpoint; its id is the ``webhook-id`` of every attempt."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_seq"),
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_id_created_at", "endpoint_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, comment="msg_<ULID>")
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id"))
    event_seq: Mapped[int] = mapped_column(Sequence, ForeignKey("integration_events.seq"))
    status: Mapped[str] = mapped_column(
        String(12), comment="pending | succeeded | failed (gave up) | held (endpoint disabled)"
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DeliveryAttempt(Base):
    """One HTTP attempt of a delivery (the delivery log integrators read)."""

    __tablename__ = "webhook_attempts"

    id: Mapped[str] = mapped_column(String(ULID_LEN), primary_key=True, comment="ULID")
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer, comment="None: no HTTP answer")
    error: Mapped[str | None] = mapped_column(String(300))
    duration_ms: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(12), comment="schedule | manual | ping")
