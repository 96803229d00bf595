"""Registration numbers of applications: ``SPN-<year>-<000001>``, gapless per year.

The number is given on submission and is the application's tracking number in the city's
unified request list. It is taken from the year's ``application_counters`` row in the same
transaction as the submission, so a submission that fails (and rolls back) gives its number
back and the sequence has no holes.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_sipinter.models import ApplicationCounter

PREFIX = "SPN"


async def next_number(session: AsyncSession, year: int) -> int:
    """Take the next number of ``year``, without gaps.

    One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` on the year's counter row: on
    PostgreSQL it locks that row until the submitting transaction ends, so concurrent
    submissions queue; on SQLite the write transaction is exclusive.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(ApplicationCounter)
        .values(year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[ApplicationCounter.year],
            set_={"last_number": ApplicationCounter.last_number + 1},
        )
        .returning(ApplicationCounter.last_number)
    )
    return int((await session.execute(stmt)).scalar_one())


def format_number(year: int, number: int) -> str:
    """``SPN-2026-000042``."""
    return f"{PREFIX}-{year}-{number:06d}"


async def next_registration_number(session: AsyncSession, year: int) -> str:
    """The registration number of the next submission of ``year``."""
    return format_number(year, await next_number(session, year))
