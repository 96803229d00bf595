"""The whole platform as real processes: nats-server, every agency service and the gateway.

Runs on SQLite files and, when PostgreSQL is reachable (required in CI), on fresh PostgreSQL
databases - one per member, as in production.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from cimahi_gateway.platform import SERVICES, PlatformPlan, launch
from cimahi_shared.supervisor import Supervisor
from cimahi_shared.testing.fixtures import require_postgres
from cimahi_shared.testing.postgres import throwaway_database
from cimahi_shared.testing.processes import free_port


@dataclass
class Platform:
    """Handles on the running platform for a test."""

    sup: Supervisor
    gateway_url: str
    service_urls: dict[str, str]
    nats_port: int
    backend: str


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
        plan = PlatformPlan(
            var_dir=var_dir,
            gateway_port=free_port(),
            nats_port=free_port(),
            service_ports={s.code: free_port() for s in SERVICES},
            database_urls=_db_urls(backend, var_dir, stack),
            extra_env={"GATEWAY_OUTBOX_POLL_SECONDS": "0.2"},
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
            )
        except BaseException:
            log.flush()
            sys.stderr.write((var_dir / "platform.log").read_text()[-20000:])
            raise
        finally:
            sup.stop_all()
            log.close()
