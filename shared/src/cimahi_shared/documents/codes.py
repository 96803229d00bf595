"""Verification codes: ``XXXX-XXXX-XXXX`` in Crockford base32 (60 random bits), as printed.

Unguessable (so the public check cannot be used to enumerate issued documents), short enough to type
from paper, and forgiving when typed: case, spaces, dashes and the letters I/L/O are normalised.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS, GROUP_SIZE = 3, 4
_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0"})
_VALID = re.compile(rf"^[{ALPHABET}]{{{GROUPS * GROUP_SIZE}}}$")


def new_code() -> str:
    """A fresh random code, grouped for printing."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_SIZE))
    return _group(raw)


def normalise(typed: str) -> str | None:
    """The canonical (grouped) form of a typed code, or None when it cannot be one."""
    raw = re.sub(r"[\s-]", "", typed.upper()).translate(_CONFUSABLE)
    return _group(raw) if _VALID.fullmatch(raw) else None


def _group(raw: str) -> str:
    return "-".join(raw[i : i + GROUP_SIZE] for i in range(0, len(raw), GROUP_SIZE))
