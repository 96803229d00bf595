"""Letter requests through the HTTP API: the status chain, authorization, validation, privacy."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text

from cimahi_lakami.models import AccessAudit, LetterRequest
from cimahi_shared.app import Runtime
from services.lakami.tests.conftest import (
    CIBABAT,
    MELONG,
    NIK,
    NO_KK,
    Tokens,
    error_fields,
    letter_body,
    problem,
)

TRACKING_NO = re.compile(r"^LKM-\d{4}-[0-9A-HJKMNP-TV-Z]{8}$")


def runtime(app: FastAPI) -> Runtime:
    rt: Runtime = app.state.runtime
    return rt


async def submit(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/letter-requests", json=letter_body(**overrides), headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def act(
    client: httpx.AsyncClient,
    tracking_no: str,
    action: str,
    headers: dict[str, str],
    note: str | None = None,
) -> httpx.Response:
    body = {"note": note} if note is not None else {}
    return await client.post(
        f"/v1/letter-requests/{tracking_no}/{action}", json=body, headers=headers
    )


async def outbox_events(app: FastAPI) -> list[dict[str, Any]]:
    async with runtime(app).session_factory() as session:
        rows = (await session.execute(text("SELECT subject, payload FROM outbox"))).all()
    return [{"nats_subject": r.subject, **orjson.loads(r.payload)} for r in rows]


def _without(body: dict[str, Any], tracking_no: str) -> dict[str, Any]:
    return {k: v.replace(tracking_no, "<n>") if isinstance(v, str) else v for k, v in body.items()}


class TestChain:
    async def test_submit_verify_process_approve_issues_a_numbered_letter(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen()
        officer = tokens.officer(MELONG, sub="officer-melong-1")
        response = await client.post("/v1/letter-requests", json=letter_body(), headers=citizen)
        assert response.status_code == 201, response.text
        created = response.json()
        tracking_no = created["tracking_no"]
        assert TRACKING_NO.match(tracking_no)
        assert response.headers["location"].endswith(f"letter-requests/{tracking_no}")
        assert created["status"] == "submitted"
        assert created["unified_status"] == "submitted"
        assert created["nik_masked"] == "3277********0011"
        assert created["rt"] == "003"
        assert created["due_at"] is not None

        expected = [("verify", "verify", "in_review"), ("process", "process", "in_process")]
        for action, status, unified in expected:
            step = await act(client, tracking_no, action, officer, note=f"{action} ok")
            assert step.status_code == 200, step.text
            assert (step.json()["status"], step.json()["unified_status"]) == (status, unified)
        approved = await act(client, tracking_no, "approve", officer)
        assert approved.status_code == 200, approved.text
        letter = approved.json()
        year = datetime.now(timezone(timedelta(hours=7))).year  # WIB
        assert letter["status"] == "approved"
        assert letter["unified_status"] == "completed"
        assert letter["letter_number"] == f"470/0001/Kel.Melong/{year}"
        assert letter["issued_on"]
        assert letter["approved_at"]
        assert (letter["signer_name"], letter["signer_sub"]) == (
            "Ujang Suherman",
            "officer-melong-1",
        )

        seen = (await client.get(f"/v1/letter-requests/{tracking_no}", headers=citizen)).json()
        history = [
            (h["action"], h["from_status"], h["to_status"], h["actor_role"])
            for h in seen["history"]
        ]
        assert history == [
            ("submit", None, "submitted", "citizen"),
            ("verify", "submitted", "verify", "officer"),
            ("process", "verify", "process", "officer"),
            ("approve", "process", "approved", "officer"),
        ]
        assert [h["sequence"] for h in seen["history"]] == [1, 2, 3, 4]
        assert seen["history"][1]["note"] == "verify ok"
        assert seen["history"][1]["actor_sub"] == "officer-melong-1"

    async def test_return_then_resubmit_gets_verified_again(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen, officer = tokens.citizen(), tokens.officer(MELONG)
        tracking_no = (await submit(client, citizen))["tracking_no"]
        assert "note" in error_fields(await act(client, tracking_no, "return", officer))
        returned = await act(client, tracking_no, "return", officer, note="Alamat tidak lengkap")
        assert returned.status_code == 200
        assert (returned.json()["status"], returned.json()["unified_status"]) == (
            "returned",
            "needs_revision",
        )

        problem(await act(client, tracking_no, "verify", officer), 409)
        resubmitted = await client.post(
            f"/v1/letter-requests/{tracking_no}/resubmit",
            json={
                "fields": {"address": "Jl. Melong Asih No. 12, RT 003/RW 007"},
                "note": "Sudah diperbaiki",
            },
            headers=citizen,
        )
        assert resubmitted.status_code == 200, resubmitted.text
        body = resubmitted.json()
        assert (body["status"], body["unified_status"]) == ("edited", "in_review")
        assert body["fields"] == {
            "address": "Jl. Melong Asih No. 12, RT 003/RW 007",
            "resident_since": "2015-03-01",
        }
        assert [h["action"] for h in body["history"]] == ["submit", "return", "resubmit"]
        assert body["history"][1]["note"] == "Alamat tidak lengkap"

        again = await client.post(
            f"/v1/letter-requests/{tracking_no}/resubmit", json={}, headers=citizen
        )
        assert problem(again, 409)["current_status"] == "edited"
        assert (await act(client, tracking_no, "verify", officer)).json()["status"] == "verify"

    async def test_resubmitted_fields_are_validated(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen, officer = tokens.citizen(), tokens.officer(MELONG)
        tracking_no = (await submit(client, citizen))["tracking_no"]
        await act(client, tracking_no, "return", officer, note="Perbaiki tanggal")
        bad = await client.post(
            f"/v1/letter-requests/{tracking_no}/resubmit",
            json={"fields": {"resident_since": "kemarin"}, "status": "approved"},
            headers=citizen,
        )
        assert "status" in error_fields(bad)
        bad = await client.post(
            f"/v1/letter-requests/{tracking_no}/resubmit",
            json={"fields": {"resident_since": "kemarin"}},
            headers=citizen,
        )
        assert error_fields(bad) == {"fields.resident_since"}

    async def test_reject_needs_a_note_and_is_final(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen, officer = tokens.citizen(), tokens.officer(MELONG)
        tracking_no = (await submit(client, citizen))["tracking_no"]
        assert "note" in error_fields(await act(client, tracking_no, "reject", officer))
        assert "note" in error_fields(await act(client, tracking_no, "reject", officer, note="   "))
        rejected = await act(client, tracking_no, "reject", officer, note="Bukan warga Melong")
        assert rejected.status_code == 200
        assert (rejected.json()["status"], rejected.json()["unified_status"]) == (
            "rejected",
            "rejected",
        )
        conflict = problem(await act(client, tracking_no, "verify", officer), 409)
        assert conflict["current_status"] == "rejected"
        assert conflict["allowed_actions"] == []

    async def test_citizen_cancels_before_approval_only(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen, officer = tokens.citizen(), tokens.officer(MELONG)
        tracking_no = (await submit(client, citizen))["tracking_no"]
        await act(client, tracking_no, "verify", officer)
        problem(await act(client, tracking_no, "cancel", officer), 403)
        cancelled = await act(client, tracking_no, "cancel", citizen, note="Tidak jadi")
        assert cancelled.status_code == 200
        assert (cancelled.json()["status"], cancelled.json()["unified_status"]) == (
            "cancelled",
            "cancelled",
        )
        problem(await act(client, tracking_no, "cancel", citizen), 409)
        problem(await act(client, tracking_no, "process", officer), 409)

        approved_no = (await submit(client, citizen))["tracking_no"]
        for action in ("verify", "process", "approve"):
            assert (await act(client, approved_no, action, officer)).status_code == 200
        assert (
            problem(await act(client, approved_no, "cancel", citizen), 409)["current_status"]
            == "approved"
        )

    @pytest.mark.parametrize(
        ("steps", "action"),
        [
            ((), "approve"),
            ((), "process"),
            (("verify",), "verify"),
            (("verify",), "approve"),
            (("verify", "process"), "verify"),
        ],
    )
    async def test_impossible_transitions_are_409(
        self, client: httpx.AsyncClient, tokens: Tokens, steps: tuple[str, ...], action: str
    ) -> None:
        citizen, officer = tokens.citizen(), tokens.officer(MELONG)
        tracking_no = (await submit(client, citizen))["tracking_no"]
        for step in steps:
            assert (await act(client, tracking_no, step, officer)).status_code == 200
        body = problem(await act(client, tracking_no, action, officer), 409)
        assert body["type"].endswith("/invalid-transition")
        detail = await client.get(f"/v1/letter-requests/{tracking_no}", headers=citizen)
        assert len(detail.json()["history"]) == 1 + len(steps)


class TestAuthorization:
    async def test_another_citizens_request_is_the_same_404_as_a_missing_one(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        alice, bob = tokens.citizen(), tokens.citizen()
        tracking_no = (await submit(client, alice))["tracking_no"]
        theirs = problem(await client.get(f"/v1/letter-requests/{tracking_no}", headers=bob), 404)
        missing = problem(
            await client.get("/v1/letter-requests/LKM-0000-00000000", headers=bob), 404
        )
        assert _without(theirs, tracking_no) == _without(missing, "LKM-0000-00000000")
        assert theirs["detail"] == f"There is no letter request {tracking_no}."
        problem(await act(client, tracking_no, "cancel", bob), 404)
        listed = (await client.get("/v1/letter-requests", headers=bob)).json()
        assert listed["items"] == []
        mine = (await client.get("/v1/letter-requests", headers=alice)).json()
        assert [i["tracking_no"] for i in mine["items"]] == [tracking_no]

    async def test_officers_see_and_act_only_in_their_own_kelurahan(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen()
        melong = (await submit(client, citizen))["tracking_no"]
        cibabat = (await submit(client, citizen, kelurahan_code=CIBABAT))["tracking_no"]
        officer_cibabat = tokens.officer(CIBABAT)
        problem(await client.get(f"/v1/letter-requests/{melong}", headers=officer_cibabat), 404)
        problem(await act(client, melong, "verify", officer_cibabat), 404)
        listed = (await client.get("/v1/letter-requests", headers=officer_cibabat)).json()
        assert [i["tracking_no"] for i in listed["items"]] == [cibabat]
        all_of_them = (await client.get("/v1/letter-requests", headers=tokens.admin())).json()
        assert {i["tracking_no"] for i in all_of_them["items"]} == {melong, cibabat}
        detail = (await client.get(f"/v1/letter-requests/{melong}", headers=citizen)).json()
        assert detail["status"] == "submitted"

    async def test_function_level_authorization(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen()
        tracking_no = (await submit(client, citizen))["tracking_no"]
        for action in ("verify", "process", "approve", "return", "reject"):
            problem(await act(client, tracking_no, action, citizen, note="saya sendiri"), 403)
        other_agency = tokens.officer(MELONG, agency="dilandacinta")
        problem(await client.get("/v1/letter-requests", headers=other_agency), 403)
        problem(await client.get(f"/v1/letter-requests/{tracking_no}", headers=other_agency), 403)
        problem(await act(client, tracking_no, "verify", other_agency), 403)
        problem(await act(client, tracking_no, "verify", tokens.admin()), 403)
        problem(
            await client.post("/v1/letter-requests", json=letter_body(), headers=tokens.officer()),
            403,
        )
        problem(await client.get("/v1/letter-requests"), 401)
        problem(await client.post("/v1/letter-requests", json=letter_body()), 401)
        forged = Tokens(tokens.issuer, tokens.audience).citizen()
        problem(await client.get("/v1/letter-requests", headers=forged), 401)
        detail = (await client.get(f"/v1/letter-requests/{tracking_no}", headers=citizen)).json()
        assert detail["status"] == "submitted"
        assert len(detail["history"]) == 1


class TestValidation:
    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"letter_type": "surat-sakti"}, "letter_type"),
            ({"nik": "1234"}, "nik"),
            ({"nik": "3277013205900011"}, "nik"),  # 32 May is no birth date
            ({"no_kk": "0077011205900011"}, "no_kk"),
            ({"kelurahan_code": "32.77.09.9999"}, "kelurahan_code"),
            ({"rt": "1234"}, "rt"),
            ({"rw": "A1"}, "rw"),
            ({"status": "approved"}, "status"),
            ({"owner_sub": "someone-else"}, "owner_sub"),
            ({"letter_number": "470/9999/Kel.Melong/2026"}, "letter_number"),
            ({"fields": {}}, "fields.address"),
            (
                {"fields": {"address": "Jl. Baru", "resident_since": "2999-01-01"}},
                "fields.resident_since",
            ),
            (
                {"fields": {"address": "x", "resident_since": "2015-03-01", "extra": 1}},
                "fields.extra",
            ),
            ({"cover_letter_date": "2999-01-01"}, "cover_letter_date"),
            ({"purpose": ""}, "purpose"),
        ],
    )
    async def test_invalid_input_is_a_422_naming_the_field(
        self, client: httpx.AsyncClient, tokens: Tokens, overrides: dict[str, Any], field: str
    ) -> None:
        response = await client.post(
            "/v1/letter-requests", json=letter_body(**overrides), headers=tokens.citizen()
        )
        assert field in error_fields(response)

    async def test_type_specific_fields_follow_the_catalogue(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen()
        missing = await client.post(
            "/v1/letter-requests",
            json=letter_body(letter_type="usaha", fields={"business_name": "Warung Bu Rina"}),
            headers=citizen,
        )
        assert error_fields(missing) == {"fields.business_type", "fields.business_address"}
        sku = await submit(
            client,
            citizen,
            letter_type="usaha",
            fields={
                "business_name": " Warung  Bu Rina ",
                "business_type": "Warung makan",
                "business_address": "Jl. Sadarmanah 3",
            },
        )
        assert sku["fields"]["business_name"] == "Warung Bu Rina"
        sktm = await client.post(
            "/v1/letter-requests",
            json=letter_body(
                letter_type="sktm",
                fields={"sktm_purpose": "Keringanan biaya sekolah", "household_members": 0},
            ),
            headers=citizen,
        )
        assert error_fields(sktm) == {"fields.household_members"}
        skck = await submit(
            client, citizen, letter_type="skck", fields={"skck_purpose": "Melamar pekerjaan"}
        )
        assert skck["letter_name"] == "Surat Pengantar SKCK"

    async def test_malformed_json_is_a_422_problem(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await client.post(
            "/v1/letter-requests",
            content=b'{"letter_type": ',
            headers={**tokens.citizen(), "Content-Type": "application/json"},
        )
        assert "body" in error_fields(response)

    async def test_page_size_and_cursor_are_checked(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen()
        assert "limit" in error_fields(
            await client.get("/v1/letter-requests?limit=101", headers=citizen)
        )
        assert "cursor" in error_fields(
            await client.get("/v1/letter-requests?cursor=abc", headers=citizen)
        )


class TestListing:
    async def test_cursor_pagination_walks_every_request_once(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen()
        created = [(await submit(client, citizen))["tracking_no"] for _ in range(5)]
        seen: list[str] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/v1/letter-requests", params=params, headers=citizen)).json()
            assert len(page["items"]) <= 2
            seen += [i["tracking_no"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == list(reversed(created))
        filtered = await client.get(
            "/v1/letter-requests", params={"status": "approved"}, headers=citizen
        )
        assert filtered.json()["items"] == []


class TestPrivacy:
    async def test_no_nik_or_no_kk_in_responses_or_events(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen, officer = tokens.citizen(), tokens.officer(MELONG)
        bodies: list[str] = []
        response = await client.post("/v1/letter-requests", json=letter_body(), headers=citizen)
        bodies.append(response.text)
        tracking_no = response.json()["tracking_no"]
        for action in ("return",):
            bodies.append(
                (await act(client, tracking_no, action, officer, note="KK tidak terbaca")).text
            )
        resubmitted = await client.post(
            f"/v1/letter-requests/{tracking_no}/resubmit",
            json={"no_kk": "3277011205900012"},
            headers=citizen,
        )
        bodies.append(resubmitted.text)
        assert resubmitted.json()["no_kk_masked"] == "3277********0012"
        for action in ("verify", "process", "approve"):
            bodies.append((await act(client, tracking_no, action, officer)).text)
        bodies.append(
            (await client.get(f"/v1/letter-requests/{tracking_no}", headers=officer)).text
        )
        bodies.append((await client.get("/v1/letter-requests", headers=officer)).text)
        events = await outbox_events(app)
        assert events
        for text_ in [*bodies, *(orjson.dumps(e).decode() for e in events)]:
            for secret in (NIK, NO_KK, "3277011205900012"):
                assert secret not in text_
        for event in events:
            assert "Rina" not in orjson.dumps(event["data"]).decode()

        async with runtime(app).session_factory() as session:
            stored = (await session.execute(select(LetterRequest))).scalar_one()
        assert NIK not in stored.nik_encrypted
        assert runtime(app).pii.decrypt(stored.nik_encrypted) == NIK
        assert stored.nik_hash == runtime(app).pii.lookup_hash(NIK)

    async def test_officer_and_admin_reads_are_written_to_the_access_log(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        owner = "citizen-owner-1"
        citizen = tokens.citizen(owner)
        tracking_no = (await submit(client, citizen))["tracking_no"]
        await client.get(f"/v1/letter-requests/{tracking_no}", headers=citizen)
        await client.get("/v1/letter-requests", headers=citizen)
        async with runtime(app).session_factory() as session:
            assert (await session.execute(select(AccessAudit))).scalars().all() == []

        officer = tokens.officer(MELONG, sub="officer-reader")
        await client.get(f"/v1/letter-requests/{tracking_no}", headers=officer)
        await client.get("/v1/letter-requests", headers=officer)
        await client.get(f"/v1/letter-requests/{tracking_no}", headers=tokens.admin())
        async with runtime(app).session_factory() as session:
            rows = (
                (await session.execute(select(AccessAudit).order_by(AccessAudit.id)))
                .scalars()
                .all()
            )
        assert [(r.actor_role, r.action) for r in rows] == [
            ("officer", "read"),
            ("officer", "list"),
            ("admin", "read"),
        ]
        first = rows[0]
        assert (first.actor_sub, first.actor_area, first.owner_sub, first.tracking_no) == (
            "officer-reader",
            MELONG,
            owner,
            tracking_no,
        )
        assert {r.purpose for r in rows} == {"public-service task"}
        assert all(r.occurred_at <= datetime.now(UTC) + timedelta(seconds=1) for r in rows)


class TestEvents:
    async def test_each_change_writes_a_domain_and_a_lifecycle_event(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        from cloudevents.core.formats.json import JSONFormat

        owner = "citizen-events-1"
        citizen, officer = tokens.citizen(owner), tokens.officer(MELONG)
        tracking_no = (await submit(client, citizen))["tracking_no"]
        await act(client, tracking_no, "return", officer, note="Lengkapi alamat")
        await client.post(
            f"/v1/letter-requests/{tracking_no}/resubmit",
            json={"purpose": "Rekening bank"},
            headers=citizen,
        )
        for action in ("verify", "process", "approve"):
            await act(client, tracking_no, action, officer)
        problem(
            await act(client, tracking_no, "approve", officer), 409
        )  # no event for a refused step

        events = await outbox_events(app)
        for event in events:
            parsed = JSONFormat().read(
                None, orjson.dumps({k: v for k, v in event.items() if k != "nats_subject"})
            )
            assert parsed.get_type() == event["type"]
        lifecycle = [e for e in events if e["type"] == "id.go.cimahikota.request.lifecycle.v1"]
        domain = [
            e for e in events if e["type"].startswith("id.go.cimahikota.lakami.letter_request.")
        ]
        assert len(lifecycle) == len(domain) == 6
        lifecycle.sort(key=lambda e: e["data"]["sequence"])
        assert [e["data"]["sequence"] for e in lifecycle] == [1, 2, 3, 4, 5, 6]
        assert [(e["data"]["agency_status"], e["data"]["status"]) for e in lifecycle] == [
            ("submitted", "submitted"),
            ("returned", "needs_revision"),
            ("edited", "in_review"),
            ("verify", "in_review"),
            ("process", "in_process"),
            ("approved", "completed"),
        ]
        first = lifecycle[0]
        assert first["nats_subject"] == "cimahi.lakami.request.lifecycle.v1"
        assert first["subject"] == tracking_no
        assert first["source"] == "/lakami"
        assert first["data"]["agency"] == "lakami"
        assert first["data"]["request_kind"] == "letter.domisili"
        assert first["data"]["title"] == "Surat Keterangan Domisili"
        assert first["data"]["owner_sub"] == owner
        assert first["data"]["area"] == MELONG
        assert first["data"]["submitted_at"]
        assert first["data"]["due_at"]
        assert lifecycle[1]["data"]["note"] == "Lengkapi alamat"

        domain.sort(key=lambda e: e["data"]["sequence"])
        verbs = [e["type"].split(".")[-2] for e in domain]
        assert verbs == [
            "submitted",
            "returned",
            "resubmitted",
            "verified",
            "processed",
            "approved",
        ]
        assert [e["nats_subject"] for e in domain] == [
            f"cimahi.lakami.letter_request.{verb}.v1" for verb in verbs
        ]
        assert domain[-1]["data"]["letter_number"].startswith("470/")
        assert all(e["subject"] == tracking_no for e in domain)


class TestIdempotency:
    async def test_a_retried_submission_creates_one_request(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = {**tokens.citizen(), "Idempotency-Key": "retry-me-1"}
        first = await client.post("/v1/letter-requests", json=letter_body(), headers=citizen)
        second = await client.post("/v1/letter-requests", json=letter_body(), headers=citizen)
        assert first.status_code == second.status_code == 201
        assert first.json()["tracking_no"] == second.json()["tracking_no"]
        assert second.headers.get("idempotent-replayed") == "true"
        assert second.headers["location"] == first.headers["location"]
        other = await client.post(
            "/v1/letter-requests",
            json=letter_body(purpose="Keperluan lain sama sekali"),
            headers=citizen,
        )
        problem(other, 422)
        async with runtime(app).session_factory() as session:
            count = (
                await session.execute(text("SELECT count(*) FROM letter_requests"))
            ).scalar_one()
        assert count == 1


class TestSubmissionWrites:
    async def test_a_taken_tracking_number_is_drawn_again_and_nothing_is_written_twice(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tokens: Tokens,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        from cimahi_lakami.letters import service

        citizen = tokens.citizen()
        first = await submit(client, citizen)
        drawn = iter([first["tracking_no"], "LKM-2611-ZZZZZZZZ"])
        monkeypatch.setattr(service, "new_tracking_no", lambda _now: next(drawn))
        second = await submit(client, citizen)
        assert second["tracking_no"] == "LKM-2611-ZZZZZZZZ"
        assert [h["sequence"] for h in second["history"]] == [1]
        async with runtime(app).session_factory() as session:
            counts = [
                (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
                for table in ("letter_requests", "letter_request_history", "outbox")
            ]
        assert counts == [2, 2, 4]
        subjects = [e["subject"] for e in await outbox_events(app)]
        assert subjects.count("LKM-2611-ZZZZZZZZ") == 2

    async def test_the_submission_response_is_what_a_read_returns(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen()
        created = await submit(
            client,
            citizen,
            fields={"address": "Jl. Melong  Asih 12", "resident_since": "2015-03-01"},
        )
        read = await client.get(f"/v1/letter-requests/{created['tracking_no']}", headers=citizen)
        assert read.status_code == 200
        assert read.json() == created

    async def test_an_overlong_subject_is_refused_not_cut(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, database_url: str
    ) -> None:
        if database_url.startswith("sqlite"):
            pytest.skip("SQLite does not enforce VARCHAR lengths")
        citizen = tokens.citizen(sub="S" * 65)  # owner_sub holds 64 characters
        response = await client.post("/v1/letter-requests", json=letter_body(), headers=citizen)
        assert response.status_code == 500
        async with runtime(app).session_factory() as session:
            count = (
                await session.execute(text("SELECT count(*) FROM letter_requests"))
            ).scalar_one()
        assert count == 0
