"""Helpers for the shared library's tests: databases with the plumbing tables, apps, tokens."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from cimahi_shared.app import create_service_app
from cimahi_shared.db import create_engine
from cimahi_shared.events.tables import plumbing_metadata
from cimahi_shared.settings import ServiceSettings
from cimahi_shared.testing.tokens import AUDIENCE, ISSUER

JWKS_URL = "http://127.0.0.1:8000/.well-known/jwks.json"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """create_service_app reconfigures the root logger: put pytest's handlers back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on SQLite or PostgreSQL with the plumbing tables created."""
    eng = create_engine(database_url)
    async with eng.begin() as conn:
        await conn.run_sync(plumbing_metadata.create_all)
    yield eng
    await eng.dispose()


def _service_settings(database_url: str, **overrides: Any) -> ServiceSettings:
    """Settings for an app under test: no NATS, a given database."""
    values: dict[str, Any] = {
        "service_name": "test",
        "database_url": database_url,
        "nats_enabled": False,
        "log_json": True,
        "token_issuer": ISSUER,
        "token_audience": AUDIENCE,
        "jwks_url": JWKS_URL,
    }
    values.update(overrides)
    return ServiceSettings(**values)


async def _create_plumbing(database_url: str) -> None:
    eng = create_engine(database_url)
    async with eng.begin() as conn:
        await conn.run_sync(plumbing_metadata.create_all)
    await eng.dispose()


@asynccontextmanager
async def _running_app(
    database_url: str, routers: list[APIRouter], **overrides: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = _service_settings(database_url, **overrides)
    await _create_plumbing(settings.database_url)
    app = create_service_app(
        settings, title="test", description="test app", agency=None, routers=routers
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield app, client


RunningApp = Callable[..., Any]


@pytest.fixture
def running_app() -> RunningApp:
    """``async with running_app(database_url, routers, **settings) as (app, client)``: an app from
    create_service_app (plumbing tables created, lifespan running) and an httpx client on it."""
    return _running_app


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database file of this test."""
    return f"sqlite+aiosqlite:///{tmp_path / 'app.sqlite3'}"
