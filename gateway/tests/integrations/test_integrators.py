"""The admin API of integrators: creation with a secret shown once, patterns, rotation, revocation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cimahi_gateway.identity.models import MachineClient

StartGateway = Any


class TestIntegratorAdmin:
    async def test_create_shows_the_secret_once_and_the_client_gets_an_integrator_token(
        self, start_gateway: StartGateway
    ) -> None:
        gw = await start_gateway(upstreams={"epbb": "http://127.0.0.1:9"})
        created = await gw.create_integrator(["epbb.payment.*", "*.permit.issued"])
        assert created["client_secret"].startswith("cimahi_cs_")
        assert created["allowed_events"] == ["epbb.payment.*", "*.permit.issued"]
        async with gw.session() as session:
            client = await session.scalar(
                select(MachineClient).where(MachineClient.client_id == created["client_id"])
            )
            assert client is not None
            assert client.scopes == "events:subscribe"
            assert created["client_secret"] not in client.secret_hash
        admin = await gw.admin_headers()
        shown = await gw.client.get(f"/api/v1/admin/integrators/{created['id']}", headers=admin)
        assert shown.status_code == 200
        assert "client_secret" not in shown.json()
        listed = (await gw.client.get("/api/v1/admin/integrators", headers=admin)).json()
        assert [i["id"] for i in listed["items"]] == [created["id"]]
        assert all("client_secret" not in i for i in listed["items"])
        token = await gw.token_response(created["client_id"], created["client_secret"])
        assert token.status_code == 200, token.text
        assert token.json()["scope"] == "events:subscribe"

    async def test_bad_patterns_are_named_and_nothing_is_created(
        self, start_gateway: StartGateway
    ) -> None:
        gw = await start_gateway(upstreams={"epbb": "http://127.0.0.1:9"})
        admin = await gw.admin_headers()
        body = {
            "name": "Bank",
            "contact_email": "it@bank.example",
            "allowed_events": [
                "epbb.payment.*",
                "EPBB.x",
                "nosuch.payment.*",
                "epbb.>.x",
                "*.request.lifecycle",  # platform-internal
            ],
        }
        response = await gw.client.post("/api/v1/admin/integrators", json=body, headers=admin)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        fields = {e["field"] for e in response.json()["errors"]}
        assert fields == {f"allowed_events[{i}]" for i in (1, 2, 3, 4)}
        empty = await gw.client.post(
            "/api/v1/admin/integrators", json={**body, "allowed_events": []}, headers=admin
        )
        assert empty.status_code == 422
        listed = (await gw.client.get("/api/v1/admin/integrators", headers=admin)).json()
        assert listed["items"] == []
        async with gw.session() as session:
            assert list(await session.scalars(select(MachineClient))) == []

    async def test_only_admins(self, start_gateway: StartGateway) -> None:
        gw = await start_gateway(upstreams={"epbb": "http://127.0.0.1:9"})
        created = await gw.create_integrator(["epbb.>"])
        integrator = await gw.integrator_headers(created)
        body = {"name": "X", "contact_email": "x@x.example", "allowed_events": ["epbb.>"]}
        for call in (
            gw.client.post("/api/v1/admin/integrators", json=body, headers=integrator),
            gw.client.get("/api/v1/admin/integrators", headers=integrator),
            gw.client.post(f"/api/v1/admin/integrators/{created['id']}/revoke", headers=integrator),
        ):
            assert (await call).status_code == 403
        assert (await gw.client.get("/api/v1/admin/integrators")).status_code == 401

    async def test_update_paging_and_unknown_id(self, start_gateway: StartGateway) -> None:
        gw = await start_gateway(upstreams={"epbb": "http://127.0.0.1:9"})
        admin = await gw.admin_headers()
        ids = [(await gw.create_integrator(["epbb.>"]))["id"] for _ in range(3)]
        first = (await gw.client.get("/api/v1/admin/integrators?limit=2", headers=admin)).json()
        second = await gw.client.get(
            f"/api/v1/admin/integrators?limit=2&cursor={first['next_cursor']}", headers=admin
        )
        seen = [i["id"] for i in first["items"]] + [i["id"] for i in second.json()["items"]]
        assert seen == ids
        assert second.json()["next_cursor"] is None
        url = f"/api/v1/admin/integrators/{ids[0]}"
        patched = await gw.client.patch(
            url,
            json={"name": " Bank BJB ", "allowed_events": ["epbb.payment.received"]},
            headers=admin,
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["name"] == "Bank BJB"
        assert patched.json()["allowed_events"] == ["epbb.payment.received"]
        bad = await gw.client.patch(url, json={"allowed_events": ["x"]}, headers=admin)
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "allowed_events[0]"
        missing = await gw.client.get("/api/v1/admin/integrators/01NOSUCH", headers=admin)
        assert missing.status_code == 404

    async def test_rotation_refuses_the_old_secret(self, start_gateway: StartGateway) -> None:
        gw = await start_gateway(upstreams={"epbb": "http://127.0.0.1:9"})
        created = await gw.create_integrator(["epbb.>"])
        rotated = await gw.client.post(
            f"/api/v1/admin/integrators/{created['id']}/rotate-secret",
            headers=await gw.admin_headers(),
        )
        assert rotated.status_code == 200, rotated.text
        assert rotated.headers["cache-control"] == "no-store"
        new_secret = rotated.json()["client_secret"]
        assert new_secret != created["client_secret"]
        old = await gw.token_response(created["client_id"], created["client_secret"])
        assert old.status_code == 401
        assert (await gw.token_response(created["client_id"], new_secret)).status_code == 200

    async def test_revocation_refuses_the_live_token_and_new_tokens(
        self, start_gateway: StartGateway
    ) -> None:
        gw = await start_gateway(upstreams={"epbb": "http://127.0.0.1:9"})
        created = await gw.create_integrator(["epbb.>"])
        headers = await gw.integrator_headers(created)
        stream = await gw.client.get("/api/v1/events/stream?types=nosuch", headers=headers)
        assert stream.status_code == 422  # authorised: only the types are wrong
        admin = await gw.admin_headers()
        revoked = await gw.client.post(
            f"/api/v1/admin/integrators/{created['id']}/revoke", headers=admin
        )
        assert revoked.status_code == 200
        assert revoked.json()["revoked_at"] is not None
        refused = await gw.client.get("/api/v1/events/stream", headers=headers)
        assert refused.status_code == 403
        token = await gw.token_response(created["client_id"], created["client_secret"])
        assert token.status_code in (400, 401)
        again = await gw.client.patch(
            f"/api/v1/admin/integrators/{created['id']}", json={"name": "Y"}, headers=admin
        )
        assert again.status_code == 409
