"""Request id, body size limit, health and metrics of an app built with create_service_app."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from fastapi import APIRouter, Request

from cimahi_shared.testing.processes import free_port

LIMIT = 1000


def make_router() -> APIRouter:
    router = APIRouter()

    @router.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    @router.post("/json")
    async def json_body(payload: dict[str, str]) -> dict[str, int]:
        return {"keys": len(payload)}

    @router.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    return router


@pytest.fixture
async def client(sqlite_url: str, running_app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    async with running_app(sqlite_url, [make_router()], max_body_bytes=LIMIT) as (_, http):
        yield http


async def chunks(total: int, size: int = 100) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        sent += n
        yield b"x" * n


def assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 413
    assert body["type"].endswith("/payload-too-large")


class TestBodySizeLimit:
    async def test_a_declared_oversized_body_is_a_413_problem(
        self, client: httpx.AsyncClient
    ) -> None:
        assert_too_large(await client.post("/echo", content=b"x" * (LIMIT + 1)))

    async def test_an_oversized_chunked_body_is_a_413_problem(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post("/echo", content=chunks(LIMIT * 3))
        assert_too_large(response)

    async def test_an_oversized_chunked_json_body_is_a_413_not_a_400(
        self, client: httpx.AsyncClient
    ) -> None:
        async def json_chunks() -> AsyncIterator[bytes]:
            yield b'{"a": "'
            async for chunk in chunks(LIMIT * 2):
                yield chunk
            yield b'"}'

        response = await client.post(
            "/json", content=json_chunks(), headers={"content-type": "application/json"}
        )
        assert_too_large(response)

    async def test_a_body_at_the_limit_reaches_the_app_whole(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post("/echo", content=chunks(LIMIT, size=7))
        assert response.status_code == 200
        assert response.json() == {"received": LIMIT}

    async def test_an_oversized_chunked_body_over_real_http_is_a_413(
        self,
        sqlite_url: str,
        running_app,  # type: ignore[no-untyped-def]
    ) -> None:
        async with running_app(sqlite_url, [make_router()], max_body_bytes=LIMIT) as (app, _):
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
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                    response = await http.post("/echo", content=chunks(LIMIT * 5))
                    assert response.request.headers.get("transfer-encoding") == "chunked"
                    assert_too_large(response)
                    small = await http.post("/echo", content=chunks(10))
                    assert small.json() == {"received": 10}
            finally:
                server.should_exit = True
                await task


class TestRequestContext:
    async def test_a_request_id_is_generated(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/items/1")
        assert len(response.headers["x-request-id"]) == 26  # a ULID

    async def test_a_valid_incoming_request_id_is_propagated(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/items/1", headers={"X-Request-ID": "abc-123.x:y"})
        assert response.headers["x-request-id"] == "abc-123.x:y"

    async def test_an_unsafe_incoming_request_id_is_replaced(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/items/1", headers={"X-Request-ID": "bad id\twith spaces"})
        assert response.headers["x-request-id"] != "bad id\twith spaces"
        assert len(response.headers["x-request-id"]) == 26

    async def test_problem_responses_carry_the_request_id(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/echo", content=b"x" * (LIMIT + 1), headers={"X-Request-ID": "r1"}
        )
        assert response.headers["x-request-id"] == "r1"

    async def test_metrics_are_labelled_by_route_template(self, client: httpx.AsyncClient) -> None:
        await client.get("/items/41")
        await client.get("/items/42")
        await client.get("/unknown/path")
        metrics = (await client.get("/metrics")).text
        assert 'route="/items/{item_id}"' in metrics
        assert 'route="/items/41"' not in metrics
        assert 'route="unmatched"' in metrics


class TestHealth:
    async def test_healthz_and_readyz_answer(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ok", "checks": {"database": "ok"}}

    async def test_readyz_is_503_when_nats_is_down(self, sqlite_url: str, running_app) -> None:  # type: ignore[no-untyped-def]
        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            dead = f"nats://127.0.0.1:{s.getsockname()[1]}"
        async with running_app(sqlite_url, [], nats_enabled=True, nats_url=dead) as (_, http):
            ready = await http.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["checks"] == {"database": "ok", "nats": "failing: ConnectionError"}
