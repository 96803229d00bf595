"""``POST /oauth/token``: password grant, officer claims, machine clients, OAuth error shapes."""

from __future__ import annotations

import base64
from typing import Any

import jwt
import pytest
from sqlalchemy import select

from cimahi_gateway.identity import service
from cimahi_gateway.identity.models import MachineClient
from cimahi_shared.errors import InvalidInput, Unauthorized


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


async def _officer(idp: Any, **overrides: str) -> None:
    fields = {
        "username": "petugas.melong",
        "password": "sandi-petugas-123",
        "full_name": "Dewi Petugas",
        "agency": "lakami",
        "area": "32.77.01.1001",
    }
    fields.update(overrides)
    async with idp.session() as session:
        await service.create_officer(session, **fields, pii=idp.runtime.pii)
        await session.commit()


async def _client(idp: Any, scopes: list[str]) -> tuple[str, str]:
    async with idp.session() as session:
        client, secret = await service.create_client(
            session, client_id="bank-bjb", name="Bank BJB", scopes=scopes
        )
        await session.commit()
    return client.client_id, secret


class TestPasswordGrant:
    async def test_access_token_follows_the_contract(
        self, idp: Any, registered: dict[str, Any]
    ) -> None:
        response = await idp.password_token(registered["nik"])
        tokens = response.json()
        header = jwt.get_unverified_header(tokens["access_token"])
        assert header["alg"] == "EdDSA"
        assert header["kid"] == idp.app.state.runtime.extras["identity"].keyring.kid
        claims = _claims(tokens["access_token"])
        assert claims["iss"] == idp.settings.token_issuer
        assert claims["aud"] == "cimahi-api"
        assert claims["typ"] == "access"
        assert claims["exp"] - claims["iat"] == idp.settings.access_token_ttl_seconds
        assert tokens["expires_in"] == idp.settings.access_token_ttl_seconds
        assert claims["name"] == registered["full_name"]
        assert claims["scope"] == "openid profile"
        assert claims["jti"]
        assert "agency" not in claims
        assert "area" not in claims
        id_claims = _claims(tokens["id_token"])
        assert id_claims["aud"] == "cimahi-web"
        assert id_claims["sub"] == registered["id"]

    async def test_no_id_token_without_openid(self, idp: Any, registered: dict[str, Any]) -> None:
        tokens = (await idp.password_token(registered["email"], scope="profile")).json()
        assert "id_token" not in tokens
        assert tokens["scope"] == "profile"

    async def test_wrong_password_and_unknown_user_look_the_same(
        self, idp: Any, registered: dict[str, Any]
    ) -> None:
        wrong = await idp.password_token(registered["nik"], "salah-salah-salah")
        unknown = await idp.password_token("3277011708990999", "salah-salah-salah")
        assert wrong.status_code == unknown.status_code == 400
        assert wrong.json() == unknown.json()
        assert wrong.json()["error"] == "invalid_grant"
        assert wrong.headers["cache-control"] == "no-store"

    async def test_unknown_client_is_invalid_client(
        self, idp: Any, registered: dict[str, Any]
    ) -> None:
        response = await idp.password_token(registered["nik"], client_id="evil-app")
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"

    async def test_unknown_scope_is_refused(self, idp: Any, registered: dict[str, Any]) -> None:
        response = await idp.password_token(registered["nik"], scope="openid admin")
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_scope"

    async def test_missing_and_unsupported_grant_types(self, idp: Any) -> None:
        missing = await idp.client.post("/oauth/token", data={"client_id": "cimahi-web"})
        assert missing.status_code == 400
        assert missing.json()["error"] == "invalid_request"
        implicit = await idp.client.post(
            "/oauth/token", data={"grant_type": "implicit", "client_id": "cimahi-web"}
        )
        assert implicit.json()["error"] == "unsupported_grant_type"


class TestOfficers:
    async def test_officer_token_carries_agency_and_area(self, idp: Any) -> None:
        await _officer(idp)
        response = await idp.password_token("petugas.melong", "sandi-petugas-123")
        assert response.status_code == 200, response.text
        claims = _claims(response.json()["access_token"])
        assert claims["role"] == "officer"
        assert claims["agency"] == "lakami"
        assert claims["area"] == "32.77.01.1001"
        info = await idp.client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
        )
        assert info.json()["preferred_username"] == "petugas.melong"
        assert "nik_masked" not in info.json()

    async def test_kecamatan_area_is_accepted(self, idp: Any) -> None:
        await _officer(idp, username="camat.selatan", area="32.77.01")
        response = await idp.password_token("camat.selatan", "sandi-petugas-123")
        assert _claims(response.json()["access_token"])["area"] == "32.77.01"

    async def test_unknown_area_and_duplicate_username_are_refused(self, idp: Any) -> None:
        from cimahi_shared.errors import Conflict, InvalidInput

        with pytest.raises(InvalidInput) as bad:
            await _officer(idp, area="32.77.09.1001")
        assert [e["field"] for e in bad.value.errors or []] == ["area"]
        await _officer(idp)
        with pytest.raises(Conflict):
            await _officer(idp)

    async def test_admin(self, idp: Any) -> None:
        async with idp.session() as session:
            await service.create_admin(
                session, username="admin", password="sandi-admin-123", full_name="Admin"
            )
            await session.commit()
        response = await idp.password_token("admin", "sandi-admin-123")
        assert _claims(response.json()["access_token"])["role"] == "admin"


class TestClientCredentials:
    async def test_secret_is_typed_and_only_its_hash_is_stored(self, idp: Any) -> None:
        client_id, secret = await _client(idp, ["requests:read"])
        assert secret.startswith("cimahi_cs_")
        async with idp.session() as session:
            row = await session.scalar(
                select(MachineClient).where(MachineClient.client_id == client_id)
            )
        assert row is not None
        assert secret not in row.secret_hash

    async def test_basic_auth_and_allowed_scope(self, idp: Any) -> None:
        client_id, secret = await _client(idp, ["requests:read", "letters:verify"])
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        response = await idp.client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "scope": "requests:read"},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "refresh_token" not in body
        assert "id_token" not in body
        claims = _claims(body["access_token"])
        assert claims["role"] == "client"
        assert claims["client_id"] == client_id
        assert claims["scope"] == "requests:read"
        principal = await idp.jwks_verifier().verify(body["access_token"])
        assert principal.scopes == frozenset({"requests:read"})

    async def test_post_auth_defaults_to_every_allowed_scope(self, idp: Any) -> None:
        client_id, secret = await _client(idp, ["requests:read", "letters:verify"])
        response = await idp.client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        assert _claims(response.json()["access_token"])["scope"] == "letters:verify requests:read"

    async def test_disallowed_scope(self, idp: Any) -> None:
        client_id, secret = await _client(idp, ["requests:read"])
        response = await idp.client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
                "scope": "requests:read admin",
            },
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_scope"

    async def test_wrong_secret(self, idp: Any) -> None:
        client_id, _ = await _client(idp, ["requests:read"])
        basic = base64.b64encode(f"{client_id}:cimahi_cs_wrong".encode()).decode()
        response = await idp.client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert response.headers["www-authenticate"].startswith("Basic")

    async def test_machine_clients_cannot_use_the_password_grant(
        self, idp: Any, registered: dict[str, Any]
    ) -> None:
        client_id, secret = await _client(idp, ["requests:read"])
        response = await idp.client.post(
            "/oauth/token",
            data={
                "grant_type": "password",
                "username": registered["nik"],
                "password": registered["password"],
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        assert response.json()["error"] == "unauthorized_client"

    async def test_public_clients_cannot_use_client_credentials(self, idp: Any) -> None:
        response = await idp.client.post(
            "/oauth/token", data={"grant_type": "client_credentials", "client_id": "cimahi-web"}
        )
        assert response.json()["error"] == "unauthorized_client"


class TestJwks:
    async def test_jwks_verifies_issued_tokens(self, idp: Any, registered: dict[str, Any]) -> None:
        tokens = (await idp.password_token(registered["nik"])).json()
        verifier = idp.jwks_verifier()
        principal = await verifier.verify(tokens["access_token"])
        assert principal.sub == registered["id"]
        assert principal.role == "citizen"
        # The ID token is for the client, not for APIs: its audience is the client id.
        with pytest.raises(Unauthorized):
            await verifier.verify(tokens["id_token"])

    async def test_the_gateway_verifies_its_own_tokens_without_http(
        self, idp: Any, registered: dict[str, Any]
    ) -> None:
        tokens = (await idp.password_token(registered["nik"])).json()
        # The runtime's HTTP client is a transport that refuses every request.
        principal = await idp.runtime.verifier.verify(tokens["access_token"])
        assert principal.sub == registered["id"]

    async def test_discovery_document(self, idp: Any) -> None:
        doc = (await idp.client.get("/.well-known/openid-configuration")).json()
        assert doc["issuer"] == idp.settings.token_issuer
        base = idp.settings.public_url
        assert doc["token_endpoint"] == f"{base}/oauth/token"
        assert doc["authorization_endpoint"] == f"{base}/oauth/authorize"
        assert doc["userinfo_endpoint"] == f"{base}/oauth/userinfo"
        assert doc["jwks_uri"] == f"{base}/.well-known/jwks.json"
        assert doc["code_challenge_methods_supported"] == ["S256"]
        assert doc["id_token_signing_alg_values_supported"] == ["EdDSA"]
        assert set(doc["grant_types_supported"]) == {
            "authorization_code",
            "password",
            "refresh_token",
            "client_credentials",
        }
        keys = (await idp.client.get("/.well-known/jwks.json")).json()["keys"]
        assert [k["kty"] for k in keys] == ["OKP"]
        assert all("d" not in k for k in keys)


async def test_the_gateways_own_client_id_cannot_be_registered(idp: Any) -> None:
    async with idp.session() as session:
        with pytest.raises(InvalidInput) as refused:
            await service.create_client(
                session,
                client_id="gateway",
                name="Impostor",
                scopes=["dilandacinta:identity.match"],
            )
    assert refused.value.errors[0]["field"] == "client_id"
