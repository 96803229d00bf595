"""P3, the event pipeline on PostgreSQL: outbox relay and status projection throughput.

1. Relay: a LAKAMI database (its real migrations) gets a backlog of N lifecycle events in its
   outbox (COPY); the shared ``OutboxRelay`` publishes them to a fresh nats-server (JetStream,
   file storage) until the outbox is drained. events/s = N / time to drain.
2. Projection: a gateway database (its real migrations); the gateway's own status consumer
   (``cimahi_gateway.requests.projection.on_start``: durable pull consumer, idempotent batches)
   reads the N events the relay just published until all are processed. events/s likewise.

Each stage runs twice, on fresh databases: ``relay`` / ``projection`` with no planner statistics
at all (autovacuum off for their tables, no ANALYZE: what a new table, or one autovacuum has not
caught up with, looks like; the target's figure), and ``relay_analyze`` (ANALYZE after the COPY)
/ ``projection_analyze`` (an ANALYZE of its tables every ANALYZE_EVERY seconds: a well-kept
autovacuum). Each relay run starts from an empty stream; both projection runs read the second
relay run's events from the first message with a new durable consumer.

Both run in the benchmark's process (one asyncio loop, like in the services) against real
PostgreSQL and NATS. Completion is watched every 0.1 s on its own connection with a primary-key
probe of the last event (cheap, so the watcher does not compete for the 2 cores), then confirmed
with a full count. Each stage also reports the CPU seconds it cost per 10,000 events: this
process, the nats-server and the database's PostgreSQL backends (the watcher's excluded), which
stays comparable when other load shares the machine, unlike events/s.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
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
from nats.js.errors import NotFoundError
from ulid import ULID

from bench.platform import pg_dsn
from bench.tools import Profiler, cpu_seconds, say
from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.requests import projection
from cimahi_shared.app import build_runtime
from cimahi_shared.db import create_engine, create_session_factory
from cimahi_shared.events.bus import EventBus, ensure_stream
from cimahi_shared.events.envelope import stream_name
from cimahi_shared.events.lifecycle import RequestLifecycleV1, UnifiedStatus, lifecycle_event
from cimahi_shared.events.outbox import OutboxRelay
from cimahi_shared.testing.postgres import throwaway_database
from cimahi_shared.testing.processes import NatsServer

SUBJECT = "cimahi.lakami.request.lifecycle.v1"
ANALYZE_EVERY = 3.0
# The projection fills its tables from empty. Its statements must not depend on statistics (they
# are missing on a new table and stale on a fast-growing one), so it is measured both without any
# (autovacuum off for these tables) and with an ANALYZE every ANALYZE_EVERY seconds.
PROJECTION_TABLES = ("processed_events", "request_status", "request_timeline")
PROJECTION_ANALYZE = "ANALYZE " + ", ".join(PROJECTION_TABLES)
STATUS_CONSUMER = "gateway-status-lakami"
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
    subprocess.run(
        [sys.executable, "-m", module, "migrate"],
        env={**os.environ, env_name: url},
        check=True,
        capture_output=True,
        timeout=300,
    )


async def _count(dsn: str, sql: str, *args: Any) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval(sql, *args))
    finally:
        await conn.close()


class _Cpu:
    """CPU seconds of this process, the nats-server and the database's backends over a stage."""

    def __init__(self, conn: asyncpg.Connection, nats_pid: int | None) -> None:
        self.conn = conn
        self.nats_pid = nats_pid
        self._pg_start: dict[int, float] = {}
        self._self_start = self._nats_start = 0.0

    async def _backends(self) -> dict[int, float]:
        pids = await self.conn.fetch(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {int(r["pid"]): cpu_seconds([int(r["pid"])]) for r in pids}

    async def begin(self) -> None:
        self._pg_start = await self._backends()
        self._self_start = time.process_time()
        self._nats_start = cpu_seconds([self.nats_pid]) if self.nats_pid else 0.0

    async def end(self, events: int) -> dict[str, float]:
        backends = await self._backends()
        pg = sum(cpu - self._pg_start.get(pid, 0.0) for pid, cpu in backends.items())
        own = time.process_time() - self._self_start
        nats = (cpu_seconds([self.nats_pid]) - self._nats_start) if self.nats_pid else 0.0
        per = 10_000 / events
        return {
            "python_s_per_10k": own * per,
            "postgres_s_per_10k": pg * per,
            "nats_s_per_10k": nats * per,
            "total_s_per_10k": (own + pg + nats) * per,
        }


async def _wait(
    conn: asyncpg.Connection,
    probe: tuple[str, tuple[Any, ...]],
    check: tuple[str, Any],
    limit_s: float,
    *,
    analyze: str | None = None,
) -> float:
    """Seconds until ``probe`` returns true and then ``check``'s count satisfies its predicate.

    The probe (a primary-key lookup of the last event) runs every 0.1 s; the full count only once
    the probe says done (and again each 0.1 s should it still be short). Bounded by ``limit_s``.
    ``analyze``: a statement run every ANALYZE_EVERY seconds meanwhile (autovacuum's job).
    """
    probe_sql, probe_args = probe
    check_sql, done = check
    start = last_analyze = time.perf_counter()
    while time.perf_counter() - start < limit_s:
        if await conn.fetchval(probe_sql, *probe_args) and done(
            int(await conn.fetchval(check_sql))
        ):
            return time.perf_counter() - start
        if analyze and time.perf_counter() - last_analyze >= ANALYZE_EVERY:
            await conn.execute(analyze)
            last_analyze = time.perf_counter()
        await asyncio.sleep(0.1)
    raise TimeoutError(f"not done after {limit_s:.0f}s: {check_sql}")


async def _relay(
    lakami_url: str,
    nats_url: str,
    nats_pid: int | None,
    rows: list[Any],
    limit_s: float,
    *,
    analyze: bool,
) -> dict[str, Any]:
    n = len(rows)
    dsn = pg_dsn(lakami_url)
    conn = await asyncpg.connect(dsn)
    try:
        t0 = time.perf_counter()
        if not analyze:
            await conn.execute("ALTER TABLE outbox SET (autovacuum_enabled = off)")
        await conn.copy_records_to_table(
            "outbox",
            records=rows,
            columns=["id", "subject", "payload", "created_at", "attempts"],
        )
        if analyze:
            await conn.execute("ANALYZE outbox")
        load_seconds = time.perf_counter() - t0
        avg_bytes = sum(len(r[2]) for r in rows) / n
        engine = create_engine(lakami_url)
        bus = EventBus(nats_url, name="bench-relay")
        await bus.start()
        await asyncio.wait_for(bus.connected.wait(), 10)
        await ensure_stream(bus.js, "lakami")
        # Each run starts from an empty stream (the projection then reads the last run's events).
        await bus.js.purge_stream(stream_name("lakami"))
        relay = OutboxRelay(
            service="bench", session_factory=create_session_factory(engine), bus=bus
        )
        cpu = _Cpu(conn, nats_pid)
        try:
            await cpu.begin()
            await relay.start()
            seconds = await _wait(
                conn,
                ("SELECT published_at IS NOT NULL FROM outbox WHERE id = $1", (rows[-1][0],)),
                ("SELECT count(*) FROM outbox WHERE published_at IS NULL", lambda c: c == 0),
                limit_s,
            )
            cpu_use = await cpu.end(n)
        finally:
            await relay.stop()
            await bus.stop()
            await engine.dispose()
    finally:
        await conn.close()
    return {
        "events": n,
        "event_bytes": round(avg_bytes),
        "load_seconds": load_seconds,
        "seconds": seconds,
        "events_per_s": n / seconds,
        "batch_size": relay.batch_size,
        "statistics": "ANALYZE after the COPY" if analyze else "none",
        "cpu": cpu_use,
    }


async def _projection(
    gateway_url: str,
    nats_url: str,
    nats_pid: int | None,
    last_event_id: str,
    n: int,
    limit_s: float,
    *,
    analyze: bool,
) -> dict[str, Any]:
    settings = GatewaySettings(
        database_url=gateway_url,
        nats_url=nats_url,
        upstreams={"lakami": "http://127.0.0.1:9"},
        log_json=False,
    )
    runtime = build_runtime(settings, agency=None)
    await runtime.bus.start()
    await asyncio.wait_for(runtime.bus.connected.wait(), 10)
    # Each run reads the stream from its first message: a fresh durable consumer.
    with contextlib.suppress(NotFoundError):
        await runtime.bus.js.delete_consumer(stream_name("lakami"), STATUS_CONSUMER)
    conn = await asyncpg.connect(pg_dsn(gateway_url))
    if not analyze:
        for table in PROJECTION_TABLES:
            await conn.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = off)")
    cpu = _Cpu(conn, nats_pid)
    try:
        await cpu.begin()
        await projection.on_start(runtime)
        seconds = await _wait(
            conn,
            (
                "SELECT EXISTS (SELECT 1 FROM processed_events"
                " WHERE consumer = $1 AND event_id = $2)",
                (STATUS_CONSUMER, last_event_id),
            ),
            ("SELECT count(*) FROM processed_events", lambda c: c >= n),
            limit_s,
            analyze=PROJECTION_ANALYZE if analyze else None,
        )
        cpu_use = await cpu.end(n)
        stats = await conn.fetchval(
            "SELECT count(*) FROM pg_stats WHERE tablename = 'processed_events'"
        )
    finally:
        await projection.on_stop(runtime)
        await runtime.bus.stop()
        await runtime.http.aclose()
        await runtime.engine.dispose()
        await conn.close()
    dsn = pg_dsn(gateway_url)
    rows = await _count(dsn, "SELECT count(*) FROM request_status")
    timeline = await _count(dsn, "SELECT count(*) FROM request_timeline")
    return {
        "events": n,
        "seconds": seconds,
        "events_per_s": n / seconds,
        "batch_size": settings.status_consumer_batch,
        "statistics": f"ANALYZE every {ANALYZE_EVERY:g} s" if analyze else "none",
        "analyze_every_s": ANALYZE_EVERY if analyze else None,
        "had_statistics_at_end": bool(stats),
        "request_rows": rows,
        "timeline_rows": timeline,
        "cpu": cpu_use,
    }


def _cpu_text(result: dict[str, Any]) -> str:
    c = result["cpu"]
    return (
        f"CPU per 10k events {c['total_s_per_10k']:.2f} s (python {c['python_s_per_10k']:.2f},"
        f" postgres {c['postgres_s_per_10k']:.2f}, nats {c['nats_s_per_10k']:.2f})"
    )


def run(
    work_dir: Path, *, quick: bool, profile_dir: Path | None = None, stem: str = ""
) -> dict[str, Any]:
    n = 20_000 if quick else 100_000
    timeout = 240.0
    out: dict[str, Any] = {"events": n, "load_before": os.getloadavg()}
    with ExitStack() as stack:
        urls = {}
        for key, module, env_name in (
            ("relay", "cimahi_lakami", "LAKAMI_DATABASE_URL"),
            ("relay_analyze", "cimahi_lakami", "LAKAMI_DATABASE_URL"),
            ("projection", "cimahi_gateway", "GATEWAY_DATABASE_URL"),
            ("projection_analyze", "cimahi_gateway", "GATEWAY_DATABASE_URL"),
        ):
            urls[key] = stack.enter_context(throwaway_database(f"cimahi_bench_p3_{key}"))
            _migrate(module, env_name, urls[key])
        log = stack.enter_context((work_dir / "p3-nats.log").open("wb"))
        server = NatsServer(work_dir / "p3-nats", log=log).start()
        stack.callback(server.stop)
        nats_pid = server.proc.pid if server.proc is not None else None
        rows: list[Any] = []
        # Without statistics first (the targets' figure), then with; each stage on fresh tables.
        for key, analyze in (("relay", False), ("relay_analyze", True)):
            rows = _events(n)
            what = "ANALYZE after the COPY" if analyze else "no statistics"
            say(f"P3: relaying {n:,} outbox events to NATS ({what})")
            with Profiler(profile_dir, f"{stem}-p3-{key.replace('_', '-')}-profile.txt") as prof:
                out[key] = asyncio.run(
                    _relay(urls[key], server.url, nats_pid, rows, timeout, analyze=analyze)
                )
            out[key]["profile"] = prof.summary
            say(f"  relay {out[key]['events_per_s']:,.0f} events/s; {_cpu_text(out[key])}")
        last_id = rows[-1][0]  # the stream holds the last relay run's events
        for key, analyze in (("projection", False), ("projection_analyze", True)):
            what = f"ANALYZE every {ANALYZE_EVERY:g} s" if analyze else "no statistics"
            say(f"P3: projecting {n:,} lifecycle events into the gateway's status tables ({what})")
            with Profiler(profile_dir, f"{stem}-p3-{key.replace('_', '-')}-profile.txt") as prof:
                out[key] = asyncio.run(
                    _projection(
                        urls[key], server.url, nats_pid, last_id, n, timeout, analyze=analyze
                    )
                )
            out[key]["profile"] = prof.summary
            say(f"  projection {out[key]['events_per_s']:,.0f} events/s; {_cpu_text(out[key])}")
    out["load_after"] = os.getloadavg()
    return out
