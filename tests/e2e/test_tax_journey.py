"""Property tax (E-PBB) through the whole platform: a taxpayer links her object and sees her
bills, a bank pays one through the signed channel protocol, the receipt is verified publicly, the
payment reaches her unified request list, only she and Bapenda may read her object, and her
objection is decided by the head of Bapenda with a new version of the bill.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from cimahi_shared.db import create_engine
from tests.e2e.conftest import Platform
from tests.e2e.test_letter_journey import (
    DEMO_PASSWORD,
    _problem,
    password_token,
    wait_for_status,
)

pytestmark = pytest.mark.e2e

ANI_NIK = "3277015205900001"
# Ani Lestari's house in Melong (E-PBB's fixed demo object), display form 32.77.010.001.001-0001.0.
ANI_NOP = "327701000100100010"
BUDI_NIK = "3277030308850002"
BANK_CLIENT_ID = "bank-bjb-demo"  # the gateway's demo machine client of the channel "bjb"
BANK_CLIENT_SECRET = "cimahi_cs_demo-bank-bjb-2026"
PAID_YEAR = 2026
OBJECTED_YEAR = 2025


def channel_secret(code: str) -> str:
    """The demo channel's callback signing secret (development constant of E-PBB's seed)."""
    from cimahi_epbb.payments.demo import DEMO_CHANNELS

    return next(secret for channel, secret in DEMO_CHANNELS if channel.code == code)


def signed(secret: str, body: bytes, *, message_id: str) -> dict[str, str]:
    """Standard Webhooks headers: v1,base64(HMAC-SHA256(key, "id.timestamp.body"))."""
    timestamp = str(int(time.time()))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
        "content-type": "application/json",
    }


def wait_for_list_item(
    client: httpx.Client, headers: dict[str, str], tracking_no: str, *, timeout: float = 30.0
) -> dict[str, Any]:
    """Poll the caller's unified request list until ``tracking_no`` appears (projection is async)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        response = client.get("/api/v1/requests", headers=headers)
        if response.status_code == 200:
            last = response.json()
            for item in last["items"]:
                if item["tracking_no"] == tracking_no:
                    return dict(item)
        time.sleep(0.1)
    raise AssertionError(f"{tracking_no} not in the unified list within {timeout}s; last: {last}")


def audit_rows(platform: Platform, nop: str) -> list[tuple[str, str]]:
    """E-PBB's access log entries of staff reads of one object: (actor_role, purpose)."""
    import asyncio

    async def read() -> list[tuple[str, str]]:
        engine = create_engine(platform.database_urls["epbb"])
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text(
                        "SELECT actor_role, purpose FROM access_audit"
                        " WHERE nop = :nop AND actor_role IN ('officer', 'admin')"
                    ),
                    {"nop": nop},
                )
                return [(r[0], r[1]) for r in rows]
        finally:
            await engine.dispose()

    return asyncio.run(read())


@pytest.fixture(scope="module")
def client(platform: Platform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.gateway_url, timeout=30.0) as c:
        yield c


@pytest.fixture(scope="module")
def ani(client: httpx.Client) -> dict[str, str]:
    return {"Authorization": "Bearer " + password_token(client, ANI_NIK, DEMO_PASSWORD)}


@pytest.fixture(scope="module")
def budi(client: httpx.Client) -> dict[str, str]:
    return {"Authorization": "Bearer " + password_token(client, BUDI_NIK, DEMO_PASSWORD)}


@pytest.fixture(scope="module")
def bank(client: httpx.Client) -> dict[str, str]:
    """The demo bank's machine token: client_credentials at the gateway, scope epbb:channel."""
    response = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": BANK_CLIENT_ID,
            "client_secret": BANK_CLIENT_SECRET,
            "scope": "epbb:channel",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "epbb:channel"
    return {"Authorization": "Bearer " + response.json()["access_token"]}


class TestTaxJourney:
    def test_ani_links_her_object_and_sees_her_bills(
        self, client: httpx.Client, ani: dict[str, str]
    ) -> None:
        wrong = client.post(
            "/api/epbb/v1/me/objects", json={"nop": ANI_NOP, "nik": BUDI_NIK}, headers=ani
        )
        _problem(wrong, 422)
        assert BUDI_NIK not in wrong.text
        linked = client.post(
            "/api/epbb/v1/me/objects", json={"nop": ANI_NOP, "nik": ANI_NIK}, headers=ani
        )
        assert linked.status_code == 201, linked.text
        assert ANI_NIK not in linked.text
        mine = client.get("/api/epbb/v1/me/objects", headers=ani)
        assert mine.status_code == 200, mine.text
        assert ANI_NOP in mine.text

        bills = client.get(f"/api/epbb/v1/objects/{ANI_NOP}/bills", headers=ani)
        assert bills.status_code == 200, bills.text
        by_year = {b["tax_year"]: b for b in bills.json()["bills"]}
        assert {PAID_YEAR, OBJECTED_YEAR} <= set(by_year)
        assert by_year[PAID_YEAR]["status"] in ("unpaid", "overdue")
        assert by_year[PAID_YEAR]["total_due"] > 0
        assert ANI_NIK not in bills.text

    def test_a_bank_pays_her_bill_with_a_signed_callback(
        self, client: httpx.Client, platform: Platform, ani: dict[str, str], bank: dict[str, str]
    ) -> None:
        # Citizens' tokens cannot use the channel API.
        assert client.get(f"/api/epbb/v1/channel/bills/{ANI_NOP}", headers=ani).status_code == 403
        inquiry = client.get(f"/api/epbb/v1/channel/bills/{ANI_NOP}", headers=bank)
        assert inquiry.status_code == 200, inquiry.text
        assert "Ani Lestari" not in inquiry.text  # the name is masked for channels
        due = {b["tax_year"]: b["total"] for b in inquiry.json()["bills"]}
        assert due[PAID_YEAR] > 0

        retry = {**bank, "Idempotency-Key": f"e2e-code-{platform.backend}"}
        created = client.post(
            "/api/epbb/v1/channel/payment-codes",
            json={"nop": ANI_NOP, "tax_years": [PAID_YEAR]},
            headers=retry,
        )
        assert created.status_code == 201, created.text
        code = created.json()
        assert code["amount"] == due[PAID_YEAR]
        again = client.post(
            "/api/epbb/v1/channel/payment-codes",
            json={"nop": ANI_NOP, "tax_years": [PAID_YEAR]},
            headers=retry,
        )
        assert again.json()["code"] == code["code"]

        secret = channel_secret("bjb")
        callback = {
            "payment_code": code["code"],
            "amount": code["amount"],
            "channel_reference": f"BJB-E2E-{platform.backend}",
            "paid_at": datetime.now(UTC).isoformat(),
        }
        body = json.dumps(callback).encode()
        # A wrong signature changes nothing.
        forged = client.post(
            "/api/epbb/v1/channel/payments",
            content=body,
            headers={
                **bank,
                **signed(
                    "whsec_" + base64.b64encode(b"x" * 32).decode(), body, message_id="msg-forged"
                ),
            },
        )
        _problem(forged, 401)

        first_id = f"msg-{uuid.uuid4().hex}"
        paid = client.post(
            "/api/epbb/v1/channel/payments",
            content=body,
            headers={**bank, **signed(secret, body, message_id=first_id)},
        )
        assert paid.status_code == 201, paid.text
        payment = paid.json()
        assert payment["amount"] == code["amount"]
        assert ANI_NIK not in paid.text
        # The bank re-sends: the same delivery, and a new delivery of the same payment.
        for message_id in (first_id, f"msg-{uuid.uuid4().hex}"):
            resent = client.post(
                "/api/epbb/v1/channel/payments",
                content=body,
                headers={**bank, **signed(secret, body, message_id=message_id)},
            )
            assert resent.status_code in (200, 201), resent.text
            assert resent.json()["ntpd"] == payment["ntpd"]

        # The receipt is genuine for anyone holding it, through the front door.
        assert payment["receipt_url"].startswith(platform.gateway_url + "/api/epbb/")
        check = client.get(f"/api/epbb/v1/public/receipts/{payment['verification_code']}")
        assert check.status_code == 200, check.text
        assert check.json()["status"] == "genuine"
        assert check.json()["ntpd"] == payment["ntpd"]
        assert ANI_NIK not in check.text
        _problem(client.get("/api/epbb/v1/public/receipts/AAAA-BBBB-CCCC"), 404)

        # Ani sees her bill paid, with its receipt, and can read the receipt.
        bills = client.get(f"/api/epbb/v1/objects/{ANI_NOP}/bills", headers=ani).json()
        paid_bill = next(b for b in bills["bills"] if b["tax_year"] == PAID_YEAR)
        assert paid_bill["status"] == "paid"
        assert paid_bill["receipt_ntpd"] == payment["ntpd"]
        receipt = client.get(f"/api/epbb/v1/receipts/{payment['ntpd']}", headers=ani)
        assert receipt.status_code == 200, receipt.text
        pdf = client.get(f"/api/epbb/v1/receipts/{payment['ntpd']}/pdf", headers=ani)
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF")

        # The payment is a completed item of her unified request list.
        item = wait_for_list_item(client, ani, "PBB-" + payment["ntpd"])
        assert (item["agency"], item["request_kind"], item["status"]) == (
            "epbb",
            "payment.pbb",
            "completed",
        )
        assert ANI_NIK not in json.dumps(item)

    def test_only_ani_and_bapenda_read_her_object(
        self,
        client: httpx.Client,
        platform: Platform,
        ani: dict[str, str],
        budi: dict[str, str],
    ) -> None:
        own = client.get(f"/api/epbb/v1/objects/{ANI_NOP}", headers=ani)
        assert own.status_code == 200, own.text
        assert ANI_NIK not in own.text
        _problem(client.get(f"/api/epbb/v1/objects/{ANI_NOP}", headers=budi), 404)
        _problem(client.get(f"/api/epbb/v1/objects/{ANI_NOP}/bills", headers=budi), 404)
        # Another agency's officer is no reader of tax data.
        lakami = {
            "Authorization": "Bearer " + password_token(client, "petugas.melong", DEMO_PASSWORD)
        }
        assert client.get(f"/api/epbb/v1/objects/{ANI_NOP}", headers=lakami).status_code in (
            403,
            404,
        )
        # The taxpayer's own reads are not in the access log; an officer's read is, with its purpose.
        assert audit_rows(platform, ANI_NOP) == []
        purpose = "Pemeriksaan objek pajak (e2e)"
        officer = {
            "Authorization": "Bearer " + password_token(client, "petugas.bapenda", DEMO_PASSWORD),
            "X-Purpose": purpose,
        }
        read = client.get(f"/api/epbb/v1/objects/{ANI_NOP}", headers=officer)
        assert read.status_code == 200, read.text
        assert ANI_NIK not in read.text
        assert audit_rows(platform, ANI_NOP) == [("officer", purpose)]

    def test_an_objection_is_decided_and_changes_the_bill(
        self, client: httpx.Client, ani: dict[str, str]
    ) -> None:
        before = client.get(f"/api/epbb/v1/objects/{ANI_NOP}/bills", headers=ani).json()
        old = next(b for b in before["bills"] if b["tax_year"] == OBJECTED_YEAR)
        created = client.post(
            "/api/epbb/v1/requests",
            json={
                "kind": "keberatan",
                "nop": ANI_NOP,
                "tax_year": OBJECTED_YEAR,
                "reason": "Luas bangunan pada SPPT lebih besar dari kenyataan.",
                "claimed_building_area": 60,
            },
            headers={**ani, "Idempotency-Key": "e2e-keberatan"},
        )
        assert created.status_code == 201, created.text
        request_id, tracking_no = created.json()["id"], created.json()["tracking_no"]
        item = wait_for_list_item(client, ani, tracking_no)
        assert (item["agency"], item["request_kind"]) == ("epbb", "pbb.keberatan")

        officer = {
            "Authorization": "Bearer " + password_token(client, "petugas.bapenda", DEMO_PASSWORD)
        }
        head = {"Authorization": "Bearer " + password_token(client, "kaban.bapenda", DEMO_PASSWORD)}
        url = f"/api/epbb/v1/requests/{request_id}"
        verified = client.post(f"{url}/verify", json={"note": "Berkas lengkap"}, headers=officer)
        assert verified.status_code == 200, verified.text
        decision = {"decided_building_area": 60, "note": "Hasil pemeriksaan lapangan"}
        # Objections are decided by the head of Bapenda only.
        assert client.post(f"{url}/approve", json=decision, headers=officer).status_code == 403
        approved = client.post(f"{url}/approve", json=decision, headers=head)
        assert approved.status_code == 200, approved.text

        final = wait_for_status(client, ani, tracking_no, "completed")
        assert final["agency"] == "epbb"
        assert tracking_no in client.get("/api/v1/requests", headers=officer).text
        after = client.get(f"/api/epbb/v1/objects/{ANI_NOP}/bills", headers=ani).json()
        new = next(b for b in after["bills"] if b["tax_year"] == OBJECTED_YEAR)
        assert (new["version"], new["sppt_number"]) == (2, f"{OBJECTED_YEAR}.{ANI_NOP}.2")
        assert new["principal"] < old["principal"]
