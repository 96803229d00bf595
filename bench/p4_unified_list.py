"""P4, the unified list at scale: 1,000,000 projected requests of 100,000 citizens.

Loaded with COPY into the running gateway's PostgreSQL database (``request_status`` plus one
``request_timeline`` row each), then ANALYZE. One of the 100,000 owners is a citizen registered
through the API (10 requests, like everyone), so their token lists their own rows. Lists are
read through the real gateway HTTP API with one connection at a time (wrk -c1, or the Python
fallback): latency of one request without queueing behind others. In a full run P1 and P2 have
already submitted ~40,000 letter requests in Melong, the newest rows of its list and all still
"submitted": an officer's status filter must not read past them.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from bench import platform as plat
from bench.loadgen import load
from bench.tools import say

KELURAHAN = [
    "32.77.01.1001", "32.77.01.1002", "32.77.01.1003", "32.77.01.1004", "32.77.01.1005",
    "32.77.02.1001", "32.77.02.1002", "32.77.02.1003", "32.77.02.1004", "32.77.02.1005",
    "32.77.03.1001", "32.77.03.1002", "32.77.03.1003", "32.77.03.1004", "32.77.03.1005",
]  # fmt: skip
AGENCIES = ["lakami"] * 6 + ["dukcapil"] * 2 + ["dinsos", "bapenda"]
STATUSES = (
    ["completed"] * 55 + ["submitted"] * 10 + ["in_review"] * 10 + ["in_process"] * 10
    + ["needs_revision"] * 5 + ["rejected"] * 5 + ["cancelled"] * 5
)  # fmt: skip
PER_CITIZEN = 10


async def _load(dsn: str, *, rows: int, citizens: int, real_sub: str) -> dict[str, Any]:
    rnd = random.Random(4)
    now = datetime.now(UTC)
    span = 2 * 365 * 86400
    owners = [f"01BENCHP4{i:017d}" for i in range(citizens)]
    owners[citizens // 2] = real_sub
    status_rows = []
    timeline_rows = []
    t0 = time.perf_counter()
    for i in range(rows):
        owner = owners[i % citizens]
        area = KELURAHAN[rnd.randrange(len(KELURAHAN))]
        submitted = now - timedelta(seconds=rnd.randrange(span), microseconds=rnd.randrange(10**6))
        status = STATUSES[rnd.randrange(len(STATUSES))]
        agency = AGENCIES[rnd.randrange(len(AGENCIES))]
        tracking_no = f"P4-{i:09d}"
        status_rows.append(
            (
                tracking_no, agency, "letter.domisili", "Surat Keterangan Domisili", owner, area,
                area[:8], status, status, 1 if status == "submitted" else 3, submitted,
                submitted + timedelta(hours=rnd.randrange(1, 200)), submitted + timedelta(days=7),
            )
        )  # fmt: skip
        timeline_rows.append((tracking_no, 1, "submitted", "submitted", None, submitted, f"p4-{i}"))
    conn = await asyncpg.connect(dsn)
    try:
        gen_seconds = time.perf_counter() - t0
        t1 = time.perf_counter()
        await conn.copy_records_to_table(
            "request_status",
            records=status_rows,
            columns=[
                "tracking_no", "agency", "request_kind", "title", "owner_sub", "area",
                "kecamatan", "agency_status", "status", "last_sequence", "submitted_at",
                "updated_at", "due_at",
            ],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "request_timeline",
            records=timeline_rows,
            columns=[
                "tracking_no", "sequence", "status", "agency_status", "note", "occurred_at",
                "event_id",
            ],
        )  # fmt: skip
        await conn.execute("ANALYZE request_status")
        await conn.execute("ANALYZE request_timeline")
        copy_seconds = time.perf_counter() - t1
        total = await conn.fetchval("SELECT count(*) FROM request_status")
        size = await conn.fetchval(
            "SELECT pg_size_pretty(pg_total_relation_size('request_status'))"
        )
        melong = await conn.fetchval(
            "SELECT count(*) FROM request_status WHERE agency = 'lakami' AND area = $1", plat.MELONG
        )
    finally:
        await conn.close()
    return {
        "loaded_rows": rows,
        "citizens": citizens,
        "rows_in_table": total,
        "table_size": size,
        "melong_lakami_rows": melong,
        "generate_seconds": gen_seconds,
        "copy_and_analyze_seconds": copy_seconds,
    }


def _sub_of(token: str) -> str:
    import jwt

    sub: str = jwt.decode(token, options={"verify_signature": False})["sub"]
    return sub


def run(p: plat.Platform, *, quick: bool) -> dict[str, Any]:
    if p.backend != "postgresql":
        return {"skipped": "P4 needs PostgreSQL"}
    rows = 100_000 if quick else 1_000_000
    citizens = rows // PER_CITIZEN
    duration = 4.0 if quick else 8.0
    with httpx.Client(base_url=p.gateway_url, timeout=30) as client:
        citizen = plat.register_citizen(client, 7201)
        citizen_token = plat.token(client, citizen["username"], plat.CITIZEN_PASSWORD)
        officer_token = plat.token(client, "petugas.melong", plat.DEMO_PASSWORD)
        say(f"P4: loading {rows:,} requests of {citizens:,} citizens (COPY + ANALYZE)")
        loaded = asyncio.run(
            _load(
                plat.pg_dsn(p.db_urls["gateway"]),
                rows=rows,
                citizens=citizens,
                real_sub=_sub_of(citizen_token),
            )
        )
        say(f"  loaded in {loaded['copy_and_analyze_seconds']:.0f} s ({loaded['table_size']})")
        queries = {
            "citizen: my requests": ("/api/v1/requests", citizen_token),
            "officer: Melong, status=in_review": (
                "/api/v1/requests?status=in_review",
                officer_token,
            ),
            "officer: Melong, all": ("/api/v1/requests", officer_token),
            # Several statuses: the officer's status ranges merged (repository.list_visible).
            "officer: Melong, in_review+needs_revision": (
                "/api/v1/requests?status=in_review&status=needs_revision",
                officer_token,
            ),
        }
        for name, (path, tok) in queries.items():
            check = client.get(path, headers={"Authorization": f"Bearer {tok}"})
            if check.status_code != 200 or not check.json()["items"]:
                raise RuntimeError(f"P4 {name}: {check.status_code} {check.text[:300]}")
    results = []
    work_dir = p.work_dir / "p4"
    work_dir.mkdir(exist_ok=True)
    for name, (path, tok) in queries.items():
        url = p.gateway_url + path
        load(
            url, method="GET", token=tok, body=None, connections=1, duration=1.0, work_dir=work_dir
        )
        r = load(
            url, method="GET", token=tok, body=None, connections=1, duration=duration,
            work_dir=work_dir,
        )  # fmt: skip
        r.update(query=name, path=path)
        results.append(r)
        say(f"  {name:36s} p50 {r['p50_ms']:.2f} p99 {r['p99_ms']:.2f} ms ({r['rps']:.0f}/s, c=1)")
        p.check_alive()
    return {
        "load": loaded,
        "page_size": 20,
        "connections": 1,
        "round_seconds": duration,
        "queries": results,
    }
