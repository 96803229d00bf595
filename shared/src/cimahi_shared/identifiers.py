"""Pydantic types for Indonesian identifiers: NIK, No. KK, NOP and NIB (rules from the domain notes)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

# Province codes of Kemendagri (2024: 38 provinces). A regency/city code is two digits, not 00.
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15", "16", "17", "18", "19", "21",
        "31", "32", "33", "34", "35", "36", "51", "52", "53", "61",
        "62", "63", "64", "65", "71", "72", "73", "74", "75", "76",
        "81", "82", "91", "92", "93", "94", "95", "96", "97",
    }
)  # fmt: skip
CIMAHI_PREFIX = "3277"


def _digits_only(value: object) -> object:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int):
        return str(value)
    return value


def _check_region(prefix: str, what: str) -> None:
    if prefix[:2] not in PROVINCE_CODES:
        raise ValueError(f"{what} must start with a known province code, not {prefix[:2]!r}")
    if prefix[2:4] == "00":
        raise ValueError(f"{what} must carry a regency/city code (digits 3-4 are 00)")


def validate_nik(value: str) -> str:
    """NIK: 16 digits, known region, a real birth date (women: day + 40), serial not 0000."""
    if not re.fullmatch(r"\d{16}", value):
        raise ValueError("NIK must be exactly 16 digits")
    _check_region(value[:4], "NIK")
    day, month, year2 = int(value[6:8]), int(value[8:10]), int(value[10:12])
    if day > 40:
        day -= 40
    if not _is_real_date(day, month, year2):
        raise ValueError("NIK digits 7-12 must encode a real birth date (DDMMYY, women day + 40)")
    if value[12:] == "0000":
        raise ValueError("NIK serial (last 4 digits) must not be 0000")
    return value


def _is_real_date(day: int, month: int, year2: int) -> bool:
    # Two-digit years are ambiguous (19xx/20xx); a date valid in either century is accepted.
    for century in (1900, 2000):
        try:
            date(century + year2, month, day)
            return True
        except ValueError:
            continue
    return False


def nik_birth_date(nik: str, *, today: date | None = None) -> date:
    """The birth date encoded in a valid NIK (century chosen so the date is not in the future)."""
    today = today or date.today()
    raw_day, month, year2 = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    day = raw_day - 40 if raw_day > 40 else raw_day
    try:
        born = date(2000 + year2, month, day)
        if born <= today:
            return born
    except ValueError:  # 29 February of a 19xx leap year that 20xx is not
        pass
    return date(1900 + year2, month, day)


@dataclass(frozen=True, slots=True)
class NikParts:
    """What a NIK encodes: region of first registration, birth date, sex and serial."""

    region: str  # 6 digits, PPKKCC
    birth_date: date
    sex: str  # "L" (laki-laki) | "P" (perempuan)
    serial: int  # 1-9999


def validate_region(region: str) -> str:
    """A 6-digit region code ``PPKKCC`` with a known province and a regency/city code."""
    if not re.fullmatch(r"\d{6}", region):
        raise ValueError("region must be exactly 6 digits (PPKKCC)")
    _check_region(region[:4], "region")
    return region


def nik_prefix(region: str, birth_date: date, sex: str) -> str:
    """The first 12 digits of a NIK: region + birth date ``DDMMYY`` (women: day + 40)."""
    validate_region(region)
    if sex not in ("L", "P"):
        raise ValueError("sex must be 'L' or 'P'")
    day = birth_date.day + (40 if sex == "P" else 0)
    return f"{region}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}"


def no_kk_prefix(region: str, issued_on: date) -> str:
    """The first 12 digits of a No. KK: region + issue date ``DDMMYY``."""
    validate_region(region)
    return f"{region}{issued_on.day:02d}{issued_on.month:02d}{issued_on.year % 100:02d}"


def with_serial(prefix: str, serial: int) -> str:
    """A 12-digit prefix completed with a serial 0001-9999."""
    if not 1 <= serial <= 9999:
        raise ValueError("serial must be between 1 and 9999")
    return f"{prefix}{serial:04d}"


def parse_nik(nik: str, *, today: date | None = None) -> NikParts:
    """Decode a valid NIK (see :func:`nik_birth_date` for the century)."""
    validate_nik(nik)
    return NikParts(
        region=nik[:6],
        birth_date=nik_birth_date(nik, today=today),
        sex="P" if int(nik[6:8]) > 40 else "L",
        serial=int(nik[12:]),
    )


def validate_no_kk(value: str) -> str:
    """No. KK: 16 digits with a known region prefix."""
    if not re.fullmatch(r"\d{16}", value):
        raise ValueError("No. KK must be exactly 16 digits")
    _check_region(value[:4], "No. KK")
    return value


def normalize_nop(value: object) -> object:
    """Accept the display form ``32.77.010.001.001-0001.0`` as well as 18 bare digits."""
    if isinstance(value, str):
        return re.sub(r"[.\-\s]", "", value)
    return value


def validate_nop(value: str) -> str:
    """NOP: 18 digits, Cimahi prefix 3277, object type digit 0, 7 or 9."""
    if not re.fullmatch(r"\d{18}", value):
        raise ValueError("NOP must be 18 digits (dots and dashes allowed)")
    if not value.startswith(CIMAHI_PREFIX):
        raise ValueError("NOP must start with 3277 (Kota Cimahi)")
    if value[-1] not in "079":
        raise ValueError("NOP object type (last digit) must be 0, 7 or 9")
    return value


def format_nop(nop: str) -> str:
    """Display form of an NOP: ``32.77.010.001.001-0001.0``."""
    return f"{nop[0:2]}.{nop[2:4]}.{nop[4:7]}.{nop[7:10]}.{nop[10:13]}-{nop[13:17]}.{nop[17]}"


def validate_nib(value: str) -> str:
    """NIB: 13 digits."""
    if not re.fullmatch(r"\d{13}", value):
        raise ValueError("NIB must be exactly 13 digits")
    return value


def mask_nik(nik: str) -> str:
    """Mask a NIK (or No. KK) for screens, logs and events: ``3277********0001``."""
    return nik[:4] + "*" * 8 + nik[-4:] if len(nik) == 16 else "*" * len(nik)


NIK = Annotated[str, BeforeValidator(_digits_only), AfterValidator(validate_nik)]
NoKK = Annotated[str, BeforeValidator(_digits_only), AfterValidator(validate_no_kk)]
NOP = Annotated[str, BeforeValidator(normalize_nop), AfterValidator(validate_nop)]
NIB = Annotated[str, BeforeValidator(_digits_only), AfterValidator(validate_nib)]
