"""Test data for E-PBB: rules, tax objects and bills written straight to the database.

Tests of one feature use these to set the scene; the feature under test goes through the API.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_epbb.bills.formula import ObjectFacts, assess
from cimahi_epbb.config import EpbbSettings
from cimahi_epbb.models import Bill, TaxObject
from cimahi_epbb.rules.service import load_packaged_rules, rules_for
from cimahi_shared.identifiers import mask_nik
from cimahi_shared.pii import PiiCipher

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
ANI_NIK = "3277015205900001"  # the gateway's demo citizens
BUDI_NIK = "3277030308850002"
# NOP kecamatan 010 = 32.77.01 (Cimahi Selatan), kelurahan 001 = Melong.
MELONG_NOP = "327701000100100010"
MELONG = "32.77.01.1001"
CIBABAT_NOP = "327703000200200020"
CIBABAT = "32.77.03.1002"


async def load_rules(session: AsyncSession) -> None:
    """The packaged rules of 2025 and 2026."""
    await load_packaged_rules(session, EpbbSettings(), NOW)


async def add_object(
    session: AsyncSession,
    pii: PiiCipher,
    *,
    nop: str = MELONG_NOP,
    kelurahan_code: str = MELONG,
    nik: str | None = ANI_NIK,
    name: str = "Ani Lestari",
    land_area: int = 120,
    building_area: int = 90,
    land_class: str = "A05",
    building_class: str | None = "B03",
) -> TaxObject:
    """A tax object (not committed)."""
    obj = TaxObject(
        nop=nop,
        kecamatan_code=kelurahan_code.rsplit(".", 1)[0],
        kelurahan_code=kelurahan_code,
        block=nop[10:13],
        address="Jl. Contoh No. 1",
        rt="001",
        rw="002",
        land_area=land_area,
        building_area=building_area,
        land_class=land_class,
        building_class=building_class if building_area else None,
        taxpayer_name=name,
        taxpayer_nik_encrypted=pii.encrypt(nik) if nik else None,
        taxpayer_nik_hash=pii.lookup_hash(nik) if nik else None,
        taxpayer_nik_masked=mask_nik(nik) if nik else None,
        taxpayer_address="Jl. Contoh No. 1, Cimahi",
        status="active",
        version=1,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(obj)
    await session.flush()
    return obj


async def add_bill(
    session: AsyncSession,
    obj: TaxObject,
    *,
    tax_year: int = 2026,
    principal: int | None = None,
    granted_reduction: int = 0,
) -> Bill:
    """The object's bill for a year (assessed with the year's rules unless ``principal`` is given)."""
    in_force = await rules_for(session, tax_year)
    assessment = assess(
        ObjectFacts(obj.land_area, obj.building_area, obj.land_class, obj.building_class),
        in_force.rules,
        njoptkp_applies=True,
    )
    bill = Bill(
        id=str(ULID()),
        nop=obj.nop,
        tax_year=tax_year,
        version=1,
        is_current=True,
        sppt_number=f"{tax_year}.{obj.nop}.1",
        kelurahan_code=obj.kelurahan_code,
        status="unpaid",
        principal=assessment.principal if principal is None else principal,
        granted_reduction=granted_reduction,
        computation=assessment.as_json(),
        rules_version=in_force.version,
        due_date=in_force.rules.due_date,
        issued_at=NOW,
        reason="generated",
        updated_at=NOW,
    )
    session.add(bill)
    await session.flush()
    return bill
