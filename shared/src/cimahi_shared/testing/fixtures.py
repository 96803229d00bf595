"""pytest fixtures for every member (loaded from the root conftest): nats-server, databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cimahi_shared.testing.postgres import postgres_available, postgres_required, throwaway_database
from cimahi_shared.testing.processes import NatsServer

_PG_STATE: dict[str, bool] = {}


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A real nats-server with JetStream, on a free loopback port, for the whole session."""
    server = NatsServer(tmp_path_factory.mktemp("nats")).start()
    yield server
    server.stop()


def require_postgres() -> None:
    """Skip the calling test (or fail it when CIMAHI_REQUIRE_POSTGRES=1) without PostgreSQL."""
    if "ok" not in _PG_STATE:
        _PG_STATE["ok"] = postgres_available()
    if not _PG_STATE["ok"]:
        if postgres_required():
            pytest.fail("PostgreSQL is required (CIMAHI_REQUIRE_POSTGRES=1) but not reachable")
        pytest.skip("PostgreSQL not reachable")


_require_postgres = require_postgres  # the former private name


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for this session (skipped or failed without PostgreSQL)."""
    require_postgres()
    with throwaway_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using it runs on SQLite and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"
        return
    require_postgres()
    with throwaway_database() as url:
        yield url
