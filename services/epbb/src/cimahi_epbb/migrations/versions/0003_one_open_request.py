"""Taxpayer requests: at most one undecided request per kind and bill, and one mutasi per object.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNDECIDED = "status IN ('submitted', 'resubmitted', 'verified', 'returned')"
_ONE_PER_BILL = f"tax_year IS NOT NULL AND {_UNDECIDED}"
_ONE_MUTASI = f"kind = 'mutasi' AND {_UNDECIDED}"


def upgrade() -> None:
    with op.batch_alter_table("taxpayer_requests", schema=None) as batch_op:
        batch_op.create_index(
            "uq_taxpayer_requests_open_per_bill",
            ["kind", "nop", "tax_year"],
            unique=True,
            sqlite_where=sa.text(_ONE_PER_BILL),
            postgresql_where=sa.text(_ONE_PER_BILL),
        )
        batch_op.create_index(
            "uq_taxpayer_requests_open_mutasi",
            ["nop"],
            unique=True,
            sqlite_where=sa.text(_ONE_MUTASI),
            postgresql_where=sa.text(_ONE_MUTASI),
        )


def downgrade() -> None:
    with op.batch_alter_table("taxpayer_requests", schema=None) as batch_op:
        batch_op.drop_index("uq_taxpayer_requests_open_mutasi")
        batch_op.drop_index("uq_taxpayer_requests_open_per_bill")
