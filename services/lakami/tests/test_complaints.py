"""Complaints through the HTTP API: deadlines, the status chain, authorization, privacy, events."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text

from cimahi_lakami.complaints.deadlines import CALENDAR_EXTRA, CLOCK_EXTRA
from cimahi_lakami.models import AccessAudit, Complaint
from cimahi_shared.app import Runtime
from cimahi_shared.calendar import WorkCalendar
from services.lakami.tests.conftest import CIBABAT, MELONG, Tokens, error_fields, problem

TRACKING_NO = re.compile(r"^ADU-\d{4}-[0-9A-HJKMNP-TV-Z]{8}$")
CIMAHI_SELATAN = "32.77.01"  # Melong's kecamatan
HOLIDAY = date(2026, 12, 7)  # an injected holiday (a Monday)
# Thursday 3 December 2026, 10:00 WIB.
FILED_AT = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
SECRET_NAME = "Rina Marlina"
SECRET_CONTACT = "0812-3456-7890"


@dataclass
class Clock:
    """A settable "now" for the service."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def runtime(app: FastAPI) -> Runtime:
    rt: Runtime = app.state.runtime
    return rt


@pytest.fixture
def clock(app: FastAPI) -> Iterator[Clock]:
    clk = Clock(FILED_AT)
    extras = runtime(app).extras
    extras[CLOCK_EXTRA] = clk
    extras[CALENDAR_EXTRA] = WorkCalendar(holidays=frozenset({HOLIDAY}))
    yield clk
    extras.pop(CLOCK_EXTRA, None)
    extras.pop(CALENDAR_EXTRA, None)


def complaint_body(**overrides: Any) -> dict[str, Any]:
    """A valid complaint about rubbish in Melong."""
    body: dict[str, Any] = {
        "category": "kebersihan",
        "title": "Sampah tidak diangkut seminggu",
        "description": "Sampah di TPS Jl. Melong Asih belum diangkut sejak minggu lalu.",
        "kelurahan_code": MELONG,
        "location": {"lat": -6.90, "long": 107.54},
        "address": "Jl. Melong Asih dekat masjid",
        "contact": SECRET_CONTACT,
    }
    body.update(overrides)
    return body


def citizen(tokens: Tokens, sub: str | None = None) -> dict[str, str]:
    return tokens.headers(sub=sub or "citizen-rina", role="citizen", name=SECRET_NAME)


async def file(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/complaints", json=complaint_body(**overrides), headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def act(
    client: httpx.AsyncClient,
    tracking_no: str,
    action: str,
    headers: dict[str, str],
    **body: Any,
) -> httpx.Response:
    return await client.post(f"/v1/complaints/{tracking_no}/{action}", json=body, headers=headers)


async def outbox_events(app: FastAPI) -> list[dict[str, Any]]:
    async with runtime(app).session_factory() as session:
        rows = (await session.execute(text("SELECT subject, payload FROM outbox"))).all()
    return [{"nats_subject": r.subject, **orjson.loads(r.payload)} for r in rows]


class TestDeadlines:
    async def test_deadlines_skip_the_weekend_and_the_holiday(
        self, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        created = await file(client, citizen(tokens))
        assert TRACKING_NO.match(created["tracking_no"])
        assert created["tracking_no"].startswith("ADU-2612-")
        # Thu 3 Dec: Fri 4, (Sat, Sun, holiday Mon 7), Tue 8, Wed 9 -> end of Wed 9 Dec WIB.
        assert created["verify_due_at"] == "2026-12-09T16:59:59Z"
        # 5 working days for a complaint: Fri 4, Tue 8, Wed 9, Thu 10, Fri 11.
        assert created["answer_due_at"] == "2026-12-11T16:59:59Z"
        assert created["complaint_type"] == "complaint"

        field_check = await file(client, citizen(tokens), category="jalan-drainase")
        dispute = await file(client, citizen(tokens), category="sengketa-lingkungan")
        info = await file(client, citizen(tokens), category="permintaan-informasi")
        assert field_check["complaint_type"] == "dispute_field"
        assert dispute["answer_due_at"] == "2026-12-24T16:59:59Z"  # 14 working days
        assert info["answer_due_at"] == created["answer_due_at"]
        assert field_check["answer_due_at"] > dispute["answer_due_at"]

    async def test_officers_list_overdue_and_nearly_overdue_complaints(
        self, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        owner = citizen(tokens)
        late = (await file(client, owner))["tracking_no"]
        officer = tokens.officer(MELONG)
        clock.advance(days=5)  # Tue 8 Dec 10:00 WIB: verification due Wed 9 -> due soon
        soon = await client.get("/v1/complaints?due=soon", headers=officer)
        assert soon.status_code == 200, soon.text
        assert [c["tracking_no"] for c in soon.json()["items"]] == [late]
        assert (await client.get("/v1/complaints?due=overdue", headers=officer)).json()[
            "items"
        ] == []
        clock.advance(days=2)  # Thu 10 Dec: overdue
        fresh = (await file(client, owner))["tracking_no"]
        overdue = (await client.get("/v1/complaints?due=overdue", headers=officer)).json()
        assert [c["tracking_no"] for c in overdue["items"]] == [late]
        assert overdue["items"][0]["overdue"] is True
        listed = (await client.get("/v1/complaints", headers=officer)).json()["items"]
        assert [c["tracking_no"] for c in listed] == [fresh, late]
        other = (await client.get("/v1/complaints", headers=tokens.officer(CIBABAT))).json()
        assert other["items"] == []
        problem(await client.get("/v1/complaints?due=someday", headers=officer), 422)

    async def test_reads_show_the_current_deadline_overdue_and_the_reopen_window(
        self, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        owner, officer = citizen(tokens), tokens.officer(MELONG)
        created = await file(client, owner)
        tracking_no = created["tracking_no"]
        assert created["due_at"] == created["verify_due_at"] == "2026-12-09T16:59:59Z"
        assert (created["overdue"], created["reopen_until"]) == (False, None)
        url = f"/v1/complaints/{tracking_no}"
        clock.now = datetime(2026, 12, 9, 17, 0, tzinfo=UTC)  # Thu 10 Dec 00:00 WIB
        late = (await client.get(url, headers=owner)).json()
        assert (late["due_at"], late["overdue"]) == ("2026-12-09T16:59:59Z", True)
        listed = (await client.get("/v1/complaints", headers=officer)).json()["items"][0]
        assert (listed["due_at"], listed["overdue"]) == ("2026-12-09T16:59:59Z", True)
        # Verified late: now it waits for the answer, due Fri 11 Dec (not overdue yet).
        verified = (await act(client, tracking_no, "verify", officer)).json()
        assert (verified["due_at"], verified["overdue"]) == (created["answer_due_at"], False)
        answered = (await act(client, tracking_no, "answer", officer, note="Sudah")).json()
        # Answered Thu 10 Dec: reopen until the end of the 10th working day, Thu 24 Dec.
        assert (answered["due_at"], answered["overdue"]) == (None, False)
        assert answered["reopen_until"] == "2026-12-24T16:59:59Z"
        public = (await client.get(url, headers=citizen(tokens, sub="citizen-other"))).json()
        assert public["reopen_until"] == "2026-12-24T16:59:59Z"


class TestChain:
    async def test_verify_answer_rate_close(
        self, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        owner = citizen(tokens)
        officer = tokens.officer(MELONG, sub="officer-melong-1")
        tracking_no = (await file(client, owner))["tracking_no"]
        verified = await act(client, tracking_no, "verify", officer, note="Lengkap")
        assert verified.status_code == 200, verified.text
        assert (verified.json()["status"], verified.json()["unified_status"]) == (
            "verified",
            "in_review",
        )
        problem(await act(client, tracking_no, "rating", owner, rating=5), 409)
        assert "note" in error_fields(await act(client, tracking_no, "answer", officer))
        clock.advance(days=1)
        answered = await act(
            client, tracking_no, "answer", officer, note="Sudah diangkut DLH hari ini."
        )
        assert answered.status_code == 200, answered.text
        body = answered.json()
        assert (body["status"], body["unified_status"]) == ("answered", "completed")
        assert body["answer"] == "Sudah diangkut DLH hari ini."
        assert body["answered_at"] == "2026-12-04T03:00:00Z"

        problem(await act(client, tracking_no, "rating", owner, rating=6), 422)
        rated = await act(client, tracking_no, "rating", owner, rating=4, comment="Cepat")
        assert rated.status_code == 200, rated.text
        assert rated.json()["rating"] == 4
        problem(await act(client, tracking_no, "rating", owner, rating=5), 409)
        closed = await act(client, tracking_no, "close", officer)
        assert closed.json()["status"] == "closed"
        seen = (await client.get(f"/v1/complaints/{tracking_no}", headers=owner)).json()
        assert [(h["action"], h["to_status"]) for h in seen["history"]] == [
            ("submit", "submitted"),
            ("verify", "verified"),
            ("answer", "answered"),
            ("rate", "answered"),
            ("close", "closed"),
        ]
        assert seen["history"][1]["actor_sub"] == "officer-melong-1"
        assert seen["history"][1]["note"] == "Lengkap"
        assert all(h["occurred_at"] for h in seen["history"])

    async def test_forward_then_answer_and_not_our_authority_names_who(
        self, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        owner, officer = citizen(tokens), tokens.officer(MELONG)
        first = (await file(client, owner))["tracking_no"]
        assert "responsible_agency" in error_fields(await act(client, first, "forward", officer))
        forwarded = await act(
            client, first, "forward", officer, responsible_agency="Dinas Lingkungan Hidup"
        )
        assert forwarded.status_code == 200, forwarded.text
        assert forwarded.json()["status"] == "forwarded"
        assert forwarded.json()["responsible_agency"] == "Dinas Lingkungan Hidup"
        answered = await act(client, first, "answer", officer, note="DLH menjadwalkan.")
        assert answered.json()["status"] == "answered"

        second = (await file(client, owner))["tracking_no"]
        missing = await act(client, second, "not-authority", officer, note="Bukan kewenangan")
        assert error_fields(missing) == {"responsible_agency"}
        declined = await act(
            client,
            second,
            "not-authority",
            officer,
            note="Jalan provinsi",
            responsible_agency="Dinas Bina Marga Provinsi Jawa Barat",
        )
        assert declined.status_code == 200, declined.text
        body = declined.json()
        assert (body["status"], body["unified_status"]) == ("not_authority", "rejected")
        assert body["responsible_agency"] == "Dinas Bina Marga Provinsi Jawa Barat"

    async def test_archive_needs_a_note_and_is_final(
        self, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        owner, officer = citizen(tokens), tokens.officer(MELONG)
        tracking_no = (await file(client, owner))["tracking_no"]
        assert "note" in error_fields(await act(client, tracking_no, "archive", officer))
        archived = await act(client, tracking_no, "archive", officer, note="Duplikat ADU-x")
        assert (archived.json()["status"], archived.json()["unified_status"]) == (
            "archived",
            "cancelled",
        )
        conflict = problem(await act(client, tracking_no, "verify", officer), 409)
        assert conflict["current_status"] == "archived"
        problem(await act(client, tracking_no, "reopen", owner, note="Kenapa?"), 409)

    async def test_citizen_adds_information_while_open_only(
        self, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        owner, officer = citizen(tokens), tokens.officer(MELONG)
        tracking_no = (await file(client, owner))["tracking_no"]
        added = await act(
            client,
            tracking_no,
            "info",
            owner,
            note="Sekarang ada bau menyengat.",
        )
        assert added.status_code == 200, added.text
        body = added.json()
        assert body["status"] == "submitted"
        assert body["history"][-1]["action"] == "add_info"
        assert "photo_upload_ids.0" in error_fields(
            await act(client, tracking_no, "info", owner, note="foto", photo_upload_ids=["x"])
        )
        problem(await act(client, tracking_no, "info", officer, note="bukan warga"), 403)
        await act(client, tracking_no, "verify", officer)
        await act(client, tracking_no, "answer", officer, note="Selesai")
        problem(await act(client, tracking_no, "info", owner, note="Masih bau"), 409)

    async def test_reopen_within_the_window_but_not_after(
        self, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        owner, officer = citizen(tokens), tokens.officer(MELONG)
        first = (await file(client, owner))["tracking_no"]
        second = (await file(client, owner))["tracking_no"]
        for tracking_no in (first, second):
            await act(client, tracking_no, "verify", officer)
            answered = await act(client, tracking_no, "answer", officer, note="Sudah")
            assert answered.status_code == 200
        # Answered Thu 3 Dec: 10 working days (holiday Mon 7 skipped) end on Fri 18 Dec.
        clock.now = datetime(2026, 12, 18, 16, 0, tzinfo=UTC)  # Fri 18 Dec, 23:00 WIB
        assert "note" in error_fields(await act(client, first, "reopen", owner))
        reopened = await act(client, first, "reopen", owner, note="Belum diangkut")
        assert reopened.status_code == 200, reopened.text
        body = reopened.json()
        assert (body["status"], body["unified_status"]) == ("reopened", "in_process")
        # A new answer deadline from the reopening: Mon 21 .. Fri 25? 25 Dec is a plain day here.
        assert body["answer_due_at"] == "2026-12-25T16:59:59Z"
        assert (await act(client, first, "answer", officer, note="Sudah lagi")).status_code == 200

        clock.now = datetime(2026, 12, 18, 17, 0, 1, tzinfo=UTC)  # Sat 19 Dec 00:00:01 WIB
        late = problem(await act(client, second, "reopen", owner, note="Belum"), 409)
        assert late["reopen_until"].startswith("2026-12-18T16:59:59")


class TestIdempotency:
    async def test_a_retried_filing_creates_one_complaint(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        headers = {**citizen(tokens), "Idempotency-Key": "adu-retry-1"}
        first = await client.post("/v1/complaints", json=complaint_body(), headers=headers)
        second = await client.post("/v1/complaints", json=complaint_body(), headers=headers)
        assert first.status_code == second.status_code == 201
        assert first.json()["tracking_no"] == second.json()["tracking_no"]
        assert second.headers.get("idempotent-replayed") == "true"
        async with runtime(app).session_factory() as session:
            count = len((await session.execute(select(Complaint.id))).all())
        assert count == 1


class TestAuthorization:
    async def test_another_citizens_private_complaint_is_404_public_is_redacted(
        self, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        owner = citizen(tokens)
        stranger = citizen(tokens, sub="citizen-other")
        private = (await file(client, owner, public=False))["tracking_no"]
        public = (await file(client, owner, public=True))["tracking_no"]
        missing = problem(await client.get(f"/v1/complaints/{private}", headers=stranger), 404)
        nothing = problem(
            await client.get("/v1/complaints/ADU-2612-ZZZZZZZZ", headers=stranger), 404
        )
        assert missing["detail"].replace(private, "x") == nothing["detail"].replace(
            "ADU-2612-ZZZZZZZZ", "x"
        )
        seen = await client.get(f"/v1/complaints/{public}", headers=stranger)
        assert seen.status_code == 200
        text_ = seen.text
        assert SECRET_NAME not in text_
        assert SECRET_CONTACT not in text_
        assert "citizen-rina" not in text_
        assert seen.json()["author"] is None
        assert seen.json()["photo_upload_ids"] == []
        problem(await act(client, public, "info", stranger, note="Saya juga"), 403)
        problem(await act(client, private, "info", stranger, note="Saya juga"), 404)
        mine = (await client.get("/v1/complaints", headers=stranger)).json()
        assert mine["items"] == []
        own = (await client.get(f"/v1/complaints/{private}", headers=owner)).json()
        assert own["author"] == {
            "sub": "citizen-rina",
            "name": SECRET_NAME,
            "contact": SECRET_CONTACT,
        }

    async def test_officers_act_only_in_their_kelurahan_or_kecamatan(
        self, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        owner = citizen(tokens)
        private = (await file(client, owner, public=False))["tracking_no"]
        public = (await file(client, owner))["tracking_no"]
        cibabat = tokens.officer(CIBABAT)
        problem(await client.get(f"/v1/complaints/{private}", headers=cibabat), 404)
        problem(await act(client, private, "verify", cibabat), 404)
        problem(await act(client, public, "verify", cibabat), 403)
        dukcapil = tokens.officer(MELONG, agency="dukcapil")
        problem(await act(client, public, "verify", dukcapil), 403)
        problem(await act(client, public, "verify", owner), 403)
        kecamatan = tokens.officer(CIMAHI_SELATAN)
        verified = await act(client, private, "verify", kecamatan)
        assert verified.status_code == 200, verified.text
        assert verified.json()["author"]["name"] == SECRET_NAME  # not anonymous

    async def test_anonymous_author_is_hidden_from_officers_not_from_admins(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        owner = citizen(tokens)
        tracking_no = (await file(client, owner, anonymous=True, public=False))["tracking_no"]
        await act(client, tracking_no, "info", owner, note="Tambahan dari pelapor")
        officer = tokens.officer(MELONG, sub="officer-melong-2")
        for response in (
            await client.get(f"/v1/complaints/{tracking_no}", headers=officer),
            await act(client, tracking_no, "verify", officer),
        ):
            assert response.status_code == 200, response.text
            assert response.json()["author"] is None
            assert "citizen-rina" not in response.text
            assert SECRET_NAME not in response.text
            assert SECRET_CONTACT not in response.text
        admin = await client.get(f"/v1/complaints/{tracking_no}", headers=tokens.admin())
        assert admin.json()["author"]["sub"] == "citizen-rina"
        async with runtime(app).session_factory() as session:
            audits = (await session.execute(select(AccessAudit))).scalars().all()
        actions = sorted((a.actor_role, a.action) for a in audits)
        assert ("officer", "read") in actions
        assert ("officer", "verify") in actions
        assert ("admin", "read") in actions
        assert all(a.tracking_no == tracking_no for a in audits)


class TestValidation:
    async def test_bad_fields_are_422_naming_the_field_and_nothing_is_saved(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        owner = citizen(tokens)
        cases: list[tuple[dict[str, Any], str]] = [
            ({"description": "x" * 4001}, "description"),
            ({"category": "banjir-bandang"}, "category"),
            ({"kelurahan_code": "32.73.01.1001"}, "kelurahan_code"),
            ({"location": {"lat": -6.2, "long": 106.8}}, "location.lat"),
            ({"location": {"lat": -6.9, "long": 106.8}}, "location.long"),
            ({"photo_upload_ids": ["not-an-id"]}, "photo_upload_ids.0"),
            ({"status": "answered"}, "status"),
            ({"owner_sub": "someone"}, "owner_sub"),
        ]
        for override, field in cases:
            response = await client.post(
                "/v1/complaints", json=complaint_body(**override), headers=owner
            )
            assert field in error_fields(response), (field, response.text)
        forward = await client.post(
            "/v1/complaints/ADU-2612-ZZZZZZZZ/forward", json={"note": "x"}, headers=owner
        )
        problem(forward, 403)
        async with runtime(app).session_factory() as session:
            assert (await session.execute(select(Complaint.id))).first() is None
        assert await outbox_events(app) == []

    async def test_categories_are_public(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/v1/public/complaint-categories")
        assert response.status_code == 200
        by_code = {c["code"]: c for c in response.json()}
        assert by_code["jalan-drainase"]["answer_working_days"] == 60
        assert by_code["sengketa-lingkungan"]["answer_working_days"] == 14
        assert by_code["kebersihan"]["verify_working_days"] == 3


class TestEvents:
    async def test_each_change_writes_a_domain_and_a_lifecycle_event_without_personal_data(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        owner = citizen(tokens)
        officer = tokens.officer(MELONG)
        created = await file(client, owner, anonymous=True)
        tracking_no = created["tracking_no"]
        await act(client, tracking_no, "info", owner, note=f"Hubungi {SECRET_CONTACT}")
        await act(client, tracking_no, "verify", officer)
        await act(client, tracking_no, "answer", officer, note="Sudah diangkut")
        events = await outbox_events(app)
        raw = orjson.dumps(events).decode()
        for secret in (SECRET_NAME, SECRET_CONTACT, created["description"], created["title"]):
            assert secret not in raw
        assert "Jl. Melong Asih" not in raw
        lifecycle = [e for e in events if e["type"].endswith("request.lifecycle.v1")]
        domain = [e for e in events if ".lakami.complaint." in e["type"]]
        assert [e["data"]["sequence"] for e in lifecycle] == [1, 2, 3, 4]
        assert [e["type"].split(".")[-2] for e in domain] == [
            "submitted",
            "info_added",
            "verified",
            "answered",
        ]
        first = lifecycle[0]["data"]
        assert first["request_kind"] == "complaint.kebersihan"
        assert first["owner_sub"] == "citizen-rina"  # the author finds it in their own list
        assert first["agency"] == "lakami"
        assert first["area"] == MELONG
        assert first["due_at"] == "2026-12-09T16:59:59Z"
        assert lifecycle[-1]["data"]["status"] == "completed"
        assert lifecycle[-1]["data"]["note"] == "Sudah diangkut"
        assert lifecycle[1]["data"]["note"] is None  # the citizen's own words stay out
        assert all(e["subject"] == tracking_no for e in events)


class TestMigration:
    async def test_0003_creates_exactly_the_complaint_models(self, migrated_url: str) -> None:
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext
        from sqlalchemy import Connection

        from cimahi_lakami.db import Base
        from cimahi_shared.db import create_engine

        tables = {"complaints", "complaint_history", "open311_api_keys"}

        def diff(conn: Connection) -> list[Any]:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "version_table": "lakami_alembic_version",
                    "include_object": lambda obj, name, kind, reflected, other: (
                        kind != "table" or name in tables
                    ),
                },
            )
            return list(compare_metadata(context, Base.metadata))

        engine = create_engine(migrated_url)
        try:
            async with engine.connect() as conn:
                differences = await conn.run_sync(diff)
        finally:
            await engine.dispose()
        assert differences == []
