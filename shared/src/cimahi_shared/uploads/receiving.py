"""Receiving one uploaded file: read with a size cap, decide its type, strip metadata, hash it.

Every refusal is a problem naming the multipart field ``file``: 413 when it is too large, 415
when it is not a PDF, JPEG or PNG (or is corrupt), 422 when it is empty.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Protocol

from cimahi_shared.errors import InvalidInput, ProblemError
from cimahi_shared.uploads.content import UnacceptableContent, sniff, without_metadata

FIELD = "file"
_CHUNK = 64 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()-]+")


class PayloadTooLarge(ProblemError):
    status, code, title = 413, "payload-too-large", "Request body too large"


class UnsupportedMediaType(ProblemError):
    status, code, title = 415, "unsupported-media-type", "Unsupported file type"


class Readable(Protocol):
    """An uploaded file being received (Starlette's ``UploadFile``)."""

    async def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes; ``b""`` at the end."""


@dataclass(frozen=True)
class ReceivedFile:
    """A checked file as it will be stored: its bytes, sniffed type, size and SHA-256."""

    data: bytes
    content_type: str
    sha256: str

    @property
    def size_bytes(self) -> int:
        return len(self.data)


async def receive(file: Readable, *, max_bytes: int, max_pixels: int) -> ReceivedFile:
    """The file read (at most ``max_bytes``), type-checked and without image metadata."""
    data = await read_capped(file, max_bytes)
    if not data:
        raise InvalidInput("The file is empty.", errors=[file_error("The file is empty.")])
    try:
        content_type = sniff(data, max_pixels=max_pixels)
    except UnacceptableContent as exc:
        raise UnsupportedMediaType(
            f"{exc} Upload a PDF, JPEG or PNG.", errors=[file_error(str(exc))]
        ) from exc
    data = without_metadata(data, content_type)  # size and hash are of what is stored
    return ReceivedFile(
        data=data, content_type=content_type, sha256=hashlib.sha256(data).hexdigest()
    )


async def read_capped(file: Readable, max_bytes: int) -> bytes:
    """The whole file, read in chunks; stops with 413 as soon as it exceeds ``max_bytes``."""
    buffer = bytearray()
    while chunk := await file.read(_CHUNK):
        buffer += chunk
        if len(buffer) > max_bytes:
            raise PayloadTooLarge(
                f"The file exceeds {max_bytes} bytes.",
                errors=[file_error(f"At most {max_bytes} bytes.")],
            )
    return bytes(buffer)


def sanitize_filename(name: str | None) -> str | None:
    """The client's filename reduced to a harmless label: no path, no control or odd characters."""
    if not name:
        return None
    base = re.split(r"[/\\]", name)[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    base = _UNSAFE.sub("_", base).strip(" .")
    if len(base) > 255:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 250 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else base[:255]
    return base or None


def clean_purpose(purpose: str | None) -> str | None:
    """The optional free-text purpose, trimmed; blank means none."""
    return (purpose.strip() or None) if purpose else None


def file_error(message: str) -> dict[str, Any]:
    """A problem's error entry naming the multipart ``file`` field."""
    return {"field": FIELD, "message": message, "in": "body"}
