"""Request and response bodies of POLAKAMI."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from cimahi_shared.identifiers import NIK, NoKK

PASSWORD_MIN = 10
PASSWORD_MAX = 256
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE_CHARS = re.compile(r"[\s\-().]")
_PHONE = re.compile(r"^\+[1-9]\d{7,14}$")


def normalize_email(value: str) -> str:
    """Emails are compared case-insensitively."""
    return value.strip().lower()


def normalize_phone(value: str) -> str:
    """E.164 form: ``0812...`` and ``62812...`` become ``+62812...``."""
    digits = _PHONE_CHARS.sub("", value.strip())
    if digits.startswith("0"):
        digits = "+62" + digits[1:]
    elif digits.startswith("62"):
        digits = "+" + digits
    return digits


def _nik_day_month_year2(nik: str) -> tuple[int, int, int]:
    day = int(nik[6:8])
    return (day - 40 if day > 40 else day), int(nik[8:10]), int(nik[10:12])


class CitizenRegistration(BaseModel):
    """A citizen's self-registration."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    nik: NIK = Field(description="16-digit NIK (Nomor Induk Kependudukan)")
    no_kk: NoKK = Field(description="16-digit family card number (No. KK)")
    full_name: str = Field(min_length=2, max_length=200)
    birth_date: date = Field(
        description="As on the family card; without the register check it must match the NIK"
    )
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32, examples=["+6281234567890"])
    password: SecretStr = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)

    @field_validator("birth_date")
    @classmethod
    def _plausible(cls, value: date) -> date:
        if value > date.today() or value.year < 1900:
            raise ValueError("birth date is not plausible")
        return value

    def birth_date_matches_nik(self) -> bool:
        """Whether the birth date is the one encoded in the NIK (day + 40 for women).

        Only a plausibility check: the population register is the authority (a NIK keeps the
        date of its first registration even when a birth date is corrected later).
        """
        return _nik_day_month_year2(self.nik) == (
            self.birth_date.day,
            self.birth_date.month,
            self.birth_date.year % 100,
        )

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        value = normalize_email(value)
        if not _EMAIL.fullmatch(value):
            raise ValueError("not a valid email address")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        value = normalize_phone(value)
        if not _PHONE.fullmatch(value):
            raise ValueError("not a valid phone number (e.g. +6281234567890 or 081234567890)")
        return value


class AccountRead(BaseModel):
    """An account as its owner sees it: identifiers masked, never the raw NIK or No. KK."""

    id: str = Field(description="Opaque account id (also the token subject)")
    role: Literal["citizen", "officer", "admin"]
    full_name: str
    nik_masked: str | None = None
    no_kk_masked: str | None = None
    email: str | None = None
    phone: str | None = None
    username: str | None = None
    agency: str | None = None
    area: str | None = None
    position: str | None = Field(
        default=None, description='An officer\'s position in the agency, e.g. "head"'
    )
    identity_verified: bool = Field(
        default=False, description="Whether the data matched the population register"
    )
    created_at: datetime


class OfficerCreate(BaseModel):
    """An officer account created by an administrator."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "username": "kadis.disdukcapil",
                    "full_name": "Kepala Disdukcapil",
                    "agency": "dilandacinta",
                    "area": "32.77",
                    "position": "head",
                    "password": "Sandi-Petugas-2026",
                }
            ]
        },
    )

    username: str = Field(max_length=64, description="Login name, e.g. petugas.melong")
    full_name: str = Field(max_length=200)
    agency: str = Field(max_length=32, description="Agency code, e.g. lakami or dilandacinta")
    area: str = Field(
        max_length=32,
        description="The city (32.77), a kecamatan (32.77.01) or a kelurahan (32.77.01.1001)",
    )
    position: str | None = Field(
        default=None, max_length=32, description='Position in the agency, e.g. "head"'
    )
    password: SecretStr = Field(max_length=PASSWORD_MAX)


class UserInfo(BaseModel):
    """OpenID Connect UserInfo claims (and ``GET /api/v1/me``)."""

    sub: str
    name: str | None = None
    role: str
    agency: str | None = None
    area: str | None = None
    position: str | None = None
    preferred_username: str | None = None
    email: str | None = None
    phone_number: str | None = None
    nik_masked: str | None = Field(default=None, description="Citizens only, e.g. 3277********0001")
    client_id: str | None = None
    scope: str | None = None


class TokenResponse(BaseModel):
    """A successful token response (RFC 6749 section 5.1)."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    scope: str
    refresh_token: str | None = None
    id_token: str | None = None


class OAuthErrorBody(BaseModel):
    """An OAuth 2.0 error response (RFC 6749 section 5.2)."""

    error: str
    error_description: str | None = None
