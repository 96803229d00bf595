"""Citizen self-registration, and the path from registration to a token to the caller's claims."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jwt
from sqlalchemy import select

from cimahi_gateway.identity.models import User
from cimahi_shared.identifiers import mask_nik


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


class TestRegisterThenLogIn:
    async def test_register_token_userinfo(
        self, idp: Any, citizen: Callable[..., dict[str, Any]]
    ) -> None:
        body = citizen(full_name="Ani Lestari")
        created = await idp.client.post("/api/v1/auth/register", json=body)
        assert created.status_code == 201, created.text
        account = created.json()
        assert account["role"] == "citizen"
        assert account["nik_masked"] == mask_nik(body["nik"])
        assert account["identity_verified"] is False

        token = await idp.password_token(body["nik"])
        assert token.status_code == 200, token.text
        assert token.headers["cache-control"] == "no-store"
        tokens = token.json()
        assert tokens["token_type"] == "Bearer"
        claims = _claims(tokens["access_token"])
        assert claims["sub"] == account["id"]
        assert claims["role"] == "citizen"

        info = await idp.client.get(
            "/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        assert info.status_code == 200, info.text
        assert info.json() == {
            "sub": account["id"],
            "name": "Ani Lestari",
            "role": "citizen",
            "email": body["email"],
            "phone_number": "+62" + body["phone"][1:],
            "nik_masked": mask_nik(body["nik"]),
        }
        me = await idp.client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        assert me.json() == info.json()

    async def test_email_and_phone_log_in_too(self, idp: Any, registered: dict[str, Any]) -> None:
        for username in (registered["email"].upper(), "+62" + registered["phone"][1:]):
            response = await idp.password_token(username)
            assert response.status_code == 200, response.text
            assert _claims(response.json()["access_token"])["sub"] == registered["id"]

    async def test_woman_registers_with_day_plus_40(
        self, idp: Any, citizen: Callable[..., dict[str, Any]], make_nik: Callable[..., str]
    ) -> None:
        nik = make_nik(day=12, month=5, year=1990, female=True)
        response = await idp.register(nik=nik, birth_date="1990-05-12")
        assert response.status_code == 201, response.text


class TestNoNikLeaks:
    async def test_no_raw_nik_in_responses_tokens_or_database(
        self, idp: Any, citizen: Callable[..., dict[str, Any]]
    ) -> None:
        body = citizen()
        nik, no_kk = body["nik"], body["no_kk"]
        created = await idp.client.post("/api/v1/auth/register", json=body)
        tokens = (await idp.password_token(nik, scope="openid profile email phone")).json()
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        texts = [
            created.text,
            (await idp.client.get("/oauth/userinfo", headers=bearer)).text,
            (await idp.client.get("/api/v1/me", headers=bearer)).text,
            json.dumps(_claims(tokens["access_token"])),
            json.dumps(_claims(tokens["id_token"])),
        ]
        for text in texts:
            assert nik not in text
            assert no_kk not in text
        async with idp.session() as session:
            user = await session.scalar(select(User).where(User.id == created.json()["id"]))
        assert user is not None
        stored = " ".join(str(v) for v in vars(user).values())
        assert nik not in stored
        assert no_kk not in stored
        assert user.nik_hash == idp.runtime.pii.lookup_hash(nik)
        assert idp.runtime.pii.decrypt(user.nik_encrypted) == nik
        assert user.password_hash.startswith("$argon2id$")


class TestDuplicates:
    async def test_duplicate_nik_is_409_without_saying_which(
        self, idp: Any, registered: dict[str, Any], citizen: Callable[..., dict[str, Any]]
    ) -> None:
        same_nik = await idp.register(nik=registered["nik"], birth_date=registered["birth_date"])
        same_email = await idp.register(email=registered["email"])
        same_phone = await idp.register(phone=registered["phone"])
        for response in (same_nik, same_email, same_phone):
            assert response.status_code == 409
            assert response.headers["content-type"] == "application/problem+json"
        assert (
            same_nik.json()["detail"] == same_email.json()["detail"] == same_phone.json()["detail"]
        )
        assert "nik" not in same_nik.text.lower()


class TestInvalidRegistration:
    async def _fields(self, idp: Any, **overrides: Any) -> set[str]:
        response = await idp.register(**overrides)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        return {e["field"] for e in response.json()["errors"]}

    async def test_invalid_nik_names_the_field(self, idp: Any) -> None:
        assert await self._fields(idp, nik="12345") == {"nik"}
        assert await self._fields(idp, nik="3277011708900000") == {"nik"}  # serial 0000

    async def test_birth_date_not_matching_the_nik(
        self, idp: Any, make_nik: Callable[..., str]
    ) -> None:
        nik = make_nik(day=17, month=8, year=1990)
        assert await self._fields(idp, nik=nik, birth_date="1990-08-18") == {"birth_date"}
        female = make_nik(day=12, month=5, year=1990, female=True)
        assert await self._fields(idp, nik=female, birth_date="1990-05-52") == {"birth_date"}

    async def test_invalid_no_kk(self, idp: Any) -> None:
        assert await self._fields(idp, no_kk="0077011203150004") == {"no_kk"}

    async def test_email_or_phone_required(self, idp: Any) -> None:
        assert await self._fields(idp, email=None, phone=None) == {"email", "phone"}

    async def test_short_password(self, idp: Any) -> None:
        assert await self._fields(idp, password="pendek") == {"password"}

    async def test_nik_is_not_echoed_in_errors(
        self, idp: Any, make_nik: Callable[..., str]
    ) -> None:
        nik = make_nik()
        response = await idp.register(nik=nik, birth_date="2001-01-01")
        assert response.status_code == 422
        assert nik not in response.text
