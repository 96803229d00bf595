"""The bill formula against hand-computed examples (2025 and 2026 rules), and its properties.

2025: tariff 0.1% up to Rp1 billion taxable NJOP, 0.2% above; NJOP% 100%; NJOPTKP Rp10,000,000;
due 30 Sep 2025; penalty 1% per started month, at most 24; reductions 100% up to Rp50,000 and
50% up to Rp100,000 when paid on time; no early discount; amnesty 1 Nov - 31 Dec 2026.
2026: tariff 0.09% / 0.15% (up to Rp5 billion) / 0.2%; NJOP% 80%; NJOPTKP Rp15,000,000; due
31 Aug 2026; same penalty and reductions; early discounts 10% until 31 May, 5% until 31 Jul.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cimahi_epbb.bills.formula import (
    DueAmounts,
    ObjectFacts,
    UnknownValueClass,
    add_months,
    amount_due,
    assess,
    next_change,
    penalty_months,
    rupiah,
)
from cimahi_epbb.config import EpbbSettings
from cimahi_epbb.rules.schema import TaxYearRules
from cimahi_epbb.rules.service import packaged_rules

RULES = {r.tax_year: r for r in packaged_rules(EpbbSettings())}
R2025, R2026 = RULES[2025], RULES[2026]
HOUSE = ObjectFacts(land_area=120, building_area=90, land_class="A05", building_class="B03")


def due(principal: int, on: date, rules: TaxYearRules = R2026, granted: int = 0) -> DueAmounts:
    return amount_due(
        principal=principal,
        granted_reduction=granted,
        due_date=rules.due_date,
        rules=rules,
        on=on,
    )


class TestAssessment:
    def test_house_2025(self) -> None:
        # land 120 m2 x Rp3,100,000 (A05) = Rp372,000,000; building 90 m2 x Rp2,500,000 (B03)
        # = Rp225,000,000; NJOP Rp597,000,000 - NJOPTKP Rp10,000,000 = Rp587,000,000 taxable
        # (<= Rp1 billion: 0.1%); 0.1% x 100% x 587,000,000 = Rp587,000.
        a = assess(HOUSE, R2025, njoptkp_applies=True)
        assert (a.land_njop, a.building_njop, a.njop) == (372_000_000, 225_000_000, 597_000_000)
        assert (a.njoptkp, a.taxable_njop, a.tariff, a.njop_percent) == (
            10_000_000,
            587_000_000,
            "0.001",
            "1",
        )
        assert a.principal == 587_000

    def test_house_2026(self) -> None:
        # land 120 x Rp3,410,000 = Rp409,200,000; building 90 x Rp2,625,000 = Rp236,250,000;
        # NJOP Rp645,450,000 - Rp15,000,000 = Rp630,450,000; x 80% = Rp504,360,000;
        # x 0.09% = Rp453,924.
        a = assess(HOUSE, R2026, njoptkp_applies=True)
        assert (a.njop, a.taxable_njop, a.principal) == (645_450_000, 630_450_000, 453_924)

    def test_njoptkp_not_applied_on_a_second_object(self) -> None:
        # 2026 without NJOPTKP: 645,450,000 x 80% x 0.09% = 464,724.
        a = assess(HOUSE, R2026, njoptkp_applies=False)
        assert (a.njoptkp, a.principal) == (0, 464_724)

    def test_top_bracket(self) -> None:
        # 2025: land 500 x Rp12,000,000 (A01) = Rp6,000,000,000; building 300 x Rp4,200,000
        # (B01) = Rp1,260,000,000; taxable 7,260,000,000 - 10,000,000 = Rp7,250,000,000 > 1 bn:
        # 0.2% x 100% = Rp14,500,000.
        # 2026: 500 x 13,200,000 + 300 x 4,410,000 = Rp7,923,000,000 - 15,000,000 =
        # Rp7,908,000,000 > 5 bn: 0.2% x 80% x 7,908,000,000 = Rp12,652,800.
        big = ObjectFacts(500, 300, "A01", "B01")
        assert assess(big, R2025, njoptkp_applies=True).principal == 14_500_000
        assert assess(big, R2026, njoptkp_applies=True).principal == 12_652_800

    def test_middle_bracket_2026(self) -> None:
        # bare land 200 m2 x Rp9,350,000 (A02) = Rp1,870,000,000 - 15,000,000 = 1,855,000,000
        # (1-5 bn: 0.15%); 0.15% x 80% x 1,855,000,000 = Rp2,226,000.
        a = assess(ObjectFacts(200, 0, "A02", None), R2026, njoptkp_applies=True)
        assert (a.tariff, a.building_njop, a.principal) == ("0.0015", 0, 2_226_000)

    def test_bracket_bound_is_inclusive(self) -> None:
        rules = R2026.model_copy(update={"land_classes": {"X": 1_000_000}})
        # 1000 m2 x Rp1,000,000 = exactly Rp1,000,000,000: still the first bracket (0.09%):
        # 0.09% x 80% x 1,000,000,000 = Rp720,000; one m2 more is in the 0.15% bracket:
        # 0.15% x 80% x 1,001,000,000 = Rp1,201,200.
        assert assess(ObjectFacts(1000, 0, "X", None), rules, njoptkp_applies=False).principal == (
            720_000
        )
        assert assess(ObjectFacts(1001, 0, "X", None), rules, njoptkp_applies=False).principal == (
            1_201_200
        )

    def test_njoptkp_never_exceeds_the_njop(self) -> None:
        # 10 m2 x Rp560,000 (A10, 2025) = Rp5,600,000 < NJOPTKP: nothing taxable, principal 0.
        a = assess(ObjectFacts(10, 0, "A10", None), R2025, njoptkp_applies=True)
        assert (a.njoptkp, a.taxable_njop, a.principal) == (5_600_000, 0, 0)

    def test_minimum_tax(self) -> None:
        rules = R2025.model_copy(update={"minimum_tax": 10_000})
        # 60 m2 x Rp560,000 = 33,600,000 - 10,000,000 = 23,600,000 x 0.1% = Rp23,600 (above);
        # 20 m2 x Rp560,000 = 11,200,000 - 10,000,000 = 1,200,000 x 0.1% = Rp1,200 -> Rp10,000.
        assert assess(ObjectFacts(60, 0, "A10", None), rules, njoptkp_applies=True).principal == (
            23_600
        )
        small = assess(ObjectFacts(20, 0, "A10", None), rules, njoptkp_applies=True)
        assert (small.computed_tax, small.principal) == (1_200, 10_000)

    def test_rounds_half_up_once(self) -> None:
        rules = R2025.model_copy(update={"land_classes": {"X": 500}, "njoptkp": 0})
        # 1 m2 x Rp500 x 0.1% = Rp0.5 -> 1; 3 m2: Rp1.5 -> 2.
        assert assess(ObjectFacts(1, 0, "X", None), rules, njoptkp_applies=True).principal == 1
        assert assess(ObjectFacts(3, 0, "X", None), rules, njoptkp_applies=True).principal == 2
        assert rupiah(Decimal("2.4999")) == 2

    def test_unknown_classes_are_refused(self) -> None:
        with pytest.raises(UnknownValueClass):
            assess(ObjectFacts(100, 0, "Z99", None), R2026, njoptkp_applies=True)
        with pytest.raises(UnknownValueClass):
            assess(ObjectFacts(100, 50, "A01", "B99"), R2026, njoptkp_applies=True)
        with pytest.raises(UnknownValueClass):
            assess(ObjectFacts(100, 50, "A01", None), R2026, njoptkp_applies=True)

    def test_computation_keeps_every_input(self) -> None:
        stored = assess(HOUSE, R2026, njoptkp_applies=True).as_json()
        assert stored["land_njop_per_m2"] == 3_410_000
        assert stored["building_njop_per_m2"] == 2_625_000
        assert stored["principal"] == 453_924
        assert set(stored) >= {"tax_year", "njoptkp", "taxable_njop", "tariff", "njop_percent"}


class TestPenaltyMonths:
    def test_month_ends(self) -> None:
        due_date = date(2026, 8, 31)
        assert penalty_months(due_date, date(2026, 8, 31), 24) == 0  # on the due date: on time
        assert penalty_months(due_date, date(2026, 9, 1), 24) == 1  # a started month
        assert penalty_months(due_date, date(2026, 9, 30), 24) == 1  # Aug 31 + 1 month
        assert penalty_months(due_date, date(2026, 10, 1), 24) == 2
        assert penalty_months(due_date, date(2026, 10, 31), 24) == 2
        assert penalty_months(due_date, date(2026, 11, 1), 24) == 3

    def test_leap_years(self) -> None:
        assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
        assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
        assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
        assert penalty_months(date(2024, 1, 31), date(2024, 2, 29), 24) == 1
        assert penalty_months(date(2024, 1, 31), date(2024, 3, 1), 24) == 2
        assert penalty_months(date(2023, 1, 31), date(2023, 3, 1), 24) == 2  # Feb 28 + 1 day

    def test_cap(self) -> None:
        due_date = date(2026, 8, 31)
        # Aug 31 2026 + 24 months = Aug 31 2028: still 24 months; any later day too.
        assert penalty_months(due_date, date(2028, 8, 31), 24) == 24
        assert penalty_months(due_date, date(2028, 9, 1), 24) == 24
        assert penalty_months(due_date, date(2040, 1, 1), 24) == 24
        assert penalty_months(due_date, date(2026, 9, 1), 0) == 0

    @given(
        st.dates(date(2024, 1, 1), date(2027, 12, 31)),
        st.integers(0, 2000),
        st.integers(0, 60),
        st.integers(0, 60),
    )
    def test_monotonic_and_capped(self, due_date: date, days: int, more: int, cap: int) -> None:
        first = due_date + timedelta(days=days)
        later = first + timedelta(days=more)
        assert penalty_months(due_date, first, cap) <= penalty_months(due_date, later, cap) <= cap


class TestAmountDue:
    def test_early_discounts_by_date(self) -> None:
        # 2026, principal Rp453,924: until 31 May 10% = 45,392.4 -> Rp45,392 (pay 408,532);
        # 1 Jun - 31 Jul 5% = 22,696.2 -> Rp22,696 (pay 431,228); August: no discount.
        assert due(453_924, date(2026, 5, 31)).total == 408_532
        june = due(453_924, date(2026, 6, 1))
        assert (june.discount, june.total) == (22_696, 431_228)
        assert due(453_924, date(2026, 7, 31)).discount == 22_696
        august = due(453_924, date(2026, 8, 31))
        assert (august.discount, august.penalty, august.total) == (0, 0, 453_924)

    def test_penalty_per_started_month(self) -> None:
        # 1% x 453,924 = 4,539.24 -> Rp4,539 (1 month); 2% = 9,078.48 -> Rp9,078.
        sept = due(453_924, date(2026, 9, 1))
        assert (sept.penalty_months, sept.penalty, sept.total) == (1, 4_539, 458_463)
        assert due(453_924, date(2026, 9, 30)).penalty == 4_539
        october = due(453_924, date(2026, 10, 1))
        assert (october.penalty_months, october.total) == (2, 463_002)
        # Capped at 24 months: 24% x 453,924 = 108,941.76 -> Rp108,942.
        late = due(453_924, date(2030, 1, 1))
        assert (late.penalty_months, late.penalty, late.total) == (24, 108_942, 562_866)
        assert late.overdue

    def test_small_bills_are_reduced_fully(self) -> None:
        for on in (date(2026, 5, 1), date(2026, 8, 31), date(2027, 6, 1)):
            amounts = due(50_000, on)
            assert (amounts.reduction, amounts.penalty, amounts.total) == (50_000, 0, 0)
            assert amounts.reduction_reason == "policy"

    def test_half_reduction_only_on_time(self) -> None:
        # Rp80,000: on time 50% = 40,000 (pay 40,000); before 31 May also 10% of the reduced
        # 40,000 = 4,000 off (pay 36,000); late: no reduction, 1% of 80,000 = Rp800.
        assert due(80_000, date(2026, 8, 15)).total == 40_000
        assert due(80_000, date(2026, 5, 1)).total == 36_000
        late = due(80_000, date(2026, 9, 1))
        assert (late.reduction, late.penalty, late.total) == (0, 800, 80_800)
        # The tier bounds: Rp50,001 is halved (25,000.5 -> 25,001), Rp100,001 is not reduced.
        assert due(50_001, date(2026, 8, 1)).reduction == 25_001
        assert due(100_000, date(2026, 8, 1)).reduction == 50_000
        assert due(100_001, date(2026, 8, 1)).reduction == 0

    def test_granted_reduction_versus_policy_the_larger_wins(self) -> None:
        granted = due(80_000, date(2026, 8, 15), granted=50_000)
        assert (granted.reduction, granted.reduction_reason, granted.total) == (
            50_000,
            "granted",
            30_000,
        )
        policy = due(80_000, date(2026, 8, 15), granted=30_000)
        assert (policy.reduction, policy.reduction_reason) == (40_000, "policy")
        # Late: the policy's 50% is lost, the granted Rp30,000 stays; penalty 1% x 50,000.
        late = due(80_000, date(2026, 9, 1), granted=30_000)
        assert (late.reduction, late.penalty, late.total) == (30_000, 500, 50_500)
        # A granted reduction never exceeds the principal.
        assert due(453_924, date(2026, 8, 1), granted=10**9).total == 0

    def test_amnesty_window(self) -> None:
        # 2025 bill Rp587,000, due 30 Sep 2025. On 15 Nov 2026: Sep 30 + 13 months = Oct 30
        # 2026 < Nov 15 -> 14 started months: 14% = Rp82,180, waived in the amnesty window.
        inside = due(587_000, date(2026, 11, 15), R2025)
        assert (inside.penalty_months, inside.penalty, inside.penalty_waived) == (
            14,
            82_180,
            82_180,
        )
        assert inside.total == 587_000
        before = due(587_000, date(2026, 10, 31), R2025)  # the day before: 14 months, no waiver
        assert (before.penalty_waived, before.total) == (0, 669_180)
        # 1 Jan 2027, after the window: 16 months (Dec 30 2026 < Jan 1), 16% = Rp93,920.
        after = due(587_000, date(2027, 1, 1), R2025)
        assert (after.penalty_waived, after.total) == (0, 680_920)

    def test_partial_amnesty(self) -> None:
        rules = R2025.model_copy(
            update={
                "amnesties": [
                    R2025.amnesties[0].model_copy(update={"penalty_waived_percent": Decimal(50)})
                ]
            }
        )
        # Half of the Rp82,180 penalty waived: 587,000 + 82,180 - 41,090 = Rp628,090.
        half = due(587_000, date(2026, 11, 15), rules)
        assert (half.penalty_waived, half.total) == (41_090, 628_090)

    @settings(max_examples=200, deadline=None)
    @given(
        st.sampled_from([2025, 2026]),
        st.integers(0, 50_000_000),
        st.integers(0, 200_000),
        st.dates(date(2025, 1, 1), date(2029, 12, 31)),
    )
    def test_never_negative_and_adds_up(
        self, year: int, principal: int, granted: int, on: date
    ) -> None:
        rules = RULES[year]
        a = due(principal, on, rules, granted)
        assert a.total >= 0
        assert a.total == (a.principal - a.reduction - a.discount + a.penalty - a.penalty_waived)
        assert 0 <= a.reduction <= principal
        assert a.penalty_waived <= a.penalty

    @settings(max_examples=100, deadline=None)
    @given(
        st.sampled_from([2025, 2026]),
        st.integers(0, 5_000_000),
        st.dates(date(2025, 1, 1), date(2029, 12, 31)),
        st.integers(1, 400),
    )
    def test_penalty_monotonic_in_the_date(
        self, year: int, principal: int, on: date, days: int
    ) -> None:
        rules = RULES[year]
        later = on + timedelta(days=days)
        assert due(principal, on, rules).penalty <= due(principal, later, rules).penalty


class TestNextChange:
    def test_2026_calendar(self) -> None:
        due_date = R2026.due_date

        def nxt(on: date) -> date | None:
            return next_change(due_date=due_date, rules=R2026, on=on)

        assert nxt(date(2026, 5, 1)) == date(2026, 6, 1)  # the 10% discount ends
        assert nxt(date(2026, 6, 1)) == date(2026, 8, 1)  # the 5% discount ends
        assert nxt(date(2026, 8, 1)) == date(2026, 9, 1)  # late from the day after the due date
        assert nxt(date(2026, 9, 1)) == date(2026, 10, 1)  # Aug 31 + 1 month = Sep 30
        # The last change: Aug 31 2026 + 23 months = Jul 31 2028, the 24th month from Aug 1.
        assert nxt(date(2028, 7, 1)) == date(2028, 8, 1)
        assert nxt(date(2028, 8, 1)) is None

    def test_amnesty_bounds(self) -> None:
        def nxt(on: date) -> date | None:
            return next_change(due_date=R2025.due_date, rules=R2025, on=on)

        assert nxt(date(2026, 10, 31)) == date(2026, 11, 1)  # amnesty starts
        assert nxt(date(2026, 12, 30)) == date(2026, 12, 31)  # Sep 30 + 15 months = Dec 30
        assert nxt(date(2026, 12, 31)) == date(2027, 1, 1)  # amnesty over

    @settings(max_examples=150, deadline=None)
    @given(
        st.sampled_from([2025, 2026]),
        st.integers(0, 3_000_000),
        st.integers(0, 100_000),
        st.dates(date(2025, 1, 1), date(2029, 6, 30)),
    )
    def test_amount_is_constant_until_the_next_change(
        self, year: int, principal: int, granted: int, on: date
    ) -> None:
        rules = RULES[year]
        change = next_change(due_date=rules.due_date, rules=rules, on=on)
        last = (change - timedelta(days=1)) if change else on + timedelta(days=3650)
        first, final = due(principal, on, rules, granted), due(principal, last, rules, granted)
        assert first.total == final.total
