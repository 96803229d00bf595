"""Signing keys and access tokens shaped like the gateway's, for tests of token verification.

``Signer`` is a bare key (tests of the verifier itself); ``Tokens`` signs whole gateway-shaped
access tokens for an agency service's tests (citizen, officer, head, admin, machine client).
"""

from __future__ import annotations

import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt.algorithms import ECAlgorithm, OKPAlgorithm
from ulid import ULID

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
        return self.sign(access_claims(**overrides))

    def sign(self, claims: dict[str, Any]) -> str:
        """Sign exactly ``claims`` (with this key's ``kid`` in the header)."""
        return jwt.encode(claims, self.private, algorithm=self.alg, headers={"kid": self.kid})

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


class Tokens:
    """Signs access tokens the way the gateway does (EdDSA, claims of docs/architecture.md).

    Subclass per agency to set ``agency``, ``default_area``, ``officer_name`` and
    ``machine_scope`` (the defaults of ``officer()`` and ``machine()``).
    """

    agency = "lakami"
    default_area = "32.77"
    officer_name = "Dewi Kurniasih"
    machine_scope = ""
    kid = "test-key"
    lifetime_seconds = 900

    def __init__(self, issuer: str, audience: str) -> None:
        self.issuer = issuer
        self.audience = audience
        self.signer = Signer("EdDSA", self.kid)
        self.jwks: dict[str, Any] = self.signer.jwks()

    def sign(self, **claims: Any) -> str:
        """A valid access token carrying ``claims`` (they override the defaults)."""
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "typ": "access",
            "iat": now,
            "exp": now + self.lifetime_seconds,
            "jti": str(ULID()),
            **claims,
        }
        return self.signer.sign(payload)

    def headers(self, **claims: Any) -> dict[str, str]:
        """An ``Authorization: Bearer`` header for a token carrying ``claims``."""
        return {"Authorization": "Bearer " + self.sign(**claims)}

    def citizen(self, sub: str | None = None) -> dict[str, str]:
        """A citizen (a fresh subject unless ``sub`` is given)."""
        return self.headers(sub=sub or str(ULID()), role="citizen")

    def officer(
        self,
        area: str | None = None,
        *,
        agency: str | None = None,
        sub: str | None = None,
        position: str | None = None,
    ) -> dict[str, str]:
        """An officer of ``agency`` (this agency by default) working in ``area``."""
        claims: dict[str, Any] = {
            "sub": sub or str(ULID()),
            "role": "officer",
            "agency": agency or self.agency,
            "area": area or self.default_area,
            "name": self.officer_name,
        }
        if position is not None:
            claims["position"] = position
        return self.headers(**claims)

    def head(self, area: str | None = None) -> dict[str, str]:
        """The head of the agency (an officer with ``position == "head"``)."""
        return self.officer(area, position="head")

    def admin(self) -> dict[str, str]:
        """A platform administrator."""
        return self.headers(sub=str(ULID()), role="admin")

    def machine(self, client_id: str = "gateway", scope: str | None = None) -> dict[str, str]:
        """A machine client's token (client_credentials), e.g. the gateway's."""
        scope = self.machine_scope if scope is None else scope
        return self.headers(sub=client_id, role="client", client_id=client_id, scope=scope)
