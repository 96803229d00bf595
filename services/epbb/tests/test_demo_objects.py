"""Demo tax objects: deterministic, valid NOPs over the 15 kelurahan, NIKs protected, the fixed
objects of the walk-throughs, idempotent seeding; and the NOP <-> region helpers."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from cimahi_epbb.bills.generation import generate_bills
from cimahi_epbb.config import EpbbSettings
from cimahi_epbb.models import Bill, TaxObject
from cimahi_epbb.objects.demo import demo_objects, seed_demo_objects
from cimahi_epbb.objects.nop import kelurahan_of, kelurahan_prefix, make_nop, split_nop
from cimahi_shared.db import create_engine, create_session_factory
from cimahi_shared.identifiers import validate_nik, validate_nop
from cimahi_shared.pii import PiiCipher
from cimahi_shared.regions import kelurahan_by_code
from services.epbb.tests.factories import (
    ANI_NIK,
    BUDI_NIK,
    CIBABAT,
    CIBABAT_NOP,
    MELONG,
    MELONG_NOP,
    NOW,
    load_rules,
)

SETTINGS = EpbbSettings()
ANI_KIOSK = "327701000500400120"  # 32.77.010.005.004-0012.0, Cibeber
KELURAHAN = kelurahan_by_code()


class TestNop:
    def test_region_of_an_nop(self) -> None:
        assert kelurahan_of(MELONG_NOP, SETTINGS) == KELURAHAN[MELONG]
        assert kelurahan_of(CIBABAT_NOP, SETTINGS) == KELURAHAN[CIBABAT]
        # Kecamatan 040 is not the city's; kelurahan 009 of Cimahi Selatan does not exist.
        assert kelurahan_of("327704000100100010", SETTINGS) is None
        assert kelurahan_of("327701000900100010", SETTINGS) is None

    def test_nop_of_a_kelurahan(self) -> None:
        # 32.77.01.1001 (Melong): kecamatan 010, kelurahan 001 -> 32.77.010.001.001-0001.0
        assert kelurahan_prefix(KELURAHAN[MELONG], SETTINGS) == "3277010001"
        assert make_nop(KELURAHAN[MELONG], 1, 1, SETTINGS) == MELONG_NOP
        assert make_nop(KELURAHAN["32.77.02.1006"], 12, 345, SETTINGS, "7") == (
            "327702000601203457"
        )
        parts = split_nop(CIBABAT_NOP)
        assert (parts.kecamatan, parts.kelurahan, parts.block, parts.serial) == (
            "030",
            "002",
            "002",
            "0002",
        )
        with pytest.raises(ValueError, match="block"):
            make_nop(KELURAHAN[MELONG], 0, 1, SETTINGS)

    def test_configured_kecamatan_codes(self) -> None:
        other = EpbbSettings(nop_kecamatan_codes={"110": "32.77.01"})
        assert make_nop(KELURAHAN[MELONG], 1, 1, other) == "327711000100100010"
        assert kelurahan_of("327711000100100010", other) == KELURAHAN[MELONG]
        assert kelurahan_of(MELONG_NOP, other) is None


class TestGenerated:
    def test_deterministic_from_the_seed(self) -> None:
        first = demo_objects(seed=7, count=300, settings=SETTINGS)
        assert first == demo_objects(seed=7, count=300, settings=SETTINGS)
        assert first != demo_objects(seed=8, count=300, settings=SETTINGS)

    def test_valid_and_spread_over_the_city(self) -> None:
        objects = demo_objects(seed=3277, count=1500, settings=SETTINGS)
        assert len(objects) == 1503  # the 3 fixed ones and 1500 generated
        nops = [o.nop for o in objects]
        assert len(set(nops)) == len(nops)
        for obj in objects:
            assert validate_nop(obj.nop) == obj.nop
            assert kelurahan_of(obj.nop, SETTINGS) == obj.kelurahan
            assert obj.block == obj.nop[10:13]
            assert obj.land_area > 0
            assert (obj.building_area == 0) == (obj.building_class is None)
            if obj.taxpayer_nik:
                validate_nik(obj.taxpayer_nik)
        assert {o.kelurahan.code for o in objects} == set(KELURAHAN)
        niks = [o.taxpayer_nik for o in objects if o.taxpayer_nik]
        assert len(set(niks)) < len(niks)  # some taxpayers own several objects
        assert any(o.taxpayer_nik is None for o in objects)
        assert len({o.land_class for o in objects}) >= 6

    def test_the_fixed_objects(self) -> None:
        objects = {o.nop: o for o in demo_objects(seed=1, count=0, settings=SETTINGS)}
        assert objects[MELONG_NOP].taxpayer_name == "Ani Lestari"
        assert objects[MELONG_NOP].kelurahan.name == "Melong"
        assert objects[CIBABAT_NOP].taxpayer_nik == BUDI_NIK
        assert objects[CIBABAT_NOP].kelurahan.name == "Cibabat"
        ani = [o for o in objects.values() if o.taxpayer_nik == ANI_NIK]
        assert len(ani) == 2


class TestSeed:
    async def test_seed_once_with_protected_niks(self, settings: EpbbSettings) -> None:
        small = settings.model_copy(update={"demo_objects": 300})
        assert await seed_demo_objects(small) == 303
        assert await seed_demo_objects(small) == 0  # idempotent
        pii = PiiCipher(small.pii_key.get_secret_value())
        engine = create_engine(small.database_url, pool_size=1)
        try:
            async with create_session_factory(engine)() as session:
                rows = (await session.execute(select(TaxObject))).scalars().all()
                assert len(rows) == 303
                by_nop = {r.nop: r for r in rows}
                ani = by_nop[MELONG_NOP]
                assert ani.taxpayer_nik_encrypted is not None
                assert ANI_NIK not in ani.taxpayer_nik_encrypted
                assert pii.decrypt(ani.taxpayer_nik_encrypted) == ANI_NIK
                assert ani.taxpayer_nik_masked == "3277********0001"
                owned = [r for r in rows if r.taxpayer_nik_hash == pii.lookup_hash(ANI_NIK)]
                assert len(owned) == 2
                for row in rows:
                    assert (row.taxpayer_nik_hash is None) == (row.taxpayer_nik_masked is None)
                assert {r.kelurahan_code for r in rows} == set(KELURAHAN)
        finally:
            await engine.dispose()

    async def test_bills_of_the_demo_include_reductions(
        self, settings: EpbbSettings, app: Any, session: Any
    ) -> None:
        await load_rules(session)
        await session.commit()
        await seed_demo_objects(settings.model_copy(update={"demo_objects": 600}))
        result = await generate_bills(app.state.runtime.session_factory, tax_year=2026, now=NOW)
        assert result.created > 590
        assert result.skipped == 0
        principals = (await session.execute(select(Bill.principal))).scalars().all()
        fixed = {
            b.nop: b
            for b in (
                await session.execute(
                    select(Bill).where(Bill.nop.in_([MELONG_NOP, ANI_KIOSK, CIBABAT_NOP]))
                )
            ).scalars()
        }
        # Ani's house takes her NJOPTKP (Rp453,924 as in test_formula); her kiosk in Cibeber
        # does not: 48 m2 x Rp1,320,000 + 24 m2 x Rp1,208,000 = Rp92,352,000 x 80% x 0.09% =
        # Rp66,493.44 -> Rp66,493, halved when paid on time.
        assert fixed[MELONG_NOP].principal == 453_924
        assert (fixed[ANI_KIOSK].principal, fixed[ANI_KIOSK].computation["njoptkp"]) == (66_493, 0)
        # Budi: 160 x 4,620,000 + 140 x 3,465,000 = 1,224,300,000 - 15,000,000 (1-5 bn: 0.15%)
        # x 80% = Rp1,451,160.
        assert fixed[CIBABAT_NOP].principal == 1_451_160
        # Some bills are reduced fully (<= Rp50,000), some by half on time (<= Rp100,000).
        assert any(p <= 50_000 for p in principals)
        assert any(50_000 < p <= 100_000 for p in principals)
        assert any(p > 1_000_000 for p in principals)
