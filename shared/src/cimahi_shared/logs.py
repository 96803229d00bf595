"""JSON logs in which a NIK (or any 16-digit number) never appears unmasked."""

from __future__ import annotations

import json as stdjson
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

from cimahi_shared.context import request_id_var

_SIXTEEN_DIGITS = re.compile(r"(?<!\d)(\d{4})\d{8}(\d{4})(?!\d)")
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def mask_digits(text: str) -> str:
    """Mask every 16-digit run (NIK, No. KK) as ``3277********0001``."""
    return _SIXTEEN_DIGITS.sub(r"\1********\2", text)


def _scrub(value: Any, depth: int = 0) -> Any:
    """A JSON-ready copy of ``value`` with every 16-digit run masked (also inside numbers)."""
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, str):
        return mask_digits(value)
    if isinstance(value, int):
        text = str(value)
        masked = mask_digits(text)
        return value if masked == text else masked  # masking a number makes it a string
    if depth > 20:
        return mask_digits(repr(value))
    if isinstance(value, dict):
        return {mask_digits(str(k)): _scrub(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(v, depth + 1) for v in value]
    if isinstance(value, bytes | bytearray):
        return mask_digits(bytes(value).decode("utf-8", "replace"))
    return mask_digits(str(value))


class JsonFormatter(logging.Formatter):
    """One JSON object per line with the request id; NIK-like numbers masked everywhere."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except Exception:
            # A bad format string must not make logging print the raw arguments (and a NIK in
            # them) to stderr from Handler.handleError: log the template and arguments masked.
            message = f"{record.msg!s} {record.args!r}"
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": message,
        }
        rid = request_id_var.get()
        if rid:
            entry["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        entry = _scrub(entry)
        try:
            return orjson.dumps(entry).decode()
        except TypeError:  # e.g. an integer beyond 64 bits: fall back to the slower encoder
            return stdjson.dumps(entry)


class PlainFormatter(logging.Formatter):
    """Human-readable lines for a terminal, masked the same way."""

    def format(self, record: logging.LogRecord) -> str:
        try:
            return mask_digits(super().format(record))
        except Exception:
            return mask_digits(f"{record.levelname} {record.name}: {record.msg!s} {record.args!r}")


def configure_logging(service: str, *, level: str = "INFO", json: bool = True) -> None:
    """Route the root logger (and uvicorn's) through the masking formatter."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        JsonFormatter(service)
        if json
        else PlainFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    # Access lines are written by our own middleware (with the request id); uvicorn's are noise.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
