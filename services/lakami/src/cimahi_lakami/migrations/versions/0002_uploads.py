"""Requirement uploads (files citizens attach to letter requests and complaints).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 22:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cimahi_shared.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("id", sa.String(length=26), nullable=False, comment="ULID (time-ordered)"),
        sa.Column(
            "owner_sub", sa.String(length=64), nullable=False, comment="The citizen who uploaded it"
        ),
        sa.Column(
            "storage_key",
            sa.String(length=64),
            nullable=False,
            comment="Random name in the storage (never the client's)",
        ),
        sa.Column(
            "content_type",
            sa.String(length=40),
            nullable=False,
            comment="Sniffed from the content",
        ),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column(
            "sha256", sa.String(length=64), nullable=False, comment="Hex SHA-256 of the content"
        ),
        sa.Column(
            "original_filename",
            sa.String(length=255),
            nullable=True,
            comment="Sanitized client filename (metadata only)",
        ),
        sa.Column("purpose", sa.String(length=200), nullable=True),
        sa.Column("created_at", cimahi_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "attached_kind",
            sa.String(length=20),
            nullable=True,
            comment="letter_request | complaint",
        ),
        sa.Column("attached_id", sa.String(length=26), nullable=True),
        sa.Column(
            "attached_ref",
            sa.String(length=32),
            nullable=True,
            comment="Tracking number of what it is attached to",
        ),
        sa.Column(
            "requirement",
            sa.String(length=200),
            nullable=True,
            comment="Catalogue requirement it fulfils",
        ),
        sa.Column(
            "kelurahan_code",
            sa.String(length=16),
            nullable=True,
            comment="Kelurahan whose officers may read it (set on attachment)",
        ),
        sa.Column("attached_at", cimahi_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uploads")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_uploads_storage_key")),
    )
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.create_index(
            "ix_uploads_attached_kind_attached_id", ["attached_kind", "attached_id"], unique=False
        )
        batch_op.create_index("ix_uploads_owner_sub_id", ["owner_sub", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_index("ix_uploads_owner_sub_id")
        batch_op.drop_index("ix_uploads_attached_kind_attached_id")
    op.drop_table("uploads")
