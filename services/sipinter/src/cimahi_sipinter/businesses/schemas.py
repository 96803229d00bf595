"""Businesses: what an applicant sends and what the API shows (NIKs only masked)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from cimahi_shared.identifiers import NIK, validate_nib
from cimahi_shared.regions import kelurahan_codes

LegalForm = Literal["perorangan", "cv", "pt", "pt_perorangan", "firma", "koperasi", "yayasan"]


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _in_cimahi(code: str) -> str:
    if code not in kelurahan_codes():
        raise ValueError("must be the code of a kelurahan in Kota Cimahi, e.g. 32.77.01.1001")
    return code


NIB = Annotated[str, BeforeValidator(_strip), AfterValidator(validate_nib)]
KelurahanCode = Annotated[str, BeforeValidator(_strip), AfterValidator(_in_cimahi)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100)]


class Applicant(BaseModel):
    """The person registering the business (their NIK is kept encrypted and shown masked)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    nik: NIK


class BusinessCreate(BaseModel):
    """A business to register; the caller becomes its owner."""

    model_config = ConfigDict(extra="forbid")

    nib: NIB = Field(description="13 digits, issued by OSS")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
    legal_form: LegalForm
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=200)]
    kelurahan_code: KelurahanCode
    applicant: Applicant


class OwnerCreate(BaseModel):
    """A co-owner to add, by their account's subject (NIK optional)."""

    model_config = ConfigDict(extra="forbid")

    owner_sub: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    name: Name
    nik: NIK | None = None


class OwnerRead(BaseModel):
    """An owner of a business (NIK masked)."""

    owner_sub: str
    name: str
    role: str
    nik_masked: str | None
    added_at: datetime


class BusinessRead(BaseModel):
    """A business with its owners."""

    id: str
    nib: str
    name: str
    legal_form: str
    address: str
    kelurahan_code: str
    kelurahan_name: str | None
    owners: list[OwnerRead]
    created_at: datetime
    updated_at: datetime


class BusinessPage(BaseModel):
    """A page of businesses."""

    items: list[BusinessRead]
    total: int
    limit: int
    offset: int
