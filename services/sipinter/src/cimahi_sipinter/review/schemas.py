"""What the officers send at each stage of an application (the answer is ``ApplicationRead``).

Notes and findings are free text kept in the application's history and shown to the applicant;
``missing_items`` are requirement codes of the permit type (the applicant's checklist, and the
only thing the ``application.returned`` event carries). Whether a note is required depends on
the outcome (a return or a rejection must say why), so the service checks it and answers 422
naming ``note``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cimahi_sipinter.levy.schemas import LevyQuantity

Note = Annotated[str | None, Field(default=None, max_length=2000)]
Findings = Annotated[str | None, Field(default=None, max_length=4000)]
MissingItems = Annotated[
    list[Annotated[str, StringConstraints(min_length=1, max_length=64)]],
    Field(default_factory=list, max_length=50, description="Requirement codes missing or wrong"),
]
Condition = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class StepBody(BaseModel):
    """What every officer's step may carry: a note for the history."""

    model_config = ConfigDict(extra="forbid")

    note: Note


class AdministrativeCheckIn(StepBody):
    """The file is complete (accept), incomplete (return, naming the missing items) or refused."""

    outcome: Literal["accept", "return", "reject"]
    missing_items: MissingItems


class AssignIn(BaseModel):
    """The officer the head of DPMPTSP gives the technical stages to."""

    model_config = ConfigDict(extra="forbid")

    officer_sub: str = Field(min_length=1, max_length=64, description="The officer's account")
    officer_name: str = Field(min_length=1, max_length=100)


class TechnicalVerificationIn(StepBody):
    """The assigned officer's verification of the standard or the permit's technical file."""

    outcome: Literal["verified", "return", "reject"]
    findings: Findings
    missing_items: MissingItems
    survey_requested: bool = Field(
        default=False,
        description="Ask for a site survey (types whose survey is optional; refused for 'none')",
    )


class SurveyScheduleIn(BaseModel):
    """The day the assigned officer visits the site (a working day, today or later)."""

    model_config = ConfigDict(extra="forbid")

    scheduled_for: date


class SurveyReportIn(StepBody):
    """What the site survey found: passed, return to the applicant, or reject."""

    outcome: Literal["passed", "return", "reject"]
    findings: Findings
    missing_items: MissingItems


class RecommendationIn(StepBody):
    """The assigned officer recommends the permit (with conditions and the levy's measures)."""

    outcome: Literal["approve", "reject"]
    conditions: list[Condition] = Field(
        default_factory=list, max_length=20, description="Conditions the permit will carry"
    )
    levy: LevyQuantity | None = Field(
        default=None, description="Measures the type's levy is computed on (area, years)"
    )


class SignIn(StepBody):
    """The head's signature (an optional note)."""


class RejectIn(StepBody):
    """The head's rejection of an open application (the note, the reason, is required)."""
