"""migrated_copy: a prepared database per test, prepared once per session on SQLite."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from cimahi_shared.testing.fixtures import migrated_copy


def test_sqlite_copies_are_prepared_once_and_independent(tmp_path: Path) -> None:
    calls: list[str] = []

    def prepare(url: str) -> None:
        calls.append(url)
        with sqlite3.connect(url.partition(":///")[2]) as db:
            db.execute("CREATE TABLE t (x INTEGER)")
            db.execute("INSERT INTO t VALUES (1)")

    first, second = (f"sqlite+aiosqlite:///{tmp_path / name}" for name in ("a.db", "b.db"))
    assert migrated_copy(first, key="copy-test", prepare=prepare) == first
    migrated_copy(second, key="copy-test", prepare=prepare)
    assert len(calls) == 1  # the template, once
    with sqlite3.connect(tmp_path / "a.db") as db:
        db.execute("INSERT INTO t VALUES (2)")
    with sqlite3.connect(tmp_path / "b.db") as db:
        assert db.execute("SELECT count(*) FROM t").fetchone() == (1,)
