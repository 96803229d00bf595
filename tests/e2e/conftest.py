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

from cimahi_gateway.cli import platform_env
from cimahi_gateway.platform import SERVICES
from cimahi_shared.supervisor import ProcessSpec, Supervisor, nats_server_binary
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
        dbs = _db_urls(backend, var_dir, stack)
        nats_port = free_port()
        gateway_port = free_port()
        ports = {s.code: free_port() for s in SERVICES}
        gateway_url = f"http://127.0.0.1:{gateway_port}"
        env = platform_env(
            var_dir=var_dir,
            nats_url=f"nats://127.0.0.1:{nats_port}",
            gateway_url=gateway_url,
            ports=ports,
        )
        env["GATEWAY_DATABASE_URL"] = dbs["gateway"]
        env["GATEWAY_OUTBOX_POLL_SECONDS"] = "0.2"
        for svc in SERVICES:
            env[svc.env_prefix + "DATABASE_URL"] = dbs[svc.code]
        py = sys.executable
        try:
            sup.start(
                ProcessSpec(
                    "nats",
                    [
                        nats_server_binary(),
                        "-a",
                        "127.0.0.1",
                        "-p",
                        str(nats_port),
                        "-js",
                        "-sd",
                        str(var_dir / "nats"),
                    ],
                    ready_port=nats_port,
                )
            )
            sup.run_once(ProcessSpec("gateway", [py, "-m", "cimahi_gateway", "migrate"], env=env))
            sup.run_once(ProcessSpec("gateway", [py, "-m", "cimahi_gateway", "seed"], env=env))
            for svc in SERVICES:
                sup.run_once(ProcessSpec(svc.code, [py, "-m", svc.module, "migrate"], env=env))
                sup.run_once(ProcessSpec(svc.code, [py, "-m", svc.module, "seed"], env=env))
                sup.start(
                    ProcessSpec(
                        svc.code,
                        [
                            py,
                            "-m",
                            "uvicorn",
                            f"{svc.module}.main:create_app",
                            "--factory",
                            "--host",
                            "127.0.0.1",
                            "--port",
                            str(ports[svc.code]),
                            "--log-level",
                            "warning",
                        ],
                        env=env,
                        ready_url=f"http://127.0.0.1:{ports[svc.code]}/healthz",
                    )
                )
            sup.start(
                ProcessSpec(
                    "gateway",
                    [
                        py,
                        "-m",
                        "uvicorn",
                        "cimahi_gateway.main:create_app",
                        "--factory",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(gateway_port),
                        "--log-level",
                        "warning",
                    ],
                    env=env,
                    ready_url=f"{gateway_url}/readyz",
                )
            )
            yield Platform(
                sup=sup,
                gateway_url=gateway_url,
                service_urls={c: f"http://127.0.0.1:{p}" for c, p in ports.items()},
                nats_port=nats_port,
                backend=backend,
            )
        except BaseException:
            log.flush()
            sys.stderr.write((var_dir / "platform.log").read_text()[-20000:])
            raise
        finally:
            sup.stop_all()
            log.close()
