"""Signing keys (persisted, thumbprint kid, rotation) and trusted external issuers."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from sqlalchemy import select

from cimahi_gateway.identity import service
from cimahi_gateway.identity.keys import jwk_thumbprint, rotate_signing_key
from cimahi_gateway.identity.models import SigningKey

EXTERNAL = "https://sso.example.test/realms/cimahi"
DISCOVERY = EXTERNAL + "/.well-known/openid-configuration"
EXTERNAL_KEY = Ed25519PrivateKey.generate()


class RecordingHandler(logging.Handler):
    """Collects log records (the app's logging setup replaces the root handlers caplog uses)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class ExternalProvider:
    """A stand-in for an external OpenID provider (e.g. a Keycloak realm)."""

    def __init__(self, *, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.discovery_calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == DISCOVERY:
            self.discovery_calls += 1
            if self.discovery_calls <= self.fail_first:
                return httpx.Response(503)
            return httpx.Response(
                200,
                json={"issuer": EXTERNAL, "jwks_uri": EXTERNAL + "/protocol/openid-connect/certs"},
            )
        if str(request.url) == EXTERNAL + "/protocol/openid-connect/certs":
            jwk = OKPAlgorithm.to_jwk(EXTERNAL_KEY.public_key(), as_dict=True)
            return httpx.Response(200, json={"keys": [{**jwk, "kid": "ext-1", "use": "sig"}]})
        return httpx.Response(404)

    @staticmethod
    def token(sub: str = "ext-user-1", typ: str = "Bearer") -> str:
        """An access token as Keycloak shapes it (``typ`` claim ``Bearer``)."""
        now = int(time.time())
        claims = {
            "iss": EXTERNAL,
            "aud": "cimahi-api",
            "sub": sub,
            "typ": typ,
            "iat": now,
            "exp": now + 300,
            "name": "Warga Eksternal",
        }
        return jwt.encode(claims, EXTERNAL_KEY, algorithm="EdDSA", headers={"kid": "ext-1"})


class TestSigningKeys:
    def test_thumbprint_matches_rfc_8037(self) -> None:
        jwk = {"crv": "Ed25519", "kty": "OKP", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
        assert jwk_thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"

    async def test_key_is_created_once_and_stored_encrypted(self, idp: Any) -> None:
        keyring = idp.runtime.extras["identity"].keyring
        assert keyring.kid == jwk_thumbprint(keyring.public_keys[0])
        async with idp.session() as session:
            rows = list(await session.scalars(select(SigningKey)))
        assert [r.kid for r in rows] == [keyring.kid]
        assert "PRIVATE KEY" not in rows[0].private_key_encrypted
        # A restart (same database) keeps the key.
        await service.on_start(idp.runtime)
        assert idp.runtime.extras["identity"].keyring.kid == keyring.kid

    async def test_rotation_publishes_both_keys(self, idp: Any, registered: dict[str, Any]) -> None:
        old = (await idp.password_token(registered["nik"])).json()["access_token"]
        async with idp.session() as session:
            new_kid = await rotate_signing_key(session, pii=idp.runtime.pii)
            await session.commit()
        await service.on_start(idp.runtime)  # what a restart does
        jwks = (await idp.client.get("/.well-known/jwks.json")).json()
        assert len(jwks["keys"]) == 2
        new = (await idp.password_token(registered["nik"])).json()["access_token"]
        assert jwt.get_unverified_header(new)["kid"] == new_kid
        verifier = idp.jwks_verifier()
        assert (await verifier.verify(old)).sub == (await verifier.verify(new)).sub


class TestExternalIssuers:
    async def test_external_issuer_is_trusted(self, start_polakami: Any) -> None:
        idp = await start_polakami(handler=ExternalProvider(), external_issuers=[DISCOVERY])
        assert EXTERNAL in idp.runtime.verifier.issuers
        response = await idp.client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {ExternalProvider.token()}"}
        )
        assert response.status_code == 200, response.text
        assert response.json() == {
            "sub": "ext-user-1",
            "name": "Warga Eksternal",
            "role": "citizen",
        }
        id_token = await idp.client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {ExternalProvider.token(typ='ID')}"}
        )
        assert id_token.status_code == 401

    async def test_discovery_failure_is_retried(self, start_polakami: Any) -> None:
        provider = ExternalProvider(fail_first=2)
        warnings = RecordingHandler()
        logger = logging.getLogger("cimahi.identity.external")
        logger.addHandler(warnings)
        try:
            idp = await start_polakami(
                handler=provider,
                external_issuers=[DISCOVERY],
                external_issuer_retry_seconds=0.01,
            )
        finally:
            logger.removeHandler(warnings)
        assert any("will retry" in r.getMessage() for r in warnings.records)
        assert warnings.records[0].levelno == logging.WARNING
        assert EXTERNAL not in idp.runtime.verifier.issuers
        refused = await idp.client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {ExternalProvider.token()}"}
        )
        assert refused.status_code == 401
        for _ in range(200):
            if EXTERNAL in idp.runtime.verifier.issuers:
                break
            await asyncio.sleep(0.01)
        assert provider.discovery_calls == 3
        accepted = await idp.client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {ExternalProvider.token()}"}
        )
        assert accepted.status_code == 200

    async def test_issuer_must_match_its_discovery_url(self, start_polakami: Any) -> None:
        def liar(request: httpx.Request) -> httpx.Response:
            return httpx.Response(
                200, json={"issuer": "http://127.0.0.1:8000", "jwks_uri": "https://evil.example/k"}
            )

        idp = await start_polakami(
            handler=liar, external_issuers=[DISCOVERY], external_issuer_retry_seconds=60
        )
        own = idp.runtime.verifier.issuers[idp.settings.token_issuer]
        assert own.jwks_url == idp.settings.jwks_url
        assert EXTERNAL not in idp.runtime.verifier.issuers


class TestDemoUsers:
    async def test_demo_users_are_seeded_once_and_can_log_in(self, idp: Any) -> None:
        for _ in range(2):
            async with idp.session() as session:
                users = await service.ensure_demo_users(session, idp.runtime.pii)
                await session.commit()
        assert len({u.id for u in users}) == len(service.DEMO_LOGINS) == 13
        for login in service.DEMO_LOGINS:
            response = await idp.password_token(login.username, login.password)
            assert response.status_code == 200, (login.username, response.text)
            claims = jwt.decode(
                response.json()["access_token"], options={"verify_signature": False}
            )
            assert claims["role"] == login.role
        melong = (await idp.password_token("petugas.melong", "Cimahi-Demo-2026")).json()
        claims = jwt.decode(melong["access_token"], options={"verify_signature": False})
        assert (claims["agency"], claims["area"]) == ("lakami", "32.77.01.1001")
        ani = await idp.password_token("3277015205900001", "Cimahi-Demo-2026")
        assert ani.status_code == 200
        # Fixed subjects: services' demo seeds (SIPINTER's businesses) name the demo citizens.
        ani_claims = jwt.decode(ani.json()["access_token"], options={"verify_signature": False})
        assert ani_claims["sub"] == service.DEMO_CITIZEN_SUBS["ani.lestari@example.com"]
