"""The kelurahan status chain of a letter request, and how it maps to the unified status.

``submitted -> verify -> process -> approved | rejected``; an officer may ``return`` a request
for revision (``returned``), the citizen ``resubmit``s it (``edited``, verified again) or
``cancel``s it before approval. The kecamatan level of letter types with ``needs_kecamatan`` is
not modelled yet: the kelurahan's approval completes every request for now.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Step:
    """The effect of an action: from which statuses, to which status, by whom, with which event."""

    allowed_from: frozenset[AgencyStatus]
    target: AgencyStatus
    verb: str  # the domain event verb: letter_request.<verb>.v1
    actor: Literal["citizen", "officer"]
    note_required: bool = False


_OPEN = frozenset(
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
        _OPEN | {AgencyStatus.RETURNED},
        AgencyStatus.REJECTED,
        "rejected",
        "officer",
        note_required=True,
    ),
    Action.RETURN: Step(_OPEN, AgencyStatus.RETURNED, "returned", "officer", note_required=True),
    Action.RESUBMIT: Step(
        frozenset({AgencyStatus.RETURNED}), AgencyStatus.EDITED, "resubmitted", "citizen"
    ),
    Action.CANCEL: Step(
        _OPEN | {AgencyStatus.RETURNED}, AgencyStatus.CANCELLED, "cancelled", "citizen"
    ),
}


def unified_status(status: str) -> UnifiedStatus:
    """The unified status a citizen sees for an agency status."""
    return UNIFIED_STATUS[AgencyStatus(status)]


def can(action: Action, status: str) -> bool:
    """Whether ``action`` is possible on a request in ``status``."""
    return AgencyStatus(status) in STEPS[action].allowed_from


def next_actions(status: str) -> list[Action]:
    """The actions possible from ``status``, in chain order."""
    return [action for action in Action if can(action, status)]
