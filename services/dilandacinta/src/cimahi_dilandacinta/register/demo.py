"""Demo register: synthetic Cimahi residents for development, tests and benchmarks.

``add_residents`` puts given persons into a DILANDACINTA database (the gateway's end-to-end tests
and the benchmark use it); ``seed_demo_register`` loads the deterministic demo population
(``python -m cimahi_dilandacinta seed``).
"""

from __future__ import annotations

from collections.abc import Sequence

from cimahi_dilandacinta.config import DilandacintaSettings
from cimahi_dilandacinta.register.residents import Resident, load_residents
from cimahi_shared.db import create_engine, create_session_factory
from cimahi_shared.pii import PiiCipher

__all__ = ["Resident", "add_residents"]


async def add_residents(
    database_url: str, residents: Sequence[Resident], *, pii_key: str | None = None
) -> int:
    """Add each resident not yet in the register (by NIK); returns how many were added.

    An unknown No. KK becomes a new family card, a known one is joined. ``pii_key`` defaults to
    the service's (``DILANDACINTA_PII_KEY`` or the development key).
    """
    key = pii_key or DilandacintaSettings().pii_key.get_secret_value()
    engine = create_engine(database_url, pool_size=1)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            return await load_residents(session, PiiCipher(key), residents)
    finally:
        await engine.dispose()
