"""P2, status propagation: from a letter request's commit in LAKAMI to its status in the unified API.

An open-loop sender submits letter requests through the gateway at a steady rate (target 300/s;
the achieved rate is reported). "Visible" is observed two ways:

* API (the target's measure, on a sample): for every ``sample``-th submission a poller asks
  ``GET /api/v1/requests/{tracking_no}`` every ``poll_ms`` until it answers 200. Latency = first
  200 received - the 201 of the submission received. The 201 leaves LAKAMI after its commit, so
  the start is at or after the commit (under-states by the response's trip back through the
  gateway, ~1 ms); the poll interval over-states by up to ``poll_ms`` plus one request.
* DB (every submission, and where the time goes): LAKAMI's outbox row ``created_at`` (written
  inside the request's transaction, just before its commit), its ``published_at`` (relay got the
  PubAck), and the gateway's ``processed_events.processed_at`` (inside the projection's
  transaction, just before its commit). Same host clock for all.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from typing import Any

import aiohttp
import asyncpg
import httpx

from bench import platform as plat
from bench.loadgen import percentile
from bench.tools import say

LIFECYCLE_SUBJECT = "cimahi.lakami.request.lifecycle.v1"
CONSUMER = "gateway-status-lakami"


def _stats(values_ms: list[float]) -> dict[str, Any]:
    v = sorted(values_ms)
    return {
        "n": len(v),
        "p50_ms": percentile(v, 50),
        "p95_ms": percentile(v, 95),
        "p99_ms": percentile(v, 99),
        "max_ms": v[-1] if v else None,
    }


async def _drive(
    p: plat.Platform,
    citizens: list[tuple[dict[str, str], str]],
    *,
    rate: float,
    seconds: float,
    sample: int,
    poll_ms: float,
    max_in_flight: int,
) -> dict[str, Any]:
    total = int(rate * seconds)
    bodies = [json.dumps(plat.letter_body(c, purpose="Benchmark P2")).encode() for c, _ in citizens]
    heads = [
        {"Authorization": f"Bearer {t}", "Content-Type": "application/json"} for _, t in citizens
    ]
    submitted: list[dict[str, Any]] = []
    api_latency_ms: list[float] = []
    failures = {"submit": 0, "poll_timeout": 0}
    in_flight = asyncio.Semaphore(max_in_flight)
    url = p.gateway_url
    connector = aiohttp.TCPConnector(limit=max_in_flight + 64)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def poll(tracking_no: str, head: dict[str, str], since: float) -> None:
            deadline = since + 10.0
            while time.time() < deadline:
                async with session.get(f"{url}/api/v1/requests/{tracking_no}", headers=head) as r:
                    await r.read()
                    if r.status == 200:
                        api_latency_ms.append((time.time() - since) * 1000)
                        return
                await asyncio.sleep(poll_ms / 1000)
            failures["poll_timeout"] += 1

        async def submit(i: int) -> None:
            k = i % len(citizens)
            try:
                sent = time.time()
                async with session.post(
                    f"{url}/api/lakami/v1/letter-requests", data=bodies[k], headers=heads[k]
                ) as r:
                    data = await r.read()
                    received = time.time()
                    if r.status != 201:
                        failures["submit"] += 1
                        return
                tracking_no = json.loads(data)["tracking_no"]
                submitted.append({"tracking_no": tracking_no, "sent": sent, "received": received})
                if i % sample == 0:
                    await poll(tracking_no, {"Authorization": heads[k]["Authorization"]}, received)
            except (aiohttp.ClientError, TimeoutError):
                failures["submit"] += 1
            finally:
                in_flight.release()

        tasks = []
        start = time.perf_counter()
        for i in range(total):
            target = start + i / rate
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await in_flight.acquire()  # at the cap the sender falls behind: the rate drops
            tasks.append(asyncio.create_task(submit(i)))
        send_seconds = time.perf_counter() - start
        await asyncio.gather(*tasks)
    return {
        "target_rate": rate,
        "attempted": total,
        "accepted": len(submitted),
        "send_seconds": send_seconds,
        "achieved_rate": len(submitted) / send_seconds if send_seconds else 0.0,
        "failures": failures,
        "submitted": submitted,
        "api_latency_ms": api_latency_ms,
    }


async def _db_latencies(p: plat.Platform, since: datetime, tracking: set[str]) -> dict[str, Any]:
    lakami = await asyncpg.connect(plat.pg_dsn(p.db_urls["lakami"]))
    try:
        rows = await lakami.fetch(
            "SELECT id, created_at, published_at, payload FROM outbox"
            " WHERE subject = $1 AND created_at >= $2",
            LIFECYCLE_SUBJECT,
            since,
        )
    finally:
        await lakami.close()
    events = {}
    for row in rows:
        payload = json.loads(row["payload"])
        if payload.get("subject") in tracking and payload["data"]["sequence"] == 1:
            events[row["id"]] = row
    gateway = await asyncpg.connect(plat.pg_dsn(p.db_urls["gateway"]))
    try:
        done = await gateway.fetch(
            "SELECT event_id, processed_at FROM processed_events"
            " WHERE consumer = $1 AND event_id = ANY($2::text[])",
            CONSUMER,
            list(events),
        )
    finally:
        await gateway.close()
    relay, projection, total = [], [], []
    for row in done:
        ev = events[row["event_id"]]
        if ev["published_at"] is None:
            continue
        relay.append((ev["published_at"] - ev["created_at"]).total_seconds() * 1000)
        projection.append((row["processed_at"] - ev["published_at"]).total_seconds() * 1000)
        total.append((row["processed_at"] - ev["created_at"]).total_seconds() * 1000)
    return {
        "events": len(events),
        "projected": len(done),
        "commit_to_projected": _stats(total),
        "commit_to_published": _stats(relay),
        "published_to_projected": _stats(projection),
    }


def run(p: plat.Platform, *, quick: bool) -> dict[str, Any]:
    """At the target rate (300/s), then at a rate one LAKAMI process sustains (60/s)."""
    seconds = 8.0 if quick else 20.0
    with httpx.Client(base_url=p.gateway_url, timeout=30) as client:
        citizens = []
        for serial in range(7101, 7105):
            c = plat.register_citizen(client, serial)
            citizens.append((c, plat.token(client, c["username"], plat.CITIZEN_PASSWORD)))
    result = _run_rate(p, citizens, rate=300.0, seconds=seconds)
    result["lower_rate"] = _run_rate(p, citizens, rate=60.0, seconds=seconds)
    return result


def _run_rate(
    p: plat.Platform, citizens: list[tuple[dict[str, str], str]], *, rate: float, seconds: float
) -> dict[str, Any]:
    sample, poll_ms = 10, 5.0
    plat.settle(p, timeout=60)
    since = datetime.now().astimezone()
    say(f"P2: {rate:.0f} submissions/s for {seconds:.0f} s through the gateway")
    driven = asyncio.run(
        _drive(
            p, citizens, rate=rate, seconds=seconds, sample=sample, poll_ms=poll_ms,
            max_in_flight=256,
        )
    )  # fmt: skip
    left = plat.settle(p, timeout=60)
    p.check_alive()
    result: dict[str, Any] = {
        "target_rate": rate,
        "seconds": seconds,
        "achieved_rate": driven["achieved_rate"],
        "attempted": driven["attempted"],
        "accepted": driven["accepted"],
        "failures": driven["failures"],
        "backlog_after": left,
        "sample_every": sample,
        "poll_ms": poll_ms,
        "submit_latency": _stats([(s["received"] - s["sent"]) * 1000 for s in driven["submitted"]]),
        "api_visible": _stats(driven["api_latency_ms"]),
        "db": None,
    }
    if p.backend == "postgresql":
        result["db"] = asyncio.run(
            _db_latencies(p, since, {s["tracking_no"] for s in driven["submitted"]})
        )
    api = result["api_visible"]
    say(
        f"  achieved {result['achieved_rate']:.0f}/s; visible via API p50 {api['p50_ms']:.1f}"
        f" p95 {api['p95_ms']:.1f} p99 {api['p99_ms']:.1f} ms (n={api['n']})"
    )
    if result["db"]:
        d = result["db"]["commit_to_projected"]
        say(f"  DB commit->projected p50 {d['p50_ms']:.1f} p99 {d['p99_ms']:.1f} ms (n={d['n']})")
    return result
