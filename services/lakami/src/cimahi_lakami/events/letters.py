"""Events of a letter request, enqueued in the outbox inside the transaction of the change.

Each change writes two events: the domain event ``id.go.cimahikota.lakami.letter_request.<verb>.v1``
(LAKAMI's own contract) and the platform's ``request.lifecycle.v1``, both built and validated by
LAKAMI's :data:`~cimahi_lakami.events.catalogue.CATALOGUE`. Neither carries a NIK, a No. KK or a
name; the domain event carries no account id and no officer's note either (the citizen reads the
note in the lifecycle event): only the tracking number, the area, the level and the statuses
(:class:`~cimahi_lakami.events.catalogue.LetterRequestEventV1`). The kelurahan's approval of a
two-level request writes two changes: ``approved`` (level kelurahan) and ``forwarded`` (level
kecamatan, status ``submitted``), both ``in_process``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_lakami.auth import AGENCY
from cimahi_lakami.events.catalogue import CATALOGUE, LETTER_REQUEST_EVENTS, LetterRequestEventV1
from cimahi_lakami.letters.repository import RequestView
from cimahi_lakami.models import LetterRequest
from cimahi_shared.db import utcnow
from cimahi_shared.events.envelope import CloudEvent
from cimahi_shared.events.lifecycle import RequestLifecycleV1, UnifiedStatus
from cimahi_shared.events.tables import outbox

VERBS = tuple(LETTER_REQUEST_EVENTS)


def letter_request_event_type(verb: str) -> str:
    """``id.go.cimahikota.lakami.letter_request.<verb>.v1``."""
    if verb not in VERBS:
        raise ValueError(f"unknown letter request event verb {verb!r}")
    return CATALOGUE.spec(f"letter_request.{verb}").type_for(AGENCY)


class _Same:
    """Marker: the lifecycle event's note is the ``note`` of the change."""


_SAME = _Same()
_OUTBOX_COLUMNS = ("id", "subject", "payload", "created_at", "attempts")
# Both events of a change in one statement (what ``cimahi_shared.events.outbox.enqueue`` writes
# for each, without its second round trip).
_ENQUEUE_TWO = outbox.insert().values(
    [{c: bindparam(f"{c}_{i}") for c in _OUTBOX_COLUMNS} for i in range(2)]
)


def outbox_rows(events: list[tuple[CloudEvent, str]]) -> list[dict[str, Any]]:
    """The outbox rows of events (what ``cimahi_shared.events.outbox.enqueue`` writes for each)."""
    return [
        {
            "id": event.id,
            "subject": subject,
            "payload": event.to_json(),
            "created_at": utcnow(),
            "attempts": 0,
        }
        for event, subject in events
    ]


async def _enqueue_both(session: AsyncSession, events: list[tuple[CloudEvent, str]]) -> None:
    """Add the events of one change to the outbox inside the caller's transaction."""
    if session.new or session.dirty:
        await session.flush()  # ORM changes first, as an ORM execute would have autoflushed
    session.info["outbox_dirty"] = True
    params: dict[str, object] = {}
    for i, row in enumerate(outbox_rows(events)):
        params.update({f"{c}_{i}": row[c] for c in _OUTBOX_COLUMNS})
    conn = await session.connection()
    await conn.execute(_ENQUEUE_TWO, params)


async def publish_letter_change(
    session: AsyncSession,
    *,
    request: LetterRequest | RequestView,
    title: str,
    verb: str,
    previous_status: str | None,
    status: UnifiedStatus,
    actor_role: str,
    note: str | None,
    occurred_at: datetime,
    lifecycle_note: str | _Same | None = _SAME,
) -> None:
    """Enqueue the domain event and the lifecycle event of one change (same transaction)."""
    await _enqueue_both(
        session,
        letter_change_events(
            request=request,
            title=title,
            verb=verb,
            previous_status=previous_status,
            status=status,
            actor_role=actor_role,
            note=note,
            occurred_at=occurred_at,
            lifecycle_note=lifecycle_note,
        ),
    )


def letter_change_events(
    *,
    request: LetterRequest | RequestView,
    title: str,
    verb: str,
    previous_status: str | None,
    status: UnifiedStatus,
    actor_role: str,
    note: str | None,
    occurred_at: datetime,
    lifecycle_note: str | _Same | None = _SAME,
) -> list[tuple[CloudEvent, str]]:
    """The domain event and the lifecycle event of one change, with their NATS subjects.

    ``note`` (the officer's word to the citizen) goes only into the lifecycle event, never into
    the domain event; ``lifecycle_note`` replaces it when the citizen's request list must show
    something else (a revocation's reason stays in LAKAMI: a fixed note is shown).
    """
    letter_request_event_type(verb)  # an unknown verb is a ValueError, as before
    payload = LetterRequestEventV1(
        tracking_no=request.tracking_no,
        letter_type=request.letter_type_code,
        kelurahan_code=request.kelurahan_code,
        kecamatan_code=request.kecamatan_code,
        level=request.level,
        previous_status=previous_status,
        agency_status=request.status,
        status=status,
        sequence=request.sequence,
        actor_role=actor_role,
        letter_number=request.letter_number,
        issued_on=request.issued_on,
        occurred_at=occurred_at,
    )
    lifecycle = RequestLifecycleV1(
        tracking_no=request.tracking_no,
        agency=AGENCY,
        request_kind=f"letter.{request.letter_type_code}",
        title=title,
        owner_sub=request.owner_sub,
        area=request.kelurahan_code,
        agency_status=request.status,
        status=status,
        note=note if isinstance(lifecycle_note, _Same) else lifecycle_note,
        occurred_at=occurred_at,
        sequence=request.sequence,
        submitted_at=request.submitted_at,
        due_at=request.due_at,
    )
    return [
        CATALOGUE.event(name, subject=request.tracking_no, data=data, time=occurred_at)
        for name, data in ((f"letter_request.{verb}", payload), ("request.lifecycle", lifecycle))
    ]
