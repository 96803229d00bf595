"""The whole platform as real processes: nats-server, every agency service and the gateway.

Runs on SQLite files and, when PostgreSQL is reachable (required in CI), on fresh PostgreSQL
databases - one per member, as in production.

Citizen registrations must match DILANDACINTA's population register: a test puts its persons
there first (``Platform.add_residents``). When a module's platform stops, its process logs and
every event in the members' outboxes are handed to the session's raw-NIK guard.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from cimahi_dilandacinta.register.demo import Resident, add_residents
from cimahi_gateway.platform import SERVICES, PlatformPlan, launch
from cimahi_shared.db import create_engine
from cimahi_shared.events.tables import outbox
from cimahi_shared.supervisor import Supervisor
from cimahi_shared.testing import nik_guard
from cimahi_shared.testing.fixtures import require_postgres
from cimahi_shared.testing.postgres import throwaway_database
from cimahi_shared.testing.processes import free_port

# Webhook receivers of the tests listen on 127.0.0.1, and outages there last seconds, not days:
# short retries (about 25 s in all), a short attempt timeout (so a lease left by a killed
# gateway ends within 7 s) and a quick poll. Only webhook deliveries read these settings.
WEBHOOK_TEST_ENV = {
    "GATEWAY_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
    "GATEWAY_WEBHOOK_RETRY_SCHEDULE": "[0.2, 0.5, 1, 1, 2, 2, 3, 3, 5, 5]",
    "GATEWAY_WEBHOOK_TIMEOUT_SECONDS": "3",
    "GATEWAY_WEBHOOK_POLL_SECONDS": "0.2",
}


@dataclass
class Platform:
    """Handles on the running platform for a test."""

    sup: Supervisor
    gateway_url: str
    service_urls: dict[str, str]
    nats_port: int
    backend: str
    database_urls: dict[str, str] = field(default_factory=dict)

    def add_residents(self, residents: Sequence[Resident]) -> None:
        """Put persons into DILANDACINTA's population register (so they can register)."""
        asyncio.run(add_residents(self.database_urls["dilandacinta"], residents))


async def _outbox_payloads(database_url: str) -> list[bytes]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(select(outbox.c.payload))).scalars())
    except DBAPIError:  # a platform that failed before its migrations ran has no outbox
        return []
    finally:
        await engine.dispose()


def check_for_raw_niks(var_dir: Path, database_urls: dict[str, str]) -> None:
    """Hand the platform's process log and every outboxed event to the raw-NIK guard."""
    nik_guard.check_file(var_dir / "platform.log", source=f"{var_dir.name}/platform.log")
    for member, url in database_urls.items():
        for payload in asyncio.run(_outbox_payloads(url)):
            nik_guard.check_text(payload.decode("utf-8", "replace"), source=f"{member} outbox")


def _db_urls(backend: str, var_dir: Path, stack: ExitStack) -> dict[str, str]:
    names = ["gateway", *(s.code for s in SERVICES)]
    if backend == "sqlite":
        return {n: f"sqlite+aiosqlite:///{var_dir / (n + '.sqlite3')}" for n in names}
    require_postgres()
    return {n: stack.enter_context(throwaway_database(f"cimahi_e2e_{n}")) for n in names}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def platform(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    """Start the platform once per test module and backend."""
    backend = request.param
    var_dir = tmp_path_factory.mktemp(f"platform-{backend}")
    log = (var_dir / "platform.log").open("w")
    sup = Supervisor(out=log, colour=False)
    with ExitStack() as stack:
        database_urls = _db_urls(backend, var_dir, stack)
        plan = PlatformPlan(
            var_dir=var_dir,
            gateway_port=free_port(),
            nats_port=free_port(),
            service_ports={s.code: free_port() for s in SERVICES},
            database_urls=database_urls,
            # E-PBB's demo seed stays small here (120,000 objects in `make run`).
            extra_env={
                "GATEWAY_OUTBOX_POLL_SECONDS": "0.2",
                "EPBB_DEMO_OBJECTS": "300",
                **WEBHOOK_TEST_ENV,
            },
            access_log=True,
        )
        try:
            launch(sup, plan)
            yield Platform(
                sup=sup,
                gateway_url=plan.gateway_url,
                service_urls={s.code: plan.service_url(s.code) for s in SERVICES},
                nats_port=plan.nats_port,
                backend=backend,
                database_urls=database_urls,
            )
        except BaseException:
            log.flush()
            sys.stderr.write((var_dir / "platform.log").read_text()[-20000:])
            raise
        finally:
            sup.stop_all()
            log.close()
            check_for_raw_niks(var_dir, database_urls)
