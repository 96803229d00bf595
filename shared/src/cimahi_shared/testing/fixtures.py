"""pytest fixtures for every member (loaded from the root conftest): nats-server, databases."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable, Iterator
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


_SQLITE_TEMPLATES: dict[str, Path] = {}


def migrated_copy(database_url: str, *, key: str, prepare: Callable[[str], None]) -> str:
    """Fill the fresh test database ``database_url`` with what ``prepare(url)`` writes.

    On SQLite ``prepare`` (a member's migrations, its seed data) runs once per test session and
    ``key`` on a template file, and each test gets a copy of the file (0.3 s -> 1 ms). On
    PostgreSQL it runs on each test's database: ``CREATE DATABASE ... TEMPLATE`` measured no
    faster than migrating there (0.1-0.6 s either way on this machine type, disk-bound).
    Returns ``database_url``.
    """
    if not database_url.startswith("sqlite"):
        prepare(database_url)
        return database_url
    template = _SQLITE_TEMPLATES.get(key)
    if template is None:
        folder = Path(tempfile.mkdtemp(prefix=f"cimahi-template-{key}-"))
        atexit.register(shutil.rmtree, folder, True)
        template = folder / "template.sqlite3"
        prepare(f"sqlite+aiosqlite:///{template}")
        _SQLITE_TEMPLATES[key] = template
    target = database_url.partition(":///")[2]
    shutil.copyfile(template, target)
    wal = template.with_name(template.name + "-wal")  # not checkpointed yet: it holds data too
    if wal.exists():
        shutil.copyfile(wal, target + "-wal")
    return database_url
