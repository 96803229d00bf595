"""schemathesis against SIPINTER's OpenAPI: every operation, real tokens of every role (issue 9).

The database holds SIPINTER's demo data (businesses, applications at every stage, permits), so
lists and reads return real rows. Roles: anonymous, a citizen, a DPMPTSP officer (city-wide)
and the head, an admin, and a machine client. No generated request may get a 5xx, and every
response must match what the document says (status code, content type, headers, body).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from cimahi_shared.testing.tokens import Tokens as GatewayTokens
from cimahi_sipinter.cli import migrate_database
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.demo import seed_demo
from cimahi_sipinter.main import create_app
from tests.fuzz.conftest import (
    FuzzTarget,
    examples,
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

# Path parameters pinned to seeded rows, so generated queries and bodies reach past the lookup
# (random ids only ever find nothing): an application of each status (each review step meets
# one it may act on), a business, a permit.
SEEDED_ROWS = {
    "application_id": "SELECT min(id) FROM applications GROUP BY status ORDER BY status",
    "business_id": "SELECT id FROM businesses ORDER BY id LIMIT 1",
    "permit_id": "SELECT id FROM permits ORDER BY id LIMIT 1",
}
SEEDED_LABELS = [
    label
    for label in LABELS
    if "{" in label and all(p[1:-1] in SEEDED_ROWS for p in label.split("/") if p[:1] == "{")
]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    folder: Path = tmp_path_factory.mktemp("fuzz-sipinter")
    return migrated_sqlite(folder, key="sipinter-fuzz", prepare=_migrate_and_seed), folder


@pytest.fixture(scope="module")
def seeded(database: tuple[str, Path]) -> dict[str, list[str]]:
    """Seeded rows' keys for each pinned path parameter."""
    with closing(sqlite3.connect(database[0].split("///", 1)[1])) as connection:
        return {
            name: [str(row[0]) for row in connection.execute(sql)]
            for name, sql in SEEDED_ROWS.items()
        }


@pytest.fixture(scope="module")
def target(database: tuple[str, Path]) -> Iterator[FuzzTarget]:
    url, folder = database
    config = _settings(url, folder / "uploads")
    tokens = Tokens(config.token_issuer, config.token_audience)
    app = start_app(create_app(config), tokens, config.token_issuer)
    fuzz = FuzzTarget(app, role_headers(tokens))
    yield fuzz
    fuzz.close()


@pytest.mark.parametrize("label", LABELS)
def test_operation(target: FuzzTarget, label: str) -> None:
    target.fuzz(label)


@pytest.mark.parametrize("label", SEEDED_LABELS)
def test_operation_on_seeded_rows(
    target: FuzzTarget, seeded: dict[str, list[str]], label: str
) -> None:
    (name,) = [p[1:-1] for p in label.split("/") if p[:1] == "{"]
    assert seeded[name], f"the demo seed has no row for {name}"
    for key in seeded[name]:
        target.fuzz(label, path_parameters={name: key}, max_examples=examples(8))
