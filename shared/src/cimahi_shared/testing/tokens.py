"""Signing keys and access tokens shaped like the gateway's, for tests of token verification."""

from __future__ import annotations

import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

ISSUER = "http://127.0.0.1:8000"
AUDIENCE = "cimahi-api"


class Signer:
    """An asymmetric signing key (EdDSA or ES256) with its public JWK."""

    def __init__(self, alg: str = "EdDSA", kid: str = "test-key") -> None:
        self.alg, self.kid = alg, kid
        if alg == "EdDSA":
            self.private: Any = ed25519.Ed25519PrivateKey.generate()
            jwk = OKPAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())
            jwk = ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        self.jwk: dict[str, Any] = {**jwk, "kid": kid, "use": "sig", "alg": alg}

    def token(self, **overrides: Any) -> str:
        """A signed access token; ``claim=None`` removes a claim."""
        claims = access_claims(**overrides)
        headers = {"kid": self.kid}
        return jwt.encode(claims, self.private, algorithm=self.alg, headers=headers)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.jwk]}


def access_claims(**overrides: Any) -> dict[str, Any]:
    """Claims of a citizen access token valid for 5 minutes; ``claim=None`` removes one."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "01JCITIZEN0000000000000000",
        "role": "citizen",
        "typ": "access",
        "iat": now,
        "exp": now + 300,
        "jti": f"jti-{time.monotonic_ns()}",
    }
    for key, value in overrides.items():
        if value is None:
            claims.pop(key, None)
        else:
            claims[key] = value
    return claims
