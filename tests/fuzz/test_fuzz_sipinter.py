"""schemathesis against SIPINTER's OpenAPI: every operation, real tokens of every role (issue 9).

The database holds SIPINTER's demo data (businesses, applications at every stage, permits), so
lists and reads return real rows. Roles: anonymous, a citizen, a DPMPTSP officer (city-wide)
and the head, an admin, and a machine client. No generated request may get a 5xx, and every
response must match what the document says (status code, content type, headers, body).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from cimahi_shared.testing.tokens import Tokens as GatewayTokens
from cimahi_sipinter.cli import migrate_database
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.demo import seed_demo
from cimahi_sipinter.main import create_app
from tests.fuzz.conftest import (
    FuzzTarget,
    migrated_sqlite,
    operation_labels,
    role_headers,
    start_app,
)

CITY = "32.77"


class Tokens(GatewayTokens):
    agency = "sipinter"
    default_area = CITY
    officer_name = "Dedi Kurniawan"
    kid = "sipinter-fuzz-key"


def _settings(database_url: str, upload_dir: Path) -> SipinterSettings:
    return SipinterSettings(
        database_url=database_url,
        nats_enabled=False,
        log_json=False,
        upload_dir=str(upload_dir),
        sweep_interval_seconds=0,  # no background sweep while fuzzing
    )


def _migrate_and_seed(database_url: str) -> None:
    migrate_database(database_url)
    asyncio.run(seed_demo(_settings(database_url, Path("unused"))))


LABELS = operation_labels(create_app(_settings("sqlite+aiosqlite://", Path("unused"))).openapi())


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    folder: Path = tmp_path_factory.mktemp("fuzz-sipinter")
    url = migrated_sqlite(folder, key="sipinter-fuzz", prepare=_migrate_and_seed)
    config = _settings(url, folder / "uploads")
    tokens = Tokens(config.token_issuer, config.token_audience)
    app = start_app(create_app(config), tokens, config.token_issuer)
    fuzz = FuzzTarget(app, role_headers(tokens))
    yield fuzz
    fuzz.close()


@pytest.mark.parametrize("label", LABELS)
def test_operation(target: FuzzTarget, label: str) -> None:
    target.fuzz(label)
