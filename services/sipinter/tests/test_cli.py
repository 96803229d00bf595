"""``python -m cimahi_sipinter``: migrate (twice is a no-op) and seed (the demo data)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cimahi_sipinter.cli import app


def test_migrate_twice_and_seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIPINTER_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 's.sqlite3'}")
    for _ in range(2):
        result = CliRunner().invoke(app, ["migrate"])
        assert result.exit_code == 0, result.output
        assert "sipinter: migrations applied" in result.output
    seeded = CliRunner().invoke(app, ["seed"])
    assert seeded.exit_code == 0, seeded.output
    assert (tmp_path / "s.sqlite3").exists()
