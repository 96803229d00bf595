"""Tax-year rules as versioned configuration (schema: ``cimahi_epbb.rules.schema.TaxYearRules``).

A year's rules never change in place: an admin's change adds a version. Bills keep the
assessment inputs they were computed with (``bills.computation``), so a new version only changes
what is computed later (penalties, discounts and amnesties at payment time, new bills).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cimahi_epbb.db import Base
from cimahi_shared.db import UTCDateTime


class TaxYearRulesVersion(Base):
    """One version of one tax year's rules; the highest version is in force."""

    __tablename__ = "tax_year_rules"

    tax_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, comment="TaxYearRules as JSON")
    note: Mapped[str | None] = mapped_column(String(500), comment="Why this version (decree)")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
