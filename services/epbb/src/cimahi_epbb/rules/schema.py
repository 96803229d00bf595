"""The rules of one tax year, as configuration (``rules/data/<year>.json``, versioned in the DB).

``PBB = tariff x NJOP% x (NJOP bumi + NJOP bangunan - NJOPTKP)``. Everything that a city changes
from year to year is here: tariff brackets, NJOP%, NJOPTKP, NJOP per m2 of each land and building
value class, the due date, the late penalty (rate per started month, cap), the reductions, the
early-payment discounts and the penalty amnesty windows. Percentages are decimals (``0.001`` =
0.1%); money is whole rupiah.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TariffBracket(_Frozen):
    """Rate applied to the whole taxable NJOP when it is at most ``up_to`` (None: no limit)."""

    up_to: int | None = Field(default=None, ge=0, description="Upper bound of the taxable NJOP")
    rate: Decimal = Field(gt=0, le=Decimal("0.005"), description="e.g. 0.001 for 0.1%")


class ReductionTier(_Frozen):
    """Reduction of a bill whose principal is at most ``max_principal``.

    ``on_time_only``: granted only when paid by the due date (e.g. 50% for Rp50,001-100,000).
    Tiers are tried in order of ``max_principal``; the first that fits applies.
    """

    max_principal: int = Field(ge=0)
    percent: Decimal = Field(gt=0, le=100)
    on_time_only: bool = False


class EarlyDiscount(_Frozen):
    """Discount on the principal (after reductions) for payment on or before ``until``."""

    until: date
    percent: Decimal = Field(gt=0, le=100)


class Amnesty(_Frozen):
    """Penalty waived (in part or fully) for payments made from ``start`` to ``end`` inclusive."""

    start: date
    end: date
    penalty_waived_percent: Decimal = Field(default=Decimal(100), gt=0, le=100)
    note: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError("amnesty end is before its start")
        return self


class TaxYearRules(_Frozen):
    """Everything needed to assess and collect the bills of one tax year."""

    tax_year: int = Field(ge=2000, le=2100)
    tariff: list[TariffBracket] = Field(min_length=1)
    njop_percent: Decimal = Field(ge=Decimal("0.2"), le=Decimal(1), description="NJOP% (0.2-1)")
    njoptkp: int = Field(ge=0, description="Non-taxable NJOP, once per taxpayer")
    minimum_tax: int = Field(default=0, ge=0, description="Smallest principal assessed")
    due_date: date
    penalty_rate_per_month: Decimal = Field(ge=0, le=Decimal("0.05"))
    penalty_cap_months: int = Field(ge=0, le=60)
    reductions: list[ReductionTier] = Field(default_factory=list)
    early_discounts: list[EarlyDiscount] = Field(default_factory=list)
    amnesties: list[Amnesty] = Field(default_factory=list)
    land_classes: dict[str, int] = Field(min_length=1, description="Land class -> NJOP per m2")
    building_classes: dict[str, int] = Field(
        default_factory=dict, description="Building class -> NJOP per m2"
    )

    # Field validators (not one model validator) so that a 422 names the field at fault.
    @field_validator("tariff")
    @classmethod
    def _brackets_in_order(cls, tariff: list[TariffBracket]) -> list[TariffBracket]:
        bounds = [b.up_to for b in tariff]
        if bounds[-1] is not None or any(b is None for b in bounds[:-1]):
            raise ValueError("only the last bracket may (and must) have no upper bound")
        limits = [b for b in bounds[:-1] if b is not None]
        if any(low >= high for low, high in pairwise(limits)):
            raise ValueError("brackets must be in strictly increasing order of up_to")
        return tariff

    @field_validator("due_date")
    @classmethod
    def _due_in_tax_year(cls, due_date: date, info: ValidationInfo) -> date:
        year = info.data.get("tax_year")
        if year is not None and due_date.year != year:
            raise ValueError("the due date must fall in the tax year")
        return due_date

    @field_validator("reductions")
    @classmethod
    def _distinct_tiers(cls, reductions: list[ReductionTier]) -> list[ReductionTier]:
        limits = [t.max_principal for t in reductions]
        if len(set(limits)) != len(limits):
            raise ValueError("two reduction tiers have the same max_principal")
        return reductions

    @field_validator("early_discounts")
    @classmethod
    def _offers_on_time(
        cls, offers: list[EarlyDiscount], info: ValidationInfo
    ) -> list[EarlyDiscount]:
        days = [o.until for o in offers]
        if len(set(days)) != len(days):
            raise ValueError("two early discounts end on the same day")
        due_date = info.data.get("due_date")
        # Early discounts reward paying on time: one ending after the due date is a typo.
        if due_date is not None and any(day > due_date for day in days):
            raise ValueError("every early discount must end by the due date")
        return offers

    @field_validator("land_classes", "building_classes")
    @classmethod
    def _positive_prices(cls, classes: dict[str, int]) -> dict[str, int]:
        if any(price <= 0 for price in classes.values()):
            raise ValueError("every value class needs a positive NJOP per m2")
        if any(not 1 <= len(code) <= 8 for code in classes):
            raise ValueError("value class codes are 1 to 8 characters")
        return classes

    def rate_for(self, taxable_njop: int) -> Decimal:
        """The tariff of the bracket the taxable NJOP falls in."""
        for bracket in self.tariff:
            if bracket.up_to is None or taxable_njop <= bracket.up_to:
                return bracket.rate
        raise AssertionError("the last bracket has no upper bound")  # pragma: no cover
