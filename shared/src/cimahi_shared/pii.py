"""Personal data at rest: AES-GCM encryption and a keyed lookup hash for NIK and No. KK."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class PiiCipher:
    """Encrypts identifiers at rest and derives a keyed hash so they can be looked up without decryption."""

    def __init__(self, key_b64: str) -> None:
        master = base64.b64decode(key_b64)
        if len(master) < 16:
            raise ValueError("the PII key must decode to at least 16 bytes")
        # Separate sub-keys for encryption and hashing, derived from one configured secret.
        self._enc = AESGCM(hashlib.sha256(b"enc:" + master).digest())
        self._mac_key = hashlib.sha256(b"mac:" + master).digest()

    def encrypt(self, plaintext: str) -> str:
        """Encrypt to a base64 string (nonce + ciphertext + tag)."""
        nonce = os.urandom(12)
        return base64.b64encode(nonce + self._enc.encrypt(nonce, plaintext.encode(), None)).decode()

    def decrypt(self, token: str) -> str:
        """Decrypt a value produced by :meth:`encrypt`."""
        raw = base64.b64decode(token)
        return self._enc.decrypt(raw[:12], raw[12:], None).decode()

    def lookup_hash(self, value: str) -> str:
        """A keyed hash (HMAC-SHA256, hex) for equality look-ups."""
        return hmac.new(self._mac_key, value.encode(), hashlib.sha256).hexdigest()
