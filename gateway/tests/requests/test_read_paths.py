"""The read paths of the status API: exact response schema, merged status filters, query plans."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from cimahi_gateway.requests import repository
from cimahi_gateway.requests.models import TrackedRequest
from cimahi_gateway.requests.repository import Visibility
from cimahi_gateway.requests.schemas import RequestDetail, RequestPage
from cimahi_shared.events.envelope import CloudEvent

MakeEvent = Callable[..., CloudEvent]
Auth = Callable[..., dict[str, str]]

KEL_MELONG = "32.77.01.1001"
KEL_CIBEUREUM = "32.77.01.1002"
KEL_BAROS = "32.77.02.1001"
KEC_SELATAN = "32.77.01"
STATUSES = [
    "submitted",
    "in_review",
    "needs_revision",
    "in_process",
    "completed",
    "rejected",
    "cancelled",
]
AREAS = [KEL_MELONG, KEL_CIBEUREUM, KEL_BAROS]

# A sort node of a plan (a Merge Append's "Sort Key" merges ranges already in order).
SORT_NODE = re.compile(r"^\s*(->\s+)?(Incremental )?Sort\s+\(", re.MULTILINE)

# (submitted_at, tracking_no, agency, area, status, owner)
Row = tuple[datetime, str, str, str, str, str]


@pytest.fixture
async def city(api: Any, make_event: MakeEvent) -> dict[str, Any]:
    """84 requests over three kelurahan, two agencies, every status; three share each instant."""
    start = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)
    rows: list[Row] = []
    events = []
    for i in range(84):
        agency = "epbb" if i % 5 == 0 else "lakami"
        area = AREAS[i % len(AREAS)]
        status = STATUSES[(i // 2) % len(STATUSES)]
        owner = "alice" if i % 2 else "bob"
        at = start + timedelta(minutes=i // 3, microseconds=250_000 if i % 4 == 1 else 0)
        no = f"{agency[:3].upper()}-{i:04d}"
        kw = {"owner_sub": owner, "agency": agency, "area": area, "submitted_at": at}
        events.append(make_event(no, 1, "submitted", **kw))
        if status != "submitted":
            events.append(make_event(no, 2, status, note=f"step of {no}", **kw))
        rows.append((at, no, agency, area, status, owner))
    await api.project(events)
    rows.sort(key=lambda r: (r[0], r[1]), reverse=True)
    return {"api": api, "rows": rows}


async def walk(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> tuple[list[str], list[bytes]]:
    """Every page of a list: the tracking numbers in order and each raw body."""
    seen: list[str] = []
    bodies: list[bytes] = []
    cursor = None
    for _ in range(100):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/v1/requests", params=query, headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        bodies.append(response.content)
        page = response.json()
        seen.extend(item["tracking_no"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return seen, bodies
    raise AssertionError("paging did not end")


def expected(rows: list[Row], keep: Callable[[Row], bool]) -> list[str]:
    return [r[1] for r in rows if keep(r)]


class TestResponseBodies:
    async def test_list_pages_are_exactly_the_documented_schema(
        self, city: dict[str, Any], auth: Auth
    ) -> None:
        _, bodies = await walk(city["api"].client, auth("citizen", "alice"), limit=9)
        assert len(bodies) > 2
        for body in bodies:
            # Byte for byte what pydantic writes for the documented model: same fields, same
            # order, statuses valid, datetimes in UTC with "Z" and microseconds only when set.
            assert RequestPage.model_validate_json(body).model_dump_json().encode() == body
        assert b".250000Z" in b"".join(bodies)

    async def test_detail_is_exactly_the_documented_schema(
        self, city: dict[str, Any], auth: Auth
    ) -> None:
        for no in ("LAK-0001", "LAK-0002"):
            response = await city["api"].client.get(f"/api/v1/requests/{no}", headers=auth("admin"))
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == "application/json"
            body = response.content
            assert RequestDetail.model_validate_json(body).model_dump_json().encode() == body
        detail = response.json()
        assert [(t["sequence"], t["status"], t["note"]) for t in detail["timeline"]] == [
            (1, "submitted", None),
            (2, "in_review", "step of LAK-0002"),
        ]

    async def test_a_request_without_timeline_entries_has_an_empty_timeline(
        self, api: Any, auth: Auth
    ) -> None:
        at = datetime(2026, 4, 1, tzinfo=UTC)
        async with api.session_factory() as session:
            await session.execute(
                insert(TrackedRequest),
                [_status_row("LKM-BARE", "lakami", KEL_MELONG, "submitted", "alice", at)],
            )
            await session.commit()
        response = await api.client.get(
            "/api/v1/requests/LKM-BARE", headers=auth("citizen", "alice")
        )
        assert response.status_code == 200, response.text
        assert response.json()["timeline"] == []
        hidden = await api.client.get("/api/v1/requests/LKM-BARE", headers=auth("citizen", "bob"))
        assert hidden.status_code == 404


class TestStatusFilters:
    @pytest.mark.parametrize(
        ("claims", "visible"),
        [
            ({"agency": "lakami", "area": KEL_MELONG}, lambda r: r[2:4] == ("lakami", KEL_MELONG)),
            (
                {"agency": "lakami", "area": KEC_SELATAN},
                lambda r: r[2] == "lakami" and r[3].startswith(KEC_SELATAN + "."),
            ),
        ],
        ids=["kelurahan-officer", "kecamatan-officer"],
    )
    @pytest.mark.parametrize(
        "statuses",
        [["in_review"], ["in_review", "rejected", "cancelled"], STATUSES, ["rejected", "rejected"]],
        ids=["one", "three", "all-seven", "repeated"],
    )
    @pytest.mark.parametrize("limit", [1, 4, 100])
    async def test_officer_lists_by_status_page_newest_first(
        self,
        city: dict[str, Any],
        auth: Auth,
        claims: dict[str, str],
        visible: Callable[[Row], bool],
        statuses: list[str],
        limit: int,
    ) -> None:
        seen, _ = await walk(
            city["api"].client, auth("officer", **claims), status=statuses, limit=limit
        )
        wanted = expected(city["rows"], lambda r: visible(r) and r[4] in statuses)
        assert wanted
        assert seen == wanted

    @pytest.mark.parametrize(
        ("role", "sub", "visible"),
        [
            ("citizen", "alice", lambda r: r[5] == "alice"),
            ("admin", None, lambda r: True),
        ],
        ids=["citizen", "admin"],
    )
    async def test_citizen_and_admin_lists_by_several_statuses(
        self,
        city: dict[str, Any],
        auth: Auth,
        role: str,
        sub: str | None,
        visible: Callable[[Row], bool],
    ) -> None:
        statuses = ["submitted", "completed", "cancelled"]
        seen, _ = await walk(city["api"].client, auth(role, sub), status=statuses, limit=5)
        assert seen == expected(city["rows"], lambda r: visible(r) and r[4] in statuses)

    async def test_an_officer_filtering_by_another_agency_sees_nothing(
        self, city: dict[str, Any], auth: Auth
    ) -> None:
        headers = auth("officer", agency="lakami", area=KEL_MELONG)
        other, _ = await walk(city["api"].client, headers, agency="epbb")
        own, _ = await walk(city["api"].client, headers, agency="lakami", status=["rejected"])
        assert other == []
        assert own == expected(city["rows"], lambda r: r[2:5] == ("lakami", KEL_MELONG, "rejected"))


def _status_row(
    tracking_no: str, agency: str, area: str, status: str, owner: str, at: datetime
) -> dict[str, Any]:
    return {
        "tracking_no": tracking_no,
        "agency": agency,
        "request_kind": "letter.domisili",
        "title": "Surat keterangan domisili",
        "owner_sub": owner,
        "area": area,
        "kecamatan": area[:8],
        "agency_status": status,
        "status": status,
        "last_sequence": 1,
        "submitted_at": at,
        "updated_at": at,
        "due_at": None,
    }


@pytest.fixture
async def unanalyzed(engine: AsyncEngine) -> AsyncEngine:
    """PostgreSQL only: 20,000 rows just written, never ANALYZEd (autovacuum may be off)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("query plans are PostgreSQL's")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    combos = itertools.cycle(itertools.product(["lakami", "epbb"], AREAS, STATUSES))
    rows = []
    for i in range(20_000):
        agency, area, status = next(combos)
        # The newest 2,000 are all "submitted" in Melong: a status filter must not read past them.
        if i >= 18_000:
            agency, area, status = "lakami", KEL_MELONG, "submitted"
        rows.append(
            _status_row(f"P-{i:06d}", agency, area, status, f"owner-{i % 2000}", start)
            | {"submitted_at": start + timedelta(minutes=i)}
        )
    async with engine.begin() as conn:
        await conn.execute(insert(TrackedRequest), rows)
    return engine


async def _plan(engine: AsyncEngine, scope: Visibility, statuses: list[str]) -> str:
    """PostgreSQL's plan of the exact statement ``list_visible`` sends (EXPLAIN prefixed)."""

    def explain(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> tuple[str, Any]:
        return "EXPLAIN " + statement, params

    event.listen(engine.sync_engine, "before_cursor_execute", explain, retval=True)
    try:
        async with engine.connect() as conn:
            rows = await repository.list_visible(
                conn,
                scope=scope,
                agency=None,
                statuses=statuses,
                submitted_from=None,
                submitted_before=None,
                after=(datetime(2025, 1, 10, tzinfo=UTC), "P-999999"),
                limit=21,
            )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", explain)
    return "\n".join(str(row[0]) for row in rows)


class TestQueryPlans:
    """Officer lists are index ranges read in order, even on a table without statistics."""

    @pytest.mark.parametrize(
        ("scope", "index"),
        [
            (Visibility(agency="lakami", area=KEL_MELONG), "ix_request_status_agency_area_status"),
            (
                Visibility(agency="lakami", kecamatan=KEC_SELATAN),
                "ix_request_status_agency_kecamatan_status",
            ),
        ],
        ids=["kelurahan", "kecamatan"],
    )
    @pytest.mark.parametrize(
        ("statuses", "ranges"),
        [(["in_review"], 1), (["in_review", "rejected"], 2), ([], len(STATUSES))],
        ids=["one-status", "two-statuses", "unfiltered"],
    )
    async def test_officer_lists_read_one_range_per_status_without_a_sort(
        self,
        unanalyzed: AsyncEngine,
        scope: Visibility,
        index: str,
        statuses: list[str],
        ranges: int,
    ) -> None:
        plan = await _plan(unanalyzed, scope, statuses)
        assert plan.count(f"Index Scan Backward using {index} ") == ranges, plan
        assert "Filter:" not in plan, plan
        assert not SORT_NODE.search(plan), plan

    async def test_a_citizen_list_reads_only_their_own_index_range(
        self, unanalyzed: AsyncEngine
    ) -> None:
        plan = await _plan(unanalyzed, Visibility(owner_sub="owner-7"), [])
        assert "on ix_request_status_owner " in plan or "using ix_request_status_owner " in plan
        assert "Seq Scan" not in plan, plan
