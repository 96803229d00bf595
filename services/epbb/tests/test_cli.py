"""``python -m cimahi_epbb``: migrate, seed (rules, demo objects, bills, channels), generate
with a progress bar, rules show."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from cimahi_epbb.cli import app
from cimahi_shared.db import create_engine


@pytest.fixture
def epbb_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'epbb.sqlite3'}"
    monkeypatch.setenv("EPBB_DATABASE_URL", url)
    monkeypatch.setenv("EPBB_DEMO_OBJECTS", "150")
    monkeypatch.setenv("EPBB_DEMO_TAX_YEARS", "[2025, 2026]")
    return url


def scalar(url: str, sql: str) -> object:
    async def run() -> object:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return (await conn.execute(text(sql))).scalar_one()
        finally:
            await engine.dispose()

    return asyncio.run(run())


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


class TestCommands:
    def test_migrate_seed_generate(self, epbb_db: str) -> None:
        assert "migrations applied" in invoke("migrate")
        out = invoke("seed")
        assert "rules loaded for 2 new tax year(s)" in out
        assert "153 demo objects loaded" in out
        assert scalar(epbb_db, "SELECT count(*) FROM tax_objects") == 153
        active = scalar(epbb_db, "SELECT count(*) FROM tax_objects WHERE status = 'active'")
        assert active in (152, 153)  # a demo object is retired now and then
        assert f"SPPT 2025 (rules v1): {active} created" in out
        assert f"SPPT 2026 (rules v1): {active} created" in out
        assert scalar(epbb_db, "SELECT count(*) FROM bills") == 2 * active
        # A second seed changes nothing.
        again = invoke("seed")
        assert "rules loaded for 0 new tax year(s)" in again
        assert "demo objects already loaded" in again
        assert f"SPPT 2026 (rules v1): 0 created, {active} existing" in again
        assert scalar(epbb_db, "SELECT count(*) FROM bills") == 2 * active
        # generate: a progress bar, then what it did.
        out = invoke("generate", "--year", "2026")
        assert "SPPT 2026" in out
        assert f"0 created, {active} existing, 0 skipped" in out
        assert scalar(epbb_db, "SELECT count(*) FROM bills") == 2 * active

    def test_generate_a_year_without_rules(self, epbb_db: str) -> None:
        invoke("migrate")
        result = CliRunner().invoke(app, ["generate", "--year", "2031", "--no-progress"])
        assert result.exit_code == 1
        assert "No rules for tax year 2031" in result.output

    def test_rules_show(self, epbb_db: str) -> None:
        invoke("migrate")
        invoke("seed")
        shown = json.loads(invoke("rules", "show", "--year", "2025"))
        assert shown["version"] == 1
        assert shown["rules"]["tax_year"] == 2025
        assert shown["rules"]["njoptkp"] == 10_000_000
        assert [v["note"] for v in shown["versions"]] == ["Packaged rules"]
        missing = CliRunner().invoke(app, ["rules", "show", "--year", "2031"])
        assert missing.exit_code == 1
