"""Registering, changing, rotating and revoking integrators.

An integrator is two rows written together: the machine client it authenticates with
(``identity_clients``, created by the identity service with only the integrator scope, so its
tokens are good for the integrations API and nothing else) and the ``integrators`` row that says
which events it may see. Its client secret is returned once and stored only as a hash; a rotation
replaces the hash (the old secret stops working at once), a revocation marks both rows.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_gateway.identity import repository as identity_repository
from cimahi_gateway.identity import service as identity
from cimahi_gateway.identity.models import MachineClient
from cimahi_gateway.integrations import scopes
from cimahi_gateway.integrations.integrators.schemas import IntegratorCreate, IntegratorUpdate
from cimahi_gateway.integrations.models import Integrator
from cimahi_shared.db import utcnow
from cimahi_shared.errors import Conflict, InvalidInput, NotFound

CLIENT_ID_PREFIX = "integrator-"


def check_patterns(patterns: Sequence[str], agencies: Collection[str]) -> list[str]:
    """The patterns trimmed and without repeats; 422 naming ``allowed_events[i]`` for a bad one.

    A pattern must be well formed (``scopes.is_pattern``) and start with ``*`` or a configured
    agency: a typo in the agency would otherwise silently match nothing.
    """
    errors: list[dict[str, str]] = []
    cleaned: list[str] = []
    for i, raw in enumerate(patterns):
        value = raw.strip()
        where = f"allowed_events[{i}]"
        if not scopes.is_pattern(value):
            message = "not a pattern like 'epbb.payment.*' (parts: lowercase names, '*', '>' last)"
            errors.append({"field": where, "message": message})
        elif value.split(".")[1] == "request":
            message = "request.lifecycle events are platform-internal, not for integrators"
            errors.append({"field": where, "message": message})
        elif value.split(".")[0] not in {"*", *agencies}:
            known = ", ".join(sorted(agencies))
            errors.append({"field": where, "message": f"unknown agency (known: {known}, or '*')"})
        elif value not in cleaned:
            cleaned.append(value)
    if errors:
        raise InvalidInput("Some allowed events are not valid patterns.", errors=errors)
    return cleaned


async def create_integrator(
    session: AsyncSession, data: IntegratorCreate, *, scope: str, agencies: Collection[str]
) -> tuple[Integrator, str]:
    """Create the integrator and its machine client; returns it with the secret (shown once)."""
    patterns = check_patterns(data.allowed_events, agencies)
    integrator_id = str(ULID())
    client, secret = await identity.create_client(
        session,
        client_id=CLIENT_ID_PREFIX + integrator_id.lower(),
        name=data.name,
        scopes=[scope],
    )
    now = utcnow()
    integrator = Integrator(
        id=integrator_id,
        name=data.name,
        contact_email=data.contact_email,
        client_id=client.client_id,
        allowed_events=patterns,
        created_at=now,
        updated_at=now,
        revoked_at=None,
    )
    session.add(integrator)
    await session.flush()
    return integrator, secret


async def list_integrators(
    session: AsyncSession, *, limit: int, cursor: str | None
) -> tuple[list[Integrator], str | None]:
    """One page in creation order (ULIDs sort by time); the cursor is the last id shown."""
    query = select(Integrator).order_by(Integrator.id).limit(limit + 1)
    if cursor:
        query = query.where(Integrator.id > cursor)
    rows = list((await session.execute(query)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


async def get_integrator(session: AsyncSession, integrator_id: str) -> Integrator:
    """An integrator by id (404 when there is none)."""
    integrator = await session.get(Integrator, integrator_id)
    if integrator is None:
        raise NotFound("No such integrator.")
    return integrator


async def _client_of(session: AsyncSession, integrator: Integrator) -> MachineClient:
    client = await identity_repository.find_client(session, integrator.client_id)
    if client is None:  # written together, so only a manual deletion gets here
        raise Conflict("The integrator's machine client is missing.")
    return client


def _active(integrator: Integrator) -> None:
    if integrator.revoked_at is not None:
        raise Conflict("This integrator has been revoked.")


async def update_integrator(
    session: AsyncSession, integrator_id: str, data: IntegratorUpdate, *, agencies: Collection[str]
) -> Integrator:
    """Change the name, contact or allowed events (the next event and call use them)."""
    integrator = await get_integrator(session, integrator_id)
    _active(integrator)
    if data.allowed_events is not None:
        integrator.allowed_events = check_patterns(data.allowed_events, agencies)
    if data.name is not None:
        integrator.name = data.name
        (await _client_of(session, integrator)).name = data.name
    if data.contact_email is not None:
        integrator.contact_email = data.contact_email
    integrator.updated_at = utcnow()
    await session.flush()
    return integrator


async def rotate_secret(session: AsyncSession, integrator_id: str) -> tuple[str, str]:
    """A new client secret (shown once); the previous one stops working at once.

    Tokens already issued stay valid until they expire (minutes): they do not carry the secret.
    """
    integrator = await get_integrator(session, integrator_id)
    _active(integrator)
    client = await _client_of(session, integrator)
    secret = identity.new_client_secret()
    client.secret_hash = identity.hash_client_secret(secret)
    integrator.updated_at = utcnow()
    await session.flush()
    return client.client_id, secret


async def revoke_integrator(
    session: AsyncSession, integrator_id: str, *, now: datetime | None = None
) -> Integrator:
    """Revoke the integrator and its machine client (again: no change)."""
    integrator = await get_integrator(session, integrator_id)
    if integrator.revoked_at is None:
        now = now or utcnow()
        integrator.revoked_at = integrator.updated_at = now
        client = await _client_of(session, integrator)
        if client.revoked_at is None:
            client.revoked_at = now
        await session.flush()
    return integrator
