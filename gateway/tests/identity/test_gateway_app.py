"""POLAKAMI inside the assembled gateway (``cimahi_gateway.main.create_app``, proxy in front)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.db import Base
from cimahi_gateway.main import create_app
from cimahi_shared.events.tables import plumbing_metadata


class TestAssembledGateway:
    async def test_register_log_in_and_me_through_the_gateway(
        self, database_url: str, citizen: Callable[..., dict[str, Any]]
    ) -> None:
        gateway: Any = create_app(
            GatewaySettings(database_url=database_url, nats_enabled=False, log_json=False)
        )
        api = gateway.app
        runtime = api.state.runtime
        async with runtime.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
            await conn.run_sync(plumbing_metadata.create_all)
        async with (
            api.router.lifespan_context(api),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=gateway), base_url="http://gateway.test"
            ) as client,
        ):
            body = citizen()
            assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201
            discovery = await client.get("/.well-known/openid-configuration")
            assert discovery.json()["issuer"] == "http://127.0.0.1:8000"
            tokens = await client.post(
                "/oauth/token",
                data={
                    "grant_type": "password",
                    "client_id": "cimahi-web",
                    "username": body["nik"],
                    "password": body["password"],
                },
            )
            assert tokens.status_code == 200, tokens.text
            me = await client.get(
                "/api/v1/me", headers={"Authorization": f"Bearer {tokens.json()['access_token']}"}
            )
            assert me.status_code == 200, me.text
            assert me.json()["role"] == "citizen"
