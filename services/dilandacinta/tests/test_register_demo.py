"""The demo register: idempotent seed, the walk-throughs' fixed persons, realistic generated families."""

from __future__ import annotations

from collections import Counter
from datetime import date

import httpx
from sqlalchemy import select

from cimahi_dilandacinta.config import DilandacintaSettings
from cimahi_dilandacinta.models import Family, Person
from cimahi_dilandacinta.register.demo import demo_residents, seed_demo_register
from cimahi_shared.db import create_engine, create_session_factory
from cimahi_shared.identifiers import parse_nik, validate_no_kk
from cimahi_shared.regions import kelurahan_by_code
from services.dilandacinta.tests.conftest import Tokens

MATCH = "/internal/v1/identity/match"
DEMO_CITIZENS = [
    # The gateway's demo citizens and the README's registration walk-through.
    ("3277015205900001", "3277011203150004", "Ani Lestari", "1990-05-12"),
    ("3277030308850002", "3277032005100007", "Budi Santoso", "1985-08-03"),
    ("3277024107950003", "3277021506180005", "Siti Nurhaliza", "1995-07-01"),
]


class TestSeed:
    async def test_seeds_once_and_the_demo_citizens_match(
        self, settings: DilandacintaSettings, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        small = settings.model_copy(update={"demo_families": 45})
        added = await seed_demo_register(small)
        assert added > 45 * 2
        assert await seed_demo_register(small) == 0

        for nik, no_kk, name, born in DEMO_CITIZENS:
            body = {"nik": nik, "no_kk": no_kk, "full_name": name, "birth_date": born}
            response = await client.post(MATCH, json=body, headers=tokens.machine())
            assert response.json() == {"match": True}, name

        engine = create_engine(settings.database_url)
        try:
            async with create_session_factory(engine)() as session:
                persons = list((await session.execute(select(Person))).scalars())
                families = list((await session.execute(select(Family))).scalars())
        finally:
            await engine.dispose()
        assert len(persons) == added
        assert {p.status for p in persons} >= {"alive", "deceased", "moved_out"}
        assert {f.kelurahan_code for f in families} == set(kelurahan_by_code())
        assert all(f.head_person_id for f in families)
        siti = next(p for p in persons if p.full_name == "Siti Nurhaliza")
        assert siti.account_sub is None
        assert siti.kelurahan_code == "32.77.02.1001"
        spouses = [p.full_name for p in persons if p.family_id == siti.family_id]
        assert "Dadang Kurniawan" in spouses


class TestGeneratedPopulation:
    def test_is_deterministic_and_structurally_valid(self) -> None:
        residents = demo_residents(seed=3277, families=300)
        assert residents == demo_residents(seed=3277, families=300)
        assert residents != demo_residents(seed=1, families=300)
        assert len({r.nik for r in residents}) == len(residents)
        for resident in residents:
            parts = parse_nik(resident.nik, today=date(2026, 11, 29))
            assert (parts.birth_date, parts.sex) == (resident.birth_date, resident.sex)
            validate_no_kk(resident.no_kk)
            assert resident.no_kk.startswith(resident.kelurahan_code.replace(".", "")[:6])

    def test_looks_like_cimahi_families(self) -> None:
        residents = demo_residents(seed=3277, families=1000)
        assert 3000 <= len(residents) <= 4500
        by_family = Counter(r.no_kk for r in residents)
        assert len(by_family) == 1000
        heads = [r for r in residents if r.relationship_to_head == "kepala_keluarga"]
        assert len(heads) == 1000
        relationships = Counter(r.relationship_to_head for r in residents)
        assert relationships["istri"] > 600
        assert relationships["anak"] > 1000
        assert relationships["orang_tua"] > 20
        religions = Counter(r.religion for r in residents)
        assert religions.most_common(1)[0][0] == "Islam"
        assert len(religions) >= 4
        assert len({r.kelurahan_code for r in residents}) == 15
        # Some adults were first registered elsewhere: their NIK keeps that region.
        assert any(not r.nik.startswith("3277") for r in residents)
