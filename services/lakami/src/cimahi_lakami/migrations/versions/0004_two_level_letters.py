"""Letters: the kecamatan level of the chain, verification codes and revocation.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 02:00:00.000000

Existing requests are backfilled: ``kecamatan_code`` from the kelurahan code (its first three
parts), ``needs_kecamatan`` from their letter type, ``level`` = ``kelurahan``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cimahi_shared.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dt = cimahi_shared.db.UTCDateTime(timezone=True)
    with op.batch_alter_table("letter_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kecamatan_code",
                sa.String(length=16),
                nullable=False,
                server_default="",
                comment="Kecamatan of the kelurahan",
            )
        )
        batch_op.add_column(
            sa.Column(
                "needs_kecamatan",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
                comment="Copied from the letter type at submission: the kecamatan approves too",
            )
        )
        batch_op.add_column(
            sa.Column(
                "level",
                sa.String(length=16),
                nullable=False,
                server_default="kelurahan",
                comment="Who acts on it now: kelurahan | kecamatan",
            )
        )
        batch_op.add_column(
            sa.Column(
                "signer_title", sa.String(length=100), nullable=True, comment="e.g. Lurah Melong"
            )
        )
        batch_op.add_column(
            sa.Column(
                "verification_code",
                sa.String(length=32),
                nullable=True,
                comment="Printed on the letter; public verification looks it up",
            )
        )
        batch_op.add_column(sa.Column("revoked_at", dt, nullable=True))
        batch_op.add_column(sa.Column("revoked_by_sub", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("revoked_reason", sa.String(length=500), nullable=True))
        batch_op.create_unique_constraint(
            op.f("uq_letter_requests_verification_code"), ["verification_code"]
        )
        batch_op.create_index(
            "ix_letter_requests_kecamatan_code_level_id",
            ["kecamatan_code", "level", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_letter_requests_kelurahan_code_due_at", ["kelurahan_code", "due_at"], unique=False
        )
        batch_op.create_index(
            "ix_letter_requests_kecamatan_code_due_at", ["kecamatan_code", "due_at"], unique=False
        )
    op.execute("UPDATE letter_requests SET kecamatan_code = substr(kelurahan_code, 1, 8)")
    op.execute(
        "UPDATE letter_requests SET needs_kecamatan = (SELECT t.needs_kecamatan FROM letter_types t"
        " WHERE t.code = letter_requests.letter_type_code)"
    )
    with op.batch_alter_table("letter_request_history", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "level",
                sa.String(length=16),
                nullable=False,
                server_default="kelurahan",
                comment="kelurahan | kecamatan",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("letter_request_history", schema=None) as batch_op:
        batch_op.drop_column("level")
    with op.batch_alter_table("letter_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_letter_requests_kecamatan_code_due_at")
        batch_op.drop_index("ix_letter_requests_kelurahan_code_due_at")
        batch_op.drop_index("ix_letter_requests_kecamatan_code_level_id")
        batch_op.drop_constraint(op.f("uq_letter_requests_verification_code"), type_="unique")
        for column in (
            "revoked_reason",
            "revoked_by_sub",
            "revoked_at",
            "verification_code",
            "signer_title",
            "level",
            "needs_kecamatan",
            "kecamatan_code",
        ):
            batch_op.drop_column(column)
