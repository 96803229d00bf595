"""Tax-year rules in force: the highest version of a year's rules in the database.

Rules reach the database from the packaged files (``rules/data/<year>.json``, or the directory
``EPBB_RULES_DIR``) on ``seed``/startup of a fresh database, and from admins as new versions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_epbb.config import EpbbSettings
from cimahi_epbb.models import TaxYearRulesVersion
from cimahi_epbb.rules.schema import TaxYearRules
from cimahi_shared.errors import Conflict, InvalidInput, NotFound


@dataclass(frozen=True, slots=True)
class RulesInForce:
    """A year's rules and the version they are."""

    rules: TaxYearRules
    version: int


async def rules_for(session: AsyncSession, tax_year: int) -> RulesInForce:
    """The rules in force for ``tax_year`` (NotFound when the year has none)."""
    row = (
        await session.execute(
            select(TaxYearRulesVersion)
            .where(TaxYearRulesVersion.tax_year == tax_year)
            .order_by(TaxYearRulesVersion.version.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"No rules for tax year {tax_year}.")
    return RulesInForce(TaxYearRules.model_validate(row.rules), row.version)


async def all_rules(session: AsyncSession) -> dict[int, RulesInForce]:
    """The rules in force of every tax year that has rules."""
    latest = (
        select(TaxYearRulesVersion.tax_year, func.max(TaxYearRulesVersion.version).label("v"))
        .group_by(TaxYearRulesVersion.tax_year)
        .subquery()
    )
    rows = (
        await session.execute(
            select(TaxYearRulesVersion).join(
                latest,
                (TaxYearRulesVersion.tax_year == latest.c.tax_year)
                & (TaxYearRulesVersion.version == latest.c.v),
            )
        )
    ).scalars()
    return {r.tax_year: RulesInForce(TaxYearRules.model_validate(r.rules), r.version) for r in rows}


def packaged_rules(settings: EpbbSettings) -> list[TaxYearRules]:
    """The rule files shipped with E-PBB, or those of ``EPBB_RULES_DIR``."""
    if settings.rules_dir:
        files = sorted(Path(settings.rules_dir).glob("*.json"))
        texts = [f.read_text(encoding="utf-8") for f in files]
    else:
        data = resources.files("cimahi_epbb.rules") / "data"
        texts = [
            f.read_text(encoding="utf-8")
            for f in sorted(data.iterdir(), key=lambda t: t.name)
            if f.name.endswith(".json")
        ]
    return [TaxYearRules.model_validate(json.loads(t)) for t in texts]


async def add_version(
    session: AsyncSession,
    rules: TaxYearRules,
    *,
    actor_sub: str,
    note: str | None,
    now: datetime,
) -> int:
    """Store ``rules`` as the next version of its year (the caller commits); returns the version."""
    current = (
        await session.execute(
            select(func.max(TaxYearRulesVersion.version)).where(
                TaxYearRulesVersion.tax_year == rules.tax_year
            )
        )
    ).scalar_one()
    version = (current or 0) + 1
    session.add(
        TaxYearRulesVersion(
            tax_year=rules.tax_year,
            version=version,
            rules=rules.model_dump(mode="json"),
            note=note,
            created_by=actor_sub,
            created_at=now,
        )
    )
    await session.flush()
    return version


async def load_packaged_rules(session: AsyncSession, settings: EpbbSettings, now: datetime) -> int:
    """Load the packaged rules of every year that has none yet (idempotent); returns years added."""
    have = set((await session.execute(select(TaxYearRulesVersion.tax_year).distinct())).scalars())
    added = 0
    for rules in packaged_rules(settings):
        if rules.tax_year not in have:
            await add_version(session, rules, actor_sub="system", note="Packaged rules", now=now)
            added += 1
    return added


async def list_versions(session: AsyncSession, tax_year: int) -> list[TaxYearRulesVersion]:
    """Every version of a year's rules, oldest first (empty when the year has none)."""
    rows = await session.execute(
        select(TaxYearRulesVersion)
        .where(TaxYearRulesVersion.tax_year == tax_year)
        .order_by(TaxYearRulesVersion.version)
    )
    return list(rows.scalars())


async def version_counts(session: AsyncSession) -> dict[int, int]:
    """How many versions each tax year's rules have."""
    rows = await session.execute(
        select(TaxYearRulesVersion.tax_year, func.count()).group_by(TaxYearRulesVersion.tax_year)
    )
    return {int(year): int(count) for year, count in rows.all()}


async def create_version(
    session: AsyncSession,
    *,
    tax_year: int,
    rules: TaxYearRules,
    note: str,
    actor_sub: str,
    now: datetime,
) -> TaxYearRulesVersion:
    """Add a version of ``tax_year``'s rules (the body's year must be the path's).

    Bills already generated keep their principal and inputs: the new version applies to bills
    generated from now on and to what is computed at payment time (penalty, discounts,
    amnesties, the policy reduction).
    """
    if rules.tax_year != tax_year:
        raise InvalidInput(
            f"The rules are for {rules.tax_year}, not {tax_year}.",
            errors=[{"field": "tax_year", "message": f"must be {tax_year} (the year in the path)"}],
        )
    try:
        async with session.begin_nested():
            version = await add_version(session, rules, actor_sub=actor_sub, note=note, now=now)
    except IntegrityError:
        raise Conflict("Another version of these rules was added at the same time.") from None
    row = await session.get(TaxYearRulesVersion, (tax_year, version))
    assert row is not None
    return row
