"""New identifiers of the register: NIK for a newborn or a newcomer, No. KK for a new family card.

Structure (docs/dilandacinta.md): NIK = ``PPKKCC DDMMYY SSSS`` (region of registration, birth date
with day + 40 for women, serial 0001-9999 per region and date); No. KK = ``PPKKCC DDMMYY SSSS``
(region, issue date, serial). Serials come from ``nik_serials`` / ``kk_serials`` rows bumped in
the caller's transaction (gapless, unique under concurrency).

CONTRACT (used by applications/ at issuance; implemented by the register work): keep these
signatures.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession


async def next_nik(session: AsyncSession, *, region: str, birth_date: date, sex: str) -> str:
    """A new, unused NIK for a person registered in ``region`` (6 digits, e.g. ``327701``).

    ``sex`` is ``"L"`` or ``"P"`` (women: day + 40). Runs in the caller's transaction.
    """
    raise NotImplementedError


async def next_no_kk(session: AsyncSession, *, region: str, issued_on: date) -> str:
    """A new, unused No. KK for a family card issued in ``region`` on ``issued_on``."""
    raise NotImplementedError
