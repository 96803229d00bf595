"""Start the platform for a benchmark: nats-server, the agency services and the gateway as real processes.

Through the platform's own launcher (``cimahi_gateway.platform.launch``, as ``cimahi run`` and
the e2e tests), with the benchmark's settings added as environment variables.

On PostgreSQL throwaway databases (one per member, dropped afterwards) when PostgreSQL answers
at 127.0.0.1:5432 (``CIMAHI_TEST_POSTGRES_DSN`` overrides), else on SQLite files; a fresh
nats-server on a free loopback port. Processes are started and stopped by the Supervisor (by PID).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats
from nats.js.errors import NotFoundError

from bench.tools import say
from cimahi_dilandacinta.register.demo import Resident, add_residents
from cimahi_gateway.platform import SERVICES, PlatformPlan, launch
from cimahi_shared.supervisor import Supervisor
from cimahi_shared.testing.postgres import postgres_available, throwaway_database
from cimahi_shared.testing.processes import free_port

DEMO_PASSWORD = "Cimahi-Demo-2026"  # the seeded demo accounts (cimahi_gateway.identity.service)
MELONG = "32.77.01.1001"
CITIZEN_PASSWORD = "rahasia-bench-123"
# Serials of the citizens the scenarios register (register_citizen): all put in DILANDACINTA's
# population register at start-up, since the gateway's registration must match it.
BENCH_SERIALS = range(7000, 7300)

# Settings the benchmark changes, all plain configuration (no code):
BENCH_ENV = {
    # The proxy's per-caller limit (600/min) would refuse a load test after 100 requests. A huge
    # limit keeps the limiter on the hot path (it is still consulted per request) but never trips.
    "GATEWAY_RATE_LIMIT_PER_MINUTE": "100000000",
    "GATEWAY_RATE_LIMIT_BURST": "100000000",
    # A full run lasts ~15 minutes; tokens are fetched per scenario anyway.
    "GATEWAY_ACCESS_TOKEN_TTL_SECONDS": "3600",
    "GATEWAY_LOG_LEVEL": "WARNING",
    "LAKAMI_LOG_LEVEL": "WARNING",
    "GATEWAY_LOG_JSON": "false",
    "LAKAMI_LOG_JSON": "false",
    "EPBB_LOG_LEVEL": "WARNING",
    # E-PBB's demo seed (120,000 tax objects in `make run`) stays small unless P5 runs, which
    # asks for its own size (bench/p5_tax.py).
    "EPBB_DEMO_OBJECTS": "1000",
}


def pg_dsn(url: str) -> str:
    """A SQLAlchemy ``postgresql+asyncpg://`` URL as a plain asyncpg DSN."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@dataclass
class Platform:
    sup: Supervisor
    backend: str
    gateway_url: str
    lakami_url: str
    lakami_port: int
    nats_url: str
    db_urls: dict[str, str]
    env: dict[str, str]
    work_dir: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def pid(self, name: str) -> int:
        return self.sup.managed[name].proc.pid

    def check_alive(self) -> None:
        for name, managed in self.sup.managed.items():
            if managed.proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {managed.proc.returncode}; see the log")


def backend_choice(requested: str) -> str:
    if requested == "auto":
        return "postgresql" if postgres_available() else "sqlite"
    return requested


@contextmanager
def running_platform(
    work_dir: Path, *, backend: str, extra_env: dict[str, str] | None = None
) -> Iterator[Platform]:
    """Start everything, yield handles, stop everything (and drop the throwaway databases)."""
    log_path = work_dir / "platform.log"
    log = log_path.open("w")
    sup = Supervisor(out=log, colour=False)
    with ExitStack() as stack:
        names = ["gateway", *(s.code for s in SERVICES)]
        if backend == "postgresql":
            dbs = {n: stack.enter_context(throwaway_database(f"cimahi_bench_{n}")) for n in names}
        else:
            dbs = {n: f"sqlite+aiosqlite:///{work_dir / (n + '.sqlite3')}" for n in names}
        plan = PlatformPlan(
            var_dir=work_dir,
            gateway_port=free_port(),
            nats_port=free_port(),
            service_ports={s.code: free_port() for s in SERVICES},
            database_urls=dbs,
            extra_env={**BENCH_ENV, **(extra_env or {})},
        )
        gateway_url = plan.gateway_url
        try:
            env = launch(sup, plan)
            asyncio.run(add_residents(dbs["dilandacinta"], bench_residents()))
            say(f"platform up on {backend}: gateway {gateway_url}, log {log_path}")
            yield Platform(
                sup=sup,
                backend=backend,
                gateway_url=gateway_url,
                lakami_url=plan.service_url("lakami"),
                lakami_port=plan.service_ports["lakami"],
                nats_url=plan.nats_url,
                db_urls=dbs,
                env=env,
                work_dir=work_dir,
            )
        except BaseException:
            log.flush()
            sys.stderr.write(log_path.read_text()[-5000:])
            raise
        finally:
            sup.stop_all()
            log.close()


# --- accounts and requests through the real API -------------------------------------------------


def nik_for(serial: int) -> tuple[str, str]:
    """A valid NIK (Cimahi Selatan, born 12-05-1990; serial 1-9999) and No. KK for a citizen."""
    return f"327701120590{serial:04d}", f"32770112059{serial:05d}"


def bench_residents() -> list[Resident]:
    """The register entries of every citizen a scenario may register (``BENCH_SERIALS``)."""
    residents = []
    for serial in BENCH_SERIALS:
        nik, no_kk = nik_for(serial)
        residents.append(
            Resident(
                nik=nik,
                no_kk=no_kk,
                full_name=f"Warga Bench {serial}",
                birth_date=date(1990, 5, 12),
                sex="L",
                kelurahan_code=MELONG,
            )
        )
    return residents


def register_citizen(client: httpx.Client, serial: int) -> dict[str, str]:
    """Register a citizen of ``BENCH_SERIALS`` (in the population register) through the gateway."""
    if serial not in BENCH_SERIALS:
        raise ValueError(f"serial {serial} is not in BENCH_SERIALS (not in the register)")
    nik, no_kk = nik_for(serial)
    response = client.post(
        "/api/v1/auth/register",
        json={
            "nik": nik,
            "no_kk": no_kk,
            "full_name": f"Warga Bench {serial}",
            "birth_date": "1990-05-12",
            "email": f"bench{serial}@example.id",
            "password": CITIZEN_PASSWORD,
        },
    )
    if response.status_code != 201:
        raise RuntimeError(f"register failed: {response.status_code} {response.text}")
    return {"nik": nik, "no_kk": no_kk, "name": f"Warga Bench {serial}", "username": nik}


def token(client: httpx.Client, username: str, password: str) -> str:
    response = client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": "cimahi-web",
            "username": username,
            "password": password,
        },
    )
    if response.status_code != 200:
        raise RuntimeError(f"token failed: {response.status_code} {response.text}")
    value: str = response.json()["access_token"]
    return value


def letter_body(
    citizen: dict[str, str], purpose: str = "Persyaratan pembukaan rekening bank"
) -> dict[str, Any]:
    return {
        "letter_type": "domisili",
        "nik": citizen["nik"],
        "no_kk": citizen["no_kk"],
        "full_name": citizen["name"],
        "kelurahan_code": MELONG,
        "rt": "003",
        "rw": "007",
        "cover_letter_number": "012/RT03/2026",
        "cover_letter_date": "2026-11-20",
        "purpose": purpose,
        "fields": {"address": "Jl. Melong Asih No. 12", "resident_since": "2015-03-01"},
    }


# --- waiting for the event pipeline to be idle -------------------------------------------------


async def _pipeline_backlog(p: Platform) -> int:
    """Events not yet through: unpublished outbox rows plus what the gateway has not acked."""
    backlog = 0
    if p.backend == "postgresql":
        conn = await asyncpg.connect(pg_dsn(p.db_urls["lakami"]))
        try:
            backlog += await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        finally:
            await conn.close()
    nc = await nats.connect(p.nats_url, connect_timeout=2, allow_reconnect=False)
    try:
        info = await nc.jetstream().consumer_info("CIMAHI_LAKAMI", "gateway-status-lakami")
        backlog += int(info.num_pending or 0) + int(info.num_ack_pending or 0)
    except NotFoundError:
        pass
    finally:
        await nc.close()
    return backlog


def settle(p: Platform, *, timeout: float = 30.0) -> int:
    """Wait (bounded) until the outbox is relayed and the projection caught up; the backlog left."""
    deadline = time.monotonic() + timeout
    backlog = -1
    while time.monotonic() < deadline:
        backlog = asyncio.run(_pipeline_backlog(p))
        if backlog == 0:
            return 0
        time.sleep(0.25)
    return backlog
