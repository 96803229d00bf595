"""A permit type as the service standard publishes it (requirements, procedure, time, fee, product)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Tier = Literal["low", "medium_low", "medium_high", "high"]
Stage = Literal[
    "administrative_check",
    "technical_verification",
    "site_survey",
    "recommendation",
    "levy_payment",
    "signature",
]
SiteSurvey = Literal["required", "optional", "none"]
LevyBasis = Literal["none", "flat", "per_m2", "per_m2_per_year"]


class Levy(BaseModel):
    """The retribution (retribusi) of a permit type: none, a flat amount, or per square metre."""

    model_config = ConfigDict(frozen=True)

    basis: LevyBasis = "none"
    rate: int = Field(0, ge=0, description="Whole rupiah (flat amount or per m2)")
    minimum: int = Field(0, ge=0, description="Whole rupiah")
    legal_basis: str | None = None
    note: str | None = None

    def amount(self, *, area_m2: int = 0, years: int = 1) -> int:
        """The levy in whole rupiah for an area (per-m2 bases) and a number of years."""
        if self.basis == "none":
            return 0
        if self.basis == "flat":
            return self.rate
        per_year = 1 if self.basis == "per_m2" else years
        return max(self.minimum, self.rate * area_m2 * per_year)


class Requirement(BaseModel):
    """One document to upload, or a permit the applicant must already hold."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    kind: Literal["document", "prerequisite_permit"] = "document"
    mandatory: bool = True


class PermitType(BaseModel):
    """One permit of the catalogue: what it takes and what comes out."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Catalogue code, e.g. PBG, SIP_DOKTER")
    name: str
    name_id: str = Field(description="The name in Indonesian")
    sector: str
    tier: Tier
    requirements: tuple[Requirement, ...]
    stages: tuple[Stage, ...] = Field(description="The stages its tier goes through, in order")
    time_limit_working_days: int = Field(gt=0)
    levy: Levy = Levy()
    validity_years: int | None = Field(description="None: valid as long as the business runs")
    site_survey: SiteSurvey = Field(
        "required",
        description="Whether the place is surveyed: required, optional (the verifier decides) "
        "or none",
    )
    product: str = Field(description="The document issued")
    legal_basis: tuple[str, ...] = ()
    needs_confirmation: bool = Field(
        True, description="The values are this project's reading; the city must confirm them"
    )


class PermitTypeSummary(BaseModel):
    """A permit type in the catalogue list."""

    code: str
    name: str
    name_id: str
    sector: str
    tier: Tier
    time_limit_working_days: int
    has_levy: bool
    validity_years: int | None
