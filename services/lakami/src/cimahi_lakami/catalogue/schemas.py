"""Catalogue schemas: a letter type's service standard and the fields a request must carry."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

CODE_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"

FieldType = Literal[
    "string", "text", "date", "time", "number", "integer", "boolean", "singlevaluelist", "list"
]
_TEXT_TYPES = ("string", "text")
_NUMBER_TYPES = ("number", "integer")


class Requirement(BaseModel):
    """A document the citizen provides."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(
        pattern=CODE_PATTERN,
        description="Stable code an upload names when it fulfils this requirement",
    )
    name: str
    required: bool = True
    note: str | None = None


class FieldSpec(BaseModel):
    """A type-specific field of a request (in the spirit of Open311 service attributes).

    ``list`` fields hold up to ``max_items`` objects, each checked against ``item_fields``
    (which may not be lists themselves).
    """

    model_config = ConfigDict(frozen=True)

    code: str = Field(pattern=CODE_PATTERN)
    label: str
    type: FieldType = Field(
        description="string, text, date (YYYY-MM-DD), time (HH:MM, 24 h), number, integer, "
        "boolean, singlevaluelist (one of choices), list (of objects with item_fields)"
    )
    required: bool = True
    description: str | None = None
    max_length: int | None = Field(default=None, description="string/text: longest value")
    pattern: str | None = Field(
        default=None, description="string: regular expression the whole value must match"
    )
    minimum: float | None = Field(default=None, description="number/integer: smallest value")
    maximum: float | None = Field(default=None, description="number/integer: largest value")
    not_in_future: bool = Field(default=False, description="date: must not be after today")
    not_in_past: bool = Field(default=False, description="date: must not be before today")
    not_before: str | None = Field(
        default=None,
        description="date: code of another date field (same level) this one must not precede",
    )
    choices: list[str] | None = Field(default=None, description="singlevaluelist: allowed values")
    item_fields: list[FieldSpec] | None = Field(
        default=None, description="list: the fields of each entry"
    )
    min_items: int | None = Field(default=None, ge=0, description="list: fewest entries")
    max_items: int | None = Field(default=None, ge=1, description="list: most entries")

    @model_validator(mode="after")
    def _options_fit_the_type(self) -> FieldSpec:
        kind = self.type
        misplaced = [
            name
            for name, allowed in (
                ("max_length", _TEXT_TYPES),
                ("pattern", ("string",)),
                ("minimum", _NUMBER_TYPES),
                ("maximum", _NUMBER_TYPES),
                ("not_before", ("date",)),
                ("choices", ("singlevaluelist",)),
                ("item_fields", ("list",)),
                ("min_items", ("list",)),
                ("max_items", ("list",)),
            )
            if getattr(self, name) is not None and kind not in allowed
        ]
        misplaced += [
            name
            for name in ("not_in_future", "not_in_past")
            if getattr(self, name) and kind != "date"
        ]
        if misplaced:
            raise ValueError(f"{self.code}: {', '.join(misplaced)} do not apply to {kind}")
        if kind in _TEXT_TYPES and self.max_length is None:
            raise ValueError(f"{self.code}: a {kind} field needs max_length")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"{self.code}: pattern does not compile: {exc}") from None
        if self.not_in_future and self.not_in_past:
            raise ValueError(f"{self.code}: not_in_future and not_in_past exclude each other")
        if kind == "singlevaluelist" and not self.choices:
            raise ValueError(f"{self.code}: a singlevaluelist needs choices")
        if kind == "list":
            if not self.item_fields or self.max_items is None:
                raise ValueError(f"{self.code}: a list needs item_fields and max_items")
            if any(item.type == "list" for item in self.item_fields):
                raise ValueError(f"{self.code}: lists do not nest")
            _check_siblings(self.item_fields, owner=self.code)
            if (self.min_items or 0) > self.max_items:
                raise ValueError(f"{self.code}: min_items exceeds max_items")
        return self


def _check_siblings(specs: list[FieldSpec], *, owner: str) -> None:
    codes = [spec.code for spec in specs]
    if len(set(codes)) != len(codes):
        raise ValueError(f"{owner}: field codes repeat")
    types = {spec.code: spec.type for spec in specs}
    for spec in specs:
        if spec.not_before is not None and types.get(spec.not_before) != "date":
            raise ValueError(f"{owner}: {spec.code}.not_before names no date field")


class LetterTypeRead(BaseModel):
    """A letter type with its published service standard."""

    model_config = ConfigDict(from_attributes=True)

    code: str = Field(
        pattern=CODE_PATTERN, description="Short public code used in requests, e.g. 'domisili'"
    )
    short_name: str = Field(max_length=20, description="Abbreviation, e.g. 'SKD'")
    name: str = Field(max_length=200)
    description: str
    classification_code: str = Field(
        max_length=10, description="Archive code that opens the letter number"
    )
    requirements: list[Requirement]
    fields: list[FieldSpec] = Field(description="Type-specific fields of a request ('fields')")
    procedure: list[str]
    needs_kecamatan: bool = Field(
        description="Whether the kecamatan approves too, after the kelurahan"
    )
    time_limit_working_days: int = Field(
        ge=1, description="Working days from complete submission to the issued letter"
    )
    fee_idr: int = Field(ge=0, description="Fee in rupiah (0: free)")
    product: str = Field(max_length=300)
    complaints_channel: str

    @model_validator(mode="after")
    def _codes_are_unique(self) -> LetterTypeRead:
        codes = [r.code for r in self.requirements]
        if len(set(codes)) != len(codes):
            raise ValueError(f"{self.code}: requirement codes repeat")
        _check_siblings(self.fields, owner=self.code)
        return self
