"""The two-level status chain of a letter request, and how it maps to the unified status.

At each level ``submitted -> verify -> process -> approved | rejected``; an officer may
``return`` a request for revision (``returned``), the citizen ``resubmit``s it (``edited``,
verified again at the same level) or ``cancel``s it while it is open. Every request starts at
level ``kelurahan``; for letter types with ``needs_kecamatan`` the kelurahan's approval
``forward``s it to level ``kecamatan`` (status ``submitted`` again), whose approval is final.
The status names are the same at both levels: ``level`` says who acts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from cimahi_shared.events.lifecycle import UnifiedStatus


class AgencyStatus(StrEnum):
    """LAKAMI's own status names (the city portal's chain, lower-case)."""

    SUBMITTED = "submitted"
    VERIFY = "verify"
    PROCESS = "process"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"
    EDITED = "edited"
    CANCELLED = "cancelled"


class Level(StrEnum):
    """Who acts on a request now."""

    KELURAHAN = "kelurahan"
    KECAMATAN = "kecamatan"


# At level kelurahan (for a two-level request, ``approved`` there is not the end: see below).
UNIFIED_STATUS: dict[AgencyStatus, UnifiedStatus] = {
    AgencyStatus.SUBMITTED: UnifiedStatus.SUBMITTED,
    AgencyStatus.VERIFY: UnifiedStatus.IN_REVIEW,
    AgencyStatus.EDITED: UnifiedStatus.IN_REVIEW,
    AgencyStatus.RETURNED: UnifiedStatus.NEEDS_REVISION,
    AgencyStatus.PROCESS: UnifiedStatus.IN_PROCESS,
    AgencyStatus.APPROVED: UnifiedStatus.COMPLETED,
    AgencyStatus.REJECTED: UnifiedStatus.REJECTED,
    AgencyStatus.CANCELLED: UnifiedStatus.CANCELLED,
}
# At level kecamatan the kelurahan has checked the request already: every open status is
# ``in_process`` for the citizen (no step back to ``in_review``), only the decision differs.
KECAMATAN_UNIFIED_STATUS: dict[AgencyStatus, UnifiedStatus] = {
    **dict.fromkeys(UNIFIED_STATUS, UnifiedStatus.IN_PROCESS),
    AgencyStatus.RETURNED: UnifiedStatus.NEEDS_REVISION,
    AgencyStatus.APPROVED: UnifiedStatus.COMPLETED,
    AgencyStatus.REJECTED: UnifiedStatus.REJECTED,
    AgencyStatus.CANCELLED: UnifiedStatus.CANCELLED,
}


class Action(StrEnum):
    """What someone does to a request."""

    SUBMIT = "submit"
    VERIFY = "verify"
    PROCESS = "process"
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"
    RESUBMIT = "resubmit"
    CANCEL = "cancel"
    FORWARD = "forward"  # recorded with the kelurahan's approval of a two-level request


@dataclass(frozen=True, slots=True)
class Step:
    """The effect of an action: from which statuses, to which status, by whom, with which event."""

    allowed_from: frozenset[AgencyStatus]
    target: AgencyStatus
    verb: str  # the domain event verb: letter_request.<verb>.v1
    actor: Literal["citizen", "officer"]
    note_required: bool = False


OPEN = frozenset(
    {AgencyStatus.SUBMITTED, AgencyStatus.VERIFY, AgencyStatus.EDITED, AgencyStatus.PROCESS}
)

STEPS: dict[Action, Step] = {
    Action.SUBMIT: Step(frozenset(), AgencyStatus.SUBMITTED, "submitted", "citizen"),
    Action.VERIFY: Step(
        frozenset({AgencyStatus.SUBMITTED, AgencyStatus.EDITED}),
        AgencyStatus.VERIFY,
        "verified",
        "officer",
    ),
    Action.PROCESS: Step(
        frozenset({AgencyStatus.VERIFY}), AgencyStatus.PROCESS, "processed", "officer"
    ),
    Action.APPROVE: Step(
        frozenset({AgencyStatus.PROCESS}), AgencyStatus.APPROVED, "approved", "officer"
    ),
    Action.REJECT: Step(
        OPEN | {AgencyStatus.RETURNED},
        AgencyStatus.REJECTED,
        "rejected",
        "officer",
        note_required=True,
    ),
    Action.RETURN: Step(OPEN, AgencyStatus.RETURNED, "returned", "officer", note_required=True),
    Action.RESUBMIT: Step(
        frozenset({AgencyStatus.RETURNED}), AgencyStatus.EDITED, "resubmitted", "citizen"
    ),
    Action.CANCEL: Step(
        OPEN | {AgencyStatus.RETURNED}, AgencyStatus.CANCELLED, "cancelled", "citizen"
    ),
    # Never chosen by anyone (so never in ``next_actions``): part of a kelurahan approval.
    Action.FORWARD: Step(frozenset(), AgencyStatus.SUBMITTED, "forwarded", "officer"),
}


def unified_status(
    status: str, level: str = Level.KELURAHAN, needs_kecamatan: bool = False
) -> UnifiedStatus:
    """The unified status a citizen sees for an agency status at a level.

    The kelurahan's approval of a request that the kecamatan still has to approve is
    ``in_process``, not ``completed``.
    """
    agency_status = AgencyStatus(status)
    if level == Level.KECAMATAN:
        return KECAMATAN_UNIFIED_STATUS[agency_status]
    if needs_kecamatan and agency_status is AgencyStatus.APPROVED:
        return UnifiedStatus.IN_PROCESS
    return UNIFIED_STATUS[agency_status]


def can(action: Action, status: str) -> bool:
    """Whether ``action`` is possible on a request in ``status``."""
    return AgencyStatus(status) in STEPS[action].allowed_from


def next_actions(status: str) -> list[Action]:
    """The actions possible from ``status``, in chain order."""
    return [action for action in Action if can(action, status)]


def is_overdue(status: str, due_at: datetime | None, now: datetime) -> bool:
    """Open (officers to act) and past its deadline; a ``returned`` request waits for the citizen."""
    return due_at is not None and AgencyStatus(status) in OPEN and due_at < now
