"""The bill formula: assessment (once, at generation) and the amount due on a given day.

Pure functions of the rules (``TaxYearRules``) and the facts; no database, no clock. Money is
whole rupiah; every product is computed in ``Decimal`` and rounded half up once, at the end of
each line, so a bill can be recomputed and explained line by line.

* ``assess``: ``principal = tariff x NJOP% x max(0, NJOP bumi + NJOP bangunan - NJOPTKP)``
  (at least ``minimum_tax``); NJOPTKP is deducted on one object per taxpayer.
* ``amount_due``: principal - reduction - early discount + penalty - waived penalty, on a day.
  The reduction is the larger of the policy tier (e.g. 100% up to Rp50,000; 50% up to
  Rp100,000 when paid by the due date) and a reduction granted on request. The penalty is
  ``rate x started months late (capped) x (principal - reduction)``; an amnesty window waives
  (part of) it.
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from cimahi_epbb.rules.schema import TaxYearRules

_HUNDRED = Decimal(100)


def rupiah(value: Decimal) -> int:
    """Round to whole rupiah, half up."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class ObjectFacts:
    """What assessment needs to know of a tax object."""

    land_area: int
    building_area: int
    land_class: str
    building_class: str | None


@dataclass(frozen=True, slots=True)
class Assessment:
    """A bill's principal with every input it was computed from (stored in ``bills.computation``)."""

    tax_year: int
    land_area: int
    land_class: str
    land_njop_per_m2: int
    land_njop: int
    building_area: int
    building_class: str | None
    building_njop_per_m2: int
    building_njop: int
    njop: int
    njoptkp: int
    taxable_njop: int
    njop_percent: str
    tariff: str
    computed_tax: int
    minimum_tax: int
    principal: int

    def as_json(self) -> dict[str, Any]:
        """The assessment as stored with the bill."""
        # Not dataclasses.asdict: it deep-copies every value and was 45% of a 120,000-bill run.
        return {name: getattr(self, name) for name in _ASSESSMENT_FIELDS}


_ASSESSMENT_FIELDS = tuple(f.name for f in fields(Assessment))


class UnknownValueClass(ValueError):
    """The object's land or building class has no NJOP in the year's rules."""


def assess(facts: ObjectFacts, rules: TaxYearRules, *, njoptkp_applies: bool) -> Assessment:
    """Assess one object for one tax year."""
    try:
        land_per_m2 = rules.land_classes[facts.land_class]
    except KeyError:
        raise UnknownValueClass(f"land class {facts.land_class!r} not in the rules") from None
    building_per_m2 = 0
    if facts.building_area > 0:
        if facts.building_class is None or facts.building_class not in rules.building_classes:
            raise UnknownValueClass(f"building class {facts.building_class!r} not in the rules")
        building_per_m2 = rules.building_classes[facts.building_class]
    land_njop = facts.land_area * land_per_m2
    building_njop = facts.building_area * building_per_m2
    njop = land_njop + building_njop
    njoptkp = min(rules.njoptkp, njop) if njoptkp_applies else 0
    taxable = njop - njoptkp
    tariff = rules.rate_for(taxable)
    computed = rupiah(tariff * rules.njop_percent * taxable)
    principal = max(computed, rules.minimum_tax)
    return Assessment(
        tax_year=rules.tax_year,
        land_area=facts.land_area,
        land_class=facts.land_class,
        land_njop_per_m2=land_per_m2,
        land_njop=land_njop,
        building_area=facts.building_area,
        building_class=facts.building_class,
        building_njop_per_m2=building_per_m2,
        building_njop=building_njop,
        njop=njop,
        njoptkp=njoptkp,
        taxable_njop=taxable,
        njop_percent=str(rules.njop_percent),
        tariff=str(tariff),
        computed_tax=computed,
        minimum_tax=rules.minimum_tax,
        principal=principal,
    )


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's end (Jan 31 + 1 = Feb 28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def penalty_months(due_date: date, on: date, cap: int) -> int:
    """Started months late on ``on`` (a started month counts as full), at most ``cap``.

    Paying on the due date is on time (0); the day after is 1 month; the month counts from the
    due date's day (clamped at month ends): due 31 Aug, paid 30 Sep -> 1, paid 1 Oct -> 2.
    """
    if on <= due_date:
        return 0
    months = 1
    while add_months(due_date, months) < on and months < cap:
        months += 1
    return min(months, cap)


@dataclass(frozen=True, slots=True)
class DueAmounts:
    """What a bill costs when paid on ``on``."""

    on: date
    principal: int
    reduction: int
    reduction_reason: str | None  # "policy" | "granted" | None
    discount: int
    penalty_months: int
    penalty: int
    penalty_waived: int
    total: int

    @property
    def overdue(self) -> bool:
        """Whether the bill is late (penalty months started)."""
        return self.penalty_months > 0

    def as_json(self) -> dict[str, Any]:
        """The breakdown as stored and shown (``on`` as ISO date)."""
        data = asdict(self)
        data["on"] = self.on.isoformat()
        return data


def _policy_reduction(principal: int, rules: TaxYearRules, on_time: bool) -> int:
    for tier in sorted(rules.reductions, key=lambda t: t.max_principal):
        if principal <= tier.max_principal:
            if tier.on_time_only and not on_time:
                return 0
            return rupiah(Decimal(principal) * tier.percent / _HUNDRED)
    return 0


def amount_due(
    *, principal: int, granted_reduction: int, due_date: date, rules: TaxYearRules, on: date
) -> DueAmounts:
    """The amount of a bill paid on ``on`` (``due_date`` is the bill's own)."""
    on_time = on <= due_date
    policy = _policy_reduction(principal, rules, on_time)
    granted = min(granted_reduction, principal)
    reduction = max(policy, granted)
    reason = None if reduction == 0 else ("granted" if granted >= policy else "policy")
    base = principal - reduction
    discount = 0
    if on_time and base > 0:
        for offer in sorted(rules.early_discounts, key=lambda d: d.until):
            if on <= offer.until:
                discount = rupiah(Decimal(base) * offer.percent / _HUNDRED)
                break
    months = penalty_months(due_date, on, rules.penalty_cap_months)
    penalty = rupiah(Decimal(base) * rules.penalty_rate_per_month * months)
    waived = 0
    for window in rules.amnesties:
        if window.start <= on <= window.end:
            waived = max(
                waived, rupiah(Decimal(penalty) * window.penalty_waived_percent / _HUNDRED)
            )
    total = base - discount + penalty - waived
    return DueAmounts(
        on=on,
        principal=principal,
        reduction=reduction,
        reduction_reason=reason,
        discount=discount,
        penalty_months=months,
        penalty=penalty,
        penalty_waived=waived,
        total=total,
    )


def next_change(*, due_date: date, rules: TaxYearRules, on: date) -> date | None:
    """The first day after ``on`` on which ``amount_due`` may differ (None: never again).

    Payment codes expire before it, so an amount quoted to a channel is still right when paid.
    """
    days: list[date] = [due_date + timedelta(days=1)]
    days += [offer.until + timedelta(days=1) for offer in rules.early_discounts]
    for window in rules.amnesties:
        days += [window.start, window.end + timedelta(days=1)]
    days += [
        add_months(due_date, n) + timedelta(days=1) for n in range(1, rules.penalty_cap_months)
    ]
    later = [d for d in days if d > on]
    return min(later) if later else None
