"""request status: officers' lists read one index range per status

An officer's list filtered by status read the whole (agency, area) range newest first and threw
away every row in another status. The officer indexes now have the status after the scope:
(agency, area | kecamatan, status, submitted_at, tracking_no). Unfiltered officer lists merge
the ranges of every status, so the old (agency, area | kecamatan, submitted_at, tracking_no)
indexes go: same number of indexes to maintain, and no second candidate for the planner.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 18:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("request_status", schema=None) as batch_op:
        batch_op.create_index(
            "ix_request_status_agency_area_status",
            ["agency", "area", "status", "submitted_at", "tracking_no"],
            unique=False,
        )
        batch_op.create_index(
            "ix_request_status_agency_kecamatan_status",
            ["agency", "kecamatan", "status", "submitted_at", "tracking_no"],
            unique=False,
        )
        batch_op.drop_index("ix_request_status_agency_kecamatan")
        batch_op.drop_index("ix_request_status_agency_area")


def downgrade() -> None:
    with op.batch_alter_table("request_status", schema=None) as batch_op:
        batch_op.create_index(
            "ix_request_status_agency_area",
            ["agency", "area", "submitted_at", "tracking_no"],
            unique=False,
        )
        batch_op.create_index(
            "ix_request_status_agency_kecamatan",
            ["agency", "kecamatan", "submitted_at", "tracking_no"],
            unique=False,
        )
        batch_op.drop_index("ix_request_status_agency_kecamatan_status")
        batch_op.drop_index("ix_request_status_agency_area_status")
