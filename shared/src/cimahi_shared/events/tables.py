"""Plumbing tables every service database has: the outbox, processed events, idempotency keys.

They live on their own MetaData; each service's Alembic environment includes it next to the
service's own models, so the tables are created by that service's migrations.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, String, Table, Text, text

from cimahi_shared.db import UTCDateTime, new_metadata

plumbing_metadata = new_metadata()

outbox = Table(
    "outbox",
    plumbing_metadata,
    Column("id", String(64), primary_key=True, comment="The event id; also the Nats-Msg-Id"),
    Column("subject", String(255), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("published_at", UTCDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text, nullable=True),
    Index(
        "ix_outbox_pending",
        "created_at",
        "id",
        postgresql_where=text("published_at IS NULL"),
        sqlite_where=text("published_at IS NULL"),
    ),
)

processed_events = Table(
    "processed_events",
    plumbing_metadata,
    Column("consumer", String(100), primary_key=True),
    Column("event_id", String(64), primary_key=True),
    Column("processed_at", UTCDateTime, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    plumbing_metadata,
    Column(
        "scope", String(200), primary_key=True, comment="Who sent it (subject or client address)"
    ),
    Column("key", String(255), primary_key=True),
    Column("method", String(10), nullable=False),
    Column("path", String(500), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("state", String(16), nullable=False, comment="in_flight | done"),
    Column("status_code", Integer, nullable=True),
    Column("response_headers", Text, nullable=True),
    Column("response_body", LargeBinary, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)
