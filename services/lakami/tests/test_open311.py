"""Open311 GeoReport v2 driven the way an Open311 client does: form posts, JSON reads, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from cimahi_lakami.cli import DEMO_OPEN311_KEY, seed_open311_demo_key
from cimahi_lakami.models import Complaint, Open311ApiKey
from cimahi_shared.app import Runtime
from services.lakami.tests.conftest import MELONG, Tokens, problem

BASE = "/open311/v2"
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


@pytest.fixture
async def api_key(client: httpx.AsyncClient, tokens: Tokens) -> str:
    response = await client.post(
        "/v1/admin/open311-keys", json={"name": "warga-app"}, headers=tokens.admin()
    )
    assert response.status_code == 201, response.text
    key: str = response.json()["api_key"]
    return key


def open311_error(response: httpx.Response, status: int) -> str:
    """Assert an Open311 error list of ``status`` and return its description."""
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list)
    assert len(body) == 1
    assert body[0]["code"] == status
    description: str = body[0]["description"]
    return description


def form(api_key: str, **overrides: str) -> dict[str, str]:
    data = {
        "api_key": api_key,
        "service_code": "penerangan-jalan",
        "lat": "-6.8851",
        "long": "107.5420",
        "address_string": "Jl. Amir Machmud depan pasar",
        "description": "Lampu PJU mati tiga tiang berturut-turut sejak Senin.",
        "media_url": "https://warga.example/photos/pju.jpg",
        "first_name": "Rina",
        "last_name": "Marlina",
        "email": "rina@example.org",
        "phone": "081234567890",
        "attribute[kelurahan]": MELONG,
    }
    data.update(overrides)
    return data


class TestOpen311Client:
    async def test_discover_post_and_read_back_a_request(
        self, client: httpx.AsyncClient, api_key: str, tokens: Tokens
    ) -> None:
        services = await client.get(f"{BASE}/services.json")
        assert services.status_code == 200
        assert services.headers["content-type"].startswith("application/json")
        listed = {s["service_code"]: s for s in services.json()}
        pju = listed["penerangan-jalan"]
        assert set(pju) == {
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        }
        assert (pju["metadata"], pju["type"]) == (True, "realtime")

        definition = (await client.get(f"{BASE}/services/penerangan-jalan.json")).json()
        assert definition["service_code"] == "penerangan-jalan"
        attributes = {a["code"]: a for a in definition["attributes"]}
        kelurahan = attributes["kelurahan"]
        assert kelurahan["required"] is True
        assert kelurahan["datatype"] == "singlevaluelist"
        assert {"key": MELONG, "name": "Melong (Cimahi Selatan)"} in kelurahan["values"]
        assert set(kelurahan) == {
            "variable",
            "code",
            "datatype",
            "required",
            "datatype_description",
            "order",
            "description",
            "values",
        }
        assert [a["order"] for a in definition["attributes"]] == [1, 2]

        posted = await client.post(f"{BASE}/requests.json", data=form(api_key))
        assert posted.status_code == 200, posted.text
        [created] = posted.json()
        assert set(created) == {"service_request_id", "service_notice", "account_id"}
        assert created["account_id"] is None
        request_id = created["service_request_id"]
        assert request_id.startswith("ADU-")

        fetched = await client.get(f"{BASE}/requests/{request_id}.json")
        assert fetched.status_code == 200
        [request] = fetched.json()
        assert set(request) == REQUEST_FIELDS
        assert request["status"] == "open"
        assert request["service_code"] == "penerangan-jalan"
        assert request["service_name"] == "Penerangan jalan umum"
        assert (request["lat"], request["long"]) == (-6.8851, 107.542)
        assert request["address"] == "Jl. Amir Machmud depan pasar"
        assert request["media_url"] == "https://warga.example/photos/pju.jpg"
        assert request["agency_responsible"] == "Kelurahan Melong"
        assert request["expected_datetime"] is not None
        for secret in ("Rina", "Marlina", "rina@example.org", "081234567890"):
            assert secret not in fetched.text

        # The officer answers: the request is closed with the answer as status_notes.
        officer = tokens.officer(MELONG)
        seen = await client.get(f"/v1/complaints/{request_id}", headers=officer)
        assert seen.json()["anonymous"] is True
        assert seen.json()["author"] is None
        assert "Marlina" not in seen.text
        await client.post(f"/v1/complaints/{request_id}/verify", json={}, headers=officer)
        await client.post(
            f"/v1/complaints/{request_id}/answer", json={"note": "Sudah diganti"}, headers=officer
        )
        admin = (await client.get(f"/v1/complaints/{request_id}", headers=tokens.admin())).json()
        assert admin["author"]["name"] == "Rina Marlina"
        [closed] = (await client.get(f"{BASE}/requests/{request_id}.json")).json()
        assert (closed["status"], closed["status_notes"]) == ("closed", "Sudah diganti")

        listed_requests = (await client.get(f"{BASE}/requests.json")).json()
        assert [r["service_request_id"] for r in listed_requests] == [request_id]
        assert (await client.get(f"{BASE}/requests.json?status=open")).json() == []
        by_id = await client.get(f"{BASE}/requests.json", params={"service_request_id": request_id})
        assert len(by_id.json()) == 1

    async def test_json_body_and_private_requests(
        self, client: httpx.AsyncClient, api_key: str
    ) -> None:
        body: dict[str, Any] = {
            "api_key": api_key,
            "service_code": "kebersihan",
            "address_string": "Gang Melati RT 02",
            "description": "Tumpukan sampah liar di ujung gang.",
            "attribute": {"kelurahan": MELONG, "visibility": "private"},
        }
        posted = await client.post(f"{BASE}/requests.json", json=body)
        assert posted.status_code == 200, posted.text
        private_id = posted.json()[0]["service_request_id"]
        open311_error(await client.get(f"{BASE}/requests/{private_id}.json"), 404)
        assert (await client.get(f"{BASE}/requests.json")).json() == []
        by_id = await client.get(f"{BASE}/requests.json", params={"service_request_id": private_id})
        assert by_id.json() == []

    async def test_citizens_private_complaints_never_appear(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen()
        body = {
            "category": "kebersihan",
            "title": "Sampah menumpuk",
            "description": "Sampah menumpuk di depan rumah warga.",
            "kelurahan_code": MELONG,
            "public": False,
        }
        created = await client.post("/v1/complaints", json=body, headers=citizen)
        assert created.status_code == 201, created.text
        public = await client.post("/v1/complaints", json={**body, "public": True}, headers=citizen)
        listed = (await client.get(f"{BASE}/requests.json")).json()
        assert [r["service_request_id"] for r in listed] == [public.json()["tracking_no"]]
        tracking_no = created.json()["tracking_no"]
        open311_error(await client.get(f"{BASE}/requests/{tracking_no}.json"), 404)


class TestOpen311Errors:
    async def test_api_key_is_required_and_checked(
        self, app: FastAPI, client: httpx.AsyncClient, api_key: str
    ) -> None:
        no_key = form(api_key)
        del no_key["api_key"]
        assert "api_key" in open311_error(
            await client.post(f"{BASE}/requests.json", data=no_key), 403
        )
        open311_error(await client.post(f"{BASE}/requests.json", data=form("o311_wrong-key")), 403)
        runtime: Runtime = app.state.runtime
        async with runtime.session_factory() as session:
            keys = (await session.execute(select(Open311ApiKey))).scalars().all()
            assert [k.key_hash for k in keys] != [api_key]
            assert api_key not in {k.key_hash for k in keys}
            assert (await session.execute(select(Complaint.id))).first() is None

    async def test_unknown_service_and_bad_fields(
        self, client: httpx.AsyncClient, api_key: str
    ) -> None:
        open311_error(await client.get(f"{BASE}/services/no-such-service.json"), 404)
        post = f"{BASE}/requests.json"
        open311_error(await client.post(post, data=form(api_key, service_code="nope")), 404)
        missing = form(api_key)
        del missing["attribute[kelurahan]"]
        assert "kelurahan" in open311_error(await client.post(post, data=missing), 400)
        outside = form(api_key, lat="-6.2", long="106.8")
        assert "outside" in open311_error(await client.post(post, data=outside), 400)
        bad = form(api_key, **{"attribute[visibility]": "secret"})
        open311_error(await client.post(post, data=bad), 400)
        open311_error(await client.post(post, data=form(api_key, description="x" * 4001)), 400)

    async def test_date_range_and_status_filters_are_checked(
        self, client: httpx.AsyncClient
    ) -> None:
        now = datetime.now(UTC)
        url = f"{BASE}/requests.json"
        too_long = {
            "start_date": (now - timedelta(days=120)).isoformat(),
            "end_date": now.isoformat(),
        }
        assert "90 days" in open311_error(await client.get(url, params=too_long), 400)
        backwards = {"start_date": now.isoformat(), "end_date": (now - timedelta(1)).isoformat()}
        open311_error(await client.get(url, params=backwards), 400)
        open311_error(await client.get(url, params={"start_date": "yesterday"}), 400)
        open311_error(await client.get(url, params={"status": "pending"}), 400)
        open311_error(await client.get(url, params={"service_code": "nope"}), 404)
        month = {"start_date": (now - timedelta(days=30)).isoformat(), "end_date": now.isoformat()}
        assert (await client.get(url, params=month)).json() == []

    async def test_the_rest_of_the_service_keeps_problem_json(
        self, client: httpx.AsyncClient
    ) -> None:
        problem(await client.get("/v1/complaints"), 401)


class TestApiKeys:
    async def test_only_admins_issue_keys_and_never_idempotently(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        url = "/v1/admin/open311-keys"
        problem(await client.post(url, json={"name": "x-app"}, headers=tokens.officer()), 403)
        replayable = {**tokens.admin(), "Idempotency-Key": "key-1"}
        problem(await client.post(url, json={"name": "x-app"}, headers=replayable), 422)
        created = await client.post(url, json={"name": "x-app"}, headers=tokens.admin())
        assert created.status_code == 201
        problem(await client.post(url, json={"name": "x-app"}, headers=tokens.admin()), 409)


class TestSeed:
    async def test_seed_creates_the_demo_key_once(
        self, client: httpx.AsyncClient, migrated_url: str
    ) -> None:
        assert await seed_open311_demo_key(migrated_url) is True
        assert await seed_open311_demo_key(migrated_url) is False
        posted = await client.post(f"{BASE}/requests.json", data=form(DEMO_OPEN311_KEY))
        assert posted.status_code == 200, posted.text


class TestApiKeyRevocation:
    async def test_admins_list_keys_without_secrets_and_revoke_them(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        url = "/v1/admin/open311-keys"
        admin = tokens.admin()
        first = (await client.post(url, json={"name": "app-satu"}, headers=admin)).json()
        second = (await client.post(url, json={"name": "app-dua"}, headers=admin)).json()
        listed = await client.get(url, headers=admin)
        assert listed.status_code == 200, listed.text
        assert [k["name"] for k in listed.json()] == ["app-satu", "app-dua"]
        for secret in (first["api_key"], second["api_key"]):
            assert secret not in listed.text
            assert secret[12:20] not in listed.text  # not even part of the secret
        assert listed.json()[0]["key_prefix"] == first["api_key"][:12]
        assert all(k["active"] and k["revoked_at"] is None for k in listed.json())
        for caller in (tokens.officer(), tokens.citizen()):
            problem(await client.get(url, headers=caller), 403)
            problem(await client.delete(f"{url}/{first['id']}", headers=caller), 403)

        assert (await client.post(f"{BASE}/requests.json", data=form(first["api_key"]))).is_success
        revoked = await client.delete(f"{url}/{first['id']}", headers=admin)
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["active"] is False
        revoked_at = revoked.json()["revoked_at"]
        assert revoked_at is not None
        assert first["api_key"] not in revoked.text
        # Refused from now on; the other key still works; revoking again changes nothing.
        refused = await client.post(f"{BASE}/requests.json", data=form(first["api_key"]))
        assert "not valid" in open311_error(refused, 403)
        assert (await client.post(f"{BASE}/requests.json", data=form(second["api_key"]))).is_success
        again = await client.delete(f"{url}/{first['id']}", headers=admin)
        assert again.json()["revoked_at"] == revoked_at
        states = {k["name"]: k["active"] for k in (await client.get(url, headers=admin)).json()}
        assert states == {"app-satu": False, "app-dua": True}
        problem(await client.delete(f"{url}/01JDZ8Y3Q6V1XKQ7N2M4P5R6ST", headers=admin), 404)
        problem(await client.delete(f"{url}/{'x' * 40}", headers=admin), 422)
        # A revoked key's name stays taken (the key remains on record).
        problem(await client.post(url, json={"name": "app-satu"}, headers=admin), 409)
        runtime: Runtime = app.state.runtime
        async with runtime.session_factory() as session:
            owners = (await session.execute(select(Complaint.owner_sub))).scalars().all()
        assert sorted(owners) == sorted([f"open311:{first['id']}", f"open311:{second['id']}"])
