"""Authorization code + PKCE (S256), refresh-token rotation with reuse detection, revocation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

WEB_REDIRECT = "http://127.0.0.1:8000/callback"


def _authorize_params(challenge: str, **overrides: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": "cimahi-web",
        "redirect_uri": WEB_REDIRECT,
        "scope": "openid profile",
        "state": "xyz<script>",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return params


def _query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


class TestAuthorizeForm:
    async def test_renders_an_accessible_login_form(
        self, idp: Any, pkce_pair: Callable[[], tuple[str, str]]
    ) -> None:
        _, challenge = pkce_pair()
        response = await idp.client.get("/oauth/authorize", params=_authorize_params(challenge))
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        html = response.text
        assert '<html lang="id">' in html
        assert '<label for="username">' in html
        assert '<label for="password">' in html
        assert 'autocomplete="current-password"' in html
        assert "xyz&lt;script&gt;" in html
        assert "xyz<script>" not in html

    async def test_unknown_redirect_uri_is_not_redirected_to(
        self, idp: Any, pkce_pair: Callable[[], tuple[str, str]]
    ) -> None:
        _, challenge = pkce_pair()
        params = _authorize_params(challenge, redirect_uri="https://evil.example/cb")
        response = await idp.client.get("/oauth/authorize", params=params)
        assert response.status_code == 400
        assert "location" not in response.headers
        unknown = await idp.client.get(
            "/oauth/authorize", params=_authorize_params(challenge, client_id="nope")
        )
        assert unknown.status_code == 400

    async def test_pkce_is_required(
        self, idp: Any, pkce_pair: Callable[[], tuple[str, str]]
    ) -> None:
        _, challenge = pkce_pair()
        for overrides in ({"code_challenge_method": "plain"}, {"code_challenge": "short"}):
            response = await idp.client.get(
                "/oauth/authorize", params=_authorize_params(challenge, **overrides)
            )
            assert response.status_code == 303
            reply = _query(response.headers["location"])
            assert reply["error"] == "invalid_request"
            assert reply["state"] == "xyz<script>"

    async def test_state_and_response_type_are_checked(
        self, idp: Any, pkce_pair: Callable[[], tuple[str, str]]
    ) -> None:
        _, challenge = pkce_pair()
        params = _authorize_params(challenge)
        del params["state"]
        no_state = await idp.client.get("/oauth/authorize", params=params)
        assert _query(no_state.headers["location"])["error"] == "invalid_request"
        token = await idp.client.get(
            "/oauth/authorize", params=_authorize_params(challenge, response_type="token")
        )
        assert _query(token.headers["location"])["error"] == "unsupported_response_type"

    async def test_wrong_password_shows_the_form_again(
        self, idp: Any, registered: dict[str, Any]
    ) -> None:
        code, _, response = await idp.authorize(registered["nik"], "salah-salah-salah")
        assert code == ""
        assert response.status_code == 200
        assert 'role="alert"' in response.text


class TestCodeFlow:
    async def test_code_flow_with_pkce(self, idp: Any, registered: dict[str, Any]) -> None:
        code, verifier, response = await idp.authorize(
            registered["email"], state="abc123", nonce="n-0S6"
        )
        assert response.status_code == 303
        location = response.headers["location"]
        assert location.startswith(WEB_REDIRECT + "?")
        reply = _query(location)
        assert reply["state"] == "abc123"
        assert reply["iss"] == idp.settings.token_issuer
        tokens = await idp.exchange_code(code, verifier)
        assert tokens.status_code == 200, tokens.text
        body = tokens.json()
        principal = await idp.jwks_verifier().verify(body["access_token"])
        assert principal.sub == registered["id"]
        id_claims = jwt.decode(body["id_token"], options={"verify_signature": False})
        assert id_claims["aud"] == "cimahi-web"
        assert id_claims["nonce"] == "n-0S6"

    async def test_wrong_verifier(
        self, idp: Any, registered: dict[str, Any], pkce_pair: Callable[[], tuple[str, str]]
    ) -> None:
        code, _, _ = await idp.authorize(registered["nik"])
        other_verifier, _ = pkce_pair()
        response = await idp.exchange_code(code, other_verifier)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"

    async def test_code_is_single_use_and_replay_revokes_its_tokens(
        self, idp: Any, registered: dict[str, Any]
    ) -> None:
        code, verifier, _ = await idp.authorize(registered["nik"])
        first = await idp.exchange_code(code, verifier)
        assert first.status_code == 200
        replay = await idp.exchange_code(code, verifier)
        assert replay.status_code == 400
        assert replay.json()["error"] == "invalid_grant"
        # Whoever redeemed it first may have been an attacker: its refresh token is dead too.
        refreshed = await idp.refresh(first.json()["refresh_token"])
        assert refreshed.json()["error"] == "invalid_grant"

    async def test_code_is_bound_to_the_client(self, start_polakami: Any, citizen: Any) -> None:
        idp = await start_polakami(
            first_party_clients={
                "cimahi-web": [WEB_REDIRECT],
                "other-app": [WEB_REDIRECT],
            }
        )
        body = citizen()
        await idp.client.post("/api/v1/auth/register", json=body)
        code, verifier, _ = await idp.authorize(body["nik"])
        response = await idp.exchange_code(code, verifier, client_id="other-app")
        assert response.json()["error"] == "invalid_grant"

    async def test_expired_code(self, start_polakami: Any, citizen: Any) -> None:
        idp = await start_polakami(auth_code_ttl_seconds=0)
        body = citizen()
        await idp.client.post("/api/v1/auth/register", json=body)
        code, verifier, _ = await idp.authorize(body["nik"])
        response = await idp.exchange_code(code, verifier)
        assert response.json()["error"] == "invalid_grant"
        assert "expired" in response.json()["error_description"]


class TestRefreshRotation:
    async def test_each_refresh_returns_a_new_refresh_token(
        self, idp: Any, registered: dict[str, Any]
    ) -> None:
        first = (await idp.password_token(registered["nik"])).json()
        second = await idp.refresh(first["refresh_token"])
        assert second.status_code == 200, second.text
        assert second.headers["cache-control"] == "no-store"
        body = second.json()
        assert body["refresh_token"] != first["refresh_token"]
        claims = jwt.decode(body["access_token"], options={"verify_signature": False})
        assert claims["sub"] == registered["id"]
        third = await idp.refresh(body["refresh_token"])
        assert third.status_code == 200

    async def test_reuse_revokes_the_whole_family(
        self, idp: Any, registered: dict[str, Any]
    ) -> None:
        first = (await idp.password_token(registered["nik"])).json()
        second = (await idp.refresh(first["refresh_token"])).json()
        reuse = await idp.refresh(first["refresh_token"])
        assert reuse.status_code == 400
        assert reuse.json()["error"] == "invalid_grant"
        # The legitimate newest token dies with the family.
        after = await idp.refresh(second["refresh_token"])
        assert after.json()["error"] == "invalid_grant"
        # Another login is a separate family and unaffected.
        other = (await idp.password_token(registered["nik"])).json()
        assert (await idp.refresh(other["refresh_token"])).status_code == 200

    async def test_refresh_token_is_bound_to_its_client(
        self, start_polakami: Any, citizen: Any
    ) -> None:
        idp = await start_polakami(
            first_party_clients={"cimahi-web": [WEB_REDIRECT], "other-app": [WEB_REDIRECT]}
        )
        body = citizen()
        await idp.client.post("/api/v1/auth/register", json=body)
        tokens = (await idp.password_token(body["nik"])).json()
        stolen = await idp.refresh(tokens["refresh_token"], client_id="other-app")
        assert stolen.json()["error"] == "invalid_grant"

    async def test_revocation(self, idp: Any, registered: dict[str, Any]) -> None:
        tokens = (await idp.password_token(registered["nik"])).json()
        revoked = await idp.client.post(
            "/oauth/revoke",
            data={"token": tokens["refresh_token"], "client_id": "cimahi-web"},
        )
        assert revoked.status_code == 200
        assert (await idp.refresh(tokens["refresh_token"])).json()["error"] == "invalid_grant"
        unknown = await idp.client.post(
            "/oauth/revoke", data={"token": "cimahi_rt_unknown", "client_id": "cimahi-web"}
        )
        assert unknown.status_code == 200
