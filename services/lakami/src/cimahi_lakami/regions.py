"""Kota Cimahi's kecamatan and kelurahan (canonical codes from ``cimahi_shared/regions.json``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Kelurahan:
    """A kelurahan: the unit that receives and signs LAKAMI letters."""

    code: str  # 32.77.01.1001
    name: str  # Melong
    kecamatan_code: str  # 32.77.01
    kecamatan_name: str  # Cimahi Selatan


@cache
def kelurahan_by_code() -> dict[str, Kelurahan]:
    """Every kelurahan of the city by its code."""
    raw = json.loads(resources.files("cimahi_shared").joinpath("regions.json").read_text("utf-8"))
    return {
        kel["code"]: Kelurahan(kel["code"], kel["name"], kec["code"], kec["name"])
        for kec in raw["kecamatan"]
        for kel in kec["kelurahan"]
    }


def find_kelurahan(code: str) -> Kelurahan | None:
    """The kelurahan with this code, or None when it is not one of the city's 15."""
    return kelurahan_by_code().get(code)
