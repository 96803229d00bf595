"""Catalogue schemas: a letter type's service standard and the fields a request must carry."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FieldType = Literal["string", "text", "date", "number", "singlevaluelist"]


class Requirement(BaseModel):
    """A document the citizen provides."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(
        pattern=r"^[a-z][a-z0-9_]{1,39}$",
        description="Stable code an upload names when it fulfils this requirement",
    )
    name: str
    required: bool = True
    note: str | None = None


class FieldSpec(BaseModel):
    """A type-specific field of a request (in the spirit of Open311 service attributes)."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    label: str
    type: FieldType
    required: bool = True
    description: str | None = None
    max_length: int | None = Field(default=None, description="string/text: longest value")
    minimum: float | None = Field(default=None, description="number: smallest value")
    maximum: float | None = Field(default=None, description="number: largest value")
    not_in_future: bool = Field(default=False, description="date: must not be after today")
    choices: list[str] | None = Field(default=None, description="singlevaluelist: allowed values")


class LetterTypeRead(BaseModel):
    """A letter type with its published service standard."""

    model_config = ConfigDict(from_attributes=True)

    code: str = Field(description="Short public code used in requests, e.g. 'domisili'")
    short_name: str = Field(description="Abbreviation, e.g. 'SKD'")
    name: str
    description: str
    classification_code: str = Field(description="Archive code that opens the letter number")
    requirements: list[Requirement]
    fields: list[FieldSpec] = Field(description="Type-specific fields of a request ('fields')")
    procedure: list[str]
    needs_kecamatan: bool = Field(
        description="Whether the kecamatan approves too, after the kelurahan"
    )
    time_limit_working_days: int
    fee_idr: int = Field(description="Fee in rupiah (0: free)")
    product: str
    complaints_channel: str
