"""schemathesis against DILANDACINTA's OpenAPI: every operation, real tokens of every role (issue 9).

No generated request may get a 5xx, and every response must match what the document says
(status code, content type, headers, body schema). The machine client holds the gateway's
``dilandacinta:identity.match`` scope.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cimahi_dilandacinta.cli import migrate_database
from cimahi_dilandacinta.config import DilandacintaSettings
from cimahi_dilandacinta.main import create_app
from cimahi_shared.testing.tokens import Tokens as GatewayTokens
from tests.fuzz.conftest import (
    FuzzTarget,
    migrated_sqlite,
    operation_labels,
    role_headers,
    start_app,
)

CITY = "32.77"


class Tokens(GatewayTokens):
    agency = "dilandacinta"
    default_area = CITY
    officer_name = "Dewi Kurniasih"
    machine_scope = "dilandacinta:identity.match"
    kid = "dilandacinta-fuzz-key"


def _settings(database_url: str, upload_dir: Path) -> DilandacintaSettings:
    return DilandacintaSettings(
        database_url=database_url, nats_enabled=False, log_json=False, upload_dir=str(upload_dir)
    )


LABELS = operation_labels(create_app(_settings("sqlite+aiosqlite://", Path("unused"))).openapi())


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    folder = tmp_path_factory.mktemp("fuzz-dilandacinta")
    url = migrated_sqlite(folder, key="dilandacinta", prepare=migrate_database)
    config = _settings(url, folder / "uploads")
    tokens = Tokens(config.token_issuer, config.token_audience)
    app = start_app(create_app(config), tokens, config.token_issuer)
    fuzz = FuzzTarget(app, role_headers(tokens))
    yield fuzz
    fuzz.close()


@pytest.mark.parametrize("label", LABELS)
def test_operation(target: FuzzTarget, label: str) -> None:
    target.fuzz(label)
