"""Tax-year rules (public reading, admin versions) and bill runs (admin).

``GET /v1/public/tax-years``, ``GET /v1/public/tax-years/{year}/rules`` (no login), ``POST /v1/admin/tax-years/{year}/rules``
and ``POST /v1/admin/bill-runs`` (here rather than in ``bills/router.py``: a bill run applies a
year's rules to every object, and is the admins' part of the yearly cycle next to the rules).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from cimahi_epbb.auth import Admin
from cimahi_epbb.bills.generation import generate_bills
from cimahi_epbb.clock import ClockDep
from cimahi_epbb.rules import service
from cimahi_epbb.rules.schemas import (
    BillRunCreate,
    BillRunRead,
    RulesVersionCreate,
    RulesVersionCreated,
    RulesVersionRead,
    TaxYearRead,
    TaxYearRulesRead,
)
from cimahi_shared.app import RuntimeDep, SessionDep
from cimahi_shared.errors import PROBLEM_JSON, NotFound

router = APIRouter(tags=["tax-year rules"])

_PROBLEM: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}
# The years a tax year can be (as in the bodies and queries): an unbounded int reached the
# database and overflowed its integer column (500).
TaxYear = Annotated[int, Path(ge=2000, le=2100, description="Tax year")]


@router.get("/v1/public/tax-years", response_model=list[TaxYearRead])
async def list_tax_years(session: SessionDep) -> list[TaxYearRead]:
    """Every tax year that has rules, with the version in force and its due date."""
    in_force = await service.all_rules(session)
    counts = await service.version_counts(session)
    return [
        TaxYearRead(
            tax_year=year,
            version=rules.version,
            due_date=rules.rules.due_date,
            versions=counts.get(year, 1),
        )
        for year, rules in sorted(in_force.items(), reverse=True)
    ]


@router.get(
    "/v1/public/tax-years/{year}/rules",
    response_model=TaxYearRulesRead,
    responses={404: {**_PROBLEM, "description": "No rules for this tax year"}},
)
async def get_tax_year_rules(year: TaxYear, session: SessionDep) -> TaxYearRulesRead:
    """A tax year's rules in force and the list of its versions (404 for a year without rules)."""
    versions = await service.list_versions(session, year)
    if not versions:
        raise NotFound(f"No rules for tax year {year}.")
    current = await service.rules_for(session, year)
    return TaxYearRulesRead(
        tax_year=year,
        version=current.version,
        rules=current.rules,
        versions=[
            RulesVersionRead(version=v.version, note=v.note, created_at=v.created_at)
            for v in versions
        ],
    )


@router.post(
    "/v1/admin/tax-years/{year}/rules",
    response_model=RulesVersionCreated,
    status_code=201,
    responses={409: {**_PROBLEM, "description": "Another version was added at the same time"}},
)
async def create_rules_version(
    year: TaxYear, body: RulesVersionCreate, admin: Admin, session: SessionDep, clock: ClockDep
) -> RulesVersionCreated:
    """Add a version of a year's rules (admin); bills already generated keep their principal."""
    rules = body.rules()
    row = await service.create_version(
        session, tax_year=year, rules=rules, note=body.note, actor_sub=admin.sub, now=clock.now
    )
    return RulesVersionCreated(
        tax_year=row.tax_year,
        version=row.version,
        note=body.note,
        created_at=row.created_at,
        rules=rules,
    )


@router.post(
    "/v1/admin/bill-runs",
    response_model=BillRunRead,
    status_code=201,
    tags=["bill runs"],
    responses={404: {**_PROBLEM, "description": "No rules for this tax year"}},
)
async def create_bill_run(
    body: BillRunCreate, _admin: Admin, runtime: RuntimeDep, clock: ClockDep
) -> BillRunRead:
    """Generate the bills (SPPT) of a tax year for every active object without one (admin;
    idempotent: a second run creates nothing)."""
    result = await generate_bills(runtime.session_factory, tax_year=body.tax_year, now=clock.now)
    runtime.relay.wake()
    return BillRunRead(**result.as_json())
