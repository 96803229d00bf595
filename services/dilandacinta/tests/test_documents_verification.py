"""The public check of a document's verification code: active, superseded, unknown, malformed."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from ulid import ULID

from cimahi_dilandacinta.models import Document
from cimahi_shared.documents.codes import new_code
from services.dilandacinta.tests.conftest import problem
from services.dilandacinta.tests.test_documents_issue import NIK, NOW, draft, issue, runtime

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PUBLIC_KEYS = {
    "status",
    "valid",
    "message",
    "verification_code",
    "kind",
    "title",
    "number",
    "holder_name",
    "holder_nik",
    "issued_on",
    "signer_title",
    "status_changed_on",
}


class TestVerifyDocument:
    async def test_an_active_document_is_genuine_with_masked_facts_only(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        document = await issue(app, draft("kk", family_id=str(ULID())))

        response = await client.get(f"/v1/public/documents/{document.verification_code}")

        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert set(body) == PUBLIC_KEYS
        assert body["status"] == "active"
        assert body["valid"] is True
        assert body["number"] == document.number
        assert body["kind"] == "kk"
        assert body["title"] == "Kartu Keluarga"
        assert body["holder_name"] == "A** L******"
        assert body["holder_nik"] == "3277********0001"
        assert body["issued_on"] == "2026-11-29"
        assert body["signer_title"] == document.signer_title
        assert body["status_changed_on"] is None
        assert NIK not in response.text
        assert "Lestari" not in response.text
        assert document.signer_name not in response.text

    async def test_a_superseded_document_says_so(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        old = await issue(app, draft("ktp_el"))
        later = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)  # 3 December in Cimahi
        await issue(app, draft("ktp_el"), supersedes=[old.id], now=later)

        body = (await client.get(f"/v1/public/documents/{old.verification_code}")).json()

        assert body["status"] == "superseded"
        assert body["valid"] is False
        assert body["status_changed_on"] == "2026-12-03"
        assert "3 Desember 2026" in body["message"]

    async def test_a_revoked_document_is_not_valid(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        document = await issue(app, draft())
        async with runtime(app).session_factory() as session, session.begin():
            await session.execute(
                update(Document)
                .where(Document.id == document.id)
                .values(status="revoked", status_changed_at=NOW)
            )

        body = (await client.get(f"/v1/public/documents/{document.verification_code}")).json()

        assert (body["status"], body["valid"]) == ("revoked", False)
        assert body["status_changed_on"] == "2026-11-29"
        assert "dicabut" in body["message"]

    async def test_a_code_is_forgiving_when_typed(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        document = await issue(app, draft())
        typed = document.verification_code.replace("-", " ").lower()

        response = await client.get(f"/v1/public/documents/{typed}")

        assert response.status_code == 200, response.text
        assert response.json()["number"] == document.number

    @pytest.mark.parametrize("code", ["unknown", "malformed"])
    async def test_an_unknown_or_malformed_code_is_not_genuine(
        self, client: httpx.AsyncClient, code: str
    ) -> None:
        typed = new_code() if code == "unknown" else "not-a-code!"

        response = await client.get(f"/v1/public/documents/{typed}")

        body = problem(response, 404)
        assert body["result"] == "not_genuine"
        assert "not genuine" in body["title"]
        assert "tidak terdaftar" in body["detail"].lower()
        assert response.headers["cache-control"] == "no-store"


class TestVerificationPage:
    async def test_a_browser_gets_an_escaped_page_with_masked_facts(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        document = await issue(app, draft(holder_name="<script>alert(1)</script> Lestari"))

        response = await client.get(
            f"/v1/public/documents/{document.verification_code}",
            headers={"Accept": BROWSER_ACCEPT},
        )

        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/html")
        assert "default-src 'none'" in response.headers["content-security-policy"]
        page = response.text
        assert "Dokumen asli dan berlaku" in page
        assert document.number in page
        assert "3277********0001" in page
        assert NIK not in page
        assert "<script>" not in page

    async def test_a_superseded_document_page(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        old = await issue(app, draft())
        await issue(app, draft(), supersedes=[old.id], now=NOW)

        response = await client.get(
            f"/v1/public/documents/{old.verification_code}", headers={"Accept": BROWSER_ACCEPT}
        )

        assert "sudah diganti" in response.text
        assert "Tanggal diganti" in response.text

    async def test_an_unknown_code_page_says_not_genuine(self, client: httpx.AsyncClient) -> None:
        response = await client.get(
            f"/v1/public/documents/{new_code()}", headers={"Accept": BROWSER_ACCEPT}
        )

        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "tidak terdaftar" in response.text
        assert "tidak asli" in response.text
