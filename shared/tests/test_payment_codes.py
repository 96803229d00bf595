"""Payment codes: the biller prefix, the length, random digits, refused prefixes."""

from __future__ import annotations

import pytest

from cimahi_shared.payment_codes import random_code


def test_a_code_is_the_prefix_and_random_digits() -> None:
    drawn = {random_code("8328") for _ in range(200)}
    assert len(drawn) == 200
    for code in drawn:
        assert len(code) == 16
        assert code.isdigit()
        assert code.startswith("8328")
    assert len(random_code("12", 6)) == 6


@pytest.mark.parametrize("prefix", ["", "83a8", "1234567890123456"])
def test_a_prefix_must_be_digits_shorter_than_the_code(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        random_code(prefix)
