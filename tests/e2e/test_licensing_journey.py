"""Business licensing (SIPINTER, DPMPTSP) through the whole platform: a clinic's operating permit.

Ani Lestari's clinic (SIPINTER's demo seed: her business with valid PBG and SLF permits) applies
for the clinic's operating permit (IZIN_KLINIK, high tier) with its documents uploaded through
the gateway. The front office returns it for a missing document, Ani uploads it and resubmits,
the check accepts; the head of DPMPTSP assigns the verifier, who verifies, surveys the site on
the scheduled day and recommends with conditions; the levy is paid by Bank BJB's signed callback
through the gateway; the head signs and the permit is issued. The public check says it is valid,
and Ani's unified request status shows every step in order.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import groupby
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import text

from cimahi_gateway.platform import SIPINTER_DEMO_LEVY_CHANNEL, SIPINTER_DEMO_LEVY_SECRET
from cimahi_shared.calendar.workdays import default_calendar
from cimahi_shared.db import create_engine
from cimahi_shared.webhooks.signing import signed_headers
from cimahi_sipinter.demo import CLINIC_NIB
from tests.e2e.conftest import Platform
from tests.e2e.test_letter_journey import DEMO_PASSWORD, _problem, password_token, wait_for_status

pytestmark = pytest.mark.e2e

ANI_NIK = "3277015205900001"
API = "/api/sipinter/v1"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
WIB = timezone(timedelta(hours=7))
BANK_CLIENT_SECRET = "cimahi_cs_demo-bank-bjb-2026"  # the gateway's demo machine client


def bearer(client: httpx.Client, username: str) -> dict[str, str]:
    """Authorization header of a demo login."""
    return {"Authorization": "Bearer " + password_token(client, username, DEMO_PASSWORD)}


def sub_of(headers: dict[str, str]) -> str:
    """The account subject in a bearer header's token."""
    token = headers["Authorization"].removeprefix("Bearer ")
    return str(jwt.decode(token, options={"verify_signature": False})["sub"])


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    """The JSON body of a response that must have ``status``."""
    assert response.status_code == status, (
        response.request.method,
        response.request.url,
        response.text,
    )
    body: dict[str, Any] = response.json()
    return body


def upload(client: httpx.Client, headers: dict[str, str], purpose: str) -> str:
    """Upload a (tiny) PDF through the gateway; its upload id."""
    response = client.post(
        f"{API}/uploads",
        headers=headers,
        files={"file": (f"{purpose}.pdf", PDF, "application/pdf")},
        data={"purpose": purpose},
    )
    return str(ok(response, 201)["id"])


def first_working_day(day: date) -> date:
    """``day`` or the next working day of the city's calendar (surveys are on working days)."""
    calendar = default_calendar()
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def survey_day_comes(platform: Platform, application_id: str) -> None:
    """Time passes: a survey scheduled for a later working day (the test runs on a weekend or a
    holiday) is moved to today in SIPINTER's database, so the report is not early. A no-op on a
    working day."""
    today = datetime.now(WIB).date()

    async def move() -> None:
        engine = create_engine(platform.database_urls["sipinter"])
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "UPDATE applications SET survey_scheduled_for = :today"
                        " WHERE id = :id AND survey_scheduled_for > :today"
                    ),
                    {"today": today, "id": application_id},
                )
        finally:
            await engine.dispose()

    asyncio.run(move())


def collapsed(values: list[str]) -> list[str]:
    """Consecutive repeats as one (officers' steps within a stage repeat the status)."""
    return [value for value, _ in groupby(values)]


@pytest.fixture(scope="module")
def client(platform: Platform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.gateway_url, timeout=30.0) as c:
        yield c


@pytest.fixture(scope="module")
def ani(client: httpx.Client) -> dict[str, str]:
    return {"Authorization": "Bearer " + password_token(client, ANI_NIK, DEMO_PASSWORD)}


@pytest.fixture(scope="module")
def bank(client: httpx.Client) -> dict[str, str]:
    """Bank BJB's gateway token (the gateway lets no anonymous POST through to a service)."""
    response = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": SIPINTER_DEMO_LEVY_CHANNEL,
            "client_secret": BANK_CLIENT_SECRET,
        },
    )
    return {"Authorization": "Bearer " + ok(response)["access_token"]}


@pytest.fixture(scope="module")
def clinic(client: httpx.Client, ani: dict[str, str]) -> dict[str, Any]:
    """Ani's seeded clinic and the numbers of its PBG and SLF."""
    businesses = ok(client.get(f"{API}/businesses", headers=ani))["items"]
    business = next(b for b in businesses if b["nib"] == CLINIC_NIB)
    permits = ok(client.get(f"{API}/permits", headers=ani))["items"]
    held = {
        p["permit_type"]: p["number"]
        for p in permits
        if p["business"]["id"] == business["id"] and p["status"] == "valid"
    }
    assert {"PBG", "SLF"} <= set(held), permits
    return {"business": business, "pbg": held["PBG"], "slf": held["SLF"]}


def pay_levy(
    client: httpx.Client, bank: dict[str, str], levy: dict[str, Any], reference: str
) -> tuple[httpx.Response, bytes, dict[str, str]]:
    """Bank BJB confirms the levy's payment with a signed callback through the gateway."""
    body = json.dumps(
        {
            "levy_code": levy["code"],
            "amount": levy["amount"],
            "channel_reference": reference,
            "paid_at": datetime.now(UTC).isoformat(),
        }
    ).encode()
    headers = {
        **bank,
        **signed_headers(
            SIPINTER_DEMO_LEVY_SECRET,
            message_id=f"msg_{uuid.uuid4().hex}",
            timestamp=int(time.time()),
            body=body,
        ),
        "content-type": "application/json",
    }
    url = f"{API}/levy/channels/{SIPINTER_DEMO_LEVY_CHANNEL}/payments"
    return client.post(url, content=body, headers=headers), body, headers


class TestClinicPermitJourney:
    def test_a_clinic_is_licensed_from_application_to_a_verifiable_permit(
        self,
        platform: Platform,
        client: httpx.Client,
        ani: dict[str, str],
        bank: dict[str, str],
        clinic: dict[str, Any],
    ) -> None:
        front_office = bearer(client, "petugas.dpmptsp")
        verifier = bearer(client, "verifikator.dpmptsp")
        head = bearer(client, "kepala.dpmptsp")
        documents = ("ktp", "staff_list", "equipment_list", "self_assessment")
        attachments = {code: [upload(client, ani, code)] for code in documents}

        # Ani: a draft with the clinic's prerequisites and documents, then the submission.
        draft = ok(
            client.post(
                f"{API}/applications",
                headers=ani,
                json={
                    "business_id": clinic["business"]["id"],
                    "permit_type": "IZIN_KLINIK",
                    "site_address": "Jl. Melong Raya No. 12",
                    "description": "Klinik pratama rawat jalan",
                    "fields": {"beds": 0, "responsible_doctor": "dr. Rina"},
                    "prerequisites": {
                        "nib": CLINIC_NIB,
                        "kkpr": "KKPR-3277-2025-00731",
                        "pbg": clinic["pbg"],
                        "slf": clinic["slf"],
                    },
                    "attachments": attachments,
                },
            ),
            201,
        )
        assert draft["status"] == "draft"
        path = f"{API}/applications/{draft['id']}"
        submitted = ok(client.post(f"{path}/submit", headers=ani))
        number = submitted["registration_number"]
        assert number.startswith("SPN-")
        assert submitted["status"] == "submitted"

        # Front office: the self-assessment is not signed - returned to Ani.
        returned = ok(
            client.post(
                f"{path}/administrative-check",
                headers=front_office,
                json={
                    "outcome": "return",
                    "note": "The self-assessment is not signed.",
                    "missing_items": ["self_assessment"],
                },
            )
        )
        assert returned["status"] == "returned"
        assert returned["missing_items"] == ["self_assessment"]
        assert returned["deadline"]["colour"] == "paused"

        signed_assessment = upload(client, ani, "self_assessment")
        resubmitted = ok(
            client.post(
                f"{path}/resubmit",
                headers=ani,
                json={
                    "note": "Signed self-assessment uploaded.",
                    "attachments": {"self_assessment": [signed_assessment]},
                },
            )
        )
        assert resubmitted["status"] == "resubmitted"

        accepted = ok(
            client.post(
                f"{path}/administrative-check",
                headers=front_office,
                json={"outcome": "accept", "note": "Complete.", "missing_items": []},
            )
        )
        assert accepted["status"] == "in_verification"

        # The verifier may not act before the head assigns him.
        verification = {
            "outcome": "verified",
            "findings": "Staff and equipment lists meet the clinic standard.",
            "note": "Verified.",
            "missing_items": [],
            "survey_requested": False,
        }
        early = client.post(f"{path}/technical-verification", headers=verifier, json=verification)
        assert early.status_code in (403, 409), early.text
        assigned = ok(
            client.post(
                f"{path}/assign",
                headers=head,
                json={"officer_sub": sub_of(verifier), "officer_name": "Verifikator DPMPTSP"},
            )
        )
        assert assigned["assigned_officer"]["sub"] == sub_of(verifier)

        verified = ok(
            client.post(f"{path}/technical-verification", headers=verifier, json=verification)
        )
        assert verified["status"] == "site_survey"  # the clinic's site is always surveyed
        survey_day = first_working_day(datetime.now(WIB).date())
        scheduled = ok(
            client.put(
                f"{path}/site-survey",
                headers=verifier,
                json={"scheduled_for": survey_day.isoformat()},
            )
        )
        assert scheduled["survey"]["scheduled_for"] == survey_day.isoformat()
        survey_day_comes(platform, draft["id"])
        surveyed = ok(
            client.post(
                f"{path}/site-survey/report",
                headers=verifier,
                json={
                    "outcome": "passed",
                    "findings": "Rooms, equipment and waste handling as declared.",
                    "note": "Passed.",
                },
            )
        )
        assert surveyed["status"] == "awaiting_recommendation"
        conditions = ["Medical waste collected by a licensed contractor."]
        recommended = ok(
            client.post(
                f"{path}/recommendation",
                headers=verifier,
                json={
                    "outcome": "approve",
                    "note": "Meets the standard.",
                    "conditions": conditions,
                    "levy": {},
                },
            )
        )
        assert recommended["status"] == "awaiting_payment"
        levy = recommended["levy"]
        assert levy["status"] == "due"
        assert levy["amount"] > 0

        # The head cannot sign before the levy is paid.
        _problem(client.post(f"{path}/sign", headers=head, json={"note": None}), 409)

        # Bank BJB: a forged signature is refused, the real one pays, a repeat is the same answer.
        forged_body = json.dumps({"levy_code": levy["code"], "amount": levy["amount"]}).encode()
        forged = client.post(
            f"{API}/levy/channels/{SIPINTER_DEMO_LEVY_CHANNEL}/payments",
            content=forged_body,
            headers={
                **bank,
                **signed_headers(
                    "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=",
                    message_id="msg-forged",
                    timestamp=int(time.time()),
                    body=forged_body,
                ),
                "content-type": "application/json",
            },
        )
        _problem(forged, 401)
        paid, body, headers = pay_levy(client, bank, levy, f"BJB-{uuid.uuid4().hex[:12]}")
        receipt = ok(paid)
        assert (receipt["status"], receipt["registration_number"]) == ("paid", number)
        repeat = client.post(
            f"{API}/levy/channels/{SIPINTER_DEMO_LEVY_CHANNEL}/payments",
            content=body,
            headers=headers,
        )
        assert ok(repeat) == receipt

        awaiting = ok(client.get(path, headers=head))
        assert awaiting["status"] == "awaiting_signature"
        assert awaiting["levy"]["status"] == "paid"

        # Only the head signs; the verifier may not.
        refused = client.post(f"{path}/sign", headers=verifier, json={"note": None})
        assert refused.status_code == 403, refused.text
        issued = ok(client.post(f"{path}/sign", headers=head, json={"note": "Signed."}))
        assert issued["status"] == "issued"
        permit_summary = issued["permit"]
        assert permit_summary["number"].startswith("503/")
        assert "/IZIN_KLINIK/DPMPTSP/" in permit_summary["number"]

        # Ani's permit, its PDF, and the public check without a login.
        permit = ok(client.get(f"{API}/permits/{permit_summary['id']}", headers=ani))
        assert permit["conditions"] == conditions
        pdf = client.get(f"{API}/permits/{permit_summary['id']}/pdf", headers=ani)
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF")
        public = ok(client.get(f"{API}/public/permits/{permit['verification_code']}"))
        assert (public["status"], public["valid"], public["number"]) == (
            "valid",
            True,
            permit_summary["number"],
        )
        assert "3277" not in json.dumps(public)  # nothing personal in the public answer

        # The unified status: every step in order, as the citizen sees it.
        final = wait_for_status(client, ani, number, "completed", timeline_len=9, timeout=60.0)
        assert final["agency"] == "sipinter"
        timeline = final["timeline"]
        assert [t["sequence"] for t in timeline] == sorted(t["sequence"] for t in timeline)
        assert collapsed([t["status"] for t in timeline]) == [
            "submitted",
            "needs_revision",
            "submitted",
            "in_review",
            "in_process",
            "completed",
        ]
        assert collapsed([t["agency_status"] for t in timeline]) == [
            "submitted",
            "returned",
            "resubmitted",
            "in_verification",
            "site_survey",
            "awaiting_recommendation",
            "awaiting_payment",
            "awaiting_signature",
            "issued",
        ]

    def test_another_business_cannot_use_the_clinics_building_permits(
        self, client: httpx.Client, ani: dict[str, str], clinic: dict[str, Any]
    ) -> None:
        registered = ok(
            client.post(
                f"{API}/businesses",
                headers=ani,
                json={
                    "nib": "9120260000990",
                    "name": "Toko Kue Ani",
                    "legal_form": "perorangan",
                    "address": "Jl. Melong Raya No. 14",
                    "kelurahan_code": "32.77.01.1001",
                    "applicant": {"name": "Ani Lestari", "nik": ANI_NIK},
                },
            ),
            201,
        )
        assert ANI_NIK not in json.dumps(registered)
        documents = ("ktp", "staff_list", "equipment_list", "self_assessment")
        draft = ok(
            client.post(
                f"{API}/applications",
                headers=ani,
                json={
                    "business_id": registered["id"],
                    "permit_type": "IZIN_KLINIK",
                    "prerequisites": {
                        "kkpr": "KKPR-3277-2025-00999",
                        "pbg": clinic["pbg"],
                        "slf": clinic["slf"],
                    },
                    "attachments": {code: [upload(client, ani, code)] for code in documents},
                },
            ),
            201,
        )
        refused = _problem(
            client.post(f"{API}/applications/{draft['id']}/submit", headers=ani), 422
        )
        fields = {e["field"] for e in refused["errors"]}
        assert {"prerequisites.pbg", "prerequisites.slf"} <= fields

    def test_budi_sees_neither_anis_clinic_nor_its_permits(
        self, client: httpx.Client, clinic: dict[str, Any]
    ) -> None:
        budi = {
            "Authorization": "Bearer " + password_token(client, "3277030308850002", DEMO_PASSWORD)
        }
        business_id = clinic["business"]["id"]
        _problem(client.get(f"{API}/businesses/{business_id}", headers=budi), 404)
        permits = ok(client.get(f"{API}/permits", headers=budi))["items"]
        assert all(p["business"]["id"] != business_id for p in permits)
