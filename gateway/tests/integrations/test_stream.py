"""The SSE stream over real HTTP (uvicorn): resume with Last-Event-ID, scopes, heartbeats, gaps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import orjson

from cimahi_gateway.integrations import eventlog
from cimahi_shared.db import utcnow
from cimahi_shared.events.envelope import CloudEvent

StartGateway = Any
MakeEvent = Callable[..., CloudEvent]
Message = dict[str, str]


async def log(gw: Any, events: list[CloudEvent], *, now: Any = None) -> None:
    """Store events as the log's consumer does, and wake the streams."""
    async with gw.session() as session, session.begin():
        for event in events:
            agency = event.source.strip("/")
            assert await eventlog.append(session, event, agency=agency, now=now) is not None
    eventlog.new_events_signal(gw.runtime).notify()


class Reader:
    """An open SSE response, read message by message (comments kept as ``{"comment": ...}``)."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines = response.aiter_lines()

    async def next(self, within: float = 10.0) -> Message:
        return await asyncio.wait_for(self._next(), within)

    async def _next(self) -> Message:
        message: Message = {}
        async for line in self.lines:
            if line == "":
                if message:
                    return message
                continue
            if line.startswith(":"):
                return {"comment": line[1:].strip()}
            name, _, value = line.partition(":")
            message[name] = value.removeprefix(" ")
        raise AssertionError("stream ended")

    async def events(self, count: int) -> list[Message]:
        """The next ``count`` event messages (skipping retry hints and heartbeats)."""
        found: list[Message] = []
        while len(found) < count:
            message = await self.next()
            if "data" in message:
                found.append(message)
        return found


@asynccontextmanager
async def stream(gw: Any, headers: dict[str, str], query: str = "") -> AsyncIterator[Reader]:
    """Connect to the stream over real HTTP."""
    async with (
        httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client,
        client.stream("GET", f"/api/v1/events/stream{query}", headers=headers) as response,
    ):
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-accel-buffering"] == "no"
        reader = Reader(response)
        assert "retry" in await reader.next()  # the stream is open from here on
        yield reader


class TestEventStream:
    async def test_resume_gets_exactly_the_missed_events_within_scope(
        self, start_gateway: StartGateway, make_event: MakeEvent
    ) -> None:
        gw = await start_gateway(serve=True, upstreams={"epbb": "http://127.0.0.1:9"})
        bank = await gw.create_integrator(["epbb.payment.*"])
        headers = await gw.integrator_headers(bank)
        await log(gw, [make_event("epbb", "payment.received", {"n": -1})])  # before: not sent
        async with stream(gw, headers) as reader:
            first = [make_event("epbb", "payment.received", {"n": i}) for i in range(3)]
            await log(gw, [first[0], make_event("epbb", "bill.issued"), first[1], first[2]])
            got = await reader.events(2)
        assert [orjson.loads(m["data"])["id"] for m in got] == [e.id for e in first[:2]]
        assert got[0]["event"] == first[0].type
        assert CloudEvent.model_validate_json(got[1]["data"]) == first[1]
        missed = [make_event("epbb", "payment.refunded", {"n": i}) for i in range(3)]
        await log(gw, [missed[0], make_event("epbb", "bill.issued"), missed[1], missed[2]])
        async with stream(gw, {**headers, "Last-Event-ID": got[-1]["id"]}) as reader:
            resumed = await reader.events(4)
            more = [make_event("epbb", "bill.issued"), make_event("epbb", "payment.received")]
            await log(gw, more)
            resumed += await reader.events(1)
        expected = [first[2], *missed, more[1]]
        assert [orjson.loads(m["data"])["id"] for m in resumed] == [e.id for e in expected]
        ids = [int(m["id"]) for m in resumed]
        assert ids == sorted(ids)
        assert all(m["event"].startswith("id.go.cimahikota.epbb.payment.") for m in resumed)
        # Narrowed by types, resumed by the query parameter: only the refunds after the first one.
        query = f"?types=epbb.payment.refunded&last_event_id={got[-1]['id']}"
        async with stream(gw, headers, query) as reader:
            narrowed = await reader.events(3)
            await log(
                gw, [make_event("epbb", "payment.received"), make_event("epbb", "payment.refunded")]
            )
            narrowed += await reader.events(1)
        assert {m["event"] for m in narrowed} == {missed[0].type}
        assert len({m["id"] for m in narrowed}) == 4

    async def test_an_integrator_never_gets_types_outside_its_allowed_events(
        self, start_gateway: StartGateway, make_event: MakeEvent
    ) -> None:
        gw = await start_gateway(
            serve=True, upstreams={"epbb": "http://127.0.0.1:9", "sipinter": "http://127.0.0.1:9"}
        )
        narrow = await gw.create_integrator(["sipinter.permit.issued"])
        headers = await gw.integrator_headers(narrow)
        async with stream(gw, headers, "?types=epbb.>,sipinter.>") as reader:
            events = [
                make_event("epbb", "payment.received"),
                make_event("sipinter", "permit.revoked"),
                make_event("sipinter", "permit.issued"),
            ]
            await log(gw, events)
            got = await reader.events(1)
        assert [orjson.loads(m["data"])["id"] for m in got] == [events[2].id]
        bad = await gw.client.get("/api/v1/events/stream?types=epbb.,x", headers=headers)
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "types"
        bad_id = await gw.client.get(
            "/api/v1/events/stream", headers={**headers, "Last-Event-ID": "abc"}
        )
        assert bad_id.status_code == 422
        assert bad_id.json()["errors"][0]["field"] == "Last-Event-ID"

    async def test_heartbeats_when_idle(self, start_gateway: StartGateway) -> None:
        gw = await start_gateway(
            serve=True, upstreams={"epbb": "http://127.0.0.1:9"}, sse_heartbeat_seconds=0.2
        )
        headers = await gw.integrator_headers(await gw.create_integrator(["epbb.>"]))
        async with stream(gw, headers) as reader:
            assert await reader.next(within=3) == {"comment": "heartbeat"}
            assert await reader.next(within=3) == {"comment": "heartbeat"}

    async def test_a_resume_before_the_retention_window_starts_with_a_gap(
        self, start_gateway: StartGateway, make_event: MakeEvent
    ) -> None:
        gw = await start_gateway(serve=True, upstreams={"epbb": "http://127.0.0.1:9"})
        headers = await gw.integrator_headers(await gw.create_integrator(["epbb.>"]))
        old = [make_event("epbb", "payment.received", {"n": i}) for i in range(3)]
        await log(gw, old, now=utcnow() - timedelta(days=30))
        kept = make_event("epbb", "payment.received", {"n": 3})
        await log(gw, [kept])
        assert (
            await eventlog.prune(gw.runtime.session_factory, retention_days=14, now=utcnow()) == 3
        )
        async with stream(gw, headers, "?last_event_id=1") as reader:
            gap = await reader.next()
            got = await reader.events(1)
        assert gap["event"] == "gap"
        assert orjson.loads(gap["data"])["last_event_id"] == 1
        assert orjson.loads(got[0]["data"])["id"] == kept.id
        async with stream(gw, headers, f"?last_event_id={got[0]['id']}") as reader:
            await log(gw, [make_event("epbb", "payment.received")])
            assert "event" in (await reader.events(1))[0]  # no gap when resuming in the window
