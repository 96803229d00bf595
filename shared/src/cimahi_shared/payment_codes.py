"""Payment codes of the city's billers: a biller prefix and random digits, 16 in all.

Banks and QRIS acquirers route a virtual-account number by its first digits (the biller
prefix: E-PBB's ``8327``, SIPINTER's levy ``8328``); the rest is drawn at random so a code
cannot be guessed from another. Uniqueness is the caller's table's unique index: draw again on
a collision.
"""

from __future__ import annotations

import secrets

CODE_DIGITS = 16


def random_code(prefix: str, digits: int = CODE_DIGITS) -> str:
    """``prefix`` followed by random digits, ``digits`` characters long."""
    if not prefix.isdigit() or len(prefix) >= digits:
        raise ValueError(f"prefix {prefix!r} must be fewer than {digits} digits")
    random_digits = digits - len(prefix)
    return prefix + str(secrets.randbelow(10**random_digits)).zfill(random_digits)
