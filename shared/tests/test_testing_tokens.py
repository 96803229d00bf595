"""The shared test token signer and the agency role dependencies built on it."""

from __future__ import annotations

from typing import Annotated

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI

from cimahi_shared.auth import AgencyRoles, Principal, TokenVerifier, TrustedIssuer
from cimahi_shared.errors import install_problem_handlers
from cimahi_shared.testing.tokens import Tokens

ISSUER = "http://gateway.test"
AUDIENCE = "cimahi-api"


class PermitTokens(Tokens):
    agency = "permit"
    default_area = "32.77.01"
    officer_name = "Asep"
    machine_scope = "permit:read"
    kid = "permit-key"


ROLES = AgencyRoles("permit", "Permit", "Permits are not available to your role.")


def claims(tokens: Tokens, headers: dict[str, str]) -> dict[str, object]:
    token = headers["Authorization"].removeprefix("Bearer ")
    key = jwt.PyJWK(tokens.jwks["keys"][0])
    decoded: dict[str, object] = jwt.decode(
        token, key, algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER
    )
    return decoded


def test_defaults_come_from_the_subclass() -> None:
    tokens = PermitTokens(ISSUER, AUDIENCE)
    officer = claims(tokens, tokens.officer())
    assert officer["agency"] == "permit"
    assert officer["area"] == "32.77.01"
    assert officer["name"] == "Asep"
    assert "position" not in officer
    head = claims(tokens, tokens.head("32.77"))
    assert head["position"] == "head"
    assert head["area"] == "32.77"
    machine = claims(tokens, tokens.machine())
    assert machine == {**machine, "role": "client", "sub": "gateway", "scope": "permit:read"}
    other = claims(tokens, tokens.officer(agency="lakami", sub="s-1"))
    assert other["agency"] == "lakami"
    assert other["sub"] == "s-1"
    assert jwt.get_unverified_header(tokens.citizen()["Authorization"][7:])["kid"] == "permit-key"


@pytest.fixture
async def client() -> httpx.AsyncClient:
    tokens = PermitTokens(ISSUER, AUDIENCE)
    app = FastAPI()
    install_problem_handlers(app)
    verifier = TokenVerifier([TrustedIssuer(ISSUER, "http://gateway.test/jwks", AUDIENCE)])
    verifier.set_local_keys(ISSUER, tokens.jwks)
    app.state.token_verifier = verifier

    @app.get("/read")
    async def read(p: Annotated[Principal, Depends(ROLES.reader)]) -> str:
        return p.role

    @app.get("/officer")
    async def officer(p: Annotated[Principal, Depends(ROLES.officer)]) -> str:
        return p.role

    @app.get("/citizen")
    async def citizen(p: Annotated[Principal, Depends(ROLES.citizen)]) -> str:
        return p.role

    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    client.tokens = tokens  # type: ignore[attr-defined]
    return client


async def test_agency_roles(client: httpx.AsyncClient) -> None:
    tokens: Tokens = client.tokens  # type: ignore[attr-defined]
    async with client:
        assert (await client.get("/read", headers=tokens.citizen())).status_code == 200
        assert (await client.get("/read", headers=tokens.admin())).status_code == 200
        assert (await client.get("/officer", headers=tokens.officer())).status_code == 200
        stranger = tokens.officer(agency="lakami")
        refused = await client.get("/read", headers=stranger)
        assert refused.status_code == 403
        assert "Permits are not available" in refused.json()["detail"]
        refused = await client.get("/officer", headers=stranger)
        assert refused.json()["detail"] == "Only Permit officers can do this."
        refused = await client.get("/citizen", headers=tokens.officer())
        assert refused.json()["detail"] == "Only citizens can do this."
