"""Names as the register compares them: what a citizen types must match the family card."""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = re.compile(r"['\u2018\u2019`]")
_NOT_A_NAME_CHARACTER = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")


def name_key(name: str) -> str:
    """The comparable form of a name: NFKC, casefold, punctuation dropped, single spaces.

    ``"  M. Rizki,  HIDAYAT "`` and ``"m rizki hidayat"`` have the same key, and so have
    ``"Ma'ruf"`` and ``"Maruf"``.
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    text = _APOSTROPHES.sub("", text)
    text = _NOT_A_NAME_CHARACTER.sub(" ", text)
    return _SPACES.sub(" ", text).strip()
