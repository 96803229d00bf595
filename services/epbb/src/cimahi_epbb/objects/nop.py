"""NOP <-> region: which kelurahan an NOP lies in, and the NOPs of a kelurahan.

An NOP is ``PP KK CCC DDD BBB UUUU T`` (province 32, city 77, kecamatan, kelurahan, block,
serial, object type). The city's kecamatan codes for NOP are configuration
(``EpbbSettings.nop_kecamatan_codes``: ``"010" -> "32.77.01"``); the kelurahan part ``DDD`` is the
last three digits of the region's kelurahan code (``32.77.01.1001`` -> ``001``).
"""

from __future__ import annotations

from dataclasses import dataclass

from cimahi_epbb.config import EpbbSettings
from cimahi_shared.identifiers import validate_nop
from cimahi_shared.regions import Kelurahan, kelurahan_by_code

CITY_PREFIX = "3277"


@dataclass(frozen=True, slots=True)
class NopParts:
    """The parts of an 18-digit NOP."""

    kecamatan: str  # CCC
    kelurahan: str  # DDD
    block: str  # BBB
    serial: str  # UUUU
    object_type: str  # T: 0, 7 or 9


def split_nop(nop: str) -> NopParts:
    """The parts of a valid 18-digit NOP (ValueError otherwise)."""
    validate_nop(nop)
    return NopParts(nop[4:7], nop[7:10], nop[10:13], nop[13:17], nop[17])


def kelurahan_part(kelurahan_code: str) -> str:
    """The NOP kelurahan digits of a region kelurahan code: ``32.77.01.1001`` -> ``001``."""
    return kelurahan_code[-3:]


def nop_kecamatan_code(kecamatan_code: str, settings: EpbbSettings) -> str:
    """The NOP kecamatan digits of a region kecamatan code (KeyError for an unknown one)."""
    for nop_code, region in settings.nop_kecamatan_codes.items():
        if region == kecamatan_code:
            return nop_code
    raise KeyError(f"no NOP kecamatan code for {kecamatan_code}")


def kelurahan_prefix(kelurahan: Kelurahan, settings: EpbbSettings) -> str:
    """The first 10 digits of the NOPs of a kelurahan: ``3277`` + CCC + DDD."""
    return (
        CITY_PREFIX
        + nop_kecamatan_code(kelurahan.kecamatan_code, settings)
        + kelurahan_part(kelurahan.code)
    )


def make_nop(
    kelurahan: Kelurahan, block: int, serial: int, settings: EpbbSettings, object_type: str = "0"
) -> str:
    """The NOP of an object of a kelurahan: block 1-999, serial 1-9999, type 0/7/9."""
    if not 1 <= block <= 999 or not 1 <= serial <= 9999:
        raise ValueError("block must be 1-999 and serial 1-9999")
    return validate_nop(
        f"{kelurahan_prefix(kelurahan, settings)}{block:03d}{serial:04d}{object_type}"
    )


def kelurahan_of(nop: str, settings: EpbbSettings) -> Kelurahan | None:
    """The kelurahan an NOP lies in, or None when its kecamatan/kelurahan digits are unknown."""
    parts = split_nop(nop)
    kecamatan_code = settings.nop_kecamatan_codes.get(parts.kecamatan)
    if kecamatan_code is None:
        return None
    for kelurahan in kelurahan_by_code().values():
        if (
            kelurahan.kecamatan_code == kecamatan_code
            and kelurahan_part(kelurahan.code) == parts.kelurahan
        ):
            return kelurahan
    return None
