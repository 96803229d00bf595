"""What the sweep does to the data: fiktif positif flags and permit expiry reminders.

**Fiktif positif** (UU 30/2014 art. 53 as amended by UU 6/2023; PP 28/2025): an application
whose deadline passed while the deadline clock was running (``states.CLOCK_RUNNING``: not while
it was returned to the applicant or waiting for the levy) is granted by law. The sweep flags it
(``deemed_approved``), records the step in its history and alerts the head of office with
``application.deemed_approved``; the status does not change - the head still signs (or, with a
reason, rejects) the file, and the permit then carries ``deemed_approval``. Each application is
flagged once.

**Expiry reminders**: a valid permit whose last day is at most ``t`` days away, for a threshold
``t`` of ``settings.expiry_reminder_days``, gets ``permit.expiring`` once for the smallest such
threshold (a ``PermitReminder`` row per permit and threshold). A permit first seen with 5 days
left (the sweep was off, or it was issued with a short validity) gets only the 7-day reminder:
the 90- and 30-day ones are not sent late and no row is written for them - they can never be
the smallest threshold again while its last day stays the same.

Work is done in small batches, one transaction each; on PostgreSQL the applications of a batch
are locked with ``FOR UPDATE SKIP LOCKED`` so two replicas sweeping at once never flag one
twice, and a reminder is inserted before its event in a savepoint (the unique index refuses the
second replica's, which then sends nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import Select, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from ulid import ULID

from cimahi_shared.calendar import RequestClock
from cimahi_sipinter.applications import workflow
from cimahi_sipinter.applications.states import CLOCK_RUNNING
from cimahi_sipinter.events.applications import publish_application_event, publish_domain
from cimahi_sipinter.models import Application, Permit, PermitReminder

BATCH = 50
DEEMED_APPROVED_NOTE = (
    "Batas waktu layanan terlampaui: permohonan dianggap dikabulkan secara hukum (fiktif positif)."
)


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- fiktif positif ---


def overdue_query(clock: RequestClock, *, postgres: bool) -> Select[Application]:
    """Applications whose running deadline has passed and that are not flagged yet."""
    query = (
        select(Application)
        .where(
            Application.status.in_(sorted(CLOCK_RUNNING)),
            Application.due_at < clock.now,
            Application.deemed_approved.is_(False),
        )
        .order_by(Application.due_at, Application.id)
        .limit(BATCH)
    )
    return query.with_for_update(skip_locked=True) if postgres else query


async def deem_approved(
    session: AsyncSession, application: Application, clock: RequestClock
) -> None:
    """Flag one application granted by law, record the step, alert the head of office."""
    application.deemed_approved = True
    application.deemed_approved_at = clock.now
    await workflow.record(
        session,
        application,
        action="deemed_approved",
        to_status=application.status,
        actor=workflow.SYSTEM,
        note=DEEMED_APPROVED_NOTE,
        clock=clock,
    )
    await publish_application_event(
        session,
        "application.deemed_approved",
        application,
        occurred_at=clock.now,
        alert="head_of_office",
        assigned_officer_sub=application.assigned_officer_sub,
        deemed_approved_at=clock.now.isoformat(),
    )


async def flag_overdue_batch(session: AsyncSession, clock: RequestClock) -> int:
    """Flag up to :data:`BATCH` overdue applications in the session's transaction."""
    query = overdue_query(clock, postgres=_is_postgres(session))
    applications = (await session.execute(query)).scalars().all()
    for application in applications:
        await deem_approved(session, application, clock)
    return len(applications)


async def flag_overdue(factory: async_sessionmaker[AsyncSession], clock: RequestClock) -> int:
    """Flag every overdue application, one transaction per batch; how many were flagged."""
    total = 0
    while True:
        async with factory() as session:
            flagged = await flag_overdue_batch(session, clock)
            await session.commit()
        total += flagged
        if flagged < BATCH:
            return total


# --- expiry reminders ---


def thresholds_of(days: Sequence[int]) -> list[int]:
    """The reminder thresholds, smallest first (negative ones mean nothing)."""
    return sorted({d for d in days if d >= 0})


def due_reminders_query(clock: RequestClock, *, days_before: int, above: int) -> Select[Permit]:
    """Valid permits with more than ``above`` and at most ``days_before`` days left, not yet
    reminded at ``days_before``: ``days_before`` is the smallest threshold they have reached."""
    today = clock.today
    reminded = exists().where(
        PermitReminder.permit_id == Permit.id, PermitReminder.days_before == days_before
    )
    return (
        select(Permit)
        .where(
            Permit.status == "valid",
            Permit.valid_until > today + timedelta(days=above),
            Permit.valid_until <= today + timedelta(days=days_before),
            ~reminded,
        )
        .order_by(Permit.valid_until, Permit.id)
        .limit(BATCH)
    )


async def remind(
    session: AsyncSession, permit: Permit, *, days_before: int, clock: RequestClock
) -> bool:
    """Record and emit one reminder; False when another sweep recorded it first."""
    assert permit.valid_until is not None
    try:
        async with session.begin_nested():
            session.add(
                PermitReminder(
                    id=str(ULID()),
                    permit_id=permit.id,
                    days_before=days_before,
                    emitted_at=clock.now,
                )
            )
            await session.flush()
            await publish_domain(
                session,
                "permit.expiring",
                subject=permit.id,
                data={
                    "permit_id": permit.id,
                    "permit_number": permit.number,
                    "permit_type": permit.permit_type,
                    "business_id": permit.business_id,
                    "kelurahan_code": permit.kelurahan_code,
                    "valid_until": permit.valid_until.isoformat(),
                    "days_left": (permit.valid_until - clock.today).days,
                    "days_before": days_before,
                },
                occurred_at=clock.now,
            )
    except IntegrityError:
        return False
    return True


async def remind_batch(
    session: AsyncSession, clock: RequestClock, *, days_before: int, above: int
) -> tuple[int, int]:
    """One batch of one threshold: (permits found, reminders emitted)."""
    query = due_reminders_query(clock, days_before=days_before, above=above)
    permits = (await session.execute(query)).scalars().all()
    sent = 0
    for permit in permits:
        sent += await remind(session, permit, days_before=days_before, clock=clock)
    return len(permits), sent


async def remind_expiring(
    factory: async_sessionmaker[AsyncSession], clock: RequestClock, days: Sequence[int]
) -> int:
    """Emit every reminder due now, one transaction per batch; how many were emitted."""
    total = 0
    above = -1  # a permit whose last day is today has 0 days left and is still reminded
    for days_before in thresholds_of(days):
        while True:
            async with factory() as session:
                found, sent = await remind_batch(
                    session, clock, days_before=days_before, above=above
                )
                await session.commit()
            total += sent
            if found < BATCH:
                break
        above = days_before
    return total
