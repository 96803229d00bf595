"""The status chain of a complaint, and how it maps to the unified status.

``submitted -> verified -> answered -> closed``; an officer may ``forward`` an open complaint to
the responsible agency (``forwarded``, answered later), declare it ``not_authority`` (naming who is
responsible) or ``archive`` it (spam, duplicate). The citizen may ``add_info`` while it is open,
``rate`` the answer once, and ``reopen`` an answered or closed complaint within the window
(``reopened``: answered again). ``add_info`` and ``rate`` keep the status.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from cimahi_shared.events.lifecycle import UnifiedStatus


class ComplaintStatus(StrEnum):
    """LAKAMI's status names of a complaint."""

    SUBMITTED = "submitted"
    VERIFIED = "verified"
    FORWARDED = "forwarded"
    ANSWERED = "answered"
    REOPENED = "reopened"
    CLOSED = "closed"
    NOT_AUTHORITY = "not_authority"
    ARCHIVED = "archived"


UNIFIED_STATUS: dict[ComplaintStatus, UnifiedStatus] = {
    ComplaintStatus.SUBMITTED: UnifiedStatus.SUBMITTED,
    ComplaintStatus.VERIFIED: UnifiedStatus.IN_REVIEW,
    ComplaintStatus.FORWARDED: UnifiedStatus.IN_PROCESS,
    ComplaintStatus.REOPENED: UnifiedStatus.IN_PROCESS,
    ComplaintStatus.ANSWERED: UnifiedStatus.COMPLETED,
    ComplaintStatus.CLOSED: UnifiedStatus.COMPLETED,
    ComplaintStatus.NOT_AUTHORITY: UnifiedStatus.REJECTED,
    ComplaintStatus.ARCHIVED: UnifiedStatus.CANCELLED,
}

#: Waiting for the verification deadline.
AWAITING_VERIFICATION = frozenset({ComplaintStatus.SUBMITTED})
#: Waiting for the answer deadline.
AWAITING_ANSWER = frozenset(
    {ComplaintStatus.VERIFIED, ComplaintStatus.FORWARDED, ComplaintStatus.REOPENED}
)
OPEN = AWAITING_VERIFICATION | AWAITING_ANSWER
#: Answered or closed: may be rated and reopened.
ANSWERED = frozenset(
    {ComplaintStatus.ANSWERED, ComplaintStatus.CLOSED, ComplaintStatus.NOT_AUTHORITY}
)


class Action(StrEnum):
    """What someone does to a complaint."""

    SUBMIT = "submit"
    VERIFY = "verify"
    FORWARD = "forward"
    ANSWER = "answer"
    NOT_AUTHORITY = "not_authority"
    CLOSE = "close"
    ARCHIVE = "archive"
    ADD_INFO = "add_info"
    RATE = "rate"
    REOPEN = "reopen"


@dataclass(frozen=True, slots=True)
class Step:
    """The effect of an action: from which statuses, to which status (None: unchanged), by whom."""

    allowed_from: frozenset[ComplaintStatus]
    target: ComplaintStatus | None
    verb: str  # the domain event verb: complaint.<verb>.v1
    actor: Literal["citizen", "officer"]
    note_required: bool = False


STEPS: dict[Action, Step] = {
    Action.SUBMIT: Step(frozenset(), ComplaintStatus.SUBMITTED, "submitted", "citizen"),
    Action.VERIFY: Step(AWAITING_VERIFICATION, ComplaintStatus.VERIFIED, "verified", "officer"),
    Action.FORWARD: Step(
        OPEN - {ComplaintStatus.FORWARDED}, ComplaintStatus.FORWARDED, "forwarded", "officer"
    ),
    Action.ANSWER: Step(
        AWAITING_ANSWER, ComplaintStatus.ANSWERED, "answered", "officer", note_required=True
    ),
    Action.NOT_AUTHORITY: Step(
        OPEN, ComplaintStatus.NOT_AUTHORITY, "not_authority", "officer", note_required=True
    ),
    Action.CLOSE: Step(
        frozenset({ComplaintStatus.ANSWERED}), ComplaintStatus.CLOSED, "closed", "officer"
    ),
    Action.ARCHIVE: Step(OPEN, ComplaintStatus.ARCHIVED, "archived", "officer", note_required=True),
    Action.ADD_INFO: Step(OPEN, None, "info_added", "citizen", note_required=True),
    Action.RATE: Step(ANSWERED, None, "rated", "citizen"),
    Action.REOPEN: Step(ANSWERED, ComplaintStatus.REOPENED, "reopened", "citizen", True),
}


def unified_status(status: str) -> UnifiedStatus:
    """The unified status a citizen sees for a complaint status."""
    return UNIFIED_STATUS[ComplaintStatus(status)]


def can(action: Action, status: str) -> bool:
    """Whether ``action`` is possible on a complaint in ``status``."""
    return ComplaintStatus(status) in STEPS[action].allowed_from


def next_actions(status: str) -> list[Action]:
    """The actions possible from ``status``, in chain order."""
    return [action for action in Action if can(action, status)]


def is_open(status: str) -> bool:
    """Still waiting for verification or an answer."""
    return ComplaintStatus(status) in OPEN
