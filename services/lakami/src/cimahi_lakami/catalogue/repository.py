"""Every SQL statement of the catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

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


async def upsert_letter_type(
    session: AsyncSession, values: dict[str, Any]
) -> Literal["created", "updated", "unchanged"]:
    """Insert a letter type or overwrite the columns of its standard that differ."""
    existing = await session.get(LetterType, values["code"])
    if existing is None:
        session.add(LetterType(**values))
        await session.flush()
        return "created"
    changed = False
    for key, value in values.items():
        if getattr(existing, key) != value:
            setattr(existing, key, value)
            changed = True
    await session.flush()
    return "updated" if changed else "unchanged"


async def withdraw_other_letter_types(session: AsyncSession, keep: Sequence[str]) -> list[str]:
    """Deactivate every active letter type whose code is not in ``keep``; return their codes.

    Rows stay: requests of a withdrawn type keep their type and history.
    """
    codes = list(
        (
            await session.scalars(
                select(LetterType.code)
                .where(LetterType.active.is_(True), LetterType.code.not_in(list(keep)))
                .order_by(LetterType.code)
            )
        ).all()
    )
    if codes:
        await session.execute(
            update(LetterType).where(LetterType.code.in_(codes)).values(active=False)
        )
    return codes
