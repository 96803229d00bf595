"""add_residents: persons with known NIK / No. KK loaded into the register (e2e tests, benchmarks)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from cimahi_dilandacinta.config import DilandacintaSettings
from cimahi_dilandacinta.models import Family, NikSerial, Person
from cimahi_dilandacinta.register.demo import Resident, add_residents
from cimahi_dilandacinta.register.numbers import next_nik
from cimahi_shared.db import create_engine, create_session_factory

RINA = Resident(
    nik="3277015205900011",
    no_kk="3277011205900011",
    full_name="Rina Marlina",
    birth_date=date(1990, 5, 12),
    sex="P",
    kelurahan_code="32.77.01.1001",
)
DEDI = Resident(
    nik="3277011001880021",
    no_kk="3277011205900011",
    full_name="Dedi Supriadi",
    birth_date=date(1988, 1, 10),
    sex="L",
    kelurahan_code="32.77.01.1001",
    relationship_to_head="suami",
)


class TestAddResidents:
    async def test_adds_persons_and_their_family_once(self, settings: DilandacintaSettings) -> None:
        assert await add_residents(settings.database_url, [RINA]) == 1
        assert await add_residents(settings.database_url, [RINA, DEDI]) == 1
        assert await add_residents(settings.database_url, [RINA, DEDI]) == 0

        engine = create_engine(settings.database_url)
        try:
            async with create_session_factory(engine)() as session:
                families = list((await session.execute(select(Family))).scalars())
                persons = list((await session.execute(select(Person))).scalars())
                assert len(families) == 1
                assert {p.family_id for p in persons} == {families[0].id}
                rina = next(p for p in persons if p.full_name == "Rina Marlina")
                assert families[0].head_person_id == rina.id
                assert families[0].kelurahan_code == "32.77.01.1001"
                assert rina.nik_masked == "3277********0011"
                assert "3277015205900011" not in rina.nik_encrypted
        finally:
            await engine.dispose()

    async def test_generated_niks_skip_loaded_serials(self, settings: DilandacintaSettings) -> None:
        await add_residents(settings.database_url, [RINA])
        engine = create_engine(settings.database_url)
        try:
            async with create_session_factory(engine)() as session, session.begin():
                nik = await next_nik(
                    session, region="327701", birth_date=date(1990, 5, 12), sex="P"
                )
                assert nik == "3277015205900012"
                count = await session.scalar(select(func.count()).select_from(NikSerial))
                assert count == 1
        finally:
            await engine.dispose()

    async def test_many_residents_in_one_call(self, settings: DilandacintaSettings) -> None:
        residents = [
            Resident(
                nik=f"32770210108{i // 1000 % 10}{(i % 1000) + 1:04d}"[:16],
                no_kk=f"327702010120{(i // 4) + 1:04d}",
                full_name=f"Warga {i}",
                birth_date=date(1980 + i // 1000 % 10, 1, 10),
                sex="L",
                kelurahan_code="32.77.02.1001",
                relationship_to_head="kepala_keluarga" if i % 4 == 0 else "anak",
            )
            for i in range(2000)
        ]
        assert len({r.nik for r in residents}) == 2000
        assert await add_residents(settings.database_url, residents) == 2000
