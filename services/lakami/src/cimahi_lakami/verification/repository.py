"""The SQL of letter verification: an issued letter looked up by its verification code."""

from __future__ import annotations

from sqlalchemy import RowMapping, Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_lakami.models import LetterRequest, LetterType

_requests: Table = LetterRequest.__table__  # type: ignore[assignment]
_types: Table = LetterType.__table__  # type: ignore[assignment]

# Only what the public answer shows (and the status that says whether the letter is issued).
_BY_CODE = (
    select(
        _requests.c.status,
        _requests.c.verification_code,
        _requests.c.letter_number,
        _requests.c.issued_on,
        _requests.c.kelurahan_code,
        _requests.c.kecamatan_code,
        _requests.c.level,
        _requests.c.signer_title,
        _requests.c.full_name,
        _requests.c.nik_masked,
        _requests.c.revoked_at,
        _types.c.name.label("letter_type_name"),
    )
    .join_from(_requests, _types, _requests.c.letter_type_code == _types.c.code)
    .where(_requests.c.verification_code == bindparam("code"))
)


async def find_by_code(session: AsyncSession, code: str) -> RowMapping | None:
    """The public facts of the letter with this (canonical) verification code, if any."""
    conn = await session.connection()
    row = (await conn.execute(_BY_CODE, {"code": code})).first()
    return row._mapping if row is not None else None
