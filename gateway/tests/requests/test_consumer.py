"""The projection fed by a real nats-server: one durable consumer per agency, started by on_start."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable
from typing import Any

import nats
from nats.js.client import JetStreamContext
from sqlalchemy import func, select

from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.requests import projection
from cimahi_gateway.requests.models import TimelineEntry, TrackedRequest
from cimahi_shared.app import Runtime, build_runtime
from cimahi_shared.events.bus import ensure_stream
from cimahi_shared.events.envelope import CloudEvent, stream_name
from cimahi_shared.testing.processes import NatsServer

MakeEvent = Callable[..., CloudEvent]


async def publish(
    js: JetStreamContext, agency: str, event: CloudEvent, *, subject: str | None = None
) -> bool:
    """Publish as an outbox relay does; returns whether JetStream saw it as a duplicate."""
    ack = await js.publish(
        subject or f"cimahi.{agency}.request.lifecycle.v1",
        event.to_json(),
        headers={"Nats-Msg-Id": event.id},
    )
    return bool(ack.duplicate)


async def wait_for(
    runtime: Runtime, condition: Callable[[dict[str, int]], bool], within: float = 20.0
) -> dict[str, int]:
    """Poll the projection until ``condition(last_sequence by tracking_no)`` holds."""
    deadline = asyncio.get_running_loop().time() + within
    state: dict[str, int] = {}
    while asyncio.get_running_loop().time() < deadline:
        async with runtime.session_factory() as session:
            rows = await session.execute(
                select(TrackedRequest.tracking_no, TrackedRequest.last_sequence)
            )
            state = {row.tracking_no: row.last_sequence for row in rows}
        if condition(state):
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"projection did not converge; state: {state}")


class TestStatusConsumers:
    async def test_on_start_does_nothing_without_nats(self, database_url: str) -> None:
        runtime = build_runtime(
            GatewaySettings(database_url=database_url, nats_enabled=False), agency=None
        )
        await projection.on_start(runtime)
        assert projection.CONSUMERS_KEY not in runtime.extras
        await projection.on_stop(runtime)
        await runtime.http.aclose()
        await runtime.engine.dispose()

    async def test_published_lifecycle_events_fill_the_projection_per_agency(
        self,
        database_url: str,
        nats_server: NatsServer,
        make_event: MakeEvent,
        create_tables: Callable[..., Any],
    ) -> None:
        suffix = uuid.uuid4().hex[:6]
        agencies = [f"la{suffix}", f"pb{suffix}"]
        settings = GatewaySettings(
            database_url=database_url,
            nats_url=nats_server.url,
            nats_enabled=True,
            upstreams=dict.fromkeys(agencies, "http://127.0.0.1:9"),
            status_consumer_batch=16,
        )
        runtime = build_runtime(settings, agency=None)
        await create_tables(runtime.engine)
        nc = await nats.connect(nats_server.url)
        js = nc.jetstream()
        await runtime.bus.start()
        try:
            await projection.on_start(runtime)
            assert [c.name for c in runtime.extras[projection.CONSUMERS_KEY]] == [
                f"gateway-status-{a}" for a in sorted(agencies)
            ]
            for agency in agencies:
                await ensure_stream(js, agency)

            # 15 requests per agency, three steps each, published shuffled, some twice.
            steps = ["submitted", "in_review", "completed"]
            events = [
                (
                    agency,
                    make_event(f"{agency.upper()}-{i:03d}", seq, steps[seq - 1], agency=agency),
                )
                for agency in agencies
                for i in range(15)
                for seq in (1, 2, 3)
            ]
            random.Random(7).shuffle(events)
            for agency, event in events:
                assert not await publish(js, agency, event)
            for agency, event in events[:10]:
                assert await publish(js, agency, event), "JetStream should drop a repeat Msg-Id"
            # Not lifecycle, or on the wrong agency's stream: never projected.
            a, b = agencies
            stray = make_event(f"{b.upper()}-STRAY", 1, agency=b)
            await publish(js, a, stray)
            await publish(
                js,
                a,
                make_event(f"{a.upper()}-OTHER", 1, agency=a),
                subject=f"cimahi.{a}.letter_request.submitted.v1",
            )

            state = await wait_for(runtime, lambda s: len(s) == 30 and set(s.values()) == {3})
            assert set(state) == {f"{ag.upper()}-{i:03d}" for ag in agencies for i in range(15)}
            async with runtime.session_factory() as session:
                entries = await session.scalar(select(func.count()).select_from(TimelineEntry))
                statuses = set((await session.scalars(select(TrackedRequest.status))).all())
            assert entries == 90
            assert statuses == {"completed"}

            # The consumers are durable: events published while the gateway is down are applied
            # when it comes back, and nothing already acknowledged is applied twice.
            await projection.on_stop(runtime)
            assert projection.CONSUMERS_KEY not in runtime.extras
            later = make_event(f"{a.upper()}-000", 4, "cancelled", agency=a, note="dibatalkan")
            await publish(js, a, later)
            await projection.on_start(runtime)
            await wait_for(runtime, lambda s: s.get(f"{a.upper()}-000") == 4)
            for agency in agencies:
                info = await js.consumer_info(stream_name(agency), f"gateway-status-{agency}")
                deadline = asyncio.get_running_loop().time() + 10
                while (
                    info.num_ack_pending or info.num_pending
                ) and asyncio.get_running_loop().time() < deadline:
                    await asyncio.sleep(0.05)
                    info = await js.consumer_info(stream_name(agency), f"gateway-status-{agency}")
                assert (info.num_pending, info.num_ack_pending) == (0, 0)
        finally:
            await projection.on_stop(runtime)
            await runtime.bus.stop()
            await nc.close()
            await runtime.http.aclose()
            await runtime.engine.dispose()
