"""Every SQL statement of the catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_lakami.models import LetterType


async def get_letter_type(session: AsyncSession, code: str) -> LetterType | None:
    """A letter type by code (active or not)."""
    return await session.get(LetterType, code)


async def list_active_letter_types(session: AsyncSession) -> Sequence[LetterType]:
    """Every letter type offered to citizens, by code."""
    result = await session.execute(
        select(LetterType).where(LetterType.active.is_(True)).order_by(LetterType.code)
    )
    return result.scalars().all()


async def upsert_letter_type(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert a letter type or overwrite its standard."""
    existing = await session.get(LetterType, values["code"])
    if existing is None:
        session.add(LetterType(**values))
        return
    for key, value in values.items():
        setattr(existing, key, value)


async def deactivate_other_letter_types(session: AsyncSession, keep: Sequence[str]) -> None:
    """Withdraw every letter type whose code is not in ``keep`` (requests keep their type)."""
    await session.execute(
        update(LetterType).where(LetterType.code.not_in(list(keep))).values(active=False)
    )
