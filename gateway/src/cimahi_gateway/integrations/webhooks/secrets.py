"""Signing secrets of webhook endpoints: created and rotated here, read by the delivery worker.

A secret (``whsec_<base64 of 32 random bytes>``, Standard Webhooks) is shown to the integrator
once and stored only encrypted with the platform's PII key (AES-GCM), because the gateway needs
it in clear to sign. The current secret has ``expires_at`` NULL. A rotation gives the current
one ``expires_at = now + overlap`` and adds a new current one; until then deliveries carry a
signature with each (``webhook-signature: v1,<new> v1,<old>``), so the integrator can switch its
receiver to the new secret without losing a message. Expired secrets are deleted at the next
rotation.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_gateway.integrations.models import EndpointSecret
from cimahi_shared.pii import PiiCipher
from cimahi_shared.webhooks.signing import new_secret


async def create_secret(
    session: AsyncSession, endpoint_id: str, *, now: datetime, pii: PiiCipher
) -> str:
    """Add a new current secret to an endpoint; returns it in clear (to show once)."""
    secret = new_secret()
    session.add(
        EndpointSecret(
            id=str(ULID()),
            endpoint_id=endpoint_id,
            secret_encrypted=pii.encrypt(secret),
            created_at=now,
            expires_at=None,
        )
    )
    await session.flush()
    return secret


async def rotate_secret(
    session: AsyncSession,
    endpoint_id: str,
    *,
    now: datetime,
    pii: PiiCipher,
    overlap_seconds: int,
) -> tuple[str, datetime]:
    """Retire the current secret (it signs until ``now + overlap``) and add a new one.

    Returns the new secret in clear and when the previous one stops signing."""
    previous_expires_at = now + timedelta(seconds=max(overlap_seconds, 0))
    await session.execute(
        delete(EndpointSecret).where(
            EndpointSecret.endpoint_id == endpoint_id, EndpointSecret.expires_at <= now
        )
    )
    await session.execute(
        update(EndpointSecret)
        .where(EndpointSecret.endpoint_id == endpoint_id, EndpointSecret.expires_at.is_(None))
        .values(expires_at=previous_expires_at)
    )
    return await create_secret(session, endpoint_id, now=now, pii=pii), previous_expires_at


async def signing_secrets(
    session: AsyncSession, endpoint_id: str, *, now: datetime, pii: PiiCipher
) -> list[str]:
    """The secrets that sign a message sent at ``now``: the current one and every unexpired
    previous one, newest first (decrypted)."""
    query = select(EndpointSecret).where(
        EndpointSecret.endpoint_id == endpoint_id,
        or_(EndpointSecret.expires_at.is_(None), EndpointSecret.expires_at > now),
    )
    rows = (await session.scalars(query)).all()
    # The current one first, then the later-expiring (more recently retired) ones.
    rows = sorted(rows, key=lambda r: (r.expires_at is None, r.expires_at or now, r.created_at))
    return [pii.decrypt(row.secret_encrypted) for row in reversed(rows)]


async def delete_secrets(session: AsyncSession, endpoint_id: str) -> None:
    """Forget every secret of an endpoint (the endpoint is being deleted)."""
    await session.execute(delete(EndpointSecret).where(EndpointSecret.endpoint_id == endpoint_id))
