"""Request and response bodies of the tax-year rules API and of bill runs."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from cimahi_epbb.rules.schema import TaxYearRules


class TaxYearRead(BaseModel):
    """A tax year that has rules, and the version in force."""

    tax_year: int
    version: int
    due_date: date
    versions: int = Field(description="How many versions the year's rules have")


class RulesVersionRead(BaseModel):
    """One version of a year's rules (the text of the decree it follows in ``note``)."""

    version: int
    note: str | None
    created_at: datetime


class TaxYearRulesRead(BaseModel):
    """A year's rules in force, and every version they had."""

    tax_year: int
    version: int
    rules: TaxYearRules
    versions: list[RulesVersionRead]


class RulesVersionCreate(TaxYearRules):
    """A new version of a year's rules: the whole rules and why they change (``note``)."""

    note: str = Field(min_length=3, max_length=500, description="Why (e.g. the decree number)")

    def rules(self) -> TaxYearRules:
        """The rules without the note."""
        return TaxYearRules.model_validate(self.model_dump(exclude={"note"}))


class RulesVersionCreated(BaseModel):
    """The version just added (bills already generated keep their principal)."""

    tax_year: int
    version: int
    note: str
    created_at: datetime
    rules: TaxYearRules


class BillRunCreate(BaseModel):
    """Generate the bills (SPPT) of a tax year for every active object without one."""

    tax_year: int = Field(ge=2000, le=2100)


class BillRunRead(BaseModel):
    """What a bill run did."""

    tax_year: int
    rules_version: int
    created: int = Field(description="Bills created by this run")
    existing: int = Field(description="Objects that already had a current bill for the year")
    skipped: int = Field(description="Objects not assessable (value class unknown to the rules)")
    total_principal: int = Field(description="Sum of the principal of the bills created, rupiah")
    seconds: float
