"""Demo tax objects: about ``demo_objects`` synthetic properties over the 15 kelurahan.

``seed_demo_objects`` (``python -m cimahi_epbb seed``) loads them once, deterministic from
``demo_seed``: the fixed objects of the walk-throughs (Ani Lestari's house in Melong and her
kiosk in Cibeber, Budi Santoso's house in Cibabat; the gateway's demo citizens) and generated
ones with realistic land and building areas and value classes (central kelurahan dearer), a few
small plots whose bills fall under the Rp50,000 and Rp100,000 reductions, some taxpayers with
several objects (NJOPTKP once per taxpayer), old records without a NIK and a few retired objects.
Every NIK is encrypted at rest with a keyed hash and a masked copy (encrypting 120,000 NIKs costs
about 0.5 s, so every taxpayer with a NIK gets one). The names are synthetic (no real persons).
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate
from typing import Any, TypeVar, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_epbb.bills.generation import driver_value, insert_rows
from cimahi_epbb.config import EpbbSettings
from cimahi_epbb.models import TaxObject
from cimahi_epbb.objects.nop import kelurahan_prefix
from cimahi_shared.db import create_engine, create_session_factory, utcnow
from cimahi_shared.identifiers import mask_nik
from cimahi_shared.pii import PiiCipher
from cimahi_shared.regions import Kelurahan, kelurahan_by_code

T = TypeVar("T")
INSERT_CHUNK = 5_000
_OBJECTS = cast(Table, TaxObject.__table__)
LAND_CLASSES = tuple(f"A{n:02d}" for n in range(1, 11))
BUILDING_CLASSES = (("B01", 3), ("B02", 10), ("B03", 30), ("B04", 35), ("B05", 22))
_BUILDING_WEIGHTS = list(accumulate(w for _, w in BUILDING_CLASSES))

# How dear each kelurahan is: the index (0 = A01) of its typical land class.
ZONE = {
    "32.77.01.1001": 5, "32.77.01.1002": 6, "32.77.01.1003": 6, "32.77.01.1004": 7,
    "32.77.01.1005": 7, "32.77.02.1001": 4, "32.77.02.1002": 5, "32.77.02.1003": 4,
    "32.77.02.1004": 4, "32.77.02.1005": 5, "32.77.02.1006": 3, "32.77.03.1001": 4,
    "32.77.03.1002": 5, "32.77.03.1003": 7, "32.77.03.1004": 7,
}  # fmt: skip

# A short synthetic name list in the style of DILANDACINTA's demo register (not imported:
# services do not import each other).
MALE = (
    "Asep", "Dedi", "Ujang", "Agus", "Cecep", "Dadang", "Rudi", "Hendra", "Iwan", "Yayan",
    "Deden", "Gilang", "Rizki", "Fajar", "Yusuf", "Ahmad", "Dimas", "Bayu", "Taufik", "Wawan",
)  # fmt: skip
MALE_SECOND = (
    "Saepudin", "Supriadi", "Hidayat", "Kurniawan", "Permana", "Sopian", "Suherman", "Gunawan",
    "Setiawan", "Nugraha", "Ramdani", "Firmansyah", "Suryana", "Mulyana", "Kosasih",
)  # fmt: skip
FEMALE = (
    "Siti", "Neng", "Euis", "Rina", "Dewi", "Lilis", "Yanti", "Nining", "Tati", "Ratna",
    "Rini", "Sri", "Wulan", "Intan", "Ayu", "Fitri", "Nurul", "Dian", "Imas", "Elis",
)  # fmt: skip
FEMALE_SECOND = (
    "Aminah", "Rahayu", "Lestari", "Nurhayati", "Kurniasih", "Marlina", "Wulandari",
    "Susanti", "Handayani", "Maryani", "Nuraeni", "Yuliani", "Sartika", "Rahmawati", "Juariah",
)  # fmt: skip
COMPANIES = ("PT Sinar Cimahi Abadi", "CV Mekar Jaya", "Yayasan Al-Hikmah", "PT Tekstil Leuwigajah")
STREETS = {
    "32.77.01.1001": ("Jl. Melong Raya", "Jl. Melong Asih", "Jl. Sadarmanah"),
    "32.77.01.1002": ("Jl. Cibeureum", "Jl. Kebon Kopi", "Jl. Sukarasa"),
    "32.77.01.1003": ("Jl. Mahar Martanegara", "Jl. Cigugur Girang", "Jl. Utama"),
    "32.77.01.1004": ("Jl. Leuwigajah", "Jl. Kerkof", "Jl. Cisangkan"),
    "32.77.01.1005": ("Jl. Cibeber", "Jl. Pojok", "Jl. Pesantren"),
    "32.77.02.1001": ("Jl. Baros", "Jl. Sriwijaya", "Jl. Jend. H. Amir Machmud"),
    "32.77.02.1002": ("Jl. Cigugur Tengah", "Jl. Kolonel Masturi", "Jl. Sukagalih"),
    "32.77.02.1003": ("Jl. Karangmekar", "Jl. Encep Kartawiria", "Jl. Pasar Antri"),
    "32.77.02.1004": ("Jl. Setiamanah", "Jl. Kamarung", "Jl. Raden Demang Hardjakusumah"),
    "32.77.02.1005": ("Jl. Padasuka", "Jl. Sangkuriang", "Jl. Gatot Subroto"),
    "32.77.02.1006": ("Jl. Jend. Sudirman", "Jl. Stasiun", "Jl. Gandawijaya"),
    "32.77.03.1001": ("Jl. Pasirkaliki", "Jl. Sukaraja", "Jl. Kihapit"),
    "32.77.03.1002": ("Jl. Cibabat", "Jl. Daeng Muhammad Ardiwinata", "Jl. Pacinan"),
    "32.77.03.1003": ("Jl. Citeureup", "Jl. Cihanjuang", "Jl. Kolonel Masturi Atas"),
    "32.77.03.1004": ("Jl. Cipageran", "Jl. Cisasawi", "Jl. Sirnagalih"),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class DemoObject:
    """One demo tax object before it is stored (``nik`` in clear until then)."""

    nop: str
    kelurahan: Kelurahan
    block: str
    address: str
    rt: str
    rw: str
    land_area: int
    building_area: int
    land_class: str
    building_class: str | None
    taxpayer_name: str
    taxpayer_nik: str | None
    taxpayer_address: str
    status: str = "active"


ANI_NIK = "3277015205900001"
BUDI_NIK = "3277030308850002"
_ANI_ADDRESS = "Jl. Melong Asih No. 17, RT 003/RW 011, Melong, Cimahi Selatan"
_BUDI_ADDRESS = "Jl. Daeng Muhammad Ardiwinata No. 45, RT 002/RW 007, Cibabat, Cimahi Utara"


def fixed_objects() -> list[DemoObject]:
    """The objects of the walk-throughs (the NOPs match the README and the tests)."""
    kel = kelurahan_by_code()
    return [
        DemoObject(
            "327701000100100010", kel["32.77.01.1001"], "001", "Jl. Melong Asih No. 17",
            "003", "011", 120, 90, "A05", "B03", "Ani Lestari", ANI_NIK, _ANI_ADDRESS,
        ),
        # Ani's small kiosk plot in Cibeber: a bill under Rp100,000 (reduced by half on time).
        DemoObject(
            "327701000500400120", kel["32.77.01.1005"], "004", "Jl. Pojok No. 3",
            "002", "004", 48, 24, "A08", "B05", "Ani Lestari", ANI_NIK, _ANI_ADDRESS,
        ),
        DemoObject(
            "327703000200200020", kel["32.77.03.1002"], "002",
            "Jl. Daeng Muhammad Ardiwinata No. 45", "002", "007", 160, 140, "A04", "B02",
            "Budi Santoso", BUDI_NIK, _BUDI_ADDRESS,
        ),
    ]  # fmt: skip


class _Generator:
    """Draws the generated objects; one instance per seed so the result is reproducible."""

    def __init__(self, seed: int, settings: EpbbSettings) -> None:
        self.rng = random.Random(seed)
        self._random = self.rng.random
        self.settings = settings
        self.used_nops = {o.nop for o in fixed_objects()}
        self.used_niks = {ANI_NIK, BUDI_NIK}
        self.serials: dict[str, int] = {}
        # Recent taxpayers per kelurahan, some of whom own another object.
        self.owners: dict[str, list[tuple[str, str | None, str]]] = {}

    # random.randint and random.choice cost about 2.5 us each, ten times rng.random(): with
    # some fifteen draws per object they were most of the 120,000 objects' generation time.
    def _between(self, low: int, high: int) -> int:
        return low + int(self._random() * (high - low + 1))

    def _pick(self, items: Sequence[T]) -> T:
        return items[int(self._random() * len(items))]

    def _nik(self, kelurahan: Kelurahan, sex: str) -> str:
        # nik_prefix() without its checks (both regions are valid, days 1-28 exist in every
        # month): a third of the generation time went into them.
        region = kelurahan.nik_region if self._random() < 0.8 else "327301"  # some from Bandung
        day = self._between(1, 28) + (40 if sex == "P" else 0)
        prefix = f"{region}{day:02d}{self._between(1, 12):02d}{self._between(45, 102) % 100:02d}"
        while True:
            self.serials[prefix] = self.serials.get(prefix, 0) + 1
            nik = f"{prefix}{self.serials[prefix]:04d}"
            if nik not in self.used_niks:
                self.used_niks.add(nik)
                return nik

    def _taxpayer(self, kelurahan: Kelurahan, street: str) -> tuple[str, str | None, str]:
        rng = self.rng
        owners = self.owners.setdefault(kelurahan.code, [])
        if owners and rng.random() < 0.08:
            return self._pick(owners)  # a second (or third) object of a neighbour
        if rng.random() < 0.004:
            name, nik = self._pick(COMPANIES), None  # companies and foundations: no NIK
        else:
            sex = "L" if rng.random() < 0.62 else "P"
            given, second = (MALE, MALE_SECOND) if sex == "L" else (FEMALE, FEMALE_SECOND)
            name = f"{self._pick(given)} {self._pick(second)}"
            # Old records taken over from the land office often lack the NIK.
            nik = None if rng.random() < 0.04 else self._nik(kelurahan, sex)
        address = (
            f"{street} No. {self._between(1, 200)}, {kelurahan.name}, {kelurahan.kecamatan_name}"
        )
        owner = (name, nik, address)
        owners.append(owner)
        if len(owners) > 50:
            owners.pop(0)
        return owner

    def _areas(self) -> tuple[int, int, int]:
        """Land area, building area and a shift of the land class (small plots are cheaper)."""
        rng = self.rng
        kind = rng.random()
        if kind < 0.07:  # small plots and kiosks: bills under Rp50,000 / Rp100,000
            land = self._between(24, 70)
            building = 0 if rng.random() < 0.5 else self._between(12, land)
            return land, building, 3
        if kind < 0.62:
            land = self._between(60, 120)
        elif kind < 0.93:
            land = self._between(120, 250)
        elif kind < 0.99:
            land = self._between(250, 600)
        else:
            land = self._between(600, 2000)
        building = 0 if rng.random() < 0.1 else max(21, int(land * rng.uniform(0.4, 1.5)))
        return land, building, 0

    def objects(self, count: int) -> list[DemoObject]:
        rng = self.rng
        kelurahan = list(kelurahan_by_code().values())
        out: list[DemoObject] = []
        for index, kel in enumerate(kelurahan):
            prefix = kelurahan_prefix(kel, self.settings)
            share = count // len(kelurahan) + (1 if index < count % len(kelurahan) else 0)
            block, serial, block_size = 1, 0, self._between(150, 400)
            for _ in range(share):
                nop = ""
                while not nop or nop in self.used_nops:  # the fixed objects' NOPs are taken
                    serial += 1
                    if serial > block_size:
                        block, serial, block_size = block + 1, 1, self._between(150, 400)
                    nop = f"{prefix}{block:03d}{serial:04d}0"  # as make_nop, without re-checks
                self.used_nops.add(nop)
                street = self._pick(STREETS[kel.code])
                land, building, cheaper = self._areas()
                zone = min(len(LAND_CLASSES) - 1, ZONE[kel.code] + cheaper + self._between(-1, 2))
                building_class = None
                if building:
                    building_class = BUILDING_CLASSES[
                        bisect(_BUILDING_WEIGHTS, self._random() * _BUILDING_WEIGHTS[-1])
                    ][0]
                    if cheaper:
                        building_class = "B05"
                name, nik, address = self._taxpayer(kel, street)
                out.append(
                    DemoObject(
                        nop=nop,
                        kelurahan=kel,
                        block=f"{block:03d}",
                        address=f"{street} No. {self._between(1, 250)}",
                        rt=f"{self._between(1, 12):03d}",
                        rw=f"{self._between(1, 20):03d}",
                        land_area=land,
                        building_area=building,
                        land_class=LAND_CLASSES[max(0, zone)],
                        building_class=building_class,
                        taxpayer_name=name,
                        taxpayer_nik=nik,
                        taxpayer_address=address,
                        status="retired" if rng.random() < 0.002 else "active",
                    )
                )
        return out


def demo_objects(*, seed: int, count: int, settings: EpbbSettings) -> list[DemoObject]:
    """The fixed objects and ``count`` generated ones, the same for the same seed."""
    return [*fixed_objects(), *_Generator(seed, settings).objects(count)]


_COLUMNS = (
    "nop", "kecamatan_code", "kelurahan_code", "block", "address", "rt", "rw", "land_area",
    "building_area", "land_class", "building_class", "taxpayer_name", "taxpayer_nik_encrypted",
    "taxpayer_nik_hash", "taxpayer_nik_masked", "taxpayer_address", "status", "version",
    "created_at", "updated_at",
)  # fmt: skip


def _row(obj: DemoObject, pii: PiiCipher, stamp: Any) -> tuple[Any, ...]:
    nik = obj.taxpayer_nik
    kelurahan = obj.kelurahan
    return (
        obj.nop, kelurahan.kecamatan_code, kelurahan.code, obj.block, obj.address, obj.rt, obj.rw,
        obj.land_area, obj.building_area, obj.land_class, obj.building_class, obj.taxpayer_name,
        pii.encrypt(nik) if nik else None, pii.lookup_hash(nik) if nik else None,
        mask_nik(nik) if nik else None, obj.taxpayer_address, obj.status, 1, stamp, stamp,
    )  # fmt: skip


async def add_objects(
    session: AsyncSession, pii: PiiCipher, objects: Sequence[DemoObject], *, now: datetime
) -> int:
    """Insert objects (NIKs encrypted, hashed and masked) in chunks at driver level (COPY on
    PostgreSQL); returns how many."""
    conn = await session.connection()
    stamp = driver_value(conn, _OBJECTS.c.created_at, now)
    for start in range(0, len(objects), INSERT_CHUNK):
        rows = [_row(o, pii, stamp) for o in objects[start : start + INSERT_CHUNK]]
        await insert_rows(conn, "tax_objects", _COLUMNS, rows)
    return len(objects)


async def is_seeded(session: AsyncSession) -> bool:
    """Whether the demo objects are there (Ani's house is)."""
    marker = fixed_objects()[0].nop
    return (
        await session.execute(select(TaxObject.nop).where(TaxObject.nop == marker))
    ).first() is not None


async def seed_demo_objects(settings: EpbbSettings) -> int:
    """Load the demo objects once (a second run adds nothing); returns how many were added."""
    pii = PiiCipher(settings.pii_key.get_secret_value())
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            if await is_seeded(session):
                return 0
            objects = demo_objects(
                seed=settings.demo_seed, count=settings.demo_objects, settings=settings
            )
            return await add_objects(session, pii, objects, now=utcnow())
    finally:
        await engine.dispose()
