"""Reconciliation reports: our confirmed payments of a day versus a channel's settlement file."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class DifferenceKind(StrEnum):
    """How a payment differs between E-PBB and the channel's file."""

    MISSING_HERE = "missing_here"
    MISSING_IN_CHANNEL = "missing_in_channel"
    AMOUNT_DIFFERS = "amount_differs"
    DUPLICATE_IN_FILE = "duplicate_in_file"


class Difference(BaseModel):
    """One payment that does not match."""

    kind: DifferenceKind
    channel_reference: str
    ntpd: str | None = Field(description="Ours when we know it, else the file's")
    ours: int | None = Field(description="Our amount (None: we have no such payment)")
    theirs: int | None = Field(description="The file's amount (None: not in the file)")
    line: int | None = Field(description="Line of the file (1 is the header)")


class ReconciliationRead(BaseModel):
    """A stored reconciliation report."""

    id: str
    channel: str
    day: date
    file_sha256: str
    matched_count: int
    matched_amount: int
    difference_count: int
    differences: list[Difference]
    created_by: str
    created_at: datetime
