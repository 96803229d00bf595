"""New identifiers of the register: NIK for a newborn or a newcomer, No. KK for a new family card.

Structure: NIK = ``PPKKCC DDMMYY SSSS`` (region of registration, birth date with day + 40 for
women, serial 0001-9999 per region and date); No. KK = ``PPKKCC DDMMYY SSSS`` (region, issue
date, serial). Serials come from ``nik_serials`` / ``kk_serials`` rows keyed by the 12-digit
prefix, bumped by one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` in the caller's
transaction: on PostgreSQL the row stays locked until that transaction ends (concurrent callers
queue, a rollback gives the serial back), on SQLite the write transaction is exclusive. Serial
0000 is never used; past 9999 the prefix is exhausted (:class:`SerialsExhausted`).

Persons loaded with a known NIK (demo data, :func:`raise_serials`) push the rows up to their
serials, so a generated number never repeats one that is already in the register.

CONTRACT (used by applications/ at issuance): keep the signatures of next_nik / next_no_kk.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import case
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_dilandacinta.models import KkSerial, NikSerial
from cimahi_shared.errors import Conflict
from cimahi_shared.identifiers import nik_prefix, no_kk_prefix, with_serial

MAX_SERIAL = 9999


class SerialsExhausted(Conflict):
    """Every serial 0001-9999 of a region and date is taken."""

    code = "serials-exhausted"
    title = "No number left for this region and date"


SerialTable = type[NikSerial] | type[KkSerial]


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def _take_serial(session: AsyncSession, table: SerialTable, prefix: str) -> int:
    stmt = (
        _insert(session)(table)
        .values(prefix=prefix, last_serial=1)
        .on_conflict_do_update(
            index_elements=[table.prefix], set_={"last_serial": table.last_serial + 1}
        )
        .returning(table.last_serial)
    )
    return int((await session.execute(stmt)).scalar_one())


async def next_nik(session: AsyncSession, *, region: str, birth_date: date, sex: str) -> str:
    """A new, unused NIK for a person registered in ``region`` (6 digits, e.g. ``327701``).

    ``sex`` is ``"L"`` or ``"P"`` (women: day + 40). Runs in the caller's transaction.
    """
    prefix = nik_prefix(region, birth_date, sex)
    serial = await _take_serial(session, NikSerial, prefix)
    if serial > MAX_SERIAL:
        raise SerialsExhausted(
            f"Every NIK serial of region {region} for birth date {birth_date.isoformat()} "
            f"(sex {sex}) is used; the number cannot be issued here."
        )
    return with_serial(prefix, serial)


async def next_no_kk(session: AsyncSession, *, region: str, issued_on: date) -> str:
    """A new, unused No. KK for a family card issued in ``region`` on ``issued_on``."""
    prefix = no_kk_prefix(region, issued_on)
    serial = await _take_serial(session, KkSerial, prefix)
    if serial > MAX_SERIAL:
        raise SerialsExhausted(
            f"Every No. KK serial of region {region} for {issued_on.isoformat()} is used."
        )
    return with_serial(prefix, serial)


async def raise_serials(
    session: AsyncSession, table: SerialTable, serials: Mapping[str, int]
) -> None:
    """Make sure each prefix's counter is at least the given serial (numbers loaded as they are)."""
    if not serials:
        return
    insert = _insert(session)(table)
    stmt = insert.on_conflict_do_update(
        index_elements=[table.prefix],
        set_={
            "last_serial": case(
                (table.last_serial < insert.excluded.last_serial, insert.excluded.last_serial),
                else_=table.last_serial,
            )
        },
    )
    rows = [{"prefix": prefix, "last_serial": serial} for prefix, serial in sorted(serials.items())]
    for start in range(0, len(rows), 500):
        await session.execute(stmt, rows[start : start + 500])
