"""Development only: proof the seeded demo citizens against DILANDACINTA once it is up.

The demo accounts are seeded before the agency services start, so the registration-time check
could not run for them. In development, when DILANDACINTA is configured, the gateway asks the
register for each unverified demo citizen in the background (retrying while the service starts):
a match marks the account identity-verified and binds it to its register record (so
``/api/dilandacinta/v1/me/register`` knows them), exactly as a proofed registration does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from cimahi_gateway.identity import proofing, repository
from cimahi_gateway.identity.service import (
    STATE_KEY,
    IdentityState,
    demo_citizen_registrations,
)
from cimahi_shared.app import Runtime
from cimahi_shared.db import utcnow
from cimahi_shared.errors import ProblemError

logger = logging.getLogger("cimahi.gateway.proofing")

RETRY_SECONDS = 2.0
MAX_ATTEMPTS = 90


async def proof_demo_citizens(runtime: Runtime, check: proofing.RegisterProofing) -> int:
    """Proof every unverified demo citizen once; returns how many are verified now.

    Raises ``RegisterUnavailable`` while DILANDACINTA cannot answer (the caller retries).
    """
    verified = 0
    for data in demo_citizen_registrations():
        async with runtime.session_factory() as session, session.begin():
            user = await repository.find_user_by_nik_hash(
                session, runtime.pii.lookup_hash(data.nik)
            )
            if user is None or user.identity_verified_at is not None:
                continue
            try:
                await check(data, user.id)
            except proofing.RegisterUnavailable:
                raise
            except ProblemError as exc:
                logger.warning("demo citizen not in the register: %s", exc.title)
                continue
            user.identity_verified_at = utcnow()
            verified += 1
    return verified


async def _retry(runtime: Runtime, check: proofing.RegisterProofing) -> None:
    for _ in range(MAX_ATTEMPTS):
        with contextlib.suppress(proofing.RegisterUnavailable):
            count = await proof_demo_citizens(runtime, check)
            if count:
                logger.info("demo citizens proofed against the register: %d", count)
            return
        await asyncio.sleep(RETRY_SECONDS)
    logger.warning("demo citizens not proofed: DILANDACINTA did not answer")


async def on_start(runtime: Runtime) -> None:
    """In development with DILANDACINTA configured: proof the demo citizens in the background."""
    state = runtime.extras.get(STATE_KEY)
    if not isinstance(state, IdentityState):
        return
    if state.settings.environment != "development":
        return
    check = proofing.for_gateway(state, runtime.http)
    if check is None:
        return
    task = asyncio.create_task(_retry(runtime, check), name="identity-demo-proofing")
    state.background.add(task)
    task.add_done_callback(state.background.discard)
