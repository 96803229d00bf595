"""The application workflow as data: statuses, which stage each belongs to, the unified status.

    draft --submit--> submitted (registration number, deadline starts)
      [low tier: issued at once - the NIB is the permit]
    submitted | resubmitted --administrative check--> technical verification
      [medium-low tier: issued on acceptance, no head's signature]
    in_verification --verified--> site_survey (required by the type, or asked by the verifier)
                                | awaiting_recommendation
    site_survey --report passed--> awaiting_recommendation
    awaiting_recommendation --approve--> awaiting_payment (a levy is due) | awaiting_signature
    awaiting_payment --signed payment confirmation--> awaiting_signature
    awaiting_signature --head signs--> issued (a permit)

    any stage before the signature --return--> returned (clock paused; ``stage`` kept)
    returned --resubmit--> back to the stage it was returned from (clock resumes)
    administrative check, verification, survey, recommendation, signature --reject--> rejected
    draft .. awaiting_payment --withdraw (applicant)--> withdrawn

``stage`` names the tier stage (``cimahi_sipinter.catalogue.schemas.Stage``) an application is
in; ``status`` is what the applicant and the queue see.
"""

from __future__ import annotations

from typing import Literal

from cimahi_shared.events.lifecycle import UnifiedStatus
from cimahi_sipinter.catalogue.schemas import PermitType, Stage

Status = Literal[
    "draft",
    "submitted",
    "resubmitted",
    "returned",
    "in_verification",
    "site_survey",
    "awaiting_recommendation",
    "awaiting_payment",
    "awaiting_signature",
    "issued",
    "rejected",
    "withdrawn",
]

STATUSES: tuple[Status, ...] = (
    "draft",
    "submitted",
    "resubmitted",
    "returned",
    "in_verification",
    "site_survey",
    "awaiting_recommendation",
    "awaiting_payment",
    "awaiting_signature",
    "issued",
    "rejected",
    "withdrawn",
)

FINAL: frozenset[str] = frozenset({"issued", "rejected", "withdrawn"})
"""Nothing follows these."""

OPEN: frozenset[str] = frozenset(STATUSES) - FINAL - {"draft"}
"""Submitted and not decided: counted against the deadline (except while ``returned``)."""

CLOCK_RUNNING: frozenset[str] = OPEN - {"returned", "awaiting_payment"}
"""The deadline clock runs in these: it is paused while the applicant acts (fixes the file after a
return, or pays the levy), and resumes with the working days that were left."""

WITHDRAWABLE: frozenset[str] = frozenset(
    {
        "draft",
        "submitted",
        "resubmitted",
        "returned",
        "in_verification",
        "site_survey",
        "awaiting_recommendation",
        "awaiting_payment",
    }
)

RETURNABLE_STAGES: frozenset[str] = frozenset(
    {"administrative_check", "technical_verification", "site_survey", "recommendation"}
)
"""Stages in which an officer may return the file to the applicant for completion."""

STAGE_STATUS: dict[str, Status] = {
    "administrative_check": "submitted",
    "technical_verification": "in_verification",
    "site_survey": "site_survey",
    "recommendation": "awaiting_recommendation",
    "levy_payment": "awaiting_payment",
    "signature": "awaiting_signature",
}
"""The status of an application that enters a stage (a resubmission to the administrative check
is ``resubmitted``)."""

UNIFIED: dict[str, UnifiedStatus] = {
    "submitted": UnifiedStatus.SUBMITTED,
    "resubmitted": UnifiedStatus.SUBMITTED,
    "returned": UnifiedStatus.NEEDS_REVISION,
    "in_verification": UnifiedStatus.IN_REVIEW,
    "site_survey": UnifiedStatus.IN_REVIEW,
    "awaiting_recommendation": UnifiedStatus.IN_REVIEW,
    "awaiting_payment": UnifiedStatus.IN_PROCESS,
    "awaiting_signature": UnifiedStatus.IN_PROCESS,
    "issued": UnifiedStatus.COMPLETED,
    "rejected": UnifiedStatus.REJECTED,
    "withdrawn": UnifiedStatus.CANCELLED,
}
"""Agency status -> the status a citizen sees in the gateway's unified list (drafts are not
published: a request exists for the city once it is submitted)."""


def status_entering(stage: str, *, resubmitted: bool = False) -> Status:
    """The status of an application entering ``stage``."""
    if stage == "administrative_check" and resubmitted:
        return "resubmitted"
    return STAGE_STATUS[stage]


def survey_needed(permit: PermitType, *, requested: bool) -> bool:
    """Whether the site survey stage is gone through: required by the type, or asked for."""
    if "site_survey" not in permit.stages or permit.site_survey == "none":
        return False
    return permit.site_survey == "required" or requested


def next_stage(
    permit: PermitType, current: str | None, *, survey_requested: bool, levy_due: bool
) -> Stage | None:
    """The stage after ``current`` (None: the first), skipping an unneeded survey or levy.

    None when nothing is left (the permit is issued: low and medium-low tiers).
    """
    stages = permit.stages
    index = -1 if current is None else stages.index(current)  # type: ignore[arg-type]
    for stage in stages[index + 1 :]:
        if stage == "site_survey" and not survey_needed(permit, requested=survey_requested):
            continue
        if stage == "levy_payment" and not levy_due:
            continue
        return stage
    return None
