"""Demo register: synthetic Cimahi residents for development, tests and benchmarks.

``add_residents`` puts given persons into a DILANDACINTA database (the gateway's end-to-end tests
and the benchmark use it). ``seed_demo_register`` loads the demo population
(``python -m cimahi_dilandacinta seed``): the fixed persons of the walk-throughs (Ani Lestari and
Budi Santoso, the gateway's demo citizens; Siti Nurhaliza, who has no account yet; a deceased and
a moved-out resident) with their families, and ``demo_families`` generated families spread over
the 15 kelurahan, deterministic from ``demo_seed``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_dilandacinta.config import DilandacintaSettings
from cimahi_dilandacinta.register import demo_names as words
from cimahi_dilandacinta.register import repository
from cimahi_dilandacinta.register.residents import DECEASED, MOVED_OUT, Resident, load_residents
from cimahi_shared.db import create_engine, create_session_factory
from cimahi_shared.identifiers import nik_prefix, no_kk_prefix, with_serial
from cimahi_shared.pii import PiiCipher
from cimahi_shared.regions import Kelurahan, kelurahan_by_code

__all__ = ["FIXED_RESIDENTS", "Resident", "add_residents", "demo_residents", "seed_demo_register"]

# The demo population is the same whenever it is generated: ages are counted from this day.
REFERENCE_DAY = date(2026, 1, 1)


async def add_residents(
    database_url: str, residents: Sequence[Resident], *, pii_key: str | None = None
) -> int:
    """Add each resident not yet in the register (by NIK); returns how many were added.

    An unknown No. KK becomes a new family card, a known one is joined. ``pii_key`` defaults to
    the service's (``DILANDACINTA_PII_KEY`` or the development key).
    """
    key = pii_key or DilandacintaSettings().pii_key.get_secret_value()
    engine = create_engine(database_url, pool_size=1)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            return await load_residents(session, PiiCipher(key), residents)
    finally:
        await engine.dispose()


# --- the fixed persons ---


def _family(
    no_kk: str, kelurahan_code: str, address: str, rt: str, rw: str, members: Sequence[Resident]
) -> list[Resident]:
    return [
        replace(m, no_kk=no_kk, kelurahan_code=kelurahan_code, address=address, rt=rt, rw=rw)
        for m in members
    ]


def _p(
    nik: str, name: str, born: date, sex: str, relationship: str, occupation: str, **more: object
) -> Resident:
    married = relationship in ("kepala_keluarga", "istri", "suami")
    return replace(
        Resident(
            nik=nik,
            no_kk="",
            full_name=name,
            birth_date=born,
            sex=sex,
            kelurahan_code="",
            relationship_to_head=relationship,
            marital_status="kawin" if married else "belum_kawin",
            occupation=occupation,
        ),
        **more,  # type: ignore[arg-type]
    )


_ANI_PARENTS = {"father_name": "Rahmat Hidayat", "mother_name": "Ani Lestari"}
_BUDI_PARENTS = {"father_name": "Budi Santoso", "mother_name": "Rina Wulandari"}

FIXED_RESIDENTS: tuple[Resident, ...] = (
    # Ani Lestari (gateway demo citizen), kelurahan Melong; her NIK's day is 12 + 40.
    *_family(
        "3277011203150004",
        "32.77.01.1001",
        "Jl. Melong Asih No. 17",
        "003",
        "011",
        [
            _p("3277011402870003", "Rahmat Hidayat", date(1987, 2, 14), "L",
               "kepala_keluarga", "Karyawan Swasta", birth_place="Bandung"),
            _p("3277015205900001", "Ani Lestari", date(1990, 5, 12), "P", "istri", "Guru"),
            _p("3277012001160002", "Rafi Hidayat", date(2016, 1, 20), "L", "anak",
               "Pelajar/Mahasiswa", **_ANI_PARENTS),
            _p("3277014809190001", "Aisyah Putri Hidayat", date(2019, 9, 8), "P", "anak",
               "Belum/Tidak Bekerja", **_ANI_PARENTS),
        ],
    ),
    # Budi Santoso (gateway demo citizen), kelurahan Cibabat.
    *_family(
        "3277032005100007",
        "32.77.03.1002",
        "Jl. Daeng Muhammad Ardiwinata No. 45",
        "002",
        "007",
        [
            _p("3277030308850002", "Budi Santoso", date(1985, 8, 3), "L",
               "kepala_keluarga", "Wiraswasta"),
            _p("3277036111870004", "Rina Wulandari", date(1987, 11, 21), "P", "istri",
               "Karyawan Swasta", birth_place="Garut"),
            _p("3277030904110001", "Daffa Santoso", date(2011, 4, 9), "L", "anak",
               "Pelajar/Mahasiswa", **_BUDI_PARENTS),
            _p("3277034212140003", "Naura Santoso", date(2014, 12, 2), "P", "anak",
               "Pelajar/Mahasiswa", **_BUDI_PARENTS),
        ],
    ),
    # Siti Nurhaliza: in the register, without a city login (the README registers her).
    *_family(
        "3277021506180005",
        "32.77.02.1001",
        "Jl. Baros No. 8",
        "004",
        "002",
        [
            _p("3277021703920002", "Dadang Kurniawan", date(1992, 3, 17), "L",
               "kepala_keluarga", "Karyawan Swasta"),
            _p("3277024107950003", "Siti Nurhaliza", date(1995, 7, 1), "P", "istri",
               "Mengurus Rumah Tangga"),
            _p("3277026502200001", "Keisha Kurniawan", date(2020, 2, 25), "P", "anak",
               "Belum/Tidak Bekerja", father_name="Dadang Kurniawan",
               mother_name="Siti Nurhaliza"),
        ],
    ),
    # A family of kelurahan Cibeber with a deceased grandfather and a son who moved out.
    *_family(
        "3277010805050002",
        "32.77.01.1005",
        "Jl. Pesantren No. 23",
        "006",
        "004",
        [
            _p("3277010510680001", "Engkus Kosasih", date(1968, 10, 5), "L",
               "kepala_keluarga", "Buruh Harian Lepas"),
            _p("3277017006710002", "Imas Juariah", date(1971, 6, 30), "P", "istri",
               "Mengurus Rumah Tangga"),
            _p("3277011501380001", "Oman Rukmana", date(1938, 1, 15), "L", "orang_tua",
               "Pensiunan", marital_status="cerai_mati", status=DECEASED,
               died_on=date(2024, 2, 10)),
            _p("3277011209960004", "Yogi Pratama", date(1996, 9, 12), "L", "anak",
               "Karyawan Swasta", status=MOVED_OUT, moved_out_on=date(2025, 3, 3),
               moved_to="Kota Bandung", father_name="Engkus Kosasih",
               mother_name="Imas Juariah"),
        ],
    ),
)  # fmt: skip


# --- the generated population ---


@dataclass
class _Numbers:
    """Serials handed out while generating, starting after the fixed persons' numbers."""

    used: set[str] = field(default_factory=lambda: {r.nik for r in FIXED_RESIDENTS})
    used_kk: set[str] = field(default_factory=lambda: {r.no_kk for r in FIXED_RESIDENTS})
    serials: dict[str, int] = field(default_factory=dict)

    def _next(self, prefix: str, used: set[str]) -> str:
        while True:
            self.serials[prefix] = self.serials.get(prefix, 0) + 1
            number = with_serial(prefix, self.serials[prefix])
            if number not in used:
                used.add(number)
                return number

    def nik(self, region: str, born: date, sex: str) -> str:
        return self._next(nik_prefix(region, born, sex), self.used)

    def no_kk(self, region: str, issued_on: date) -> str:
        return self._next(no_kk_prefix(region, issued_on), self.used_kk)


def _weighted(rng: random.Random, table: Sequence[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _born(rng: random.Random, age: int) -> date:
    return REFERENCE_DAY - timedelta(days=age * 365 + rng.randint(0, 364))


def _age(born: date) -> int:
    return (REFERENCE_DAY - born).days // 365


@dataclass
class _FamilyBuilder:
    """Generates one family card: head, maybe a spouse, children, sometimes a parent."""

    rng: random.Random
    numbers: _Numbers
    kelurahan: Kelurahan
    members: list[Resident] = field(default_factory=list)

    def _name(self, sex: str, *, child: bool) -> str:
        rng = self.rng
        given: Sequence[str]
        if sex == "L":
            given = words.CHILD_MALE_GIVEN if child else words.MALE_GIVEN
            return f"{rng.choice(given)} {rng.choice(words.MALE_SECOND)}"
        given = words.CHILD_FEMALE_GIVEN if child else words.FEMALE_GIVEN
        return f"{rng.choice(given)} {rng.choice(words.FEMALE_SECOND)}"

    def _occupation(self, sex: str, age: int) -> str:
        if age < 5:
            return "Belum/Tidak Bekerja"
        if age < 22:
            return "Pelajar/Mahasiswa"
        if age >= 60 and self.rng.random() < 0.5:
            return "Pensiunan"
        if sex == "P" and self.rng.random() < 0.45:
            return "Mengurus Rumah Tangga"
        return _weighted(self.rng, words.OCCUPATIONS)

    def person(self, sex: str, born: date, relationship: str, **more: object) -> Resident:
        child = relationship == "anak"
        place = "Cimahi" if child else _weighted(self.rng, words.BIRTH_PLACES)
        region = self.kelurahan.nik_region
        if place in words.OTHER_NIK_REGIONS and self.rng.random() < 0.5:
            region = words.OTHER_NIK_REGIONS[place]  # first registered there; NIK never changes
        resident = Resident(
            nik=self.numbers.nik(region, born, sex),
            no_kk="",
            full_name=self._name(sex, child=born.year >= 2005),
            birth_date=born,
            sex=sex,
            kelurahan_code=self.kelurahan.code,
            relationship_to_head=relationship,
            birth_place=place,
            occupation=self._occupation(sex, _age(born)),
            marital_status="belum_kawin" if child else "kawin",
        )
        resident = replace(resident, **more)  # type: ignore[arg-type]
        self.members.append(resident)
        return resident

    def build(self) -> list[Resident]:
        rng = self.rng
        kind = rng.choices(
            ["couple_children", "couple", "single_parent", "single", "with_parent"],
            weights=[68, 10, 8, 7, 7],
        )[0]
        head_sex = "P" if kind == "single_parent" else "L"
        head_age = rng.randint(23, 40) if kind in ("couple", "single") else rng.randint(28, 68)
        head = self.person(
            head_sex,
            _born(rng, head_age),
            "kepala_keluarga",
            marital_status={"single": "belum_kawin", "single_parent": "cerai_mati"}.get(
                kind, "kawin"
            ),
        )
        mother_name = head.full_name if head_sex == "P" else None
        family_start = head.birth_date.year + rng.randint(22, 30)
        if kind in ("couple_children", "couple", "with_parent"):
            wife = self.person("P", _born(rng, max(20, head_age - rng.randint(0, 6))), "istri")
            mother_name = wife.full_name
            family_start = max(family_start, wife.birth_date.year + 20)
        family_start = min(family_start, REFERENCE_DAY.year - 1)
        if kind in ("couple_children", "single_parent", "with_parent"):
            self._children(head, mother_name, family_start)
        if kind == "with_parent":
            self._parent(head)
        issued = date(family_start, rng.randint(1, 12), rng.randint(1, 28))
        if kind == "single":
            issued = date(rng.randint(max(2005, head.birth_date.year + 18), 2025), 6, 1)
        no_kk = self.numbers.no_kk(self.kelurahan.nik_region, issued)
        street = rng.choice(words.STREETS[self.kelurahan.code])
        address = f"{street} No. {rng.randint(1, 180)}"
        rt, rw = f"{rng.randint(1, 10):03d}", f"{rng.randint(1, 18):03d}"
        religion = _weighted(rng, words.RELIGIONS)
        members = [replace(m, religion=religion) for m in self.members]
        return _family(no_kk, self.kelurahan.code, address, rt, rw, members)

    def _children(self, head: Resident, mother_name: str | None, start: int) -> None:
        rng = self.rng
        years = sorted(rng.randint(start, REFERENCE_DAY.year - 1) for _ in range(rng.randint(1, 4)))
        father_name = head.full_name if head.sex == "L" else None
        for year in years:
            born = date(year, rng.randint(1, 12), rng.randint(1, 28))
            more: dict[str, object] = {"father_name": father_name, "mother_name": mother_name}
            if _age(born) >= 24 and rng.random() < 0.1:
                more.update(
                    status=MOVED_OUT,
                    moved_out_on=date(2025, rng.randint(1, 12), rng.randint(1, 28)),
                    moved_to=rng.choice(words.MOVED_TO),
                )
            self.person(rng.choice("LP"), born, "anak", **more)

    def _parent(self, head: Resident) -> None:
        rng = self.rng
        age = min(_age(head.birth_date) + rng.randint(22, 32), 88)
        more: dict[str, object] = {"marital_status": "cerai_mati"}
        if rng.random() < 0.15:
            more.update(status=DECEASED, died_on=date(rng.randint(2020, 2025), 3, 14))
        self.person("P" if rng.random() < 0.7 else "L", _born(rng, age), "orang_tua", **more)


def demo_residents(*, seed: int, families: int) -> list[Resident]:
    """The generated demo population: ``families`` family cards over the city's 15 kelurahan."""
    rng = random.Random(seed)
    numbers = _Numbers()
    kelurahan = list(kelurahan_by_code().values())
    residents: list[Resident] = []
    for index in range(families):
        builder = _FamilyBuilder(rng, numbers, kelurahan[index % len(kelurahan)])
        residents.extend(builder.build())
    return residents


async def is_seeded(session: AsyncSession, pii: PiiCipher) -> bool:
    """Whether the demo register is there (its first fixed person is)."""
    marker = pii.lookup_hash(FIXED_RESIDENTS[0].nik)
    return await repository.find_person_by_nik_hash(session, marker) is not None


async def seed_demo_register(settings: DilandacintaSettings) -> int:
    """Load the demo register once (a second run adds nothing); returns how many persons were added."""
    pii = PiiCipher(settings.pii_key.get_secret_value())
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            if await is_seeded(session, pii):
                return 0
            generated = demo_residents(seed=settings.demo_seed, families=settings.demo_families)
            return await load_residents(session, pii, [*FIXED_RESIDENTS, *generated])
    finally:
        await engine.dispose()
