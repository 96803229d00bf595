"""The shared access-log builder: officers' and admins' reads are rows, citizens' are not."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cimahi_shared.access_log import AccessLog
from cimahi_shared.auth import Principal
from cimahi_shared.context import request_id_var

NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)


class Row:
    def __init__(self, **columns: Any) -> None:
        self.columns = columns


class Session:
    def __init__(self) -> None:
        self.added: list[Any] = []

    def add_all(self, rows: list[Any]) -> None:
        self.added.extend(rows)


def test_an_officer_s_list_read_is_one_row_per_record_with_purpose_and_request_id() -> None:
    log = AccessLog(Row, subject="nop")
    officer = Principal(sub="o-1", role="officer", agency="epbb", area="32.77", name="Rina")
    session = Session()
    token = request_id_var.set("req-42")
    try:
        log.log_reads(
            session,  # type: ignore[arg-type]
            officer,
            resource="object",
            refs=[("327701000100100010", None), ("327703000200200020", "x")],
            action="list",
            purpose="Pemeriksaan keberatan",
            now=NOW,
        )
    finally:
        request_id_var.reset(token)
    rows = [r.columns for r in session.added]
    assert [r["nop"] for r in rows] == ["327701000100100010", "327703000200200020"]
    assert {r["actor_sub"] for r in rows} == {"o-1"}
    assert {(r["actor_role"], r["actor_area"], r["actor_name"]) for r in rows} == {
        ("officer", "32.77", "Rina")
    }
    assert {(r["purpose"], r["http_request_id"], r["occurred_at"]) for r in rows} == {
        ("Pemeriksaan keberatan", "req-42", NOW)
    }
    assert len({r["id"] for r in rows}) == 2


def test_a_citizen_s_reads_are_not_logged() -> None:
    session = Session()
    AccessLog(Row, subject="nop").log_reads(
        session,  # type: ignore[arg-type]
        Principal(sub="c-1", role="citizen"),
        resource="object",
        refs=[("327701000100100010", None)],
        action="read",
        purpose="x",
        now=NOW,
    )
    assert session.added == []
