"""Password hashing: argon2id with argon2-cffi's defaults (64 MiB, t=3, p=4), off the event loop.

Each hash takes about 64 MiB for a few tens of milliseconds, so hashing runs in worker threads and
at most ``MAX_CONCURRENT_HASHES`` run at once: a login flood cannot exhaust the memory.
"""

from __future__ import annotations

import asyncio
import os
import threading
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MAX_CONCURRENT_HASHES = max(2, min(8, os.cpu_count() or 2))
_slots = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)


def _hash(password: str) -> str:
    with _slots:
        return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    with _slots:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash("not-a-real-password: equalises the time of unknown-user logins")


async def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return await asyncio.to_thread(_hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no hash (unknown user) it spends the same time and fails."""
    if password_hash is None:
        await asyncio.to_thread(_verify, await asyncio.to_thread(_dummy_hash), password)
        return False
    return await asyncio.to_thread(_verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)
