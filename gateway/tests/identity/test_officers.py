"""Officer accounts: city-wide, kecamatan and kelurahan areas, positions in the token, the admin API."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import func, select

from cimahi_gateway.identity import repository, service
from cimahi_gateway.identity.models import User

ADMIN_PASSWORD = "sandi-admin-123"
OFFICER_PASSWORD = "sandi-petugas-123"


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def _officer_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "username": "kadis.disdukcapil",
        "full_name": "Kepala Disdukcapil",
        "agency": "dilandacinta",
        "area": "32.77",
        "position": "head",
        "password": OFFICER_PASSWORD,
    }
    body.update(overrides)
    return body


@pytest.fixture
async def admin_headers(idp: Any) -> dict[str, str]:
    async with idp.session() as session:
        await service.create_admin(
            session, username="admin", password=ADMIN_PASSWORD, full_name="Admin"
        )
        await session.commit()
    token = (await idp.password_token("admin", ADMIN_PASSWORD)).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


async def _officer_count(idp: Any) -> int:
    async with idp.session() as session:
        return int(await session.scalar(select(func.count()).where(User.role == "officer")) or 0)


class TestCreateOfficerByAdmin:
    async def test_a_city_wide_head_carries_position_and_area_in_the_token(
        self, idp: Any, admin_headers: dict[str, str]
    ) -> None:
        created = await idp.client.post(
            "/api/v1/admin/officers", json=_officer_body(), headers=admin_headers
        )
        assert created.status_code == 201, created.text
        account = created.json()
        assert account["role"] == "officer"
        assert (account["agency"], account["area"], account["position"]) == (
            "dilandacinta",
            "32.77",
            "head",
        )
        assert "password" not in created.text

        token = (await idp.password_token("kadis.disdukcapil", OFFICER_PASSWORD)).json()
        claims = _claims(token["access_token"])
        assert (claims["role"], claims["agency"], claims["area"], claims["position"]) == (
            "officer",
            "dilandacinta",
            "32.77",
            "head",
        )
        me = await idp.client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"}
        )
        assert me.json()["position"] == "head"

    async def test_an_officer_without_position_has_no_position_claim(
        self, idp: Any, admin_headers: dict[str, str]
    ) -> None:
        body = _officer_body(username="petugas.kec.cimahiutara", area="32.77.03", position=None)
        created = await idp.client.post("/api/v1/admin/officers", json=body, headers=admin_headers)
        assert created.status_code == 201, created.text
        assert created.json()["position"] is None
        token = (await idp.password_token("petugas.kec.cimahiutara", OFFICER_PASSWORD)).json()
        assert "position" not in _claims(token["access_token"])

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"area": "32.78"}, "area"),
            ({"area": "32.77.09"}, "area"),
            ({"position": "Kepala Dinas!"}, "position"),
            ({"agency": "Dinas X"}, "agency"),
            ({"username": "X"}, "username"),
            ({"password": "short"}, "password"),
        ],
    )
    async def test_bad_fields_are_named(
        self, idp: Any, admin_headers: dict[str, str], overrides: dict[str, Any], field: str
    ) -> None:
        response = await idp.client.post(
            "/api/v1/admin/officers", json=_officer_body(**overrides), headers=admin_headers
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in {e["field"] for e in response.json()["errors"]}
        assert await _officer_count(idp) == 0

    async def test_only_admins_may_create_officers(
        self, idp: Any, registered: dict[str, Any]
    ) -> None:
        anonymous = await idp.client.post("/api/v1/admin/officers", json=_officer_body())
        assert anonymous.status_code == 401
        citizen = (await idp.password_token(registered["nik"])).json()["access_token"]
        refused = await idp.client.post(
            "/api/v1/admin/officers",
            json=_officer_body(),
            headers={"Authorization": f"Bearer {citizen}"},
        )
        assert refused.status_code == 403, refused.text
        assert await _officer_count(idp) == 0

    async def test_a_taken_username_is_a_conflict(
        self, idp: Any, admin_headers: dict[str, str]
    ) -> None:
        first = await idp.client.post(
            "/api/v1/admin/officers", json=_officer_body(), headers=admin_headers
        )
        assert first.status_code == 201
        again = await idp.client.post(
            "/api/v1/admin/officers", json=_officer_body(), headers=admin_headers
        )
        assert again.status_code == 409

    async def test_a_retried_create_with_the_same_idempotency_key_creates_one_officer(
        self, idp: Any, admin_headers: dict[str, str]
    ) -> None:
        headers = {**admin_headers, "Idempotency-Key": "officer-kadis-1"}
        responses: list[httpx.Response] = [
            await idp.client.post("/api/v1/admin/officers", json=_officer_body(), headers=headers)
            for _ in range(2)
        ]
        assert [r.status_code for r in responses] == [201, 201]
        assert responses[0].json()["id"] == responses[1].json()["id"]
        assert await _officer_count(idp) == 1


class TestCreateOfficerFunction:
    async def test_the_city_kecamatan_and_kelurahan_are_areas(self, idp: Any) -> None:
        async with idp.session() as session:
            for n, area in enumerate(("32.77", "32.77.01", "32.77.01.1001")):
                user = await service.create_officer(
                    session,
                    username=f"petugas.{n}x",
                    password=OFFICER_PASSWORD,
                    full_name="Petugas",
                    agency="dilandacinta",
                    area=area,
                    position=" Head ",
                )
                assert (user.area, user.position) == (area, "head")
            await session.commit()


class TestBapendaDemoData:
    """The demo seed gives E-PBB its officers and its payment channels' machine clients."""

    async def test_bapenda_officer_and_head_work_city_wide(self, idp: Any) -> None:
        async with idp.session() as session:
            await service.ensure_demo_users(session, idp.runtime.pii)
            await session.commit()
        for username, position in (("petugas.bapenda", None), ("kaban.bapenda", "head")):
            response = await idp.password_token(username, service.DEMO_PASSWORD)
            assert response.status_code == 200, response.text
            claims = _claims(response.json()["access_token"])
            assert (claims["role"], claims["agency"], claims["area"]) == (
                "officer",
                "epbb",
                "32.77",
            )
            assert claims.get("position") == position

    async def test_channel_clients_get_epbb_channel_tokens_with_their_fixed_secrets(
        self, idp: Any
    ) -> None:
        for _ in range(2):  # idempotent
            async with idp.session() as session:
                clients = await service.ensure_demo_clients(session)
                await session.commit()
        assert [c.client_id for c in clients] == ["bank-bjb-demo", "qris-demo", "pos-demo"]
        for demo in service.DEMO_CLIENTS:
            response = await idp.client.post(
                "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": demo.client_id,
                    "client_secret": demo.secret,
                    "scope": "epbb:channel",
                },
            )
            assert response.status_code == 200, response.text
            claims = _claims(response.json()["access_token"])
            assert (claims["role"], claims["client_id"], claims["scope"]) == (
                "client",
                demo.client_id,
                "epbb:channel",
            )
        wrong = await idp.client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "bank-bjb-demo",
                "client_secret": service.DEMO_CLIENTS[1].secret,
            },
        )
        assert wrong.status_code == 401
        broader = await idp.client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "bank-bjb-demo",
                "client_secret": service.DEMO_CLIENTS[0].secret,
                "scope": "epbb:channel requests:read",
            },
        )
        assert broader.status_code == 400
        assert broader.json()["error"] == "invalid_scope"

    async def test_the_seed_creates_the_channel_clients_with_the_accounts(self, idp: Any) -> None:
        async with idp.session() as session:
            await service.ensure_demo_users(session, idp.runtime.pii)
            await session.commit()
        async with idp.session() as session:
            for demo in service.DEMO_CLIENTS:
                assert await repository.find_client(session, demo.client_id) is not None


class TestDpmptspDemoData:
    """The demo seed gives SIPINTER (DPMPTSP) its front office, verifier and head."""

    async def test_dpmptsp_officers_work_city_wide_with_their_positions(self, idp: Any) -> None:
        async with idp.session() as session:
            await service.ensure_demo_users(session, idp.runtime.pii)
            await session.commit()
        for username, position in (
            ("petugas.dpmptsp", None),
            ("verifikator.dpmptsp", "verifier"),
            ("kepala.dpmptsp", "head"),
        ):
            response = await idp.password_token(username, service.DEMO_PASSWORD)
            assert response.status_code == 200, response.text
            claims = _claims(response.json()["access_token"])
            assert (claims["role"], claims["agency"], claims["area"]) == (
                "officer",
                "sipinter",
                "32.77",
            )
            assert claims.get("position") == position
