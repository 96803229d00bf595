"""schemathesis against LAKAMI's OpenAPI: every operation, real tokens of every role (issue 9).

No generated request may get a 5xx, and every response must match what the document says
(status code, content type, headers, body schema).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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


# The same operations on a letter request and a complaint that exist (of the fuzzing citizen,
# in the officer's kelurahan), so generated bodies get past the lookup.


def _letter_body() -> dict[str, Any]:
    today = datetime.now(UTC).date()
    return {
        "letter_type": "domisili",
        "nik": "3277015205900011",
        "no_kk": "3277011205900011",
        "full_name": "Rina Marlina",
        "kelurahan_code": MELONG,
        "rt": "3",
        "rw": "007",
        "cover_letter_number": "012/RT03/2026",
        "cover_letter_date": (today - timedelta(days=3)).isoformat(),
        "purpose": "Persyaratan pembukaan rekening bank",
        "fields": {"address": "Jl. Melong Asih No. 12", "resident_since": "2015-03-01"},
    }


def _complaint_body() -> dict[str, Any]:
    return {
        "category": "kebersihan",
        "title": "Sampah tidak diangkut seminggu",
        "description": "Sampah di TPS Jl. Melong Asih belum diangkut sejak minggu lalu.",
        "kelurahan_code": MELONG,
        "location": {"lat": -6.90, "long": 107.54},
        "address": "Jl. Melong Asih dekat masjid",
    }


@pytest.fixture(scope="module")
def existing(target: FuzzTarget) -> dict[str, str]:
    letter = target.call("POST /v1/letter-requests", "citizen", body=_letter_body())
    complaint = target.call("POST /v1/complaints", "citizen", body=_complaint_body())
    assert (letter.status_code, complaint.status_code) == (201, 201), letter.text + complaint.text
    return {"letter": letter.json()["tracking_no"], "complaint": complaint.json()["tracking_no"]}


EXISTING = [
    (label, "letter" if label.split()[1].startswith("/v1/letter-requests") else "complaint")
    for label in LABELS
    if label.split()[1].startswith(("/v1/letter-requests/{tracking_no}", "/v1/complaints/{"))
]


@pytest.mark.parametrize(("label", "kind"), EXISTING)
def test_operation_on_existing(
    target: FuzzTarget, existing: dict[str, str], label: str, kind: str
) -> None:
    target.fuzz(label, path_parameters={"tracking_no": existing[kind]})
