"""Every SQL statement of POLAKAMI."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_gateway.identity.models import (
    AuthorizationCode,
    MachineClient,
    RefreshToken,
    SigningKey,
    User,
)


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


# --- users ---


async def get_user(session: AsyncSession, user_id: str) -> User | None:
    """A user by id."""
    return await session.get(User, user_id)


async def find_user_by_nik_hash(session: AsyncSession, nik_hash: str) -> User | None:
    """A user by the keyed hash of their NIK."""
    return await session.scalar(select(User).where(User.nik_hash == nik_hash))


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    """A user by (normalised) email."""
    return await session.scalar(select(User).where(User.email == email))


async def find_user_by_phone(session: AsyncSession, phone: str) -> User | None:
    """A user by (normalised) phone number."""
    return await session.scalar(select(User).where(User.phone == phone))


async def find_user_by_username(session: AsyncSession, username: str) -> User | None:
    """An officer or admin by username."""
    return await session.scalar(select(User).where(User.username == username))


async def account_exists(
    session: AsyncSession,
    *,
    nik_hash: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    username: str | None = None,
) -> bool:
    """Whether any account already holds one of these identifiers."""
    conditions = []
    if nik_hash is not None:
        conditions.append(User.nik_hash == nik_hash)
    if email is not None:
        conditions.append(User.email == email)
    if phone is not None:
        conditions.append(User.phone == phone)
    if username is not None:
        conditions.append(User.username == username)
    if not conditions:
        return False
    found = await session.scalar(select(User.id).where(or_(*conditions)).limit(1))
    return found is not None


async def add_user(session: AsyncSession, user: User) -> User:
    """Insert a user (flushes, so unique violations surface here)."""
    session.add(user)
    await session.flush()
    return user


async def set_password_hash(session: AsyncSession, *, user_id: str, password_hash: str) -> None:
    """Replace a user's password hash (rehash after a parameter upgrade)."""
    await session.execute(
        update(User).where(User.id == user_id).values(password_hash=password_hash)
    )


# --- machine clients ---


async def find_client(session: AsyncSession, client_id: str) -> MachineClient | None:
    """A machine client by its public client id."""
    return await session.scalar(select(MachineClient).where(MachineClient.client_id == client_id))


async def add_client(session: AsyncSession, client: MachineClient) -> MachineClient:
    """Insert a machine client."""
    session.add(client)
    await session.flush()
    return client


# --- signing keys ---


async def list_published_keys(
    session: AsyncSession, *, retired_after: datetime
) -> list[SigningKey]:
    """Active keys and keys retired after ``retired_after``, oldest first."""
    rows = await session.scalars(
        select(SigningKey)
        .where(or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > retired_after))
        .order_by(SigningKey.created_at, SigningKey.kid)
    )
    return list(rows)


async def add_signing_key(session: AsyncSession, key: SigningKey) -> None:
    """Insert a signing key."""
    session.add(key)
    await session.flush()


async def retire_active_keys(session: AsyncSession, *, at: datetime) -> None:
    """Mark every active key retired."""
    await session.execute(
        update(SigningKey)
        .where(SigningKey.status == "active")
        .values(status="retired", retired_at=at)
    )


# --- authorization codes ---


async def add_authorization_code(session: AsyncSession, code: AuthorizationCode) -> None:
    """Insert an authorization code."""
    session.add(code)
    await session.flush()


async def get_authorization_code(session: AsyncSession, code_hash: str) -> AuthorizationCode | None:
    """An authorization code by its hash."""
    return await session.get(AuthorizationCode, code_hash)


async def mark_code_used(session: AsyncSession, *, code_hash: str, at: datetime) -> bool:
    """Consume a code; False when it was already consumed (atomic, so two racers cannot both win)."""
    result = await session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.code_hash == code_hash, AuthorizationCode.used_at.is_(None))
        .values(used_at=at)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


# --- refresh tokens ---


async def add_refresh_token(session: AsyncSession, token: RefreshToken) -> None:
    """Insert a refresh token."""
    session.add(token)
    await session.flush()


async def find_refresh_token(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    """A refresh token by its hash."""
    return await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash))


async def mark_refresh_token_used(session: AsyncSession, *, token_id: str, at: datetime) -> bool:
    """Rotate a refresh token out; False when it was already used or revoked (atomic)."""
    result = await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.id == token_id,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
        )
        .values(used_at=at)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


async def revoke_refresh_family(session: AsyncSession, *, family_id: str, at: datetime) -> int:
    """Revoke every refresh token of a family; returns how many were still live."""
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=at)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)
