"""P5, property tax at city size: bill generation for 120,000 tax objects, and bill inquiry.

Generation, in this process as ``python -m cimahi_epbb generate`` runs it: E-PBB's own demo
objects (``objects.demo.seed_demo_objects``, the generator ``make run`` uses) seeded into a
throwaway PostgreSQL database and into a SQLite file, the packaged tax-year rules loaded, then
``bills.generation.generate_bills`` for one year timed (objects/s), and timed once more: the
idempotent re-run that creates nothing.

Inquiry, through real processes: the running platform's E-PBB is seeded with the same number of
objects (``EPBB_DEMO_OBJECTS``, bills of 2025 and 2026). Closed-loop rounds of GETs on random
NOPs of that database: a payment channel's ``GET /v1/channel/bills/{nop}`` (the demo bank's
client_credentials token) through the gateway and directly to E-PBB, and a Bapenda officer's
``GET /v1/objects/{nop}/bills`` (audit-logged: one access-log row written per read) through the
gateway; p50/p95/p99 and rps at 1 and 16 connections.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from bench import platform as plat
from bench.loadgen import load_paths
from bench.tools import say
from cimahi_shared.db import create_engine, create_session_factory
from cimahi_shared.testing.postgres import postgres_available, throwaway_database

FULL_OBJECTS = 120_000
QUICK_OBJECTS = 20_000
TAX_YEAR = 2026
BANK_CLIENT_ID = "bank-bjb-demo"  # the gateway's demo client of E-PBB's channel "bjb"
BANK_CLIENT_SECRET = "cimahi_cs_demo-bank-bjb-2026"
SAMPLE_NOPS = 2_000


def objects_for(*, quick: bool) -> int:
    """How many tax objects P5 works with (the platform's E-PBB is seeded with as many)."""
    return QUICK_OBJECTS if quick else FULL_OBJECTS


# --- generation ---------------------------------------------------------------------------------


async def _generate(database_url: str, objects: int) -> dict[str, Any]:
    from cimahi_epbb.bills.generation import generate_bills
    from cimahi_epbb.cli import migrate_database
    from cimahi_epbb.config import EpbbSettings
    from cimahi_epbb.objects.demo import seed_demo_objects
    from cimahi_epbb.rules.service import load_packaged_rules

    await asyncio.to_thread(migrate_database, database_url)
    settings = EpbbSettings(database_url=database_url, demo_objects=objects)
    t0 = time.perf_counter()
    seeded = await seed_demo_objects(settings)
    seed_seconds = time.perf_counter() - t0
    engine = create_engine(database_url)
    try:
        factory = create_session_factory(engine)
        now = datetime.now(UTC)
        async with factory() as session:
            await load_packaged_rules(session, settings, now)
            await session.commit()
        if engine.dialect.name == "postgresql":
            async with engine.begin() as conn:
                await conn.execute(text("ANALYZE tax_objects"))
        t1 = time.perf_counter()
        first = await generate_bills(factory, tax_year=TAX_YEAR, now=now)
        first_seconds = time.perf_counter() - t1
        t2 = time.perf_counter()
        again = await generate_bills(factory, tax_year=TAX_YEAR, now=now)
        again_seconds = time.perf_counter() - t2
        async with engine.connect() as conn:
            in_db = (
                await conn.execute(text("SELECT count(*) FROM tax_objects WHERE status = 'active'"))
            ).scalar_one()
    finally:
        await engine.dispose()
    return {
        "objects": int(in_db),
        "seeded": seeded,
        "seed_seconds": seed_seconds,
        "tax_year": TAX_YEAR,
        "created": first.created,
        "skipped": first.skipped,
        "total_principal": first.total_principal,
        "seconds": first_seconds,
        "bills_per_s": first.created / first_seconds if first_seconds else 0.0,
        "rerun_created": again.created,
        "rerun_existing": again.existing,
        "rerun_seconds": again_seconds,
    }


def generation(work_dir: Path, *, objects: int) -> dict[str, Any]:
    """Time bill generation on PostgreSQL (when it answers) and on a SQLite file."""
    out: dict[str, Any] = {}
    backends = ["postgresql", "sqlite"] if postgres_available() else ["sqlite"]
    for backend in backends:
        say(f"P5: {objects:,} demo tax objects on {backend}, then bills of {TAX_YEAR}")
        if backend == "postgresql":
            with throwaway_database("cimahi_bench_p5") as url:
                result = asyncio.run(_generate(url, objects))
        else:
            path = work_dir / "p5-epbb.sqlite3"
            path.unlink(missing_ok=True)
            result = asyncio.run(_generate(f"sqlite+aiosqlite:///{path}", objects))
        say(
            f"  seed {result['seed_seconds']:.1f} s; {result['created']:,} bills in "
            f"{result['seconds']:.1f} s ({result['bills_per_s']:,.0f}/s); re-run "
            f"{result['rerun_seconds']:.1f} s, {result['rerun_created']} created"
        )
        out[backend] = result
    return out


# --- inquiry ------------------------------------------------------------------------------------


async def _sample_nops(database_url: str, n: int) -> tuple[int, list[str]]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            nops = list((await conn.execute(text("SELECT nop FROM tax_objects"))).scalars())
    finally:
        await engine.dispose()
    rnd = random.Random(5)
    return len(nops), rnd.sample(nops, min(n, len(nops)))


def _channel_token(client: httpx.Client) -> str:
    response = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": BANK_CLIENT_ID,
            "client_secret": BANK_CLIENT_SECRET,
            "scope": "epbb:channel",
        },
    )
    if response.status_code != 200:
        raise RuntimeError(f"channel token failed: {response.status_code} {response.text}")
    value: str = response.json()["access_token"]
    return value


def inquiry(p: plat.Platform, *, quick: bool) -> dict[str, Any]:
    """Inquiry latency on random NOPs of the platform's E-PBB (seeded at P5's size)."""
    count, nops = asyncio.run(_sample_nops(p.db_urls["epbb"], SAMPLE_NOPS))
    if not nops:
        return {"skipped": "E-PBB has no tax objects"}
    direct = json.loads(p.env["GATEWAY_UPSTREAMS"])["epbb"]
    with httpx.Client(base_url=p.gateway_url, timeout=30) as client:
        channel = _channel_token(client)
        officer = plat.token(client, "petugas.bapenda", plat.DEMO_PASSWORD)
        probe = client.get(
            f"/api/epbb/v1/channel/bills/{nops[0]}", headers={"Authorization": f"Bearer {channel}"}
        )
        if probe.status_code != 200:
            raise RuntimeError(f"P5 channel inquiry: {probe.status_code} {probe.text[:300]}")
    cases = [
        ("channel, via gateway", p.gateway_url, "/api/epbb/v1/channel/bills/", channel),
        ("channel, direct", direct, "/v1/channel/bills/", channel),
        ("officer, via gateway", p.gateway_url, "/api/epbb/v1/objects/", officer),
    ]
    duration = 3.0 if quick else 8.0
    work_dir = p.work_dir / "p5"
    work_dir.mkdir(exist_ok=True)
    rounds = []
    for name, base, prefix, tok in cases:
        suffix = "/bills" if name.startswith("officer") else ""
        paths = [f"{prefix}{nop}{suffix}" for nop in nops]
        for connections in (1, 16):
            load_paths(base, paths, token=tok, connections=connections, duration=1.0,
                       work_dir=work_dir)  # fmt: skip
            r = load_paths(base, paths, token=tok, connections=connections, duration=duration,
                           work_dir=work_dir)  # fmt: skip
            r.update(case=name, path=prefix + "{nop}" + suffix, connections=connections)
            rounds.append(r)
            say(
                f"  {name:22s} c={connections:<3d} p50 {r['p50_ms']:.2f} p95 {r['p95_ms']:.2f} "
                f"p99 {r['p99_ms']:.2f} ms, {r['rps']:.0f}/s"
                + (f", {r['status_errors']} errors" if r["status_errors"] else "")
            )
            p.check_alive()
    return {
        "objects": count,
        "sampled_nops": len(nops),
        "round_seconds": duration,
        "rounds": rounds,
    }


def run(p: plat.Platform, work_dir: Path, *, quick: bool) -> dict[str, Any]:
    """Generation on fresh databases, then inquiry on the running platform."""
    objects = objects_for(quick=quick)
    return {
        "objects": objects,
        "generation": generation(work_dir, objects=objects),
        "inquiry": inquiry(p, quick=quick),
    }
