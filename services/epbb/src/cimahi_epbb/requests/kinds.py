"""The three kinds of taxpayer request, their deadlines, names and workflow steps.

Deadlines are working days from submission (or resubmission after a return) to the decision,
counted on the city's calendar (``cimahi_epbb.clock``). The law gives an objection's decision
12 months; the city's service standard is stricter and is what officers are held to here:
keberatan 60, pengurangan 20, mutasi 10 working days. They are constants of this module, not
settings (``config.py`` belongs to the service skeleton): change them here, with a commit message
naming the decree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from cimahi_shared.events.lifecycle import UnifiedStatus

KEBERATAN: Final = "keberatan"
PENGURANGAN: Final = "pengurangan"
MUTASI: Final = "mutasi"
KINDS: Final = (KEBERATAN, PENGURANGAN, MUTASI)

DEADLINE_WORKING_DAYS: Final[dict[str, int]] = {KEBERATAN: 60, PENGURANGAN: 20, MUTASI: 10}

# What the lifecycle contract calls each kind, and the citizen-facing title.
REQUEST_KIND: Final[dict[str, str]] = {kind: f"pbb.{kind}" for kind in KINDS}
TITLE: Final[dict[str, str]] = {
    KEBERATAN: "Keberatan PBB",
    PENGURANGAN: "Pengurangan PBB",
    MUTASI: "Mutasi objek/subjek PBB",
}
# The reason a bill version made by an approved request carries (``bills.reason``).
BILL_REASON: Final[dict[str, str]] = {
    KEBERATAN: "objection",
    PENGURANGAN: "reduction",
    MUTASI: "mutasi",
}

# Agency status -> the status a citizen sees in the unified request list.
UNIFIED: Final[dict[str, UnifiedStatus]] = {
    "submitted": UnifiedStatus.SUBMITTED,
    "verified": UnifiedStatus.IN_REVIEW,
    "returned": UnifiedStatus.NEEDS_REVISION,
    "resubmitted": UnifiedStatus.IN_REVIEW,
    "approved": UnifiedStatus.COMPLETED,
    "rejected": UnifiedStatus.REJECTED,
    "cancelled": UnifiedStatus.CANCELLED,
}
# Statuses in which Bapenda owes the next step: the deadline runs (not while returned).
OPEN_STATUSES: Final = ("submitted", "resubmitted", "verified")
# Statuses before a decision (the taxpayer may still cancel).
UNDECIDED_STATUSES: Final = (*OPEN_STATUSES, "returned")


@dataclass(frozen=True, slots=True)
class Step:
    """A workflow step: its verb (also the domain event's), where it may start, where it leads."""

    verb: str
    sources: tuple[str, ...]
    target: str


VERIFY = Step("verified", ("submitted", "resubmitted"), "verified")
RETURN = Step("returned", ("submitted", "resubmitted", "verified"), "returned")
RESUBMIT = Step("resubmitted", ("returned",), "resubmitted")
REJECT = Step("rejected", ("submitted", "resubmitted", "verified"), "rejected")
APPROVE = Step("approved", ("verified",), "approved")
CANCEL = Step("cancelled", UNDECIDED_STATUSES, "cancelled")
