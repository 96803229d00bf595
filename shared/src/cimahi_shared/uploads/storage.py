"""Where uploaded bytes live: a small interface and its local-filesystem implementation.

Files are named by a random key chosen by the service (never by the client's filename) and are
written to a temporary file in the same directory, flushed and then renamed: a reader sees either
the whole file or none of it.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Protocol

_KEY = re.compile(r"^[0-9a-f]{32}$")


def new_storage_key() -> str:
    """A random, unguessable storage name (128 bits)."""
    return secrets.token_hex(16)


class UploadStorage(Protocol):
    """Stores, returns and deletes the bytes of uploads by key."""

    async def save(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` atomically (all or nothing)."""

    async def read(self, key: str) -> bytes:
        """The bytes stored under ``key`` (``FileNotFoundError`` when there are none)."""

    async def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""


class LocalUploadStorage:
    """Uploads as files in one directory (created on first use)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def path(self, key: str) -> Path:
        """The file of ``key``; refuses anything that is not a storage key (no path tricks)."""
        if not _KEY.fullmatch(key):
            raise ValueError("not a storage key")
        return self.directory / key

    async def save(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._save, self.path(key), data)

    async def read(self, key: str) -> bytes:
        return await asyncio.to_thread(self.path(key).read_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, missing_ok=True)

    def _save(self, target: Path, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".partial-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
