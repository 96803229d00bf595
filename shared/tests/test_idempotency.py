"""Idempotency-Key on POST: replay with one side effect, 422 on reuse, 409 in flight, per caller."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import Column, String, Table, func, insert, select
from ulid import ULID

from cimahi_shared.app import SessionDep
from cimahi_shared.auth import CurrentPrincipal
from cimahi_shared.db import create_engine, new_metadata
from cimahi_shared.events.tables import idempotency_keys
from cimahi_shared.testing.tokens import ISSUER, Signer

metadata = new_metadata()
things = Table(
    "things",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("owner", String(100), nullable=False),
)


class Gate:
    """Lets a test hold a request inside its handler."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()
        self.fail_next = 0


def make_router(gate: Gate) -> APIRouter:
    router = APIRouter()

    @router.post("/things", status_code=201)
    async def create(body: dict[str, Any], session: SessionDep) -> Any:
        # Held before writing: on SQLite an open write transaction would block every writer.
        gate.entered.set()
        await gate.release.wait()
        thing_id = str(ULID())
        await session.execute(
            insert(things).values(id=thing_id, name=str(body.get("name")), owner="anon")
        )
        if gate.fail_next:
            gate.fail_next -= 1
            return JSONResponse({"error": "upstream down"}, status_code=503)
        return {"id": thing_id, "name": body.get("name")}

    @router.post("/mine", status_code=201)
    async def create_mine(body: dict[str, Any], session: SessionDep, who: CurrentPrincipal) -> Any:
        thing_id = str(ULID())
        await session.execute(
            insert(things).values(id=thing_id, name=str(body.get("name")), owner=who.sub)
        )
        return {"id": thing_id}

    return router


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
async def app_client(
    database_url: str,
    running_app,
    gate: Gate,  # type: ignore[no-untyped-def]
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await engine.dispose()
    async with running_app(database_url, [make_router(gate)]) as (app, http):
        yield app, http


async def count_things(app: FastAPI) -> int:
    async with app.state.runtime.session_factory() as session:
        return int((await session.execute(select(func.count()).select_from(things))).scalar_one())


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


class TestIdempotencyMiddleware:
    async def test_a_retry_replays_the_response_with_one_side_effect(
        self, app_client: tuple[FastAPI, httpx.AsyncClient]
    ) -> None:
        app, http = app_client
        first = await http.post("/things", json={"name": "a"}, headers=key("k-1"))
        second = await http.post("/things", json={"name": "a"}, headers=key("k-1"))
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert second.headers["idempotent-replayed"] == "true"
        assert second.headers["content-type"] == "application/json"
        assert int(second.headers["content-length"]) == len(second.content)
        assert "idempotent-replayed" not in first.headers
        assert await count_things(app) == 1

    async def test_the_answer_leaves_only_once_it_is_stored(
        self, app_client: tuple[FastAPI, httpx.AsyncClient]
    ) -> None:
        # A real server sends each message at once: a client retrying the moment it has the
        # first answer must find the key done (replay), not in flight (409).
        app, _ = app_client
        states: list[str] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b'{"name": "a"}', "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                async with app.state.runtime.session_factory() as session:
                    query = select(idempotency_keys.c.state).where(idempotency_keys.c.key == "k-s")
                    states.append(str((await session.execute(query)).scalar_one()))

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/things",
            "raw_path": b"/things",
            "root_path": "",
            "query_string": b"",
            "headers": [(b"content-type", b"application/json"), (b"idempotency-key", b"k-s")],
            "client": ("127.0.0.1", 5000),
            "server": ("test", 80),
            "state": {},
        }
        await app(scope, receive, send)
        assert states == ["done"]

    async def test_without_a_key_every_post_runs(
        self, app_client: tuple[FastAPI, httpx.AsyncClient]
    ) -> None:
        app, http = app_client
        await http.post("/things", json={"name": "a"})
        await http.post("/things", json={"name": "a"})
        assert await count_things(app) == 2

    async def test_the_same_key_with_another_body_is_422(
        self, app_client: tuple[FastAPI, httpx.AsyncClient]
    ) -> None:
        app, http = app_client
        await http.post("/things", json={"name": "a"}, headers=key("k-2"))
        reused = await http.post("/things", json={"name": "b"}, headers=key("k-2"))
        assert reused.status_code == 422
        assert reused.headers["content-type"] == "application/problem+json"
        assert reused.json()["type"].endswith("/idempotency-key-reused")
        assert await count_things(app) == 1

    async def test_a_retry_while_the_first_is_in_flight_is_409(
        self, app_client: tuple[FastAPI, httpx.AsyncClient], gate: Gate
    ) -> None:
        app, http = app_client
        gate.release.clear()
        first = asyncio.create_task(http.post("/things", json={"name": "a"}, headers=key("k-3")))
        await asyncio.wait_for(gate.entered.wait(), 10)
        second = await http.post("/things", json={"name": "a"}, headers=key("k-3"))
        assert second.status_code == 409
        assert second.json()["type"].endswith("/idempotency-in-flight")
        gate.release.set()
        assert (await first).status_code == 201
        third = await http.post("/things", json={"name": "a"}, headers=key("k-3"))
        assert third.json() == (await first).json()
        assert await count_things(app) == 1

    async def test_concurrent_first_attempts_run_once(
        self, app_client: tuple[FastAPI, httpx.AsyncClient]
    ) -> None:
        app, http = app_client
        responses = await asyncio.gather(
            *(http.post("/things", json={"name": "a"}, headers=key("k-race")) for _ in range(5))
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses.count(201) >= 1
        assert set(statuses) <= {201, 409}
        assert await count_things(app) == 1

    async def test_a_5xx_response_is_not_stored(
        self, app_client: tuple[FastAPI, httpx.AsyncClient], gate: Gate
    ) -> None:
        app, http = app_client
        gate.fail_next = 1
        failed = await http.post("/things", json={"name": "a"}, headers=key("k-4"))
        assert failed.status_code == 503
        retried = await http.post("/things", json={"name": "a"}, headers=key("k-4"))
        assert retried.status_code == 201
        assert "idempotent-replayed" not in retried.headers
        replay = await http.post("/things", json={"name": "a"}, headers=key("k-4"))
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.json() == retried.json()
        assert await count_things(app) == 2, (
            "the failed attempt and its retry ran; the replay did not"
        )

    async def test_keys_are_scoped_per_caller(
        self, app_client: tuple[FastAPI, httpx.AsyncClient]
    ) -> None:
        app, http = app_client
        signer = Signer("EdDSA", "k")
        app.state.token_verifier.set_local_keys(ISSUER, signer.jwks())
        alice = {"Authorization": "Bearer " + signer.token(sub="alice"), **key("same")}
        bob = {"Authorization": "Bearer " + signer.token(sub="bob"), **key("same")}
        a1 = await http.post("/mine", json={"name": "x"}, headers=alice)
        b1 = await http.post("/mine", json={"name": "x"}, headers=bob)
        a2 = await http.post("/mine", json={"name": "x"}, headers=alice)
        assert a1.status_code == b1.status_code == a2.status_code == 201
        assert a1.json() != b1.json()
        assert a2.json() == a1.json()
        assert await count_things(app) == 2

    async def test_an_invalid_token_gets_the_app_s_401_and_stores_nothing(
        self, app_client: tuple[FastAPI, httpx.AsyncClient]
    ) -> None:
        app, http = app_client
        signer = Signer("EdDSA", "k")
        app.state.token_verifier.set_local_keys(ISSUER, signer.jwks())
        headers = {"Authorization": "Bearer " + signer.token(aud="other"), **key("k-5")}
        response = await http.post("/mine", json={"name": "x"}, headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert await count_things(app) == 0

    async def test_an_overlong_key_is_400(
        self, app_client: tuple[FastAPI, httpx.AsyncClient]
    ) -> None:
        _, http = app_client
        response = await http.post("/things", json={"name": "a"}, headers=key("x" * 256))
        assert response.status_code == 400
        assert response.json()["type"].endswith("/bad-idempotency-key")

    async def test_a_different_query_string_is_another_request(
        self, app_client: tuple[FastAPI, httpx.AsyncClient]
    ) -> None:
        _, http = app_client
        await http.post("/things?dry=1", json={"name": "a"}, headers=key("k-6"))
        other = await http.post("/things?dry=0", json={"name": "a"}, headers=key("k-6"))
        assert other.status_code == 422
