"""Request and response bodies of the register: identity proofing, officer reads, own data.

NIK and No. KK only ever leave the service masked (``3277********0001``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints

from cimahi_shared.identifiers import NIK, NoKK

FullName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Purpose = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]

_CLAIM_EXAMPLE: dict[str, JsonValue] = {
    "nik": "3277015205900001",
    "no_kk": "3277011203150004",
    "full_name": "Ani Lestari",
    "birth_date": "1990-05-12",
}


class IdentityClaim(BaseModel):
    """Who someone says they are: the four facts of the family card that must all match."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CLAIM_EXAMPLE]})

    nik: NIK
    no_kk: NoKK
    full_name: FullName
    birth_date: date


class IdentityMatchRequest(IdentityClaim):
    """The gateway's question; on a match the person is bound to ``account_sub`` when given."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{**_CLAIM_EXAMPLE, "account_sub": "01JDEMO0ACCOUNT00000000000"}]
        }
    )

    account_sub: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class IdentityMatchResult(BaseModel):
    """Match or no match: nothing about the person, nor which fact differed."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"match": True}]})

    match: bool


class PersonSearch(BaseModel):
    """Find a person by NIK, or the members of a family card by No. KK (one of the two), and why."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"nik": "3277015205900001", "purpose": "Verifikasi permohonan KK DKC-2611-0001"}
            ]
        },
    )

    nik: NIK | None = None
    no_kk: NoKK | None = None
    purpose: Purpose = Field(description="Legal basis or reason of the read (kept in the log)")


class PersonRead(BaseModel):
    """A person's register record (NIK masked)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    nik_masked: str = Field(examples=["3277********0001"])
    full_name: str
    sex: str = Field(description="L (laki-laki) | P (perempuan)")
    birth_place: str
    birth_date: date
    religion: str
    marital_status: str
    occupation: str
    father_name: str | None
    mother_name: str | None
    address: str
    rt: str
    rw: str
    kelurahan_code: str
    kelurahan_name: str | None
    status: str = Field(description="alive | deceased | moved_out")
    died_on: date | None
    moved_out_on: date | None
    moved_to: str | None
    family_id: str | None
    relationship_to_head: str


class PersonList(BaseModel):
    """Persons found (only those of the officer's area)."""

    items: list[PersonRead]


class FamilyMember(BaseModel):
    """A member as the family card lists them."""

    model_config = ConfigDict(from_attributes=True)

    person_id: str
    nik_masked: str
    full_name: str
    relationship_to_head: str
    sex: str
    birth_date: date
    status: str


class FamilyRead(BaseModel):
    """A family card (KK): number masked, address, members and their relationship to the head."""

    id: str
    no_kk_masked: str = Field(examples=["3277********0004"])
    address: str
    rt: str
    rw: str
    kelurahan_code: str
    kelurahan_name: str | None
    status: str
    issued_on: date
    head_person_id: str | None
    members: list[FamilyMember]


class MyRegisterRead(BaseModel):
    """The citizen's own register record and family card."""

    person: PersonRead
    family: FamilyRead | None


class AccessLogEntry(BaseModel):
    """One read of the citizen's data by someone else."""

    occurred_at: datetime
    actor_name: str | None
    actor_role: str
    actor_agency: str | None
    resource: str = Field(description="person | family | application | document | upload")
    resource_ref: str | None
    action: str
    purpose: str


class AccessLogPage(BaseModel):
    """A page of the access log, newest first; ``next_cursor`` fetches the older entries."""

    items: list[AccessLogEntry]
    next_cursor: str | None
