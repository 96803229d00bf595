"""Levy payment codes (the SKRD's virtual-account number): ``8328`` + 12 random digits.

``8328`` is SIPINTER's biller prefix at the city's banks (E-PBB's PBB codes are ``8327``), so
a teller's system routes the code to the levy inquiry. A code is unique over all applications
(``applications.levy_code`` has a unique index); a drawn code already given is drawn again.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_shared.payment_codes import CODE_DIGITS, random_code
from cimahi_sipinter.levy import repository

BILLER_PREFIX = "8328"
ATTEMPTS = 8


def new_code() -> str:
    """A fresh levy code (not checked against the database)."""
    return random_code(BILLER_PREFIX, CODE_DIGITS)


async def unused_code(session: AsyncSession) -> str:
    """A levy code no application has (1e-12 odds of a collision per draw: a few draws at most)."""
    for _ in range(ATTEMPTS):
        code = new_code()
        if not await repository.code_taken(session, code):
            return code
    raise RuntimeError(f"no unused levy code after {ATTEMPTS} draws")
