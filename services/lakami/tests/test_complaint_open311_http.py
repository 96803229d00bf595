"""Open311 GeoReport v2 over real HTTP: a plain client against LAKAMI served by uvicorn.

The client does what a GeoReport v2 client does: reads the service list, a service definition,
posts a form-encoded request with its ``api_key`` (and a JSON one), reads the request back by id
and lists requests with the spec's filters, checking the documented field names and Open311's
error format. Nothing but the HTTP interface is used, except the admin endpoint for the key.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from cimahi_shared.testing.processes import free_port
from services.lakami.tests.conftest import MELONG, Tokens
from services.lakami.tests.test_open311 import REQUEST_FIELDS as SERVICE_REQUEST_FIELDS

SERVICE_FIELDS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
ATTRIBUTE_FIELDS = {
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


@pytest.fixture
async def server_url(app: FastAPI) -> AsyncIterator[str]:
    """The test app served by uvicorn on a free loopback port (its lifespan already runs)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None)
    )
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.02)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def http(server_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server_url, timeout=10.0) as client:
        yield client


def w3c(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def open311_error(response: httpx.Response, status: int) -> str:
    """Assert Open311's error format ``[{"code": status, "description": ...}]``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, list), body
    assert len(body) == 1, body
    assert set(body[0]) == {"code", "description"}
    assert body[0]["code"] == status
    description: str = body[0]["description"]
    assert description
    return description


async def issue_key(http: httpx.AsyncClient, tokens: Tokens, name: str) -> dict[str, Any]:
    response = await http.post(
        "/v1/admin/open311-keys", json={"name": name}, headers=tokens.admin()
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


class TestOpen311ClientOverHttp:
    async def test_services_definition_post_get_and_list_with_filters(
        self, http: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        base = "/open311/v2"
        api_key = (await issue_key(http, tokens, "georeport-client"))["api_key"]

        # 1. The service list.
        services = await http.get(f"{base}/services.json")
        assert services.status_code == 200, services.text
        assert services.headers["content-type"].startswith("application/json")
        assert services.json(), "no services"
        for service in services.json():
            assert set(service) == SERVICE_FIELDS
            assert service["type"] in {"realtime", "batch", "blackbox"}
            assert isinstance(service["metadata"], bool)
        code = next(s for s in services.json() if s["service_code"] == "penerangan-jalan")
        assert code["metadata"] is True

        # 2. The definition of the chosen service: answer every required attribute.
        definition = await http.get(f"{base}/services/penerangan-jalan.json")
        assert definition.status_code == 200, definition.text
        assert set(definition.json()) == {"service_code", "attributes"}
        answers: dict[str, str] = {}
        for attribute in definition.json()["attributes"]:
            assert set(attribute) == ATTRIBUTE_FIELDS
            assert attribute["datatype"] in DATATYPES
            if attribute["required"]:
                keys = [v["key"] for v in attribute["values"]]
                answers[f"attribute[{attribute['code']}]"] = MELONG if MELONG in keys else keys[0]
        assert answers == {"attribute[kelurahan]": MELONG}

        # 3. POST requests.json, form-encoded with the api_key, as GeoReport v2 clients send it.
        form = {
            "api_key": api_key,
            "service_code": "penerangan-jalan",
            "lat": "-6.8851",
            "long": "107.5420",
            "address_string": "Jl. Amir Machmud depan pasar",
            "description": "Lampu PJU mati tiga tiang berturut-turut sejak Senin.",
            "media_url": "https://warga.example/photos/pju.jpg",
            "email": "pelapor@example.org",
            "first_name": "Asep",
            "last_name": "Sunandar",
            **answers,
        }
        posted = await http.post(f"{base}/requests.json", data=form)
        assert posted.status_code == 200, posted.text
        assert posted.request.headers["content-type"] == "application/x-www-form-urlencoded"
        [created] = posted.json()
        assert set(created) == {"service_request_id", "service_notice", "account_id"}
        request_id = created["service_request_id"]

        # ... and the same as JSON, for another service, private this time.
        as_json = await http.post(
            f"{base}/requests.json",
            json={
                "api_key": api_key,
                "service_code": "kebersihan",
                "address_string": "Gang Melati RT 02",
                "description": "Tumpukan sampah liar di ujung gang.",
                "attribute": {"kelurahan": MELONG},
            },
        )
        assert as_json.status_code == 200, as_json.text
        rubbish_id = as_json.json()[0]["service_request_id"]

        # 4. GET requests/{id}.json: a one-element list with the documented fields.
        fetched = await http.get(f"{base}/requests/{request_id}.json")
        assert fetched.status_code == 200, fetched.text
        [request] = fetched.json()
        assert set(request) == SERVICE_REQUEST_FIELDS
        assert request["service_request_id"] == request_id
        assert request["status"] == "open"
        assert request["status_notes"] is None
        assert request["service_code"] == "penerangan-jalan"
        assert request["service_name"] == "Penerangan jalan umum"
        assert request["description"] == form["description"]
        assert request["agency_responsible"] == "Kelurahan Melong"
        assert request["service_notice"] == created["service_notice"]
        assert request["address"] == form["address_string"]
        assert (request["address_id"], request["zipcode"]) == (None, None)
        assert (request["lat"], request["long"]) == (-6.8851, 107.542)
        assert request["media_url"] == form["media_url"]
        requested = datetime.fromisoformat(request["requested_datetime"])
        expected = datetime.fromisoformat(request["expected_datetime"])
        assert requested.tzinfo is not None
        assert datetime.fromisoformat(request["updated_datetime"]) >= requested
        assert expected > requested
        for secret in ("Asep", "Sunandar", "pelapor@example.org"):
            assert secret not in fetched.text

        # The officer answers it: closed, with the answer in status_notes.
        officer = tokens.officer(MELONG)
        for action, body in (("verify", {}), ("answer", {"note": "Lampu sudah diganti."})):
            done = await http.post(
                f"/v1/complaints/{request_id}/{action}", json=body, headers=officer
            )
            assert done.status_code == 200, done.text
        [closed] = (await http.get(f"{base}/requests/{request_id}.json")).json()
        assert (closed["status"], closed["status_notes"]) == ("closed", "Lampu sudah diganti.")
        assert closed["updated_datetime"] >= closed["requested_datetime"]

        # 5. GET requests.json with the spec's filters.
        async def listed(**params: str) -> list[str]:
            response = await http.get(f"{base}/requests.json", params=params)
            assert response.status_code == 200, response.text
            for item in response.json():
                assert set(item) == SERVICE_REQUEST_FIELDS
            return [item["service_request_id"] for item in response.json()]

        assert await listed() == [rubbish_id, request_id]  # newest first
        assert await listed(service_code="penerangan-jalan") == [request_id]
        assert await listed(status="open") == [rubbish_id]
        assert await listed(status="closed") == [request_id]
        assert await listed(service_request_id=f"{request_id},{rubbish_id}") == [
            rubbish_id,
            request_id,
        ]
        now = datetime.now(UTC)
        window = {"start_date": w3c(now - timedelta(days=1)), "end_date": w3c(now + timedelta(1))}
        assert await listed(**window) == [
            rubbish_id,
            request_id,
        ]
        assert await listed(end_date=w3c(now - timedelta(days=1))) == []
        assert await listed(start_date=w3c(now + timedelta(minutes=5))) == []

        # Errors keep Open311's format.
        open311_error(await http.get(f"{base}/services/no-such.json"), 404)
        open311_error(await http.get(f"{base}/requests/ADU-0000-00000000.json"), 404)
        open311_error(await http.get(f"{base}/requests.json", params={"status": "done"}), 400)
        span = {"start_date": w3c(now - timedelta(days=91)), "end_date": w3c(now)}
        assert "90 days" in open311_error(await http.get(f"{base}/requests.json", params=span), 400)
        no_key = {k: v for k, v in form.items() if k != "api_key"}
        open311_error(await http.post(f"{base}/requests.json", data=no_key), 403)
        missing = {k: v for k, v in form.items() if k != "attribute[kelurahan]"}
        assert "kelurahan" in open311_error(
            await http.post(f"{base}/requests.json", data=missing), 400
        )
        too_long = {**form, "description": "x" * 4001}
        open311_error(await http.post(f"{base}/requests.json", data=too_long), 400)
        outside = {**form, "lat": "-6.2", "long": "106.8"}
        open311_error(await http.post(f"{base}/requests.json", data=outside), 400)
        assert await listed() == [rubbish_id, request_id]  # nothing more was filed

    async def test_a_revoked_key_is_refused_over_http(
        self, http: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        key = await issue_key(http, tokens, "revoked-client")
        form = {
            "api_key": key["api_key"],
            "service_code": "kebersihan",
            "address_string": "Gang Melati RT 02",
            "description": "Tumpukan sampah liar di ujung gang.",
            "attribute[kelurahan]": MELONG,
        }
        accepted = await http.post("/open311/v2/requests.json", data=form)
        assert accepted.status_code == 200, accepted.text
        revoked = await http.delete(f"/v1/admin/open311-keys/{key['id']}", headers=tokens.admin())
        assert revoked.status_code == 200, revoked.text
        assert "not valid" in open311_error(
            await http.post("/open311/v2/requests.json", data=form), 403
        )
