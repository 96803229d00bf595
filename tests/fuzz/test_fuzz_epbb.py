"""schemathesis against E-PBB's OpenAPI: every operation, real tokens of every role (issue 9).

The database holds E-PBB's demo data (rules, a few tax objects with their bills, the demo
payment channels), so lists and reads return real rows. Roles: anonymous, a citizen, a Bapenda
officer (city-wide) and the head, an admin, and a payment channel (machine token of the demo
channel ``bank-bjb-demo`` with scope ``epbb:channel``). No generated request may get a 5xx, and
every response must match what the document says (status code, content type, headers, body).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from cimahi_epbb.cli import _seed, migrate_database
from cimahi_epbb.config import EpbbSettings
from cimahi_epbb.main import create_app
from cimahi_shared.testing.tokens import Tokens as GatewayTokens
from tests.fuzz.conftest import (
    FuzzTarget,
    migrated_sqlite,
    operation_labels,
    role_headers,
    start_app,
)

CITY = "32.77"
CHANNEL_CLIENT = "bank-bjb-demo"  # the demo channel "bjb" (cimahi_epbb.payments.demo)


class Tokens(GatewayTokens):
    agency = "epbb"
    default_area = CITY
    officer_name = "Rina Marlina"
    machine_scope = "epbb:channel"
    kid = "epbb-fuzz-key"


def _settings(database_url: str) -> EpbbSettings:
    return EpbbSettings(
        database_url=database_url,
        nats_enabled=False,
        log_json=False,
        demo_objects=12,
        demo_tax_years=[2026],
    )


def _migrate_and_seed(database_url: str) -> None:
    migrate_database(database_url)
    asyncio.run(_seed(_settings(database_url)))


LABELS = operation_labels(create_app(_settings("sqlite+aiosqlite://")).openapi())

# Path parameters pinned to seeded rows, so generated queries and bodies reach past the lookup
# (random ids only ever find nothing). The admin's channel operations use the demo channel
# "pos", never "bjb": deactivating the channel whose token the fuzzer sends would end the
# channel role's reach.
SEEDED_ROWS = {
    "nop": "SELECT nop FROM tax_objects WHERE status = 'active' ORDER BY nop LIMIT 1",
    "bill_id": "SELECT id FROM bills ORDER BY id LIMIT 1",
}
SEEDED_LABELS = [
    label
    for label in LABELS
    if all(p[1:-1] in SEEDED_ROWS or p == "{year}" for p in label.split("/") if p[:1] == "{")
    and "{" in label
] + [label for label in LABELS if label.startswith("POST /v1/admin/channels/{code}")]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder: Path = tmp_path_factory.mktemp("fuzz-epbb")
    return migrated_sqlite(folder, key="epbb-fuzz", prepare=_migrate_and_seed)


@pytest.fixture(scope="module")
def seeded(database: str) -> dict[str, str]:
    """A seeded row's key for each pinned path parameter."""
    with closing(sqlite3.connect(database.split("///", 1)[1])) as connection:
        rows = {
            name: str(connection.execute(sql).fetchone()[0]) for name, sql in SEEDED_ROWS.items()
        }
    return {**rows, "year": "2026", "code": "pos"}


@pytest.fixture(scope="module")
def target(database: str) -> Iterator[FuzzTarget]:
    config = _settings(database)
    tokens = Tokens(config.token_issuer, config.token_audience)
    app = start_app(create_app(config), tokens, config.token_issuer)
    roles = role_headers(
        tokens, extra={"client": lambda: tokens.machine(CHANNEL_CLIENT, scope="epbb:channel")}
    )
    fuzz = FuzzTarget(app, roles)
    yield fuzz
    fuzz.close()


@pytest.mark.parametrize("label", LABELS)
def test_operation(target: FuzzTarget, label: str) -> None:
    target.fuzz(label)


@pytest.mark.parametrize("label", SEEDED_LABELS)
def test_operation_on_seeded_rows(target: FuzzTarget, seeded: dict[str, str], label: str) -> None:
    names = [p[1:-1] for p in label.split("/") if p[:1] == "{"]
    target.fuzz(label, path_parameters={name: seeded[name] for name in names})
