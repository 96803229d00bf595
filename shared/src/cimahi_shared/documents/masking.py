"""Names as the public may see them on a verification answer."""

from __future__ import annotations


def mask_name(full_name: str) -> str:
    """Each word's first letter, then one ``*`` per further letter: ``Rina Marlina`` -> ``R*** M******``."""
    return " ".join(word[0] + "*" * (len(word) - 1) for word in full_name.split())
