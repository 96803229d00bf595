"""P3, the event pipeline on PostgreSQL: outbox relay and status projection throughput.

1. Relay: a LAKAMI database (its real migrations) gets a backlog of N lifecycle events in its
   outbox (COPY, then ANALYZE); the shared ``OutboxRelay`` publishes them to a fresh nats-server
   (JetStream, file storage) until the outbox is drained. events/s = N / time to drain.
2. Projection: a gateway database (its real migrations); the gateway's own status consumer
   (``cimahi_gateway.requests.projection.on_start``: durable pull consumer, idempotent batches)
   reads the N events the relay just published until all are processed. events/s likewise.

Both run in the benchmark's process (one asyncio loop, like in the services) against real
PostgreSQL and NATS; progress is watched with a count query every 0.1 s on its own connection.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from ulid import ULID

from bench.platform import pg_dsn
from bench.tools import Profiler, say
from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.requests import projection
from cimahi_shared.app import build_runtime
from cimahi_shared.db import create_engine, create_session_factory
from cimahi_shared.events.bus import EventBus, ensure_stream
from cimahi_shared.events.lifecycle import RequestLifecycleV1, UnifiedStatus, lifecycle_event
from cimahi_shared.events.outbox import OutboxRelay
from cimahi_shared.testing.postgres import throwaway_database
from cimahi_shared.testing.processes import NatsServer

SUBJECT = "cimahi.lakami.request.lifecycle.v1"
ANALYZE_EVERY = 3.0
# The projection fills its tables from empty. Without fresh statistics PostgreSQL keeps the plans
# it made for tiny tables (the processed-events check then reads every row of the consumer:
# quadratic). autovacuum refreshes them in production; where autovacuum is off (this bench
# machine's PostgreSQL), the watcher runs ANALYZE every ANALYZE_EVERY seconds instead.
PROJECTION_ANALYZE = "ANALYZE processed_events, request_status, request_timeline"
KELURAHAN = ["32.77.01.1001", "32.77.01.1002", "32.77.02.1001", "32.77.03.1001"]


def _events(n: int) -> list[tuple[str, str, bytes, datetime, int]]:
    """N lifecycle events: n/2 requests, each 'submitted' (sequence 1) then 'in_review' (2)."""
    now = datetime.now(UTC)
    template = lifecycle_event(
        source="/lakami",
        payload=RequestLifecycleV1(
            tracking_no="LKM-2611-00000000",
            agency="lakami",
            request_kind="letter.domisili",
            title="Surat Keterangan Domisili",
            owner_sub=str(ULID()),
            area=KELURAHAN[0],
            agency_status="submitted",
            status=UnifiedStatus.SUBMITTED,
            occurred_at=now,
            sequence=1,
            submitted_at=now,
            due_at=now + timedelta(days=5),
        ),
    ).model_dump(mode="json", exclude_none=True)
    rows = []
    rnd = random.Random(3)
    for i in range(n):
        request_no, seq = divmod(i, 2)
        at = now - timedelta(seconds=n - i)
        tracking_no = f"LKM-2611-{request_no:08d}"
        event = dict(template)
        data = dict(template["data"])
        data.update(
            tracking_no=tracking_no,
            owner_sub=f"01BENCH{request_no % 50_000:019d}",
            area=rnd.choice(KELURAHAN),
            sequence=seq + 1,
            status="submitted" if seq == 0 else "in_review",
            agency_status="submitted" if seq == 0 else "verified",
            occurred_at=at.isoformat(),
        )
        event.update(id=str(ULID()), subject=tracking_no, time=at.isoformat(), data=data)
        rows.append((event["id"], SUBJECT, orjson.dumps(event), at, 0))
    return rows


def _migrate(module: str, env_name: str, url: str) -> None:
    import os

    subprocess.run(
        [sys.executable, "-m", module, "migrate"],
        env={**os.environ, env_name: url},
        check=True,
        capture_output=True,
        timeout=300,
    )


async def _count(dsn: str, sql: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


async def _wait(
    dsn: str, sql: str, done: Any, limit_s: float, *, analyze: str | None = None
) -> float:
    """Seconds until ``done(count)`` holds (polling every 0.1 s), bounded by ``limit_s``.

    ``analyze``: a statement run every ANALYZE_EVERY seconds meanwhile (autovacuum's job).
    """
    conn = await asyncpg.connect(dsn)
    start = last_analyze = time.perf_counter()
    try:
        while time.perf_counter() - start < limit_s:
            if done(int(await conn.fetchval(sql))):
                return time.perf_counter() - start
            if analyze and time.perf_counter() - last_analyze >= ANALYZE_EVERY:
                await conn.execute(analyze)
                last_analyze = time.perf_counter()
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    raise TimeoutError(f"not done after {limit_s:.0f}s: {sql}")


async def _relay(lakami_url: str, nats_url: str, n: int, limit_s: float) -> dict[str, Any]:
    dsn = pg_dsn(lakami_url)
    conn = await asyncpg.connect(dsn)
    try:
        t0 = time.perf_counter()
        rows = _events(n)
        await conn.copy_records_to_table(
            "outbox",
            records=rows,
            columns=["id", "subject", "payload", "created_at", "attempts"],
        )
        await conn.execute("ANALYZE outbox")
        load_seconds = time.perf_counter() - t0
        avg_bytes = sum(len(r[2]) for r in rows) / n
    finally:
        await conn.close()
    engine = create_engine(lakami_url)
    bus = EventBus(nats_url, name="bench-relay")
    await bus.start()
    await asyncio.wait_for(bus.connected.wait(), 10)
    await ensure_stream(bus.js, "lakami")

    relay = OutboxRelay(service="bench", session_factory=create_session_factory(engine), bus=bus)
    try:
        await relay.start()
        seconds = await _wait(
            dsn, "SELECT count(*) FROM outbox WHERE published_at IS NULL", lambda c: c == 0, limit_s
        )
    finally:
        await relay.stop()
        await bus.stop()
        await engine.dispose()
    return {
        "events": n,
        "event_bytes": round(avg_bytes),
        "load_seconds": load_seconds,
        "seconds": seconds,
        "events_per_s": n / seconds,
        "batch_size": relay.batch_size,
    }


async def _autovacuum_on(dsn: str) -> bool:
    conn = await asyncpg.connect(dsn)
    try:
        return str(await conn.fetchval("SHOW autovacuum")) == "on"
    finally:
        await conn.close()


async def _projection(gateway_url: str, nats_url: str, n: int, limit_s: float) -> dict[str, Any]:
    settings = GatewaySettings(
        database_url=gateway_url,
        nats_url=nats_url,
        upstreams={"lakami": "http://127.0.0.1:9"},
        log_json=False,
    )
    runtime = build_runtime(settings, agency=None)
    await runtime.bus.start()
    await asyncio.wait_for(runtime.bus.connected.wait(), 10)
    dsn = pg_dsn(gateway_url)
    autovacuum = await _autovacuum_on(dsn)
    try:
        await projection.on_start(runtime)
        seconds = await _wait(
            dsn, "SELECT count(*) FROM processed_events", lambda c: c >= n, limit_s,
            analyze=None if autovacuum else PROJECTION_ANALYZE,
        )  # fmt: skip
    finally:
        await projection.on_stop(runtime)
        await runtime.bus.stop()
        await runtime.http.aclose()
        await runtime.engine.dispose()
    rows = await _count(dsn, "SELECT count(*) FROM request_status")
    timeline = await _count(dsn, "SELECT count(*) FROM request_timeline")
    return {
        "events": n,
        "seconds": seconds,
        "events_per_s": n / seconds,
        "batch_size": settings.status_consumer_batch,
        "autovacuum": autovacuum,
        "analyze_every_s": None if autovacuum else ANALYZE_EVERY,
        "request_rows": rows,
        "timeline_rows": timeline,
    }


def run(
    work_dir: Path, *, quick: bool, profile_dir: Path | None = None, stem: str = ""
) -> dict[str, Any]:
    n = 20_000 if quick else 100_000
    timeout = 240.0
    out: dict[str, Any] = {"events": n}
    with ExitStack() as stack:
        lakami_url = stack.enter_context(throwaway_database("cimahi_bench_p3_lakami"))
        gateway_url = stack.enter_context(throwaway_database("cimahi_bench_p3_gateway"))
        _migrate("cimahi_lakami", "LAKAMI_DATABASE_URL", lakami_url)
        _migrate("cimahi_gateway", "GATEWAY_DATABASE_URL", gateway_url)
        log = stack.enter_context((work_dir / "p3-nats.log").open("wb"))
        server = NatsServer(work_dir / "p3-nats", log=log).start()
        stack.callback(server.stop)
        say(f"P3: relaying {n:,} outbox events to NATS")
        with Profiler(profile_dir, f"{stem}-p3-relay-profile.txt") as prof:
            out["relay"] = asyncio.run(_relay(lakami_url, server.url, n, timeout))
        out["relay"]["profile"] = prof.summary
        say(f"  relay {out['relay']['events_per_s']:,.0f} events/s")
        say(f"P3: projecting {n:,} lifecycle events into the gateway's status tables")
        with Profiler(profile_dir, f"{stem}-p3-projection-profile.txt") as prof:
            out["projection"] = asyncio.run(_projection(gateway_url, server.url, n, timeout))
        out["projection"]["profile"] = prof.summary
        say(f"  projection {out['projection']['events_per_s']:,.0f} events/s")
    return out
