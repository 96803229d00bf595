"""NIK and No. KK: structure (properties), generation from serial rows, concurrency, exhaustion."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cimahi_dilandacinta.config import DilandacintaSettings
from cimahi_dilandacinta.models import KkSerial, NikSerial
from cimahi_dilandacinta.register.names import name_key
from cimahi_dilandacinta.register.numbers import SerialsExhausted, next_nik, next_no_kk
from cimahi_shared.db import create_engine, create_session_factory
from cimahi_shared.identifiers import (
    PROVINCE_CODES,
    nik_prefix,
    parse_nik,
    validate_nik,
    validate_no_kk,
    with_serial,
)

TODAY = date(2026, 11, 29)
regions = st.builds(
    lambda province, regency, district: f"{province}{regency:02d}{district:02d}",
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.integers(1, 99),
    st.integers(1, 99),
)
# Two-digit years: a NIK holds a birth date of the last 99 years unambiguously.
birth_dates = st.dates(TODAY - timedelta(days=99 * 365), TODAY)
sexes = st.sampled_from(["L", "P"])


class TestStructure:
    @given(region=regions, born=birth_dates, sex=sexes, serial=st.integers(1, 9999))
    def test_composed_niks_validate_and_decode_back(
        self, region: str, born: date, sex: str, serial: int
    ) -> None:
        nik = with_serial(nik_prefix(region, born, sex), serial)
        assert validate_nik(nik) == nik
        parts = parse_nik(nik, today=TODAY)
        assert (parts.region, parts.birth_date, parts.sex, parts.serial) == (
            region,
            born,
            sex,
            serial,
        )

    @given(born=birth_dates)
    def test_women_have_day_plus_40(self, born: date) -> None:
        assert int(nik_prefix("327701", born, "P")[6:8]) == born.day + 40
        assert int(nik_prefix("327701", born, "L")[6:8]) == born.day

    def test_serial_0000_does_not_exist(self) -> None:
        with pytest.raises(ValueError, match="serial"):
            with_serial("327701520590", 0)
        with pytest.raises(ValueError, match="serial"):
            with_serial("327701520590", 10_000)

    @given(name=st.text(st.characters(categories=["L", "Zs", "Po"]), max_size=40))
    def test_name_keys_ignore_case_spacing_and_punctuation(self, name: str) -> None:
        key = name_key(name)
        assert name_key(f"  {name.upper()} . ") == name_key(name.upper())
        assert "  " not in key
        assert key == key.strip()
        assert name_key(key) == key


@pytest.fixture
async def sessions(
    settings: DilandacintaSettings,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings.database_url, pool_size=5)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


class TestGeneration:
    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(born=birth_dates, sex=sexes, region=st.sampled_from(["327701", "327702", "327703"]))
    async def test_generated_niks_validate_and_decode_back(
        self, sessions: async_sessionmaker[AsyncSession], born: date, sex: str, region: str
    ) -> None:
        async with sessions() as session, session.begin():
            nik = await next_nik(session, region=region, birth_date=born, sex=sex)
        parts = parse_nik(validate_nik(nik), today=TODAY)
        assert (parts.region, parts.birth_date, parts.sex) == (region, born, sex)
        assert parts.serial >= 1

    async def test_serials_count_up_from_0001_per_prefix(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        born = date(1990, 5, 12)
        async with sessions() as session, session.begin():
            first = await next_nik(session, region="327701", birth_date=born, sex="P")
            second = await next_nik(session, region="327701", birth_date=born, sex="P")
            man = await next_nik(session, region="327701", birth_date=born, sex="L")
            kk = await next_no_kk(session, region="327703", issued_on=date(2026, 11, 29))
        assert (first, second, man) == ("3277015205900001", "3277015205900002", "3277011205900001")
        assert kk == "3277032911260001"
        assert validate_no_kk(kk) == kk

    async def test_a_rolled_back_transaction_gives_its_serial_back(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        born = date(2000, 1, 1)
        async with sessions() as session:
            async with session.begin():
                await next_nik(session, region="327702", birth_date=born, sex="L")
                await session.rollback()
        async with sessions() as session, session.begin():
            nik = await next_nik(session, region="327702", birth_date=born, sex="L")
        assert nik.endswith("0001")

    async def test_no_duplicates_under_concurrent_generation(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        born = date(2026, 11, 1)

        async def generate(count: int) -> list[str]:
            niks = []
            for _ in range(count):
                async with sessions() as session, session.begin():
                    niks.append(await next_nik(session, region="327701", birth_date=born, sex="P"))
            return niks

        batches = await asyncio.gather(*(generate(15) for _ in range(4)))
        niks = [nik for batch in batches for nik in batch]
        assert len(set(niks)) == 60
        assert sorted(int(n[12:]) for n in niks) == list(range(1, 61))

    async def test_exhausted_serials_are_a_clear_error(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        born = date(1990, 5, 12)
        prefix = nik_prefix("327701", born, "L")
        async with sessions() as session, session.begin():
            session.add(NikSerial(prefix=prefix, last_serial=9998))
            session.add(KkSerial(prefix="327701010126", last_serial=9999))
        async with sessions() as session, session.begin():
            last = await next_nik(session, region="327701", birth_date=born, sex="L")
        assert last == prefix + "9999"
        async with sessions() as session:
            with pytest.raises(SerialsExhausted, match="327701"):
                await next_nik(session, region="327701", birth_date=born, sex="L")
            await session.rollback()
            with pytest.raises(SerialsExhausted):
                await next_no_kk(session, region="327701", issued_on=date(2026, 1, 1))
            await session.rollback()

    async def test_bad_arguments_are_refused(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        async with sessions() as session:
            with pytest.raises(ValueError, match="region"):
                await next_nik(session, region="3277", birth_date=date(1990, 1, 1), sex="L")
            with pytest.raises(ValueError, match="sex"):
                await next_nik(session, region="327701", birth_date=date(1990, 1, 1), sex="X")
