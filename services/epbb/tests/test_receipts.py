"""Receipts: who may read them (owner, officers of the area - logged, admins), the PDF with its
QR code, and the public check (genuine / not genuine, masked facts only)."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pypdf import PdfReader
from sqlalchemy import select

from cimahi_epbb.models import AccessAudit
from services.epbb.tests.conftest import Tokens, problem
from services.epbb.tests.factories import ANI_NIK, MELONG_NOP, NOW, add_bill, add_object, load_rules
from services.epbb.tests.test_payments_helpers import (
    confirm,
    link,
    new_code,
    pin_clock,
    register_channel,
)

ANI = "01JANI000000000000000000AA"


@pytest.fixture
async def receipt(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
) -> dict[str, Any]:
    """Ani's 2025 and 2026 bills of her Melong object paid through "bjb" (her account linked)."""
    pin_clock(app, NOW)
    await load_rules(session)
    obj = await add_object(session, app.state.runtime.pii)
    await add_bill(session, obj, tax_year=2025)
    await add_bill(session, obj, tax_year=2026)
    await session.commit()
    await link(session, MELONG_NOP, ANI)
    bjb = await register_channel(client, tokens, code="bjb")
    code = await new_code(client, bjb, MELONG_NOP)
    paid = await confirm(client, bjb, code=code["code"], amount=code["amount"], reference="R1")
    assert paid.status_code == 201, paid.text
    body: dict[str, Any] = paid.json()
    return body


async def audits(app: FastAPI) -> list[AccessAudit]:
    async with app.state.runtime.session_factory() as s:
        return list((await s.execute(select(AccessAudit))).scalars())


class TestReadingReceipts:
    async def test_the_owner_reads_the_receipt_without_an_access_log_entry(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, receipt: dict[str, Any]
    ) -> None:
        response = await client.get(f"/v1/receipts/{receipt['ntpd']}", headers=tokens.citizen(ANI))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["amount"] == receipt["amount"]
        assert body["taxpayer_name"] == "A** L******"
        assert [line["tax_year"] for line in body["lines"]] == [2025, 2026]
        assert sum(line["total"] for line in body["lines"]) == body["amount"]
        assert body["lines"][0]["nop_display"] == "32.77.010.001.001-0001.0"
        assert body["verification_url"] == receipt["receipt_url"]
        assert ANI_NIK not in response.text
        assert await audits(app) == []

    async def test_others_get_the_same_404_as_for_an_unknown_receipt(
        self, client: httpx.AsyncClient, tokens: Tokens, receipt: dict[str, Any]
    ) -> None:
        path = f"/v1/receipts/{receipt['ntpd']}"
        for headers in (tokens.citizen(), tokens.officer("32.77.03")):
            assert problem(await client.get(path, headers=headers), 404)["type"].endswith(
                "/receipt-not-found"
            )
            problem(await client.get(path + "/pdf", headers=headers), 404)
        problem(await client.get(path, headers=tokens.officer("32.77", agency="lakami")), 403)
        problem(await client.get("/v1/receipts/32772606019999999", headers=tokens.admin()), 404)

    async def test_officers_of_the_area_and_admins_read_it_and_are_logged(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, receipt: dict[str, Any]
    ) -> None:
        path = f"/v1/receipts/{receipt['ntpd']}"
        officer = await client.get(
            path, headers={**tokens.officer("32.77.01"), "X-Purpose": "Keberatan wajib pajak"}
        )
        assert officer.status_code == 200, officer.text
        assert (await client.get(path + "/pdf", headers=tokens.admin())).status_code == 200
        entries = await audits(app)
        assert sorted((e.actor_role, e.resource, e.resource_ref, e.nop) for e in entries) == [
            ("admin", "receipt", receipt["ntpd"], MELONG_NOP),
            ("officer", "receipt", receipt["ntpd"], MELONG_NOP),
        ]
        assert {e.purpose for e in entries if e.actor_role == "officer"} == {
            "Keberatan wajib pajak"
        }


class TestMyReceipts:
    async def test_a_citizen_pages_through_the_receipts_of_their_objects(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tokens: Tokens,
        session: Any,
        receipt: dict[str, Any],
    ) -> None:
        second_nop = "327701000100100020"
        obj = await add_object(session, app.state.runtime.pii, nop=second_nop)
        await add_bill(session, obj, tax_year=2026)
        await session.commit()
        await link(session, second_nop, ANI)
        bjb = await register_channel(client, tokens, code="bjb2")
        code = await new_code(client, bjb, second_nop)
        newer = await confirm(client, bjb, code=code["code"], amount=code["amount"], reference="N")
        assert newer.status_code == 201

        first = await client.get("/v1/me/receipts?limit=1", headers=tokens.citizen(ANI))
        assert first.status_code == 200, first.text
        page = first.json()
        assert [r["ntpd"] for r in page["items"]] == [newer.json()["ntpd"]]
        rest = await client.get(
            f"/v1/me/receipts?limit=1&cursor={page['next_cursor']}", headers=tokens.citizen(ANI)
        )
        assert [r["ntpd"] for r in rest.json()["items"]] == [receipt["ntpd"]]
        assert rest.json()["next_cursor"] is None
        assert (await client.get("/v1/me/receipts", headers=tokens.citizen())).json() == {
            "items": [],
            "next_cursor": None,
        }
        problem(await client.get("/v1/me/receipts", headers=tokens.officer()), 403)
        bad = await client.get("/v1/me/receipts?cursor=abc", headers=tokens.citizen(ANI))
        problem(bad, 422)


class TestReceiptPdf:
    async def test_the_pdf_carries_the_ntpd_the_amount_and_the_verification_link(
        self, client: httpx.AsyncClient, tokens: Tokens, receipt: dict[str, Any]
    ) -> None:
        response = await client.get(
            f"/v1/receipts/{receipt['ntpd']}/pdf", headers=tokens.citizen(ANI)
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert receipt["ntpd"] in response.headers["content-disposition"]
        text = "\n".join(
            page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages
        )
        assert "BUKTI PEMBAYARAN PBB-P2" in text
        assert receipt["ntpd"] in text
        assert "32.77.010.001.001-0001.0" in text
        assert "Rp" + f"{receipt['amount']:,}".replace(",", ".") in text
        assert receipt["verification_code"] in text
        assert "A** L******" in text
        assert "Ani Lestari" not in text
        assert ANI_NIK not in text


class TestPublicCheck:
    async def test_a_genuine_receipt_shows_masked_facts(
        self, client: httpx.AsyncClient, receipt: dict[str, Any]
    ) -> None:
        code = receipt["verification_code"]
        response = await client.get(f"/v1/public/receipts/{code}")
        assert response.status_code == 200, response.text
        facts = response.json()
        assert facts["status"] == "genuine"
        assert facts["valid"] is True
        assert facts["ntpd"] == receipt["ntpd"]
        assert facts["amount"] == receipt["amount"]
        assert facts["taxpayer_name"] == "A** L******"
        assert ANI_NIK not in response.text
        assert "Lestari" not in response.text
        typed = code.replace("-", " ").lower()
        assert (await client.get(f"/v1/public/receipts/{typed}")).json()["ntpd"] == receipt["ntpd"]
        page = await client.get(f"/v1/public/receipts/{code}", headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert receipt["ntpd"] in page.text
        assert "Bukti pembayaran asli" in page.text

    async def test_an_unknown_code_is_not_genuine(
        self, client: httpx.AsyncClient, receipt: dict[str, Any]
    ) -> None:
        unknown = problem(await client.get("/v1/public/receipts/AAAA-BBBB-CCCC"), 404)
        assert unknown["type"].endswith("/receipt-not-genuine")
        assert unknown["result"] == "not_genuine"
        problem(await client.get("/v1/public/receipts/not-a-code"), 404)
        page = await client.get(
            "/v1/public/receipts/AAAA-BBBB-CCCC", headers={"Accept": "text/html"}
        )
        assert page.status_code == 404
        assert "tidak asli" in page.text
