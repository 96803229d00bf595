"""Kota Cimahi's kecamatan and kelurahan: the canonical codes of ``cimahi_shared/regions.json``.

One reader of the regions file for every member (the gateway's officer areas, LAKAMI's letters
and complaints, DILANDACINTA's register and catalogue).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

CITY_CODE = "32.77"


@dataclass(frozen=True, slots=True)
class Kelurahan:
    """A kelurahan of the city and its kecamatan."""

    code: str  # 32.77.01.1001
    name: str  # Melong
    kecamatan_code: str  # 32.77.01
    kecamatan_name: str  # Cimahi Selatan

    @property
    def nik_region(self) -> str:
        """The 6-digit region of NIK and No. KK registered here (the kecamatan: ``327701``)."""
        return self.kecamatan_code.replace(".", "")


@cache
def kelurahan_by_code() -> dict[str, Kelurahan]:
    """Every kelurahan of the city by code, in the order of the regions file."""
    raw = json.loads(resources.files("cimahi_shared").joinpath("regions.json").read_text("utf-8"))
    return {
        kel["code"]: Kelurahan(kel["code"], kel["name"], kec["code"], kec["name"])
        for kec in raw["kecamatan"]
        for kel in kec["kelurahan"]
    }


def find_kelurahan(code: str) -> Kelurahan | None:
    """The kelurahan with this code, or None when it is not one of the city's 15."""
    return kelurahan_by_code().get(code)


def kelurahan_name(code: str) -> str | None:
    """The name of a kelurahan of the city, or None for an unknown code."""
    kelurahan = kelurahan_by_code().get(code)
    return kelurahan.name if kelurahan else None


@cache
def kelurahan_codes() -> frozenset[str]:
    """Every kelurahan code of the city."""
    return frozenset(kelurahan_by_code())


@cache
def kecamatan_codes() -> frozenset[str]:
    """Every kecamatan code of the city."""
    return frozenset(k.kecamatan_code for k in kelurahan_by_code().values())


@cache
def area_codes() -> frozenset[str]:
    """Every code an officer may work in: the city, its kecamatan and its kelurahan."""
    return frozenset({CITY_CODE}) | kecamatan_codes() | kelurahan_codes()
