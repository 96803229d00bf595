"""Every SQL statement of the population register and its access logs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_dilandacinta.models import AccessAudit, Family, IdentityMatchAudit, Person

_CHUNK = 500
_FAMILIES = Family.metadata.tables[Family.__tablename__]
_PERSONS = Person.metadata.tables[Person.__tablename__]


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


# --- persons and families ---


async def get_person(session: AsyncSession, person_id: str) -> Person | None:
    """A person by id."""
    return await session.get(Person, person_id)


async def get_family(session: AsyncSession, family_id: str) -> Family | None:
    """A family card by id."""
    return await session.get(Family, family_id)


async def find_person_by_nik_hash(session: AsyncSession, nik_hash: str) -> Person | None:
    """The person with this NIK (keyed hash), if any."""
    result = await session.execute(select(Person).where(Person.nik_hash == nik_hash))
    return result.scalar_one_or_none()


async def find_person_by_account(session: AsyncSession, account_sub: str) -> Person | None:
    """The person bound to a city login, if any."""
    result = await session.execute(select(Person).where(Person.account_sub == account_sub))
    return result.scalar_one_or_none()


async def find_family_by_kk_hash(session: AsyncSession, no_kk_hash: str) -> Family | None:
    """The family card with this No. KK (keyed hash), if any."""
    result = await session.execute(select(Family).where(Family.no_kk_hash == no_kk_hash))
    return result.scalar_one_or_none()


async def list_family_members(session: AsyncSession, family_id: str) -> list[Person]:
    """The persons of a family card, oldest first."""
    result = await session.execute(
        select(Person).where(Person.family_id == family_id).order_by(Person.birth_date, Person.id)
    )
    return list(result.scalars())


def _in_area(column: Any, area: str) -> ColumnElement[bool]:
    return or_(column == area, column.startswith(area + "."))


async def list_persons_of_family_in_area(
    session: AsyncSession, *, no_kk_hash: str, area: str
) -> list[Person]:
    """Members of the family card with this No. KK, when the card is in ``area``."""
    result = await session.execute(
        select(Person)
        .join(Family, Person.family_id == Family.id)
        .where(Family.no_kk_hash == no_kk_hash, _in_area(Family.kelurahan_code, area))
        .order_by(Person.birth_date, Person.id)
    )
    return list(result.scalars())


async def existing_nik_hashes(session: AsyncSession, hashes: Sequence[str]) -> set[str]:
    """Which of these NIK hashes are already in the register."""
    found: set[str] = set()
    for chunk in _chunks(hashes):
        result = await session.execute(select(Person.nik_hash).where(Person.nik_hash.in_(chunk)))
        found.update(result.scalars())
    return found


async def families_by_kk_hashes(session: AsyncSession, hashes: Sequence[str]) -> dict[str, Family]:
    """Existing family cards by No. KK hash."""
    found: dict[str, Family] = {}
    for chunk in _chunks(hashes):
        result = await session.execute(select(Family).where(Family.no_kk_hash.in_(chunk)))
        found.update({family.no_kk_hash: family for family in result.scalars()})
    return found


async def insert_families(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Multi-row insert of family cards (Core: no ORM bookkeeping for thousands of rows)."""
    for start in range(0, len(rows), _CHUNK):
        await session.execute(insert(_FAMILIES), list(rows[start : start + _CHUNK]))


async def insert_persons(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Multi-row insert of persons (Core: no ORM bookkeeping for thousands of rows)."""
    for start in range(0, len(rows), _CHUNK):
        await session.execute(insert(_PERSONS), list(rows[start : start + _CHUNK]))


async def set_family_heads(session: AsyncSession, heads: dict[str, str]) -> None:
    """Set ``head_person_id`` of family cards that have none yet."""
    for family_id, person_id in heads.items():
        await session.execute(
            update(Family)
            .where(Family.id == family_id, Family.head_person_id.is_(None))
            .values(head_person_id=person_id)
        )


async def unbind_account(session: AsyncSession, *, account_sub: str, except_person_id: str) -> None:
    """Free a login bound to another person (it moves to the person just proven)."""
    await session.execute(
        update(Person)
        .where(Person.account_sub == account_sub, Person.id != except_person_id)
        .values(account_sub=None)
        .execution_options(synchronize_session="fetch")
    )
    await session.flush()


# --- audit ---


def add_identity_match_audit(session: AsyncSession, audit: IdentityMatchAudit) -> None:
    """Stage an identity-match log entry."""
    session.add(audit)


async def list_access_log(
    session: AsyncSession,
    *,
    person_id: str | None,
    account_sub: str,
    before_id: str | None,
    limit: int,
) -> list[AccessAudit]:
    """Reads of a person's data (their record, or what they applied for), newest first."""
    about = AccessAudit.owner_sub == account_sub
    if person_id is not None:
        about = or_(AccessAudit.person_id == person_id, about)
    stmt = select(AccessAudit).where(about)
    if before_id is not None:
        stmt = stmt.where(AccessAudit.id < before_id)
    result = await session.execute(stmt.order_by(AccessAudit.id.desc()).limit(limit))
    return list(result.scalars())
