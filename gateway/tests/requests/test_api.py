"""GET /api/v1/requests and /api/v1/requests/{tracking_no}: who sees what, filters, paging, errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cimahi_shared.events.envelope import CloudEvent

MakeEvent = Callable[..., CloudEvent]
Auth = Callable[..., dict[str, str]]

KEL_MELONG = "32.77.01.1001"
KEL_CIBEUREUM = "32.77.01.1002"
KEL_BAROS = "32.77.02.1001"
KEC_SELATAN = "32.77.01"

# tracking_no -> (owner, agency, area)
REQUESTS = {
    "LKM-A1": ("alice", "lakami", KEL_MELONG),
    "LKM-A2": ("alice", "lakami", KEL_BAROS),
    "LKM-B1": ("bob", "lakami", KEL_CIBEUREUM),
    "LKM-K1": ("bob", "lakami", KEC_SELATAN),
    "PBB-A3": ("alice", "epbb", KEL_MELONG),
}


def numbers(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["tracking_no"] for item in response.json()["items"]}


def field_errors(response: httpx.Response) -> set[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return {e["field"] for e in response.json()["errors"]}


@pytest.fixture
async def seeded(api: Any, make_event: MakeEvent) -> Any:
    """Five requests of two citizens in two agencies, kelurahan- and kecamatan-level."""
    events = []
    for i, (no, (owner, agency, area)) in enumerate(REQUESTS.items()):
        at = datetime(2026, 3, 2, 1, 0, tzinfo=UTC) + timedelta(hours=i)
        events.append(
            make_event(
                no, 1, "submitted", owner_sub=owner, agency=agency, area=area, submitted_at=at
            )
        )
        events.append(
            make_event(
                no,
                2,
                "in_review",
                owner_sub=owner,
                agency=agency,
                area=area,
                submitted_at=at,
                note="dicek",
            )
        )
    await api.project(events)
    return api


class TestListAuthorization:
    @pytest.mark.parametrize(
        ("role", "claims", "expected"),
        [
            ("citizen", {"sub": "alice"}, {"LKM-A1", "LKM-A2", "PBB-A3"}),
            ("citizen", {"sub": "bob"}, {"LKM-B1", "LKM-K1"}),
            ("citizen", {"sub": "carol"}, set()),
            ("officer", {"agency": "lakami", "area": KEL_MELONG}, {"LKM-A1"}),
            ("officer", {"agency": "lakami", "area": KEL_CIBEUREUM}, {"LKM-B1"}),
            ("officer", {"agency": "lakami", "area": KEC_SELATAN}, {"LKM-A1", "LKM-B1", "LKM-K1"}),
            ("officer", {"agency": "lakami", "area": "32.77.02"}, {"LKM-A2"}),
            ("officer", {"agency": "epbb", "area": KEL_MELONG}, {"PBB-A3"}),
            ("officer", {"agency": "dilandacinta", "area": KEC_SELATAN}, set()),
            ("officer", {"agency": "lakami", "area": "32.77"}, set(REQUESTS) - {"PBB-A3"}),
            ("officer", {"agency": "epbb", "area": "32.77"}, {"PBB-A3"}),
            ("officer", {"agency": "lakami", "area": "32.73"}, set()),
            ("admin", {}, set(REQUESTS)),
        ],
        ids=[
            "citizen-alice",
            "citizen-bob",
            "citizen-without-requests",
            "officer-same-kelurahan",
            "officer-other-kelurahan",
            "officer-kecamatan",
            "officer-other-kecamatan",
            "officer-other-agency",
            "officer-agency-without-requests",
            "officer-city-wide",
            "officer-city-wide-other-agency",
            "officer-of-another-city",
            "admin",
        ],
    )
    async def test_each_caller_sees_exactly_their_requests(
        self, seeded: Any, auth: Auth, role: str, claims: dict[str, str], expected: set[str]
    ) -> None:
        others = {k: v for k, v in claims.items() if k != "sub"}
        response = await seeded.client.get(
            "/api/v1/requests", headers=auth(role, claims.get("sub"), **others)
        )
        assert numbers(response) == expected

    async def test_machine_clients_are_refused(self, seeded: Any, auth: Auth) -> None:
        headers = auth("client", "svc-1", client_id="svc-1", scope="requests:read")
        response = await seeded.client.get("/api/v1/requests", headers=headers)
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")

    async def test_an_officer_token_without_area_is_refused(self, seeded: Any, auth: Auth) -> None:
        response = await seeded.client.get(
            "/api/v1/requests", headers=auth("officer", agency="lakami")
        )
        assert response.status_code == 403

    async def test_without_a_token_it_is_401(self, seeded: Any) -> None:
        response = await seeded.client.get("/api/v1/requests")
        assert response.status_code == 401

    async def test_list_items_carry_no_internal_fields(self, seeded: Any, auth: Auth) -> None:
        response = await seeded.client.get("/api/v1/requests", headers=auth("citizen", "alice"))
        item = response.json()["items"][0]
        assert set(item) == {
            "tracking_no",
            "agency",
            "request_kind",
            "title",
            "area",
            "status",
            "agency_status",
            "submitted_at",
            "updated_at",
            "due_at",
        }


class TestDetail:
    async def test_the_owner_sees_the_current_status_and_the_whole_timeline(
        self, seeded: Any, auth: Auth
    ) -> None:
        response = await seeded.client.get(
            "/api/v1/requests/LKM-A1", headers=auth("citizen", "alice")
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["tracking_no"], body["status"], body["agency_status"]) == (
            "LKM-A1",
            "in_review",
            "in_review-2",
        )
        assert [(t["sequence"], t["status"], t["note"]) for t in body["timeline"]] == [
            (1, "submitted", None),
            (2, "in_review", "dicek"),
        ]
        assert all(datetime.fromisoformat(t["occurred_at"]).tzinfo for t in body["timeline"])
        assert datetime.fromisoformat(body["submitted_at"]) == datetime(
            2026, 3, 2, 1, 0, tzinfo=UTC
        )

    async def test_another_citizens_request_looks_exactly_like_a_missing_one(
        self, seeded: Any, auth: Auth
    ) -> None:
        headers = auth("citizen", "bob")
        hidden = await seeded.client.get("/api/v1/requests/LKM-A1", headers=headers)
        missing = await seeded.client.get("/api/v1/requests/LKM-ZZ", headers=headers)
        assert hidden.status_code == missing.status_code == 404
        assert (
            hidden.headers["content-type"]
            == missing.headers["content-type"]
            == "application/problem+json"
        )
        # Only `instance` (the requested path) may differ.
        assert hidden.json().pop("instance") == "/api/v1/requests/LKM-A1"
        assert missing.json().pop("instance") == "/api/v1/requests/LKM-ZZ"
        strip = lambda r: {k: v for k, v in r.json().items() if k != "instance"}  # noqa: E731
        assert strip(hidden) == strip(missing)
        assert "LKM" not in hidden.text.replace("/api/v1/requests/LKM-A1", "")
        ignore = {"x-request-id", "content-length", "date"}
        assert {k for k in hidden.headers if k not in ignore} == {
            k for k in missing.headers if k not in ignore
        }

    @pytest.mark.parametrize(
        ("role", "claims", "status"),
        [
            ("officer", {"agency": "lakami", "area": KEL_MELONG}, 200),
            ("officer", {"agency": "lakami", "area": KEC_SELATAN}, 200),
            ("officer", {"agency": "lakami", "area": KEL_CIBEUREUM}, 404),
            ("officer", {"agency": "lakami", "area": "32.77.02"}, 404),
            ("officer", {"agency": "epbb", "area": KEL_MELONG}, 404),
            ("officer", {"agency": "lakami", "area": "32.77"}, 200),
            ("officer", {"agency": "epbb", "area": "32.77"}, 404),
            ("admin", {}, 200),
            ("client", {"client_id": "svc"}, 403),
        ],
        ids=[
            "same-kelurahan",
            "kecamatan",
            "other-kelurahan",
            "other-kecamatan",
            "other-agency",
            "city-wide",
            "city-wide-other-agency",
            "admin",
            "client",
        ],
    )
    async def test_staff_see_a_request_only_within_their_agency_and_area(
        self, seeded: Any, auth: Auth, role: str, claims: dict[str, str], status: int
    ) -> None:
        response = await seeded.client.get("/api/v1/requests/LKM-A1", headers=auth(role, **claims))
        assert response.status_code == status, response.text


@pytest.fixture
async def many(api: Any, make_event: MakeEvent) -> dict[str, Any]:
    """230 of alice's requests over ~10 days, some submitted at the same instant, 3 of bob's."""
    start = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    statuses = ["submitted", "in_review", "in_process", "completed", "rejected"]
    expected: list[tuple[datetime, str, str, str]] = []
    events = []
    for i in range(230):
        no = f"LKM-{i:05d}" if i % 3 else f"PBB-{i:05d}"
        agency = "lakami" if i % 3 else "epbb"
        at = start + timedelta(hours=(i // 4))  # four requests share each instant
        status = statuses[i % len(statuses)]
        events.append(
            make_event(no, 1, "submitted", owner_sub="alice", agency=agency, submitted_at=at)
        )
        events.append(make_event(no, 2, status, owner_sub="alice", agency=agency, submitted_at=at))
        expected.append((at, no, agency, status))
    for i in range(3):
        events.append(make_event(f"LKM-BOB{i}", 1, owner_sub="bob", submitted_at=start))
    await api.project(events)
    expected.sort(key=lambda r: (r[0], r[1]), reverse=True)
    return {"api": api, "expected": expected}


async def all_pages(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    seen: list[str] = []
    cursor = None
    for _ in range(200):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/v1/requests", params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= int(params.get("limit", 20))
        seen.extend(item["tracking_no"] for item in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("paging did not end")


class TestFiltersAndPaging:
    async def test_cursor_pages_walk_every_request_once_newest_first(
        self, many: dict[str, Any], auth: Auth
    ) -> None:
        api, expected = many["api"], many["expected"]
        seen = await all_pages(api.client, auth("citizen", "alice"), limit=7)
        assert seen == [no for _, no, _, _ in expected]

    async def test_default_page_is_twenty_and_limit_is_capped(
        self, many: dict[str, Any], auth: Auth
    ) -> None:
        api = many["api"]
        response = await api.client.get("/api/v1/requests", headers=auth("citizen", "alice"))
        assert len(response.json()["items"]) == 20
        response = await api.client.get(
            "/api/v1/requests", params={"limit": 100}, headers=auth("citizen", "alice")
        )
        assert len(response.json()["items"]) == 100

    async def test_status_filter_is_repeatable(self, many: dict[str, Any], auth: Auth) -> None:
        api, expected = many["api"], many["expected"]
        seen = await all_pages(
            api.client, auth("citizen", "alice"), status=["completed", "rejected"], limit=50
        )
        assert seen == [no for _, no, _, st in expected if st in ("completed", "rejected")]

    async def test_agency_filter(self, many: dict[str, Any], auth: Auth) -> None:
        api, expected = many["api"], many["expected"]
        seen = await all_pages(api.client, auth("admin"), agency="epbb", limit=100)
        assert seen == [no for _, no, ag, _ in expected if ag == "epbb"]

    async def test_date_filters_are_whole_days_in_city_time(
        self, many: dict[str, Any], auth: Auth
    ) -> None:
        api, expected = many["api"], many["expected"]
        # 2026-03-02 in WIB (UTC+7) is [2026-03-01T17:00Z, 2026-03-02T17:00Z).
        lo, hi = datetime(2026, 3, 1, 17, tzinfo=UTC), datetime(2026, 3, 2, 17, tzinfo=UTC)
        seen = await all_pages(
            api.client,
            auth("citizen", "alice"),
            submitted_from="2026-03-02",
            submitted_to="2026-03-02",
            limit=100,
        )
        wanted = [no for at, no, _, _ in expected if lo <= at < hi]
        assert seen == wanted
        assert len(wanted) == 96

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"limit": 0}, "limit"),
            ({"limit": 101}, "limit"),
            ({"limit": "many"}, "limit"),
            ({"status": "lost"}, "status.0"),
            ({"agency": "Not An Agency"}, "agency"),
            ({"submitted_from": "yesterday"}, "submitted_from"),
            ({"submitted_from": "2026-03-05", "submitted_to": "2026-03-01"}, "submitted_to"),
            ({"cursor": "not-a-cursor"}, "cursor"),
            ({"cursor": "W10"}, "cursor"),
        ],
    )
    async def test_invalid_filters_are_422_naming_the_field(
        self, many: dict[str, Any], auth: Auth, params: dict[str, Any], field: str
    ) -> None:
        response = await many["api"].client.get(
            "/api/v1/requests", params=params, headers=auth("citizen", "alice")
        )
        assert field in field_errors(response)

    async def test_a_cursor_does_not_widen_what_a_caller_sees(
        self, many: dict[str, Any], auth: Auth
    ) -> None:
        api = many["api"]
        first = await api.client.get(
            "/api/v1/requests", params={"limit": 5}, headers=auth("citizen", "alice")
        )
        cursor = first.json()["next_cursor"]
        response = await api.client.get(
            "/api/v1/requests",
            params={"cursor": cursor, "limit": 100},
            headers=auth("citizen", "bob"),
        )
        assert numbers(response) == {"LKM-BOB0", "LKM-BOB1", "LKM-BOB2"}
