"""Bills and rules (bill generation, issue 6): no schema change was needed.

Bill runs use the tables of 0001 (``bills`` with its partial unique index ``uq_bills_current``,
``tax_year_rules``); this revision stays empty so the chain 0001 -> 0005 is unchanged.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
