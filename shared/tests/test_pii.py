"""Encryption at rest and the keyed lookup hash for personal identifiers."""

from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidTag

from cimahi_shared.pii import PiiCipher

KEY = base64.b64encode(b"k" * 32).decode()
OTHER_KEY = base64.b64encode(b"o" * 32).decode()
NIK_VALUE = "3277011203900001"


class TestPiiCipher:
    def test_encrypt_then_decrypt_returns_the_value(self) -> None:
        cipher = PiiCipher(KEY)
        assert cipher.decrypt(cipher.encrypt(NIK_VALUE)) == NIK_VALUE

    def test_the_ciphertext_does_not_contain_the_value(self) -> None:
        token = PiiCipher(KEY).encrypt(NIK_VALUE)
        assert NIK_VALUE not in token
        assert NIK_VALUE.encode() not in base64.b64decode(token)

    def test_each_encryption_uses_a_fresh_nonce(self) -> None:
        cipher = PiiCipher(KEY)
        assert cipher.encrypt(NIK_VALUE) != cipher.encrypt(NIK_VALUE)

    def test_a_tampered_ciphertext_is_refused(self) -> None:
        cipher = PiiCipher(KEY)
        raw = bytearray(base64.b64decode(cipher.encrypt(NIK_VALUE)))
        raw[-1] ^= 1
        with pytest.raises(InvalidTag):
            cipher.decrypt(base64.b64encode(bytes(raw)).decode())

    def test_another_key_cannot_decrypt(self) -> None:
        token = PiiCipher(KEY).encrypt(NIK_VALUE)
        with pytest.raises(InvalidTag):
            PiiCipher(OTHER_KEY).decrypt(token)

    def test_the_lookup_hash_is_stable_and_keyed(self) -> None:
        a, b = PiiCipher(KEY), PiiCipher(KEY)
        assert a.lookup_hash(NIK_VALUE) == b.lookup_hash(NIK_VALUE)
        assert a.lookup_hash(NIK_VALUE) != PiiCipher(OTHER_KEY).lookup_hash(NIK_VALUE)
        assert a.lookup_hash(NIK_VALUE) != a.lookup_hash("3277011203900002")
        assert NIK_VALUE not in a.lookup_hash(NIK_VALUE)

    def test_a_short_key_is_refused(self) -> None:
        with pytest.raises(ValueError, match="16 bytes"):
            PiiCipher(base64.b64encode(b"short").decode())
