"""The access log: officers' and admins' reads of tax data are recorded with their purpose; the
taxpayer's own reads are not; the taxpayer can see who read their objects' data."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from cimahi_epbb.access_log import DEFAULT_PURPOSE
from cimahi_epbb.models import AccessAudit
from services.epbb.tests.conftest import CIBABAT, MELONG, Tokens, error_fields, problem
from services.epbb.tests.factories import CIBABAT_NOP, MELONG_NOP
from services.epbb.tests.test_objects_helpers import (
    ANI_SUB,
    BUDI_SUB,
    NOW,
    Scene,
    ani,
    audit_rows,
    budi,
    count,
    link,
    scene,
)

__all__ = ["scene"]
PURPOSE = "Pemeriksaan keberatan PBB-R-2606-0001"


class TestOfficersReads:
    async def test_an_object_read_is_logged_with_who_why_and_the_request(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        response = await client.get(
            f"/v1/objects/{MELONG_NOP}",
            headers={**tokens.officer(MELONG, sub="officer-1"), "X-Purpose": PURPOSE},
        )
        assert response.status_code == 200
        [row] = await audit_rows(app)
        assert (row.actor_sub, row.actor_role, row.actor_name, row.actor_area) == (
            "officer-1",
            "officer",
            "Rina Marlina",
            MELONG,
        )
        assert (row.nop, row.resource, row.resource_ref, row.action) == (
            MELONG_NOP,
            "object",
            MELONG_NOP,
            "read",
        )
        assert row.purpose == PURPOSE
        assert row.http_request_id == response.headers["x-request-id"]
        assert row.occurred_at == NOW

    async def test_without_a_purpose_the_public_service_task_is_recorded(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        await client.get(f"/v1/objects/{CIBABAT_NOP}/bills", headers=tokens.admin())
        [row] = await audit_rows(app)
        assert (row.actor_role, row.nop, row.resource, row.purpose) == (
            "admin",
            CIBABAT_NOP,
            "bill",
            DEFAULT_PURPOSE,
        )

    async def test_bill_reads_and_lists_are_logged_per_object(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        headers = {**tokens.officer("32.77"), "X-Purpose": PURPOSE}
        bill_id = scene.bills[CIBABAT_NOP, 2026]
        await client.get(f"/v1/bills/{bill_id}", headers=headers)
        await client.get("/v1/bills", params={"tax_year": 2025}, headers=headers)
        reads = await audit_rows(app, action="read")
        assert [(r.nop, r.resource_ref) for r in reads] == [(CIBABAT_NOP, bill_id)]
        listed = await audit_rows(app, action="list")
        assert sorted(r.resource_ref or "" for r in listed) == sorted(
            scene.bills[k] for k in scene.bills if k[1] == 2025
        )
        assert {r.purpose for r in listed} == {PURPOSE}

    async def test_refused_reads_leave_no_row(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        problem(await client.get(f"/v1/objects/{MELONG_NOP}", headers=tokens.officer(CIBABAT)), 404)
        assert await count(app, AccessAudit) == 0

    async def test_a_bad_purpose_is_a_422_naming_the_header(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        response = await client.get(
            f"/v1/objects/{MELONG_NOP}", headers={**tokens.admin(), "X-Purpose": "x" * 201}
        )
        assert error_fields(response) == {"X-Purpose"}


class TestTaxpayersOwnReads:
    async def test_the_owner_reading_their_data_is_not_logged(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        await link(app, MELONG_NOP, ANI_SUB)
        for path in (
            f"/v1/objects/{MELONG_NOP}",
            f"/v1/objects/{MELONG_NOP}/bills",
            f"/v1/bills/{scene.bills[MELONG_NOP, 2026]}",
            "/v1/me/objects",
        ):
            assert (await client.get(path, headers=ani(tokens))).status_code == 200, path
        assert await count(app, AccessAudit) == 0

    async def test_the_taxpayer_sees_who_read_their_objects_and_nobody_elses(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        await link(app, MELONG_NOP, ANI_SUB)
        await link(app, CIBABAT_NOP, BUDI_SUB)
        officer = {**tokens.officer("32.77"), "X-Purpose": PURPOSE}
        await client.get(f"/v1/objects/{MELONG_NOP}", headers=officer)
        await client.get(f"/v1/objects/{MELONG_NOP}/bills", headers=officer)
        await client.get(f"/v1/objects/{CIBABAT_NOP}", headers=officer)
        mine = await client.get("/v1/me/access-log", headers=ani(tokens))
        assert mine.status_code == 200, mine.text
        items = mine.json()["items"]
        assert [(i["nop"], i["resource"]) for i in items] == [
            (MELONG_NOP, "bill"),
            (MELONG_NOP, "object"),
        ]
        assert items[0]["actor_name"] == "Rina Marlina"
        assert items[0]["purpose"] == PURPOSE
        first = await client.get("/v1/me/access-log", params={"limit": 1}, headers=ani(tokens))
        cursor = first.json()["next_cursor"]
        older = await client.get(
            "/v1/me/access-log", params={"limit": 1, "cursor": cursor}, headers=ani(tokens)
        )
        assert [i["resource"] for i in older.json()["items"]] == ["object"]
        budis = (await client.get("/v1/me/access-log", headers=budi(tokens))).json()["items"]
        assert [i["nop"] for i in budis] == [CIBABAT_NOP]
        problem(await client.get("/v1/me/access-log", headers=tokens.officer("32.77")), 403)
