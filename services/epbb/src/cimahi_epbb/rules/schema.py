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
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


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

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        bounds = [b.up_to for b in self.tariff]
        if bounds[-1] is not None or any(b is None for b in bounds[:-1]):
            raise ValueError("tariff: only the last bracket may (and must) have no upper bound")
        if bounds[:-1] != sorted(bounds[:-1]):  # type: ignore[type-var]
            raise ValueError("tariff: brackets must be in increasing order of up_to")
        if self.due_date.year != self.tax_year:
            raise ValueError("due_date must fall in the tax year")
        return self

    def rate_for(self, taxable_njop: int) -> Decimal:
        """The tariff of the bracket the taxable NJOP falls in."""
        for bracket in self.tariff:
            if bracket.up_to is None or taxable_njop <= bracket.up_to:
                return bracket.rate
        raise AssertionError("the last bracket has no upper bound")  # pragma: no cover
