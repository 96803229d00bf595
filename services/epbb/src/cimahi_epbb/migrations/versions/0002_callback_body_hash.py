"""Payments: a callback's webhook-id remembers the SHA-256 of its body (a replay with another body is refused).

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("callback_replays", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "body_sha256",
                sa.String(length=64),
                nullable=True,
                comment="SHA-256 of the raw body: a replayed id with another body is refused",
            )
        )
    with op.batch_alter_table("reconciliations", schema=None) as batch_op:
        batch_op.alter_column(
            "differences",
            existing_type=sa.JSON(),
            existing_nullable=False,
            comment=(
                "kind (missing_in_channel | missing_here | amount_differs | duplicate_in_file),"
                " channel_reference, ours, theirs"
            ),
            existing_comment=(
                "kind (missing_in_channel | missing_here | amount_differs), reference, amounts"
            ),
        )


def downgrade() -> None:
    with op.batch_alter_table("reconciliations", schema=None) as batch_op:
        batch_op.alter_column(
            "differences",
            existing_type=sa.JSON(),
            existing_nullable=False,
            comment="kind (missing_in_channel | missing_here | amount_differs), reference, amounts",
            existing_comment=(
                "kind (missing_in_channel | missing_here | amount_differs | duplicate_in_file),"
                " channel_reference, ours, theirs"
            ),
        )
    with op.batch_alter_table("callback_replays", schema=None) as batch_op:
        batch_op.drop_column("body_sha256")
