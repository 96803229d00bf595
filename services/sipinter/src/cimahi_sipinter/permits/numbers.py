"""Permit numbers: ``503/<00001>/<PERMIT_TYPE>/DPMPTSP/<year>``, one gapless series per year.

503 is the archive classification code of licensing (perizinan) in the regional government's
filing scheme. The serial counts every permit DPMPTSP issues in a year, whatever its type, so a
gap in the register means a number was lost - which the counter below never lets happen.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_sipinter.models import PermitCounter

CLASSIFICATION = "503"
OFFICE = "DPMPTSP"


def format_number(serial: int, *, permit_type: str, year: int) -> str:
    """``503/00001/IZIN_KLINIK/DPMPTSP/2026``."""
    return f"{CLASSIFICATION}/{serial:05d}/{permit_type}/{OFFICE}/{year}"


async def next_serial(session: AsyncSession, *, year: int) -> int:
    """Take the next serial of ``year``, without gaps.

    One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` on the year's counter row: on
    PostgreSQL it locks that row until the issuing transaction ends, so concurrent issuances queue
    behind it and a rolled-back issuance gives its number back; on SQLite the write transaction
    is exclusive anyway.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(PermitCounter)
        .values(year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[PermitCounter.year],
            set_={"last_number": PermitCounter.last_number + 1},
        )
        .returning(PermitCounter.last_number)
    )
    return int((await session.execute(stmt)).scalar_one())


async def next_number(session: AsyncSession, *, permit_type: str, year: int) -> str:
    """The number of the next permit of ``permit_type`` issued in ``year``."""
    return format_number(await next_serial(session, year=year), permit_type=permit_type, year=year)
