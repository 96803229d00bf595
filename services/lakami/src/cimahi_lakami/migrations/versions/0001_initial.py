"""Initial schema: catalogue, letter requests, history, letter numbers, access log, plumbing.

The plumbing tables (outbox, processed_events, idempotency_keys) come from cimahi_shared; the
catalogue rows are written by `python -m cimahi_lakami seed` (from catalogue/standards.py).

Revision ID: 0001
Revises:
Create Date: 2026-11-28 12:35:53.874855
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cimahi_shared.db

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_audit",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("actor_sub", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("actor_agency", sa.String(length=40), nullable=True),
        sa.Column("actor_area", sa.String(length=16), nullable=True),
        sa.Column("owner_sub", sa.String(length=64), nullable=False, comment="Whose data was read"),
        sa.Column("tracking_no", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False, comment="read | list"),
        sa.Column(
            "purpose",
            sa.String(length=100),
            nullable=False,
            comment="Legal basis of the processing",
        ),
        sa.Column("http_request_id", sa.String(length=128), nullable=True),
        sa.Column("occurred_at", cimahi_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_audit")),
    )
    with op.batch_alter_table("access_audit", schema=None) as batch_op:
        batch_op.create_index(
            "ix_access_audit_actor_sub_occurred_at", ["actor_sub", "occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_access_audit_owner_sub_occurred_at", ["owner_sub", "occurred_at"], unique=False
        )

    op.create_table(
        "letter_number_counters",
        sa.Column("kelurahan_code", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kelurahan_code", "year", name=op.f("pk_letter_number_counters")),
    )
    op.create_table(
        "letter_types",
        sa.Column(
            "code", sa.String(length=40), nullable=False, comment="Public code, e.g. domisili"
        ),
        sa.Column(
            "short_name", sa.String(length=20), nullable=False, comment="Abbreviation, e.g. SKD"
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "classification_code",
            sa.String(length=10),
            nullable=False,
            comment="Archive classification code that opens the letter number",
        ),
        sa.Column("requirements", sa.JSON(), nullable=False, comment="Documents to bring"),
        sa.Column("fields", sa.JSON(), nullable=False, comment="Type-specific typed fields"),
        sa.Column("procedure", sa.JSON(), nullable=False),
        sa.Column("needs_kecamatan", sa.Boolean(), nullable=False),
        sa.Column("time_limit_working_days", sa.Integer(), nullable=False),
        sa.Column("fee_idr", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=300), nullable=False),
        sa.Column("complaints_channel", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", cimahi_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_letter_types")),
    )
    op.create_table(
        "letter_requests",
        sa.Column("id", sa.String(length=26), nullable=False, comment="ULID (time-ordered)"),
        sa.Column("tracking_no", sa.String(length=32), nullable=False),
        sa.Column("letter_type_code", sa.String(length=40), nullable=False),
        sa.Column(
            "owner_sub", sa.String(length=64), nullable=False, comment="The citizen's token subject"
        ),
        sa.Column("nik_encrypted", sa.Text(), nullable=False),
        sa.Column("nik_hash", sa.String(length=64), nullable=False),
        sa.Column("nik_masked", sa.String(length=16), nullable=False),
        sa.Column("no_kk_encrypted", sa.Text(), nullable=False),
        sa.Column("no_kk_hash", sa.String(length=64), nullable=False),
        sa.Column("no_kk_masked", sa.String(length=16), nullable=False),
        sa.Column("full_name", sa.String(length=100), nullable=False),
        sa.Column("kelurahan_code", sa.String(length=16), nullable=False),
        sa.Column("rt", sa.String(length=3), nullable=False),
        sa.Column("rw", sa.String(length=3), nullable=False),
        sa.Column("cover_letter_number", sa.String(length=60), nullable=False),
        sa.Column("cover_letter_date", sa.Date(), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.String(length=16),
            nullable=False,
            comment="Agency status (submitted, verify, ...)",
        ),
        sa.Column(
            "sequence", sa.Integer(), nullable=False, comment="Sequence of the last lifecycle event"
        ),
        sa.Column("submitted_at", cimahi_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", cimahi_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", cimahi_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("letter_number", sa.String(length=80), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("approved_at", cimahi_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("signer_sub", sa.String(length=64), nullable=True),
        sa.Column("signer_name", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["letter_type_code"],
            ["letter_types.code"],
            name=op.f("fk_letter_requests_letter_type_code_letter_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_requests")),
        sa.UniqueConstraint("letter_number", name=op.f("uq_letter_requests_letter_number")),
        sa.UniqueConstraint("tracking_no", name=op.f("uq_letter_requests_tracking_no")),
    )
    with op.batch_alter_table("letter_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_letter_requests_kelurahan_code_id", ["kelurahan_code", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_letter_requests_nik_hash"), ["nik_hash"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_letter_requests_no_kk_hash"), ["no_kk_hash"], unique=False
        )
        batch_op.create_index("ix_letter_requests_owner_sub_id", ["owner_sub", "id"], unique=False)

    op.create_table(
        "letter_request_history",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("request_id", sa.String(length=26), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor_sub", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("occurred_at", cimahi_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["letter_requests.id"],
            name=op.f("fk_letter_request_history_request_id_letter_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_request_history")),
        sa.UniqueConstraint(
            "request_id", "sequence", name=op.f("uq_letter_request_history_request_id_sequence")
        ),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column(
            "scope",
            sa.String(length=200),
            nullable=False,
            comment="Who sent it (subject or client address)",
        ),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False, comment="in_flight | done"),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_headers", sa.Text(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", cimahi_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", cimahi_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "outbox",
        sa.Column(
            "id", sa.String(length=64), nullable=False, comment="The event id; also the Nats-Msg-Id"
        ),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", cimahi_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", cimahi_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_pending",
            ["created_at", "id"],
            unique=False,
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )

    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("processed_at", cimahi_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_processed_events")),
    )


def downgrade() -> None:
    op.drop_table("processed_events")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_pending",
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )

    op.drop_table("outbox")
    op.drop_table("idempotency_keys")
    op.drop_table("letter_request_history")
    with op.batch_alter_table("letter_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_letter_requests_owner_sub_id")
        batch_op.drop_index(batch_op.f("ix_letter_requests_no_kk_hash"))
        batch_op.drop_index(batch_op.f("ix_letter_requests_nik_hash"))
        batch_op.drop_index("ix_letter_requests_kelurahan_code_id")

    op.drop_table("letter_requests")
    op.drop_table("letter_types")
    op.drop_table("letter_number_counters")
    with op.batch_alter_table("access_audit", schema=None) as batch_op:
        batch_op.drop_index("ix_access_audit_owner_sub_occurred_at")
        batch_op.drop_index("ix_access_audit_actor_sub_occurred_at")

    op.drop_table("access_audit")
