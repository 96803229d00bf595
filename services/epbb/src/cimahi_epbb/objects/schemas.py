"""Shapes of the tax-object API: an object as officers and its taxpayer see it, links, lists."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from cimahi_shared.identifiers import NIK, NOP


class ObjectClaim(BaseModel):
    """Link a tax object to your account: its NOP and the taxpayer's NIK (as on the SPPT)."""

    model_config = ConfigDict(extra="forbid")

    nop: NOP = Field(description="18 digits, or the display form 32.77.010.001.001-0001.0")
    nik: NIK = Field(description="The taxpayer's NIK (16 digits); never stored with the link")


class Location(BaseModel):
    """Where the object lies."""

    kecamatan_code: str
    kecamatan_name: str | None
    kelurahan_code: str
    kelurahan_name: str | None
    block: str
    address: str
    rt: str | None
    rw: str | None


class Taxpayer(BaseModel):
    """The taxpayer (wajib pajak) as officers and the taxpayer see them: the NIK masked."""

    name: str
    nik_masked: str | None
    address: str


class ObjectRead(BaseModel):
    """A tax object: NOP, location, land and building, value classes, taxpayer."""

    nop: str = Field(description="18 digits")
    nop_display: str = Field(description="32.77.010.001.001-0001.0")
    location: Location
    land_area: int = Field(description="m2")
    building_area: int = Field(description="m2, 0 for bare land")
    land_class: str
    building_class: str | None
    taxpayer: Taxpayer
    status: str = Field(description="active | retired")
    version: int
    updated_at: datetime


class ObjectSummary(BaseModel):
    """One object of a list (officers' search)."""

    nop: str
    nop_display: str
    kelurahan_code: str
    kelurahan_name: str | None
    address: str
    taxpayer_name: str
    status: str


class ObjectPage(BaseModel):
    """A page of objects; pass ``next_cursor`` as ``cursor`` for the next one (None: the last)."""

    items: list[ObjectSummary]
    next_cursor: str | None


class MyObject(BaseModel):
    """One of your linked objects with what it owes today."""

    nop: str
    nop_display: str
    kelurahan_code: str
    kelurahan_name: str | None
    address: str
    taxpayer_name: str
    linked_at: datetime
    unpaid_years: int = Field(description="Bills with something to pay today")
    total_due: int = Field(description="What paying every unpaid bill today costs (rupiah)")


class MyObjectList(BaseModel):
    """Your linked objects."""

    on: date = Field(description="The day the amounts are for (today in WIB)")
    items: list[MyObject]
    total_due: int


class AccessLogEntry(BaseModel):
    """One read of your tax objects' data by an officer or admin (UU PDP)."""

    occurred_at: datetime
    actor_name: str | None
    actor_role: str
    nop: str | None
    resource: str = Field(description="object | bill | receipt | request")
    action: str = Field(description="read | list | search")
    purpose: str


class AccessLogPage(BaseModel):
    """Newest first; pass ``next_cursor`` as ``cursor`` for older entries (None: the last page)."""

    items: list[AccessLogEntry]
    next_cursor: str | None
