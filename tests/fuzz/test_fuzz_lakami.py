"""schemathesis against LAKAMI's OpenAPI: every operation, real tokens of every role (issue 9).

No generated request may get a 5xx, and every response must match what the document says
(status code, content type, headers, body schema).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from cimahi_lakami.cli import migrate_database, seed_catalogue
from cimahi_lakami.config import LakamiSettings
from cimahi_lakami.main import create_app
from cimahi_shared.testing.tokens import Tokens as GatewayTokens
from tests.fuzz.conftest import (
    FuzzTarget,
    migrated_sqlite,
    operation_labels,
    role_headers,
    start_app,
)

MELONG = "32.77.01.1001"


class Tokens(GatewayTokens):
    agency = "lakami"
    default_area = MELONG
    officer_name = "Ujang Suherman"
    kid = "lakami-fuzz-key"


def _migrate_and_seed(database_url: str) -> None:
    migrate_database(database_url)
    asyncio.run(seed_catalogue(database_url))


def _settings(database_url: str, upload_dir: Path) -> LakamiSettings:
    return LakamiSettings(
        database_url=database_url, nats_enabled=False, log_json=False, upload_dir=str(upload_dir)
    )


LABELS = operation_labels(create_app(_settings("sqlite+aiosqlite://", Path("unused"))).openapi())


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    folder = tmp_path_factory.mktemp("fuzz-lakami")
    url = migrated_sqlite(folder, key="lakami", prepare=_migrate_and_seed)
    config = _settings(url, folder / "uploads")
    tokens = Tokens(config.token_issuer, config.token_audience)
    app = start_app(create_app(config), tokens, config.token_issuer)
    fuzz = FuzzTarget(app, role_headers(tokens))
    yield fuzz
    fuzz.close()


@pytest.mark.parametrize("label", LABELS)
def test_operation(target: FuzzTarget, label: str) -> None:
    target.fuzz(label)


# Defects the fuzzer found, kept as explicit examples.


@pytest.mark.parametrize("label", ["GET /v1/complaints", "GET /v1/letter-requests"])
def test_non_ascii_cursor_is_invalid_input(target: FuzzTarget, label: str) -> None:
    """A cursor with non-ASCII text was a 500 (base64 decoding raised ValueError); now 422."""
    response = target.call(label, "officer", query={"cursor": "\u00cc>"})
    assert response.status_code == 422
