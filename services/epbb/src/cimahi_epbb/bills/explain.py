"""A bill explained line by line: how its principal was assessed and what is due on a day.

Pure: the bill's stored computation (the inputs it was assessed with, whatever the rules say
today), the rules of its year in force (the reduction tiers, discounts, penalty rate and
amnesties that price it on a day) and the amounts due (``bills.formula.amount_due``). Labels are
in Bahasa Indonesia, keys in English; amounts are whole rupiah, negative for what is taken off.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from cimahi_epbb.bills.formula import DueAmounts, rupiah
from cimahi_epbb.rules.schema import TaxYearRules


class ExplainableBill(Protocol):
    """What explaining needs of a bill (``models.Bill`` has it)."""

    principal: int
    granted_reduction: int
    computation: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ExplanationLine:
    """One line: ``key`` (English, stable), ``label`` (Bahasa Indonesia), how it is computed."""

    key: str
    label: str
    formula: str
    amount: int


def money(amount: int) -> str:
    """Rupiah as Indonesians write it: ``Rp1.234.567`` (``-Rp5.000`` below zero)."""
    text = f"Rp{abs(amount):,}".replace(",", ".")
    return "-" + text if amount < 0 else text


def percent(value: Decimal | str, *, fraction: bool = True) -> str:
    """``0.0009`` -> ``0,09%`` (a fraction) or ``50`` -> ``50%`` (already a percentage)."""
    number = Decimal(value) * (100 if fraction else 1)
    text = format(number.normalize(), "f")
    return text.replace(".", ",") + "%"


def _assessment(c: dict[str, Any]) -> list[ExplanationLine]:
    lines = [
        ExplanationLine(
            "land_njop",
            f"NJOP bumi (kelas {c['land_class']})",
            f"{c['land_area']} m² × {money(c['land_njop_per_m2'])}",
            c["land_njop"],
        )
    ]
    if c["building_area"]:
        lines.append(
            ExplanationLine(
                "building_njop",
                f"NJOP bangunan (kelas {c['building_class']})",
                f"{c['building_area']} m² × {money(c['building_njop_per_m2'])}",
                c["building_njop"],
            )
        )
    lines.append(
        ExplanationLine(
            "njop",
            "NJOP bumi dan bangunan",
            f"{money(c['land_njop'])} + {money(c['building_njop'])}",
            c["njop"],
        )
    )
    lines.append(
        ExplanationLine(
            "njoptkp",
            "NJOPTKP (nilai tidak kena pajak)",
            "sekali per wajib pajak, pada objek dengan NJOP tertinggi"
            if c["njoptkp"]
            else "tidak dikurangkan: sudah pada objek lain milik wajib pajak",
            -c["njoptkp"],
        )
    )
    lines.append(
        ExplanationLine(
            "taxable_njop",
            "NJOP kena pajak",
            f"{money(c['njop'])} - {money(c['njoptkp'])}",
            c["taxable_njop"],
        )
    )
    base = Decimal(c["njop_percent"]) * c["taxable_njop"]
    lines.append(
        ExplanationLine(
            "assessment_base",
            "Dasar pengenaan pajak",
            f"{percent(c['njop_percent'])} × {money(c['taxable_njop'])}",
            rupiah(base),
        )
    )
    lines.append(
        ExplanationLine(
            "computed_tax",
            "PBB terhitung",
            f"tarif {percent(c['tariff'])} × {percent(c['njop_percent'])} × "
            f"{money(c['taxable_njop'])}",
            c["computed_tax"],
        )
    )
    if c["principal"] > c["computed_tax"]:
        lines.append(
            ExplanationLine("minimum_tax", "PBB minimum", "pokok paling sedikit", c["minimum_tax"])
        )
    return lines


def _reduction(bill: ExplainableBill, rules: TaxYearRules, due: DueAmounts) -> str:
    if due.reduction_reason == "granted":
        return f"dikabulkan atas permohonan pengurangan ({money(bill.granted_reduction)})"
    for tier in sorted(rules.reductions, key=lambda t: t.max_principal):
        if due.principal <= tier.max_principal:
            when = ", dibayar sampai jatuh tempo" if tier.on_time_only else ""
            return (
                f"{percent(tier.percent, fraction=False)} × {money(due.principal)} "
                f"(pokok ≤ {money(tier.max_principal)}{when})"
            )
    return money(due.reduction)  # pragma: no cover - a policy reduction always has a tier


def _discount(rules: TaxYearRules, due: DueAmounts) -> str:
    base = due.principal - due.reduction
    for offer in sorted(rules.early_discounts, key=lambda d: d.until):
        if due.on <= offer.until:
            return (
                f"{percent(offer.percent, fraction=False)} × {money(base)} "
                f"(dibayar sampai {offer.until:%d-%m-%Y})"
            )
    return money(due.discount)  # pragma: no cover


def _amounts(bill: ExplainableBill, rules: TaxYearRules, due: DueAmounts) -> list[ExplanationLine]:
    lines: list[ExplanationLine] = []
    base = due.principal - due.reduction
    if due.reduction:
        lines.append(
            ExplanationLine(
                "reduction", "Pengurangan", _reduction(bill, rules, due), -due.reduction
            )
        )
    if due.discount:
        lines.append(
            ExplanationLine(
                "discount", "Diskon pembayaran awal", _discount(rules, due), -due.discount
            )
        )
    if due.penalty:
        lines.append(
            ExplanationLine(
                "penalty",
                f"Denda keterlambatan ({due.penalty_months} bulan)",
                f"{percent(rules.penalty_rate_per_month)} × {due.penalty_months} bulan × "
                f"{money(base)} (paling lama {rules.penalty_cap_months} bulan)",
                due.penalty,
            )
        )
    if due.penalty_waived:
        lines.append(
            ExplanationLine(
                "penalty_waived",
                "Penghapusan denda",
                "program penghapusan denda (amnesti)",
                -due.penalty_waived,
            )
        )
    lines.append(
        ExplanationLine(
            "total",
            f"Jumlah yang harus dibayar pada {due.on:%d-%m-%Y}",
            "pokok - pengurangan - diskon + denda - penghapusan denda",
            due.total,
        )
    )
    return lines


def explain(
    bill: ExplainableBill, rules: TaxYearRules, due: DueAmounts | None
) -> list[ExplanationLine]:
    """The bill's lines: the assessment of its principal, then (when ``due`` is given) what
    paying it on ``due.on`` costs."""
    lines = _assessment(bill.computation)
    lines.append(
        ExplanationLine(
            "principal",
            "Pokok PBB (SPPT)",
            f"aturan tahun {bill.computation['tax_year']} versi "
            f"{bill.computation.get('rules_version', '-')}",
            bill.principal,
        )
    )
    if due is not None:
        lines.extend(_amounts(bill, rules, due))
    return lines
