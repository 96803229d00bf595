"""OWASP API2 (broken authentication): forged, stale and misdirected access tokens are refused.

Every service and the gateway (its own API and its proxy door) get the same attacks: each must be
answered 401 problem+json - never 200, never 500. A failing JWKS fetch is 503, not 401 or 500.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from cimahi_shared.testing.tokens import Signer, Tokens
from tests.security.inprocess import APPS, SERVICES, running

# A route each app guards with a bearer token and answers a valid citizen on.
GUARDED = {
    "lakami": ["/v1/letter-requests"],
    "dilandacinta": ["/v1/applications"],
    "epbb": ["/v1/requests"],
    "sipinter": ["/v1/applications"],
    "gateway": ["/api/v1/requests", "/api/lakami/v1/letter-requests"],
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segments(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())


def _claims(tokens: Tokens, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": tokens.issuer,
        "aud": tokens.audience,
        "sub": "01JATTACKER000000000000000",
        "role": "citizen",
        "typ": "access",
        "iat": now,
        "exp": now + 600,
        "jti": f"jti-{time.monotonic_ns()}",
    }
    for key, value in overrides.items():
        if value is None:
            claims.pop(key, None)
        else:
            claims[key] = value
    return claims


def attacks(tokens: Tokens) -> dict[str, str]:
    """Name -> a token that must be refused."""
    signer = tokens.signer
    now = int(time.time())

    # alg "none": no signature at all.
    none = _segments({"alg": "none", "typ": "JWT", "kid": tokens.kid}, _claims(tokens)) + "."
    # HS256 keyed with the public key (the classic RS/HS confusion), as PEM and as JWK JSON.
    public = signer.private.public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    confused: dict[str, str] = {}
    for label, secret in (("pem", pem), ("jwk", json.dumps(signer.jwk).encode())):
        signing_input = _segments(
            {"alg": "HS256", "typ": "JWT", "kid": tokens.kid}, _claims(tokens)
        )
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        confused[f"hs256-public-key-{label}"] = signing_input + "." + _b64(mac)
    # A valid citizen token whose payload says admin, signature kept.
    header_b64, _, rest = tokens.sign(sub="01JATTACKER000000000000000", role="citizen").partition(
        "."
    )
    _, _, signature = rest.partition(".")
    tampered = (
        header_b64
        + "."
        + _b64(json.dumps(_claims(tokens, role="admin")).encode())
        + "."
        + signature
    )
    impostor = Signer("EdDSA", tokens.kid)  # another key that claims the trusted kid
    stranger = Signer("EdDSA", "unknown-kid")
    return {
        "alg-none": none,
        **confused,
        "expired": signer.sign(_claims(tokens, iat=now - 7200, exp=now - 3600)),
        "future-nbf": signer.sign(_claims(tokens, nbf=now + 3600)),
        "wrong-iss": signer.sign(_claims(tokens, iss="https://evil.example")),
        "wrong-aud": signer.sign(_claims(tokens, aud="someone-else")),
        "unknown-kid": stranger.sign(_claims(tokens)),
        "tampered-role": tampered,
        "missing-exp": signer.sign(_claims(tokens, exp=None)),
        "missing-sub": signer.sign(_claims(tokens, sub=None)),
        "other-key-same-kid": impostor.sign(_claims(tokens)),
        "id-token": signer.sign(_claims(tokens, typ="ID")),
        "garbage": "not.a.jwt",
        "two-segments": _segments({"alg": "EdDSA", "kid": tokens.kid}, _claims(tokens)),
    }


def _assert_problem(response: Any, status: int, context: str) -> None:
    assert response.status_code == status, f"{context}: {response.status_code} {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json"), context
    assert response.json()["status"] == status, context


@pytest.mark.parametrize("name", APPS)
async def test_forged_and_stale_tokens_are_refused_with_401(name: str, tmp_path: Path) -> None:
    async with running(name, tmp_path) as app:
        for path in GUARDED[name]:
            valid = await app.client.get(path, headers=app.tokens.citizen())
            assert valid.status_code not in (401, 403, 500), f"{path}: {valid.text}"
            for attack, token in attacks(app.tokens).items():
                response = await app.client.get(path, headers={"Authorization": f"Bearer {token}"})
                _assert_problem(response, 401, f"{name} {path} {attack}")
            for header in ("Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "Token abc"):
                response = await app.client.get(path, headers={"Authorization": header})
                _assert_problem(response, 401, f"{name} {path} Authorization: {header!r}")
            _assert_problem(await app.client.get(path), 401, f"{name} {path} no token")


@pytest.mark.parametrize("name", SERVICES)
async def test_a_jwks_fetch_failure_is_503(name: str, tmp_path: Path) -> None:
    """No keys yet and the identity provider unreachable: 503 (retry later), not 401 or 500."""
    async with running(name, tmp_path, install_keys=False) as app:
        response = await app.client.get(GUARDED[name][0], headers=app.tokens.citizen())
        _assert_problem(response, 503, name)
        assert "Traceback" not in response.text


def test_pyjwt_refuses_to_sign_hs256_with_a_public_key() -> None:
    """Why the confusion tokens above are built by hand: the library itself refuses."""
    signer = Signer()
    pem = signer.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(jwt.InvalidKeyError):
        jwt.encode({"sub": "x"}, pem, algorithm="HS256")
