"""Every error of an app built with create_service_app is an RFC 9457 problem+json document."""

from __future__ import annotations

import logging

import pytest
from fastapi import APIRouter
from pydantic import BaseModel, Field

from cimahi_shared.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ProblemError,
    TooManyRequests,
    Unauthorized,
)
from cimahi_shared.identifiers import NIK

PROBLEM = "application/problem+json"


class Applicant(BaseModel):
    nik: NIK
    name: str = Field(min_length=1)
    age: int


def make_router() -> APIRouter:
    router = APIRouter()

    @router.post("/applicants", status_code=201)
    async def create(applicant: Applicant, page: int = 1) -> dict[str, str]:
        return {"name": applicant.name}

    @router.get("/crash")
    async def crash() -> None:
        raise RuntimeError("secret internals 3277011203900001")

    @router.get("/problem/{kind}")
    async def problem(kind: str) -> None:
        errors: dict[str, ProblemError] = {
            "not-found": NotFound("No such letter."),
            "conflict": Conflict("Already exists.", errors=[{"field": "x", "message": "taken"}]),
            "forbidden": Forbidden(),
            "invalid": InvalidInput("Bad.", errors=[{"field": "area", "message": "unknown"}]),
            "unauthorized": Unauthorized(),
            "rate": TooManyRequests("Slow down.", headers={"Retry-After": "7"}, retry_after=7),
        }
        raise errors[kind]

    return router


@pytest.fixture
async def client(sqlite_url: str, running_app):  # type: ignore[no-untyped-def]
    async with running_app(sqlite_url, [make_router()]) as (_, http):
        yield http


def problem(response, status: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://api.cimahikota.go.id/problems/")
    assert body["title"]
    return body  # type: ignore[no-any-return]


class TestProblemHandlers:
    async def test_malformed_json_is_a_problem_naming_the_body(self, client) -> None:  # type: ignore[no-untyped-def]
        response = await client.post(
            "/applicants", content=b'{"nik": ', headers={"content-type": "application/json"}
        )
        body = problem(response, 422)
        assert body["errors"][0]["field"] == "body"
        assert "malformed JSON" in body["errors"][0]["message"]
        assert body["instance"] == "/applicants"

    async def test_a_missing_field_is_named(self, client) -> None:  # type: ignore[no-untyped-def]
        response = await client.post("/applicants", json={"nik": "3277011203900001", "age": 3})
        body = problem(response, 422)
        assert {e["field"] for e in body["errors"]} == {"name"}
        assert "name" in body["detail"]

    async def test_an_invalid_field_is_named_and_its_value_not_echoed(self, client) -> None:  # type: ignore[no-untyped-def]
        response = await client.post(
            "/applicants", json={"nik": "3277013102900001", "name": "Ani", "age": "old"}
        )
        body = problem(response, 422)
        assert {e["field"] for e in body["errors"]} == {"nik", "age"}
        assert "3277013102900001" not in response.text

    async def test_an_invalid_query_parameter_is_named(self, client) -> None:  # type: ignore[no-untyped-def]
        response = await client.post(
            "/applicants?page=x", json={"nik": "3277011203900001", "name": "Ani", "age": 3}
        )
        body = problem(response, 422)
        assert body["errors"] == [
            {"field": "page", "message": body["errors"][0]["message"], "in": "query"}
        ]

    async def test_an_unknown_route_is_a_404_problem(self, client) -> None:  # type: ignore[no-untyped-def]
        body = problem(await client.get("/nowhere"), 404)
        assert body["type"].endswith("/not-found")

    async def test_a_wrong_method_is_a_405_problem(self, client) -> None:  # type: ignore[no-untyped-def]
        problem(await client.delete("/applicants"), 405)

    @pytest.mark.raw_nik_expected  # the crash text holds a NIK: the 500 and the log must not
    async def test_an_unhandled_exception_is_a_500_without_internals(
        self, client, caplog: pytest.LogCaptureFixture
    ) -> None:  # type: ignore[no-untyped-def]
        with caplog.at_level(logging.ERROR, logger="cimahi.errors"):
            response = await client.get("/crash")
        body = problem(response, 500)
        assert body["type"].endswith("/internal-error")
        assert "Traceback" not in response.text
        assert "secret internals" not in response.text
        assert "RuntimeError" not in response.text
        assert response.headers["x-request-id"]
        assert any(r.exc_info for r in caplog.records), "the crash is logged with its traceback"

    @pytest.mark.parametrize(
        ("kind", "status"),
        [
            ("not-found", 404),
            ("conflict", 409),
            ("forbidden", 403),
            ("invalid", 422),
            ("unauthorized", 401),
            ("rate", 429),
        ],
    )
    async def test_a_problem_error_keeps_its_status(self, client, kind: str, status: int) -> None:  # type: ignore[no-untyped-def]
        problem(await client.get(f"/problem/{kind}"), status)

    async def test_field_errors_and_extensions_are_kept(self, client) -> None:  # type: ignore[no-untyped-def]
        body = problem(await client.get("/problem/invalid"), 422)
        assert body["errors"] == [{"field": "area", "message": "unknown"}]
        assert body["detail"] == "Bad."
        assert body["instance"] == "/problem/invalid"
        rate = await client.get("/problem/rate")
        assert rate.headers["retry-after"] == "7"
        assert rate.json()["retry_after"] == 7

    async def test_unauthorized_carries_www_authenticate(self, client) -> None:  # type: ignore[no-untyped-def]
        response = await client.get("/problem/unauthorized")
        problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
