"""Catalogue schemas: a document service's published standard and the typed fields it asks for."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

CODE_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"

FieldType = Literal["string", "date", "integer", "enum", "kelurahan"]
# Who, besides the applicant, an application names (identified by NIK outside ``fields``).
SubjectRule = Literal["none", "family_member", "family_member_optional"]
PeopleRule = Literal["none", "family_members", "newcomers", "new_card_members"]


class Requirement(BaseModel):
    """A document the citizen uploads (upload ids are sent per requirement ``code``)."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(pattern=CODE_PATTERN, examples=["formulir_f101"])
    label: str = Field(examples=["Formulir F-1.01 (biodata keluarga)"])
    required: bool = True


class FieldSpec(BaseModel):
    """A typed field of an application (``fields.<code>``).

    Fields never hold a NIK or No. KK: people are named by NIK in ``subject_nik`` / ``people``.
    """

    model_config = ConfigDict(frozen=True)

    code: str = Field(pattern=CODE_PATTERN, examples=["reason"])
    label: str
    type: FieldType = Field(
        description="string (max_length, pattern), date (YYYY-MM-DD), integer (minimum, "
        "maximum), enum (one of choices), kelurahan (a kelurahan code of Kota Cimahi)"
    )
    required: bool = True
    max_length: int | None = None
    pattern: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    not_in_future: bool = Field(default=False, description="date: not after today")
    choices: list[str] | None = None

    @model_validator(mode="after")
    def _options_fit(self) -> FieldSpec:
        if self.type == "string" and self.max_length is None:
            raise ValueError(f"{self.code}: a string field needs max_length")
        if self.type == "enum" and not self.choices:
            raise ValueError(f"{self.code}: an enum field needs choices")
        if self.choices is not None and self.type != "enum":
            raise ValueError(f"{self.code}: choices apply to enum fields only")
        return self


class ServiceStandard(BaseModel):
    """A document service with its published standard (PermenPANRB 15/2014): all free."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(pattern=CODE_PATTERN, examples=["kk_change"])
    name: str = Field(examples=["Perubahan Kartu Keluarga"])
    description: str
    form_code: str = Field(description="Formulir of Permendagri 109/2019", examples=["F-1.02"])
    document_kind: str = Field(description="The document issued (documents KINDS)")
    requirements: list[Requirement]
    fields: list[FieldSpec] = Field(description="Typed fields of an application (``fields``)")
    subject: SubjectRule = Field(
        description="Whether ``subject_nik`` names a member of the applicant's family "
        "(the deceased, the card holder, the person whose data changes)"
    )
    people: PeopleRule = Field(
        default="none",
        description="What ``people`` lists: family_members (NIKs of the applicant's family "
        "who move out), newcomers (NIK and data of each person moving in), new_card_members "
        "(NIKs of the members of the new card)",
    )
    time_limit_working_days: int = Field(ge=1, description="From submission to issuance")
    fee_idr: int = Field(default=0, ge=0, description="All population documents are free")
    procedure: list[str]
    handled_at: str = Field(description="Where the service is given")

    @model_validator(mode="after")
    def _unique_codes(self) -> ServiceStandard:
        for what, codes in (
            ("requirement", [r.code for r in self.requirements]),
            ("field", [f.code for f in self.fields]),
        ):
            if len(set(codes)) != len(codes):
                raise ValueError(f"{self.code}: {what} codes repeat")
        return self
