"""The applicant's side of applications over HTTP: drafts, submission (documents, prerequisite
permits, registration numbers), resubmission with the deadline clock, withdrawal, events."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from ulid import ULID

from cimahi_shared.events.lifecycle import LIFECYCLE_V1
from cimahi_shared.events.tables import outbox
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.events.applications import domain_event_type
from cimahi_sipinter.models import Application, ApplicationCounter, Business, Permit
from services.sipinter.tests.conftest import Tokens, error_fields, problem
from services.sipinter.tests.factories import (
    ANI,
    ANI_NIK,
    BUDI,
    CALENDAR,
    NOW,
    make_application,
    make_business,
    pin_clock,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TDUP_DOCUMENTS = ["ktp", "self_declaration", "business_photo"]
REKLAME_DOCUMENTS = ["ktp", "design", "site_photo", "land_owner_consent", "construction_statement"]
KLINIK_DOCUMENTS = ["ktp", "staff_list", "equipment_list", "self_assessment"]


@pytest.fixture
def settings(settings: SipinterSettings, tmp_path: Path) -> SipinterSettings:
    """Uploads in the test's own directory."""
    settings.upload_dir = str(tmp_path / "uploads")
    return settings


@pytest.fixture(autouse=True)
def pinned(app: FastAPI) -> None:
    """Monday 2 March 2026, 09:00 WIB, and the tests' calendar."""
    pin_clock(app)


# --- helpers ---


async def upload(client: httpx.AsyncClient, owner: dict[str, str]) -> str:
    """A new PDF upload of the caller; its id."""
    response = await client.post(
        "/v1/uploads", files={"file": ("scan.pdf", PDF, "application/pdf")}, headers=owner
    )
    assert response.status_code == 201, response.text
    upload_id: str = response.json()["id"]
    return upload_id


async def documents(
    client: httpx.AsyncClient, owner: dict[str, str], codes: list[str]
) -> dict[str, list[str]]:
    """One upload for each requirement code."""
    return {code: [await upload(client, owner)] for code in codes}


async def create(
    client: httpx.AsyncClient, owner: dict[str, str], business: Business, **body: Any
) -> httpx.Response:
    return await client.post(
        "/v1/applications",
        json={"business_id": business.id, "permit_type": "TDUP", **body},
        headers=owner,
    )


async def complete_tdup(
    client: httpx.AsyncClient, owner: dict[str, str], business: Business
) -> dict[str, Any]:
    """A TDUP draft with every mandatory document."""
    attachments = await documents(client, owner, TDUP_DOCUMENTS)
    response = await create(client, owner, business, attachments=attachments)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def submit(client: httpx.AsyncClient, owner: dict[str, str], app_id: str) -> httpx.Response:
    return await client.post(f"/v1/applications/{app_id}/submit", headers=owner)


async def stored(app: FastAPI, application_id: str) -> Application:
    async with app.state.runtime.session_factory() as session:
        row = await session.get(Application, application_id)
        assert row is not None
        return row


async def events(app: FastAPI) -> list[dict[str, Any]]:
    """Every event in the outbox, decoded, in the order enqueued."""
    async with app.state.runtime.session_factory() as session:
        rows = (await session.execute(select(outbox.c.payload).order_by(outbox.c.created_at))).all()
    return [json.loads(row[0]) for row in rows]


async def lifecycle_sequences(app: FastAPI, registration_number: str) -> list[int]:
    return sorted(
        int(e["data"]["sequence"])
        for e in await events(app)
        if e["type"] == LIFECYCLE_V1 and e["data"]["tracking_no"] == registration_number
    )


async def domain(app: FastAPI, name: str, application_id: str) -> list[dict[str, Any]]:
    wanted = domain_event_type(name)
    return [
        e["data"]
        for e in await events(app)
        if e["type"] == wanted and e["subject"] == application_id
    ]


async def make_permit(
    app: FastAPI,
    business: Business,
    permit_type: str,
    number: str,
    *,
    valid_until: date | None = None,
    status: str = "valid",
) -> None:
    """A permit of ``business`` (and the issued application it came from)."""
    application = await make_application(
        app, business, permit_type=permit_type, status="issued", stage=None
    )
    async with app.state.runtime.session_factory() as session:
        session.add(
            Permit(
                id=str(ULID()),
                number=number,
                application_id=application.id,
                business_id=business.id,
                permit_type=permit_type,
                holder_name=business.name,
                kelurahan_code=business.kelurahan_code,
                valid_from=date(2025, 1, 2),
                valid_until=valid_until,
                conditions=[],
                status=status,
                verification_code=str(ULID()),
                issued_at=datetime(2025, 1, 2, tzinfo=UTC),
            )
        )
        await session.commit()


# --- drafts ---


async def test_draft_then_submit(app: FastAPI, client: httpx.AsyncClient, tokens: Tokens) -> None:
    business = await make_business(app)
    ani = tokens.citizen(ANI)
    attachments = await documents(client, ani, TDUP_DOCUMENTS)
    response = await create(
        client,
        ani,
        business,
        site_address="Jl. Melong Raya No. 14",
        description="Homestay 4 kamar",
        fields={"rooms": 4, "manager_nik": f"NIK {ANI_NIK}", "pool": False, "id": int(ANI_NIK)},
        attachments=attachments,
    )
    draft = response.json()
    assert response.status_code == 201, draft
    assert draft["status"] == "draft"
    assert draft["registration_number"] is None
    assert draft["business"] == {"id": business.id, "nib": business.nib, "name": business.name}
    assert draft["site_kelurahan_code"] == business.kelurahan_code
    assert draft["fields"] == {
        "rooms": 4,
        "manager_nik": "NIK 3277********0001",
        "pool": False,
        "id": "3277********0001",
    }
    assert ANI_NIK not in json.dumps((await stored(app, draft["id"])).fields)
    assert sorted(a["requirement"] for a in draft["attachments"]) == sorted(TDUP_DOCUMENTS)
    assert draft["deadline"]["colour"] == "none"
    assert draft["history"] == []
    assert draft["stages"] == ["administrative_check"]

    patched = await client.patch(
        f"/v1/applications/{draft['id']}", json={"description": "Homestay 5 kamar"}, headers=ani
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["description"] == "Homestay 5 kamar"
    assert patched.json()["fields"]["rooms"] == 4  # only what was sent changes

    response = await submit(client, ani, draft["id"])
    body = response.json()
    assert response.status_code == 200, body
    assert body["registration_number"] == "SPN-2026-000001"
    assert (body["status"], body["stage"]) == ("submitted", "administrative_check")
    assert body["submitted_at"] == NOW.isoformat().replace("+00:00", "Z")
    # TDUP: 3 working days from Monday 2 March -> Thursday 5 March, 23:59:59 WIB
    assert body["deadline"]["due_at"] == "2026-03-05T16:59:59Z"
    assert body["deadline"]["colour"] == "green"
    assert body["deadline"]["working_days_left"] == 3
    assert [(h["action"], h["to_status"], h["actor_role"]) for h in body["history"]] == [
        ("submit", "submitted", "citizen")
    ]
    assert "actor_sub" not in body["history"][0]

    again = await client.patch(f"/v1/applications/{draft['id']}", json={}, headers=ani)
    problem(again, 409)
    problem(await submit(client, ani, draft["id"]), 409)
    [submitted] = await domain(app, "application.submitted", draft["id"])
    assert submitted["registration_number"] == "SPN-2026-000001"
    assert await lifecycle_sequences(app, "SPN-2026-000001") == [1]


async def test_draft_refusals_name_the_field(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    business = await make_business(app)
    ani = tokens.citizen(ANI)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"permit_type": "IZIN_KASINO"}, "permit_type"),
        ({"site_kelurahan_code": "32.73.01.1001"}, "site_kelurahan_code"),
        ({"prerequisites": {"pbg": "PBG-1"}}, "prerequisites.pbg"),  # not one of TDUP's
        ({"fields": {f"f{i}": i for i in range(31)}}, "fields"),
        ({"fields": {"note": "x" * 501}}, "fields.note"),
        ({"attachments": {"land_title": [str(ULID())]}}, "attachments.land_title"),
    ]
    for body, field in cases:
        response = await create(client, ani, business, **body)
        assert any(f.startswith(field) for f in error_fields(response)), (field, response.text)
    other = await make_business(app, owner_sub=BUDI)
    problem(await create(client, ani, other), 404)
    problem(await create(client, ani, business, business_id=str(ULID())), 404)
    async with app.state.runtime.session_factory() as session:
        assert (await session.execute(select(Application))).first() is None  # nothing half-written


# --- submission: documents, prerequisites, numbers ---


async def test_submission_checks_documents_and_prerequisite_permits(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    business = await make_business(app)
    ani = tokens.citizen(ANI)
    response = await create(client, ani, business, permit_type="IZIN_KLINIK")
    app_id = response.json()["id"]

    missing = await submit(client, ani, app_id)
    assert error_fields(missing) == {f"attachments.{c}" for c in KLINIK_DOCUMENTS} | {
        "prerequisites.kkpr",
        "prerequisites.pbg",
        "prerequisites.slf",
    }  # the NIB is the business's own

    await make_permit(app, business, "PBG", "PBG-2025-000007")
    await make_permit(app, business, "SLF", "SLF-2025-000003", valid_until=date(2026, 3, 1))
    other = await make_business(app, owner_sub=BUDI)
    await make_permit(app, other, "SLF", "SLF-2025-000009")
    attachments = await documents(client, ani, KLINIK_DOCUMENTS)
    for slf in ("SLF-2025-000003", "SLF-2025-000009", "SLF-2099-000001"):  # expired, not theirs
        patch = {
            "attachments": attachments,
            "prerequisites": {"kkpr": "K-1", "pbg": "PBG-2025-000007", "slf": slf},
        }
        assert (
            await client.patch(f"/v1/applications/{app_id}", json=patch, headers=ani)
        ).is_success
        assert error_fields(await submit(client, ani, app_id)) == {"prerequisites.slf"}
    async with app.state.runtime.session_factory() as session:
        assert (await session.get(ApplicationCounter, 2026)) is None  # no number taken

    await make_permit(app, business, "SLF", "SLF-2026-000001", valid_until=date(2031, 3, 1))
    patch = {"prerequisites": {"slf": "SLF-2026-000001"}}
    assert (await client.patch(f"/v1/applications/{app_id}", json=patch, headers=ani)).is_success
    response = await submit(client, ani, app_id)
    assert response.status_code == 200, response.text
    assert response.json()["prerequisites"]["pbg"] == "PBG-2025-000007"
    assert response.json()["levy"]["status"] == "none"  # a clinic's levy comes later


async def test_registration_numbers_are_gapless(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    business = await make_business(app)
    ani = tokens.citizen(ANI)
    incomplete = (await create(client, ani, business)).json()["id"]
    numbers = []
    for _ in range(3):
        problem(await submit(client, ani, incomplete), 422)  # takes no number
        draft = await complete_tdup(client, ani, business)
        numbers.append((await submit(client, ani, draft["id"])).json()["registration_number"])
    assert numbers == ["SPN-2026-000001", "SPN-2026-000002", "SPN-2026-000003"]


async def test_concurrent_submissions_get_consecutive_numbers(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, settings: SipinterSettings
) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")
    business = await make_business(app)
    ani = tokens.citizen(ANI)
    drafts = [await complete_tdup(client, ani, business) for _ in range(4)]
    responses = await asyncio.gather(*(submit(client, ani, d["id"]) for d in drafts))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    numbers = sorted(r.json()["registration_number"] for r in responses)
    assert numbers == [f"SPN-2026-{n:06d}" for n in range(1, 5)]


async def test_low_tier_is_issued_on_submission(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    business = await make_business(app)
    ani = tokens.citizen(ANI)
    attachments = await documents(client, ani, ["k3l_statement"])
    draft = await create(client, ani, business, permit_type="UMK_RENDAH", attachments=attachments)
    response = await submit(client, ani, draft.json()["id"])
    body = response.json()
    assert response.status_code == 200, body
    assert (body["status"], body["stage"]) == ("issued", None)
    assert body["permit"] is not None
    assert body["permit"]["status"] == "valid"
    assert [(h["action"], h["actor_role"]) for h in body["history"]] == [
        ("submit", "citizen"),
        ("issue", "system"),
    ]
    assert body["deadline"]["colour"] == "none"
    assert await lifecycle_sequences(app, body["registration_number"]) == [1, 2]


# --- resubmission and the clock ---


async def test_resubmit_resumes_the_clock_over_weekend_and_holidays(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    business = await make_business(app)
    ani = tokens.citizen(ANI)
    returned = await make_application(
        app,
        business,
        permit_type="REKLAME",
        status="returned",
        stage="technical_verification",
        paused_at=NOW,
        remaining_working_days=5,
        missing_items=["design"],
    )
    paused = (await client.get(f"/v1/applications/{returned.id}", headers=ani)).json()
    assert paused["deadline"]["colour"] == "paused"
    assert paused["deadline"]["working_days_left"] == 5
    assert paused["missing_items"] == ["design"]

    # Wednesday 18 March 2026, 10:00 WIB: 19-20 March are holidays, 21-22 the weekend.
    later = datetime(2026, 3, 18, 3, 0, tzinfo=UTC)
    pin_clock(app, later)
    attachments = await documents(client, ani, REKLAME_DOCUMENTS)
    body = {"note": "Desain diperbaiki", "attachments": attachments}
    response = await client.post(f"/v1/applications/{returned.id}/resubmit", json=body, headers=ani)
    read = response.json()
    assert response.status_code == 200, read
    assert (read["status"], read["stage"]) == ("in_verification", "technical_verification")
    assert read["missing_items"] is None
    # 23, 24, 25, 26, 27 March: the fifth working day ends 27 March 23:59:59 WIB.
    assert read["deadline"]["due_at"] == "2026-03-27T16:59:59Z"
    assert CALENDAR.due_at(later, 5) == datetime(2026, 3, 27, 16, 59, 59, tzinfo=UTC)
    assert read["deadline"]["colour"] == "green"
    assert read["deadline"]["paused_since"] is None
    row = await stored(app, returned.id)
    assert row.paused_at is None
    assert row.remaining_working_days is None
    assert row.paused_seconds == int((later - NOW).total_seconds())
    assert len(await domain(app, "application.resubmitted", returned.id)) == 1
    problem(
        await client.post(f"/v1/applications/{returned.id}/resubmit", json=body, headers=ani), 409
    )


async def test_resubmit_to_the_administrative_check_is_resubmitted(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    business = await make_business(app)
    ani = tokens.citizen(ANI)
    returned = await make_application(
        app,
        business,
        permit_type="TDUP",
        status="returned",
        stage="administrative_check",
        paused_at=NOW,
        remaining_working_days=2,
    )
    url = f"/v1/applications/{returned.id}/resubmit"
    incomplete = await client.post(url, json={"note": "Lengkap"}, headers=ani)
    assert error_fields(incomplete) == {f"attachments.{c}" for c in TDUP_DOCUMENTS}
    assert error_fields(await client.post(url, json={}, headers=ani)) == {"note"}
    attachments = await documents(client, ani, TDUP_DOCUMENTS)
    response = await client.post(
        url, json={"note": "Lengkap", "attachments": attachments}, headers=ani
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "resubmitted"
    assert response.json()["history"][-1]["note"] == "Lengkap"


# --- withdrawal and events ---


async def test_withdraw_and_lifecycle_events(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    business = await make_business(app)
    ani = tokens.citizen(ANI)
    draft = await complete_tdup(client, ani, business)
    number = (await submit(client, ani, draft["id"])).json()["registration_number"]
    url = f"/v1/applications/{draft['id']}/withdraw"
    response = await client.post(url, json={"note": "Batal buka usaha"}, headers=ani)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "withdrawn"
    assert response.json()["decided_at"] is not None
    problem(await client.post(url, headers=ani), 409)
    assert await lifecycle_sequences(app, number) == [1, 2]
    [withdrawn] = await domain(app, "application.withdrawn", draft["id"])
    assert withdrawn["status"] == "withdrawn"
    assert all(ANI_NIK not in json.dumps(e) for e in await events(app))

    unsent = (await create(client, ani, business)).json()["id"]
    response = await client.post(f"/v1/applications/{unsent}/withdraw", headers=ani)
    assert response.json()["status"] == "withdrawn"
    assert await domain(app, "application.withdrawn", unsent) == []  # a draft was never announced

    signing = await make_application(app, business, status="awaiting_signature", stage="signature")
    problem(await client.post(f"/v1/applications/{signing.id}/withdraw", headers=ani), 409)
    problem(
        await client.post(f"/v1/applications/{signing.id}/withdraw", headers=tokens.citizen(BUDI)),
        404,
    )


async def test_history_grows_with_each_step(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    business = await make_business(app)
    returned = await make_application(
        app,
        business,
        permit_type="TDUP",
        status="returned",
        stage="administrative_check",
        paused_at=NOW,
        remaining_working_days=2,
        due_at=NOW - timedelta(days=1),
    )
    ani = tokens.citizen(ANI)
    attachments = await documents(client, ani, TDUP_DOCUMENTS)
    body = {"note": "ok", "attachments": attachments}
    await client.post(f"/v1/applications/{returned.id}/resubmit", json=body, headers=ani)
    await client.post(f"/v1/applications/{returned.id}/withdraw", headers=ani)
    read = (await client.get(f"/v1/applications/{returned.id}", headers=ani)).json()
    assert [h["sequence"] for h in read["history"]] == [2, 3]
    assert await lifecycle_sequences(app, returned.registration_number or "") == [2, 3]


async def test_a_repeated_create_with_the_same_idempotency_key_is_one_draft(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    business = await make_business(app)
    ani = {**tokens.citizen(ANI), "Idempotency-Key": str(ULID())}
    first = await create(client, ani, business, description="Sekali")
    again = await create(client, ani, business, description="Sekali")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    async with app.state.runtime.session_factory() as session:
        assert len((await session.execute(select(Application))).all()) == 1
