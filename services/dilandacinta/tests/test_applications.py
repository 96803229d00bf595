"""Document applications: submission, the officer workflow to issuance, rules and events."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.dilandacinta.tests.conftest import CIBABAT, MELONG, Tokens, error_fields, problem
from services.dilandacinta.tests.test_applications_helpers import (
    Flow,
    applicant,
    assert_no_identifiers,
    check_card,
    check_superseded,
    household,
    outbox_events,
    person,
    pin_clock,
)

KK_CHANGE_FIELDS = {
    "reason": "perubahan_alamat",
    "address": "Jl. Melong Raya No. 12",
    "rt": "003",
    "rw": "005",
}


@pytest.fixture(autouse=True)
def _pinned(app: FastAPI) -> None:
    pin_clock(app)


@pytest.fixture
def flow(client: httpx.AsyncClient, tokens: Tokens) -> Flow:
    return Flow(client, tokens)


async def kk_change(app: FastAPI) -> tuple[Any, dict[str, Any]]:
    card = await household(app)
    return card, {"type": "kk_change", "applicant": applicant(card), "fields": KK_CHANGE_FIELDS}


async def test_kk_change_to_issued_supersedes_the_card(app: FastAPI, flow: Flow) -> None:
    card, body = await kk_change(app)
    submitted = await flow.submit(body)
    assert re.fullmatch(r"DKC-2611-[0-9A-Z]{8}", submitted["tracking_no"])
    assert submitted["status"] == "submitted"
    assert submitted["applicant_nik_masked"] == card.head.nik[:4] + "********" + card.head.nik[-4:]
    assert card.head.nik not in str(submitted)
    tracking_no = submitted["tracking_no"]
    old_family = (await person(app, card.head.nik)).family_id

    verified = await flow.ok(tracking_no, "verify", {"outcome": "accept"})
    assert (verified["status"], verified["unified_status"]) == ("verified", "in_review")
    processed = await flow.ok(tracking_no, "process", {"note": "Data diperbarui"})
    assert processed["status"] == "awaiting_signature"
    issued = await flow.ok(tracking_no, "sign")
    assert issued["status"] == "issued"
    assert [h["action"] for h in issued["history"]] == ["submit", "accept", "process", "sign"]
    assert [h["to_status"] for h in issued["history"]][-1] == "issued"

    head = await person(app, card.head.nik)
    assert head.family_id != old_family
    assert head.address == "Jl. Melong Raya No. 12"
    members = await check_card(app, head.family_id or "")
    assert len(members) == len(card.members)
    await check_superseded(app, old_family or "")

    events = await outbox_events(app)
    lifecycle = [e for e in events if e["type"].endswith("request.lifecycle.v1")]
    assert [e["data"]["status"] for e in lifecycle] == [
        "submitted",
        "in_review",
        "in_process",
        "completed",
    ]
    assert [e["data"]["sequence"] for e in lifecycle] == [1, 2, 3, 4]
    assert {e["data"]["request_kind"] for e in lifecycle} == {"document.kk_change"}
    assert {e["data"]["area"] for e in lifecycle} == {MELONG}
    assert lifecycle[0]["data"]["due_at"]
    types = {e["type"] for e in events}
    assert "id.go.cimahikota.dilandacinta.family.card_issued.v1" in types
    assert "id.go.cimahikota.dilandacinta.document.issued.v1" in types
    assert_no_identifiers(events, card)


async def test_rejection_names_missing_items_and_ends_the_workflow(
    app: FastAPI, flow: Flow
) -> None:
    _, body = await kk_change(app)
    tracking_no = (await flow.submit(body))["tracking_no"]
    bad = await flow.step(tracking_no, "verify", {"outcome": "reject", "missing_items": ["x"]})
    assert error_fields(bad) == {"missing_items[0]", "note"}
    rejected = await flow.ok(
        tracking_no,
        "verify",
        {"outcome": "reject", "note": "KK lama tidak ada", "missing_items": ["kk_lama"]},
    )
    assert (rejected["status"], rejected["unified_status"]) == ("rejected", "rejected")
    assert rejected["missing_items"] == ["kk_lama"]
    problem(await flow.step(tracking_no, "process"), 409)
    problem(await flow.step(tracking_no, "cancel"), 409)


async def test_return_then_resubmit_restarts_the_deadline(app: FastAPI, flow: Flow) -> None:
    move = pin_clock(app)
    _, body = await kk_change(app)
    submitted = await flow.submit(body)
    tracking_no = submitted["tracking_no"]
    returned = await flow.ok(
        tracking_no,
        "verify",
        {"outcome": "return", "note": "RT salah", "missing_items": ["formulir_f101"]},
    )
    assert (returned["status"], returned["unified_status"]) == ("returned", "needs_revision")
    problem(await flow.step(tracking_no, "process"), 409)
    from datetime import timedelta

    from services.dilandacinta.tests.test_applications_helpers import NOW

    move(NOW + timedelta(days=2))
    bad = await flow.step(tracking_no, "resubmit", {"fields": {**KK_CHANGE_FIELDS, "rt": "3"}})
    assert error_fields(bad) == {"fields.rt"}
    again = await flow.ok(
        tracking_no, "resubmit", {"fields": {**KK_CHANGE_FIELDS, "rt": "004"}, "note": "ok"}
    )
    assert again["status"] == "resubmitted"
    assert again["fields"]["rt"] == "004"
    assert again["due_at"] > submitted["due_at"]
    assert again["missing_items"] is None
    assert (await flow.ok(tracking_no, "verify", {"outcome": "accept"}))["status"] == "verified"


async def test_cancel_before_processing_only(app: FastAPI, flow: Flow) -> None:
    _, body = await kk_change(app)
    first = (await flow.submit(body))["tracking_no"]
    cancelled = await flow.ok(first, "cancel", {"note": "salah isi"})
    assert (cancelled["status"], cancelled["unified_status"]) == ("cancelled", "cancelled")
    problem(await flow.step(first, "cancel"), 409)
    second = (await flow.submit(body))["tracking_no"]
    await flow.ok(second, "verify", {"outcome": "accept"})
    # Steps need no body.
    processed = await flow.client.post(f"/v1/applications/{second}/process", headers=flow.officer)
    assert processed.json()["status"] == "awaiting_signature"
    bare = await flow.client.post(f"/v1/applications/{second}/cancel", headers=flow.citizen)
    problem(bare, 409)


async def test_officers_act_in_their_area_and_only_the_head_signs(
    app: FastAPI, flow: Flow, tokens: Tokens, client: httpx.AsyncClient
) -> None:
    _, body = await kk_change(app)
    tracking_no = (await flow.submit(body))["tracking_no"]
    elsewhere = tokens.officer(CIBABAT)
    problem(await client.get(f"/v1/applications/{tracking_no}", headers=elsewhere), 404)
    problem(await flow.step(tracking_no, "verify", {"outcome": "accept"}, headers=elsewhere), 404)
    stranger = tokens.citizen()
    problem(await client.get(f"/v1/applications/{tracking_no}", headers=stranger), 404)
    problem(await flow.step(tracking_no, "cancel", headers=stranger), 404)
    other_agency = tokens.officer(MELONG, agency="lakami")
    problem(await client.get(f"/v1/applications/{tracking_no}", headers=other_agency), 403)
    listed = await client.get("/v1/applications", headers=elsewhere)
    assert listed.json()["items"] == []

    await flow.ok(tracking_no, "verify", {"outcome": "accept"})
    await flow.ok(tracking_no, "process")
    problem(await flow.step(tracking_no, "sign", headers=flow.officer), 403)
    problem(await flow.step(tracking_no, "sign", headers=tokens.head(CIBABAT)), 404)
    assert (await flow.ok(tracking_no, "sign"))["status"] == "issued"


async def test_officer_reads_are_audited_with_purpose(
    app: FastAPI, flow: Flow, client: httpx.AsyncClient
) -> None:
    from sqlalchemy import select

    from cimahi_dilandacinta.models import AccessAudit
    from services.dilandacinta.tests.test_applications_helpers import runtime

    _, body = await kk_change(app)
    tracking_no = (await flow.submit(body))["tracking_no"]
    own = await client.get(f"/v1/applications/{tracking_no}", headers=flow.citizen)
    assert own.status_code == 200
    assert own.json()["history"][0]["action"] == "submit"
    read = await client.get(
        f"/v1/applications/{tracking_no}", params={"purpose": "verifikasi"}, headers=flow.officer
    )
    assert read.status_code == 200
    async with runtime(app).session_factory() as session:
        audits = list(await session.scalars(select(AccessAudit)))
    assert [(a.resource, a.action, a.resource_ref, a.purpose) for a in audits] == [
        ("application", "read", tracking_no, "verifikasi")
    ]


async def test_create_honours_idempotency_key(
    app: FastAPI, flow: Flow, client: httpx.AsyncClient
) -> None:
    _, body = await kk_change(app)
    headers = {**flow.citizen, "Idempotency-Key": "kk-change-0001"}
    first = await client.post("/v1/applications", json=body, headers=headers)
    second = await client.post("/v1/applications", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["tracking_no"] == second.json()["tracking_no"]
    mine = await client.get("/v1/applications", headers=flow.citizen)
    assert len(mine.json()["items"]) == 1


async def test_submission_is_checked_against_catalogue_and_register(
    app: FastAPI, flow: Flow, client: httpx.AsyncClient
) -> None:
    card, body = await kk_change(app)
    other = await household(app)

    async def fields_of(changes: dict[str, Any]) -> set[str]:
        response = await client.post(
            "/v1/applications", json={**body, **changes}, headers=flow.citizen
        )
        return error_fields(response)

    assert await fields_of({"type": "paspor"}) == {"type"}
    assert await fields_of({"fields": {"reason": "pindah", "colour": "red"}}) == {
        "fields.reason",
        "fields.colour",
    }
    wrong_kk = {**applicant(card), "no_kk": other.no_kk}
    assert await fields_of({"applicant": wrong_kk}) == {"applicant"}
    assert await fields_of({"applicant": {**applicant(card), "name": "Orang Lain"}}) == {
        "applicant"
    }
    assert await fields_of({"subject_nik": other.head.nik}) == {"subject_nik"}
    assert await fields_of({"attachments": {"ijazah": ["x"]}}) == {"attachments.ijazah"}
    death = {"type": "akta_kematian", "applicant": applicant(card), "fields": DEATH_FIELDS}
    assert await fields_of(death) == {"subject_nik"}
    assert await fields_of({**death, "subject_nik": card.head.nik}) == {"subject_nik"}
    before_birth = {**DEATH_FIELDS, "died_on": "1999-01-01"}
    child = card.by_relationship("anak").nik
    assert await fields_of({**death, "subject_nik": child, "fields": before_birth}) == {
        "fields.died_on"
    }
    kia = {"type": "kia", "applicant": applicant(card), "subject_nik": card.head.nik, "fields": {}}
    assert await fields_of(kia) == {"subject_nik"}
    response = await client.post(
        "/v1/applications", json={**body, "subject_nik": "123"}, headers=flow.citizen
    )
    assert "subject_nik" in error_fields(response)
    assert other.head.nik not in response.text


DEATH_FIELDS = {"died_on": "2026-11-20", "place_of_death": "RSUD Cibabat"}


async def test_catalogue_is_public_and_free(client: httpx.AsyncClient) -> None:
    listed = await client.get("/v1/public/services")
    assert listed.status_code == 200
    services = {s["code"]: s for s in listed.json()}
    assert set(services) == {
        "kk_new",
        "kk_change",
        "kk_replacement",
        "kk_split",
        "ktp_recording",
        "ktp_replacement",
        "ktp_change",
        "kia",
        "akta_kelahiran",
        "akta_kematian",
        "pindah_keluar",
        "pindah_datang",
        "biodata_change",
    }
    assert {s["fee_idr"] for s in services.values()} == {0}
    assert all(1 <= s["time_limit_working_days"] <= 14 for s in services.values())
    one = await client.get("/v1/public/services/akta_kematian")
    assert one.json()["form_code"] == "F-2.01"
    assert {r["code"] for r in one.json()["requirements"]} >= {"surat_kematian"}
    problem(await client.get("/v1/public/services/paspor"), 404)


async def test_late_birth_registration_needs_the_heads_decision(
    app: FastAPI, flow: Flow, tokens: Tokens
) -> None:
    from services.dilandacinta.tests.test_applications_types import body_for

    card = await household(app)
    late = body_for("akta_kelahiran", card)
    late["fields"] = {**late["fields"], "birth_date": "2026-08-01"}  # 121 days before
    submitted = await flow.submit(late)
    assert submitted["needs_head_decision"] is True
    tracking_no = submitted["tracking_no"]
    waiting = await flow.ok(tracking_no, "verify", {"outcome": "accept"})
    assert (waiting["status"], waiting["unified_status"]) == ("awaiting_decision", "in_process")
    problem(await flow.step(tracking_no, "process"), 409)
    problem(
        await flow.step(tracking_no, "decide", {"outcome": "approve"}, headers=flow.officer), 403
    )
    no_reason = await flow.step(tracking_no, "decide", {"outcome": "reject"})
    assert error_fields(no_reason) == {"note"}
    approved = await flow.ok(tracking_no, "decide", {"outcome": "approve", "note": "Sesuai"})
    assert approved["status"] == "processing"
    await flow.ok(tracking_no, "process")
    assert (await flow.ok(tracking_no, "sign"))["status"] == "issued"

    # The issued birth gave the family a new card: the old No. KK no longer applies.
    problem(await flow.client.post("/v1/applications", json=late, headers=flow.citizen), 422)
    on_time = await flow.submit(body_for("akta_kelahiran", await household(app)))
    assert on_time["needs_head_decision"] is False
    accepted = await flow.ok(on_time["tracking_no"], "verify", {"outcome": "accept"})
    assert accepted["status"] == "verified"
    problem(await flow.step(on_time["tracking_no"], "decide", {"outcome": "approve"}), 409)


async def test_head_can_refuse_a_late_birth_registration(app: FastAPI, flow: Flow) -> None:
    from services.dilandacinta.tests.test_applications_types import body_for

    card = await household(app)
    late = body_for("akta_kelahiran", card)
    late["fields"] = {**late["fields"], "birth_date": "2025-01-01"}
    tracking_no = (await flow.submit(late))["tracking_no"]
    await flow.ok(tracking_no, "verify", {"outcome": "accept"})
    refused = await flow.ok(tracking_no, "decide", {"outcome": "reject", "note": "Saksi tidak ada"})
    assert (refused["status"], refused["unified_status"]) == ("rejected", "rejected")


async def test_concurrent_signatures_issue_once(app: FastAPI, flow: Flow) -> None:
    import asyncio

    from sqlalchemy import func, select

    from cimahi_dilandacinta.models import Document
    from services.dilandacinta.tests.test_applications_helpers import runtime

    _, body = await kk_change(app)
    tracking_no = (await flow.submit(body))["tracking_no"]
    await flow.ok(tracking_no, "verify", {"outcome": "accept"})
    await flow.ok(tracking_no, "process")
    first, second = await asyncio.gather(
        flow.step(tracking_no, "sign"), flow.step(tracking_no, "sign")
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    async with runtime(app).session_factory() as session:
        issued = await session.scalar(
            select(func.count()).select_from(Document).where(Document.application_id.is_not(None))
        )
    assert issued == 1


async def test_concurrent_births_get_distinct_niks(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    import asyncio

    from services.dilandacinta.tests.test_applications_types import body_for

    flows = [Flow(client, tokens) for _ in range(3)]
    numbers = []
    for one in flows:
        card = await household(app)
        submitted = await one.submit(body_for("akta_kelahiran", card))
        await one.ok(submitted["tracking_no"], "verify", {"outcome": "accept"})
        await one.ok(submitted["tracking_no"], "process")
        numbers.append(submitted["tracking_no"])
    signed = await asyncio.gather(
        *(one.step(number, "sign") for one, number in zip(flows, numbers, strict=True))
    )
    assert [r.status_code for r in signed] == [200, 200, 200]
    from sqlalchemy import select

    from cimahi_dilandacinta.models import Person
    from services.dilandacinta.tests.test_applications_helpers import runtime

    async with runtime(app).session_factory() as session:
        babies = list(
            await session.scalars(
                select(Person.nik_hash).where(Person.full_name == "Bayi Sunandar")
            )
        )
    assert len(babies) == len(set(babies)) == 3
