"""Token-signing keys: Ed25519 (JWS ``EdDSA``), kept in the gateway database, published as a JWKS.

The private key is stored encrypted with the PII cipher. The ``kid`` is the key's RFC 7638
thumbprint. Several keys can be published at once: after :func:`rotate_signing_key` the new key
signs and the retired one stays in the JWKS until every token it signed has expired.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_gateway.identity import repository
from cimahi_gateway.identity.models import SigningKey
from cimahi_shared.db import utcnow
from cimahi_shared.pii import PiiCipher

ALGORITHM = "EdDSA"
ACTIVE = "active"
RETIRED = "retired"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint (SHA-256, base64url) of an OKP, EC or RSA public JWK."""
    required = {
        "OKP": ("crv", "kty", "x"),
        "EC": ("crv", "kty", "x", "y"),
        "RSA": ("e", "kty", "n"),
    }
    members = {name: jwk[name] for name in required[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return _b64url(hashlib.sha256(canonical).digest())


def public_jwk(private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The public JWK of an Ed25519 key, with ``kid``, ``alg`` and ``use``."""
    raw = private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    jwk: dict[str, Any] = {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}
    return {**jwk, "kid": jwk_thumbprint(jwk), "alg": ALGORITHM, "use": "sig"}


@dataclass(frozen=True)
class KeyRing:
    """The key that signs now, and every public key that verifiers should accept."""

    kid: str
    private_key: Ed25519PrivateKey
    public_keys: tuple[dict[str, Any], ...]

    def jwks(self) -> dict[str, Any]:
        """The JWK Set document."""
        return {"keys": [dict(k) for k in self.public_keys]}

    def sign(self, claims: dict[str, Any], *, typ: str = "JWT") -> str:
        """A compact JWS of ``claims`` signed with the active key."""
        return jwt.encode(
            claims, self.private_key, algorithm=ALGORITHM, headers={"kid": self.kid, "typ": typ}
        )


def _new_key_row(pii: PiiCipher) -> SigningKey:
    private_key = Ed25519PrivateKey.generate()
    jwk = public_jwk(private_key)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return SigningKey(
        kid=jwk["kid"],
        alg=ALGORITHM,
        public_jwk=json.dumps(jwk),
        private_key_encrypted=pii.encrypt(pem),
        status=ACTIVE,
        created_at=utcnow(),
    )


def _load_private(row: SigningKey, pii: PiiCipher) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pii.decrypt(row.private_key_encrypted).encode(), None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError(f"signing key {row.kid} is not an Ed25519 key")
    return key


async def load_keyring(session: AsyncSession, *, pii: PiiCipher, retention_seconds: int) -> KeyRing:
    """The published keys; creates the first key when there is none (caller commits)."""
    not_before = utcnow() - timedelta(seconds=retention_seconds)
    rows = await repository.list_published_keys(session, retired_after=not_before)
    active = [r for r in rows if r.status == ACTIVE]
    if not active:
        row = _new_key_row(pii)
        await repository.add_signing_key(session, row)
        rows.append(row)
        active = [row]
    # Two processes starting at once may both create a key: all agree on the oldest one.
    signer = min(active, key=lambda r: (r.created_at, r.kid))
    return KeyRing(
        kid=signer.kid,
        private_key=_load_private(signer, pii),
        public_keys=tuple(json.loads(r.public_jwk) for r in rows),
    )


async def rotate_signing_key(session: AsyncSession, *, pii: PiiCipher) -> str:
    """Retire the active key(s) and create a new active one; returns the new ``kid``.

    Running gateways pick the new key up on their next start; until then they keep signing with
    the old key, which stays published for the retention period.
    """
    await repository.retire_active_keys(session, at=utcnow())
    row = _new_key_row(pii)
    await repository.add_signing_key(session, row)
    return row.kid
