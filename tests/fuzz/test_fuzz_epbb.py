"""schemathesis against E-PBB's OpenAPI: every operation, real tokens of every role (issue 9).

The database holds E-PBB's demo data (rules, a few tax objects with their bills, the demo
payment channels), so lists and reads return real rows. Roles: anonymous, a citizen, a Bapenda
officer (city-wide) and the head, an admin, and a payment channel (machine token of the demo
channel ``bank-bjb-demo`` with scope ``epbb:channel``). No generated request may get a 5xx, and
every response must match what the document says (status code, content type, headers, body).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
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


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    folder: Path = tmp_path_factory.mktemp("fuzz-epbb")
    config = _settings(migrated_sqlite(folder, key="epbb-fuzz", prepare=_migrate_and_seed))
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
