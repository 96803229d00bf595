"""Objects, account links and the access log (issue 6): no change beyond 0001 was needed; empty.

The officers' lists bound the NOP by the area (objects.service.area_nop_ranges) and so use the
NOP-leading indexes (``tax_objects``' primary key, ``bills``' uq_bills_current); the access log's
indexes are in 0001.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
