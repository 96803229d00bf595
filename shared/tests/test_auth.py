"""Access-token verification (RFC 8725 rules) against a JWKS served over (mock) HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from cimahi_shared.auth import AgencyRoles, Principal, TokenVerifier, TrustedIssuer, in_area
from cimahi_shared.errors import ServiceUnavailable, Unauthorized
from cimahi_shared.testing.tokens import AUDIENCE, ISSUER, Signer, access_claims

JWKS_URL = "http://127.0.0.1:8000/.well-known/jwks.json"


class JwksEndpoint:
    """The gateway's JWKS endpoint as an httpx.MockTransport, counting fetches."""

    def __init__(self, *signers: Signer) -> None:
        self.keys = [s.jwk for s in signers]
        self.fetches = 0
        self.fail = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        assert str(request.url) == JWKS_URL
        self.fetches += 1
        if self.fail:
            return httpx.Response(502, text="bad gateway")
        return httpx.Response(200, json={"keys": self.keys})


@pytest.fixture
def ed() -> Signer:
    return Signer("EdDSA", "ed-1")


@pytest.fixture
def endpoint(ed: Signer) -> JwksEndpoint:
    return JwksEndpoint(ed)


@pytest.fixture
async def verifier(endpoint: JwksEndpoint):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(transport=httpx.MockTransport(endpoint.handler)) as http:
        yield TokenVerifier(
            [TrustedIssuer(ISSUER, JWKS_URL, AUDIENCE)], http=http, refetch_interval=60.0
        )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], key: bytes | None) -> str:
    signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    signature = (
        b"" if key is None else hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    )
    return signing_input + "." + b64(signature)


class TestTokenVerifier:
    async def test_a_valid_eddsa_token_is_accepted(
        self, verifier: TokenVerifier, ed: Signer
    ) -> None:
        principal = await verifier.verify(
            ed.token(role="officer", agency="lakami", area="32.77.01")
        )
        assert principal.sub == "01JCITIZEN0000000000000000"
        assert (principal.role, principal.agency, principal.area) == (
            "officer",
            "lakami",
            "32.77.01",
        )
        assert principal.is_officer
        assert not principal.is_citizen

    async def test_a_valid_es256_token_is_accepted(
        self, verifier: TokenVerifier, endpoint: JwksEndpoint
    ) -> None:
        es = Signer("ES256", "es-1")
        endpoint.keys.append(es.jwk)
        principal = await verifier.verify(
            es.token(role="client", client_id="dukcapil", scope="a b")
        )
        assert principal.role == "client"
        assert principal.client_id == "dukcapil"
        assert principal.scopes == frozenset({"a", "b"})

    async def test_alg_none_is_refused(self, verifier: TokenVerifier, ed: Signer) -> None:
        token = forge({"alg": "none", "typ": "JWT", "kid": ed.kid}, access_claims(), None)
        with pytest.raises(Unauthorized, match="algorithm"):
            await verifier.verify(token)

    async def test_hs256_signed_with_the_public_key_is_refused(
        self, verifier: TokenVerifier, ed: Signer
    ) -> None:
        public_pem = ed.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        for key in (
            public_pem,
            json.dumps(ed.jwk).encode(),
            base64.urlsafe_b64decode(ed.jwk["x"] + "="),
        ):
            token = forge({"alg": "HS256", "typ": "JWT", "kid": ed.kid}, access_claims(), key)
            with pytest.raises(Unauthorized):
                await verifier.verify(token)

    async def test_a_token_whose_alg_does_not_match_the_key_is_refused(
        self, verifier: TokenVerifier, endpoint: JwksEndpoint
    ) -> None:
        es = Signer("ES256", "ed-1")  # an ES256 signature presented under the EdDSA key's kid
        with pytest.raises(Unauthorized):
            await verifier.verify(es.token())

    async def test_an_expired_token_is_refused(self, verifier: TokenVerifier, ed: Signer) -> None:
        now = int(time.time())
        with pytest.raises(Unauthorized, match="expired"):
            await verifier.verify(ed.token(iat=now - 600, exp=now - 60))

    async def test_a_token_without_exp_is_refused(
        self, verifier: TokenVerifier, ed: Signer
    ) -> None:
        with pytest.raises(Unauthorized):
            await verifier.verify(ed.token(exp=None))

    async def test_a_token_not_valid_yet_is_refused(
        self, verifier: TokenVerifier, ed: Signer
    ) -> None:
        with pytest.raises(Unauthorized):
            await verifier.verify(ed.token(nbf=int(time.time()) + 120))

    async def test_a_wrong_issuer_is_refused(self, verifier: TokenVerifier, ed: Signer) -> None:
        with pytest.raises(Unauthorized, match="issuer"):
            await verifier.verify(ed.token(iss="http://evil.example"))

    async def test_a_wrong_audience_is_refused(self, verifier: TokenVerifier, ed: Signer) -> None:
        with pytest.raises(Unauthorized):
            await verifier.verify(ed.token(aud="another-api"))

    async def test_a_refresh_token_is_not_an_access_token(
        self, verifier: TokenVerifier, ed: Signer
    ) -> None:
        with pytest.raises(Unauthorized, match="access token"):
            await verifier.verify(ed.token(typ="refresh"))

    async def test_a_bad_signature_is_refused(self, verifier: TokenVerifier, ed: Signer) -> None:
        impostor = Signer("EdDSA", ed.kid)  # same kid, another private key
        with pytest.raises(Unauthorized):
            await verifier.verify(impostor.token())

    @pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "eyJhbGciOiJFZERTQSJ9..."])
    async def test_a_malformed_token_is_refused(self, verifier: TokenVerifier, token: str) -> None:
        with pytest.raises(Unauthorized):
            await verifier.verify(token)

    async def test_an_unknown_kid_is_refused(
        self, verifier: TokenVerifier, endpoint: JwksEndpoint
    ) -> None:
        stranger = Signer("EdDSA", "not-published")
        with pytest.raises(Unauthorized, match="key"):
            await verifier.verify(stranger.token())
        assert endpoint.fetches == 1

    async def test_an_unknown_kid_refetches_the_jwks_rate_limited(
        self, verifier: TokenVerifier, endpoint: JwksEndpoint, ed: Signer
    ) -> None:
        await verifier.verify(ed.token())
        assert endpoint.fetches == 1
        rotated = Signer("EdDSA", "ed-2")
        verifier.refetch_interval = 0.0
        endpoint.keys.append(rotated.jwk)  # the gateway rotated its key
        assert (await verifier.verify(rotated.token())).sub
        assert endpoint.fetches == 2
        verifier.refetch_interval = 60.0
        stranger = Signer("EdDSA", "not-published")
        for _ in range(5):
            with pytest.raises(Unauthorized):
                await verifier.verify(stranger.token())
        assert endpoint.fetches == 2, "unknown kids within the interval do not refetch"

    async def test_an_empty_jwks_is_rate_limited_too(
        self, verifier: TokenVerifier, endpoint: JwksEndpoint
    ) -> None:
        endpoint.keys.clear()
        stranger = Signer("EdDSA", "not-published")
        for _ in range(3):
            with pytest.raises(Unauthorized):
                await verifier.verify(stranger.token())
        assert endpoint.fetches == 1

    async def test_a_jwks_fetch_failure_is_service_unavailable(
        self, verifier: TokenVerifier, endpoint: JwksEndpoint, ed: Signer
    ) -> None:
        endpoint.fail = True
        with pytest.raises(ServiceUnavailable) as info:
            await verifier.verify(ed.token())
        assert info.value.status == 503

    async def test_an_unreachable_jwks_is_service_unavailable(self, ed: Signer) -> None:
        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("connection refused", request=request)

        async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
            verifier = TokenVerifier([TrustedIssuer(ISSUER, JWKS_URL, AUDIENCE)], http=http)
            with pytest.raises(ServiceUnavailable):
                await verifier.verify(ed.token())

    async def test_a_jwks_that_is_not_a_key_set_is_service_unavailable(self, ed: Signer) -> None:
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(lambda r: httpx.Response(200, json=["not", "a", "set"]))
        ) as http:
            verifier = TokenVerifier([TrustedIssuer(ISSUER, JWKS_URL, AUDIENCE)], http=http)
            with pytest.raises(ServiceUnavailable):
                await verifier.verify(ed.token())

    async def test_a_cache_hit_returns_the_same_principal(
        self, verifier: TokenVerifier, endpoint: JwksEndpoint, ed: Signer
    ) -> None:
        token = ed.token()
        first = await verifier.verify(token)
        endpoint.fail = True  # the second call needs neither keys nor a signature check
        assert await verifier.verify(token) is first
        assert verifier.cached(token) is first

    async def test_local_keys_need_no_fetch(self, endpoint: JwksEndpoint, ed: Signer) -> None:
        verifier = TokenVerifier([TrustedIssuer(ISSUER, JWKS_URL, AUDIENCE)])
        verifier.set_local_keys(ISSUER, ed.jwks())
        assert (await verifier.verify(ed.token())).role == "citizen"


class TestPrincipal:
    def test_from_claims(self) -> None:
        principal = Principal.from_claims(access_claims(role="admin", azp="web", scope=None))
        assert principal.is_admin
        assert principal.client_id == "web"
        assert principal.scopes == frozenset()


class TestAgencyRoles:
    ROLES = AgencyRoles("epbb", "Bapenda", "not for you")

    def officer(self, area: str | None, agency: str = "epbb", position: str | None = None) -> Any:
        return Principal(sub="o", role="officer", agency=agency, area=area, position=position)

    @pytest.mark.parametrize(
        ("area", "region", "covered"),
        [
            ("32.77", "32.77.01.1001", True),
            ("32.77.01", "32.77.01.1001", True),
            ("32.77.01.1001", "32.77.01.1001", True),
            ("32.77.01", "32.77.03.1002", False),
            ("32.77.0", "32.77.01.1001", False),  # a prefix of digits is not an area
            (None, "32.77.01.1001", False),
            ("", "32.77.01.1001", False),
        ],
    )
    def test_an_area_covers_itself_and_what_lies_below_it(
        self, area: str | None, region: str, covered: bool
    ) -> None:
        assert in_area(self.officer(area), region) is covered

    def test_the_head_is_an_officer_of_this_agency_with_position_head(self) -> None:
        assert self.ROLES.is_head(self.officer("32.77", position="head"))
        assert not self.ROLES.is_head(self.officer("32.77"))
        assert not self.ROLES.is_head(self.officer("32.77", agency="lakami", position="head"))
        citizen = Principal(sub="c", role="citizen", position="head")
        assert not self.ROLES.is_head(citizen)
