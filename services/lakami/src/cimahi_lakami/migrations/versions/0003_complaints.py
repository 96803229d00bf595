"""Complaints (pengaduan/aspirasi), their steps, and Open311 API keys.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 22:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cimahi_shared.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dt = cimahi_shared.db.UTCDateTime(timezone=True)
    op.create_table(
        "complaints",
        sa.Column("id", sa.String(length=26), nullable=False, comment="ULID (time-ordered)"),
        sa.Column("tracking_no", sa.String(length=32), nullable=False),
        sa.Column("category_code", sa.String(length=40), nullable=False),
        sa.Column(
            "complaint_type",
            sa.String(length=16),
            nullable=False,
            comment="SP4N-LAPOR! type: information | complaint | dispute | dispute_field",
        ),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kelurahan_code", sa.String(length=16), nullable=False),
        sa.Column("kecamatan_code", sa.String(length=16), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("photo_upload_ids", sa.JSON(), nullable=False),
        sa.Column("media_url", sa.String(length=500), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False, comment="Open311 attribute values"),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False, comment="web | open311"),
        sa.Column(
            "owner_sub",
            sa.String(length=64),
            nullable=False,
            comment="Citizen subject or open311:<key>",
        ),
        sa.Column("author_name", sa.String(length=100), nullable=True),
        sa.Column("author_contact", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "sequence",
            sa.Integer(),
            nullable=False,
            comment="Sequence of the last lifecycle event",
        ),
        sa.Column("submitted_at", dt, nullable=False),
        sa.Column("updated_at", dt, nullable=False),
        sa.Column("verify_due_at", dt, nullable=False),
        sa.Column("answer_due_at", dt, nullable=False),
        sa.Column("verified_at", dt, nullable=True),
        sa.Column("answered_at", dt, nullable=True),
        sa.Column("closed_at", dt, nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("responsible_agency", sa.String(length=200), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("tracking_no", name=op.f("uq_complaints_tracking_no")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index("ix_complaints_owner_sub_id", ["owner_sub", "id"], unique=False)
        batch_op.create_index(
            "ix_complaints_kelurahan_code_status", ["kelurahan_code", "status"], unique=False
        )
        batch_op.create_index(
            "ix_complaints_kecamatan_code_status", ["kecamatan_code", "status"], unique=False
        )
        batch_op.create_index(
            "ix_complaints_public_submitted_at", ["public", "submitted_at"], unique=False
        )
    op.create_table(
        "complaint_history",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("complaint_id", sa.String(length=26), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor_sub", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("occurred_at", dt, nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_history_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_history")),
        sa.UniqueConstraint(
            "complaint_id", "sequence", name=op.f("uq_complaint_history_complaint_id_sequence")
        ),
    )
    op.create_table(
        "open311_api_keys",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "key_prefix",
            sa.String(length=12),
            nullable=False,
            comment="First characters, to recognise it",
        ),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", dt, nullable=False),
        sa.Column("revoked_at", dt, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_open311_api_keys_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_open311_api_keys_name")),
    )


def downgrade() -> None:
    op.drop_table("open311_api_keys")
    op.drop_table("complaint_history")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index("ix_complaints_public_submitted_at")
        batch_op.drop_index("ix_complaints_kecamatan_code_status")
        batch_op.drop_index("ix_complaints_kelurahan_code_status")
        batch_op.drop_index("ix_complaints_owner_sub_id")
    op.drop_table("complaints")
