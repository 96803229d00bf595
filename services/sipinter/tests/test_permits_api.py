"""Permits over HTTP: who sees which, the PDF with its QR, the head's revocation, the public check."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import httpx
import pypdf
import segno
from fastapi import FastAPI
from ulid import ULID

from cimahi_shared.documents.pdf import QR_BORDER
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.permits.pdf import DEEMED_APPROVAL_NOTE
from services.sipinter.tests.conftest import CIBABAT, MELONG, Tokens, error_fields, problem
from services.sipinter.tests.factories import ANI, ANI_NIK, BUDI, make_business, pin_clock
from services.sipinter.tests.test_permits_helpers import (
    HEAD,
    audit_rows,
    events,
    issued,
    pdf_text,
    permit_row,
    qr_modules,
)

OWNER_NAME = "Ani Suryani"  # the owner make_business creates
CIMAHI_SELATAN = "32.77.01"
REASON = "Klinik tidak lagi memenuhi standar sarana (pengawasan 2026)."


def public_url(code: str) -> str:
    return f"/v1/public/permits/{code}"


class TestReads:
    async def test_owners_see_their_permits_others_get_404(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        pin_clock(app)
        mine = await issued(app, await make_business(app, owner_sub=ANI))
        theirs = await issued(app, await make_business(app, owner_sub=BUDI, nik="3277030308850002"))

        listed = await client.get("/v1/permits", headers=tokens.citizen(ANI))
        read = await client.get(f"/v1/permits/{mine.id}", headers=tokens.citizen(ANI))
        other = await client.get(f"/v1/permits/{theirs.id}", headers=tokens.citizen(ANI))

        assert listed.status_code == 200, listed.text
        assert [p["id"] for p in listed.json()["items"]] == [mine.id]
        assert listed.json()["next_offset"] is None
        body = read.json()
        assert body["number"] == mine.number
        assert body["status"] == "valid"
        assert body["permit_name"] == "Izin Operasional Klinik"
        assert body["kelurahan_name"] == "Melong"
        assert body["verification_url"].endswith(f"/v1/public/permits/{mine.verification_code}")
        assert read.headers["cache-control"] == "private, no-store"
        problem(other, 404)
        problem(await client.get(f"/v1/permits/{ULID()}", headers=tokens.citizen(ANI)), 404)
        assert ANI_NIK not in listed.text + read.text
        assert await audit_rows(app, mine.id) == []

    async def test_officers_see_their_area_and_every_read_is_logged(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        pin_clock(app)
        melong = await issued(app, await make_business(app, kelurahan_code=MELONG))
        cibabat = await issued(app, await make_business(app, kelurahan_code=CIBABAT))
        officer = {**tokens.officer(CIMAHI_SELATAN), "X-Purpose": "Pengawasan klinik"}

        listed = await client.get("/v1/permits", headers=officer)
        read = await client.get(f"/v1/permits/{melong.id}", headers=officer)
        outside = await client.get(f"/v1/permits/{cibabat.id}", headers=officer)

        assert [p["id"] for p in listed.json()["items"]] == [melong.id]
        assert read.status_code == 200, read.text
        problem(outside, 404)
        rows = await audit_rows(app, melong.id)
        assert sorted(r.action for r in rows) == ["list", "read"]
        assert {r.purpose for r in rows} == {"Pengawasan klinik"}
        assert {r.business_id for r in rows} == {melong.business_id}
        assert await audit_rows(app, cibabat.id) == []
        other_agency = tokens.officer(agency="lakami")
        problem(await client.get("/v1/permits", headers=other_agency), 403)
        admin = await client.get("/v1/permits", headers=tokens.admin())
        assert {p["id"] for p in admin.json()["items"]} == {melong.id, cibabat.id}

    async def test_pages_by_offset(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        pin_clock(app)
        business = await make_business(app)
        permits = [await issued(app, business) for _ in range(3)]

        first = await client.get("/v1/permits?limit=2", headers=tokens.citizen(ANI))
        second = await client.get("/v1/permits?limit=2&offset=2", headers=tokens.citizen(ANI))

        assert first.json()["next_offset"] == 2
        assert second.json()["next_offset"] is None
        ids = [p["id"] for p in first.json()["items"] + second.json()["items"]]
        assert sorted(ids) == sorted(p.id for p in permits)
        problem(await client.get("/v1/permits?limit=0", headers=tokens.citizen(ANI)), 422)


class TestPdf:
    async def test_the_pdf_prints_the_permit_and_the_qr_of_its_check(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tokens: Tokens,
        settings: SipinterSettings,
    ) -> None:
        pin_clock(app)
        business = await make_business(app, name="Klinik Pratama Sehat", nib="9120001234567")
        permit = await issued(
            app, business, conditions=["Papan nama dipasang"], deemed_approved=True
        )
        url = f"{settings.public_base_url}/v1/public/permits/{permit.verification_code}"

        response = await client.get(f"/v1/permits/{permit.id}/pdf", headers=tokens.citizen(ANI))

        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        filename = permit.number.replace("/", "-") + ".pdf"
        assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'
        words = " ".join(pdf_text(response.content).split())
        for expected in (
            "PEMERINTAH KOTA CIMAHI",
            "IZIN OPERASIONAL KLINIK",
            f"Nomor: {permit.number}",
            "Klinik Pratama Sehat",
            "9120001234567",
            "Jl. Melong Raya No. 12",
            "Izin Operasional Klinik (IZIN_KLINIK)",
            "2 Maret 2026",
            "1 Maret 2031",
            "1. Papan nama dipasang",
            " ".join(DEEMED_APPROVAL_NOTE.split()[:8]),
            "Ditandatangani secara elektronik oleh",
            HEAD.name or "",
            permit.verification_code,
            url,
        ):
            assert expected in words, expected
        assert OWNER_NAME not in words
        images = pypdf.PdfReader(io.BytesIO(response.content)).pages[0].images
        assert len(images) == 1
        expected_qr = segno.make(url, error="m", boost_error=False)
        size = int(expected_qr.symbol_size(border=QR_BORDER)[0])
        image = images[0].image
        assert image is not None
        assert qr_modules(image, size=size) == [
            [bool(m) for m in row] for row in expected_qr.matrix_iter(border=QR_BORDER)
        ]

    async def test_officers_downloads_are_logged_strangers_get_404(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        pin_clock(app)
        permit = await issued(app, permit_type="UMK_RENDAH", stage=None, signer=None)

        officer = await client.get(f"/v1/permits/{permit.id}/pdf", headers=tokens.officer())
        stranger = await client.get(f"/v1/permits/{permit.id}/pdf", headers=tokens.citizen())

        assert officer.status_code == 200
        assert "Diterbitkan secara elektronik oleh sistem SIPINTER" in pdf_text(officer.content)
        problem(stranger, 404)
        assert [r.action for r in await audit_rows(app, permit.id)] == ["download"]


class TestRevoke:
    async def test_the_head_revokes_once_with_an_event(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        pin_clock(app)
        permit = await issued(app)
        head = tokens.head(CIMAHI_SELATAN)

        response = await client.post(
            f"/v1/permits/{permit.id}/revoke", json={"reason": REASON}, headers=head
        )
        again = await client.post(
            f"/v1/permits/{permit.id}/revoke", json={"reason": REASON}, headers=head
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "revoked"
        assert body["revoked_reason"] == REASON
        assert body["revoked_at"] == "2026-03-02T02:00:00Z"
        problem(again, 409)
        stored = await permit_row(app, permit.id)
        assert (stored.status, stored.revoked_reason) == ("revoked", REASON)
        [event] = await events(app, "permit.revoked")
        assert event["subject"] == permit.id
        assert event["data"]["permit_number"] == permit.number
        assert event["data"]["revoked_at"] == "2026-03-02T02:00:00+00:00"
        assert REASON not in str(event)

    async def test_only_the_head_of_the_area(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        pin_clock(app)
        permit = await issued(app)
        path = f"/v1/permits/{permit.id}/revoke"
        body = {"reason": REASON}

        problem(await client.post(path, json=body, headers=tokens.officer()), 403)
        problem(await client.post(path, json=body, headers=tokens.citizen(ANI)), 403)
        problem(await client.post(path, json=body, headers=tokens.head(CIBABAT)), 404)
        problem(await client.post(path, json=body, headers=tokens.admin()), 403)
        assert error_fields(await client.post(path, json={}, headers=tokens.head())) == {"reason"}
        too_long = {"reason": "x" * 501}
        assert error_fields(await client.post(path, json=too_long, headers=tokens.head())) == {
            "reason"
        }
        assert (await permit_row(app, permit.id)).status == "valid"
        assert await events(app, "permit.revoked") == []


class TestPublicVerification:
    async def test_valid_with_public_facts_only(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        pin_clock(app)
        business = await make_business(app, name="Klinik Pratama Sehat", nib="9120001234567")
        permit = await issued(app, business)
        typed = permit.verification_code.replace("-", " ").lower()

        response = await client.get(public_url(typed))

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "valid"
        assert body["valid"] is True
        assert body["number"] == permit.number
        assert body["permit_name"] == "Izin Operasional Klinik"
        assert body["holder_name"] == "Klinik Pratama Sehat"
        assert body["nib"] == "9120001234567"
        assert body["kelurahan_name"] == "Melong"
        assert (body["valid_from"], body["valid_until"]) == ("2026-03-02", "2031-03-01")
        assert body["revoked_at"] is None
        assert response.headers["cache-control"] == "no-store"
        for private in (OWNER_NAME, ANI_NIK, ANI, "Jl. Melong Raya", business.id):
            assert private not in response.text

    async def test_expired_after_the_last_day_in_cimahi(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        permit = await issued(app, permit_type="REKLAME")  # one year: last day 1 March 2027
        pin_clock(app, datetime(2027, 3, 1, 16, 59, tzinfo=UTC))  # 23:59 WIB on the last day
        still = await client.get(public_url(permit.verification_code))
        pin_clock(app, datetime(2027, 3, 1, 17, 0, tzinfo=UTC))  # 00:00 WIB the day after
        expired = await client.get(public_url(permit.verification_code))

        assert still.json()["status"] == "valid"
        assert expired.json()["status"] == "expired"
        assert expired.json()["valid"] is False

    async def test_revoked_without_the_reason(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        pin_clock(app)
        permit = await issued(app)
        revoke = await client.post(
            f"/v1/permits/{permit.id}/revoke", json={"reason": REASON}, headers=tokens.head()
        )
        assert revoke.status_code == 200, revoke.text

        response = await client.get(public_url(permit.verification_code))
        page = await client.get(
            public_url(permit.verification_code), headers={"Accept": "text/html"}
        )

        assert response.json()["status"] == "revoked"
        assert response.json()["revoked_at"] == "2026-03-02T02:00:00Z"
        assert REASON not in response.text
        assert page.headers["content-type"].startswith("text/html")
        assert "Izin telah dicabut" in page.text
        assert REASON not in page.text

    async def test_unknown_is_a_404_saying_unknown(self, client: httpx.AsyncClient) -> None:
        for code in ("7K3M-Q9XD-2HVB", "not-a-code"):
            body = problem(await client.get(public_url(code)), 404)
            assert body["result"] == "unknown"
        page = await client.get(public_url("7K3M-Q9XD-2HVB"), headers={"Accept": "text/html"})
        assert page.status_code == 404
        assert "tidak terdaftar" in page.text

    async def test_the_valid_page_in_html(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        pin_clock(app)
        permit = await issued(app)

        page = await client.get(
            public_url(permit.verification_code), headers={"Accept": "text/html"}
        )

        assert page.status_code == 200
        assert "Izin asli dan berlaku" in page.text
        assert permit.number in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert OWNER_NAME not in page.text

    async def test_checks_are_limited_per_address(
        self, app: FastAPI, client: httpx.AsyncClient, settings: SipinterSettings
    ) -> None:
        pin_clock(app)
        flood = {"X-Forwarded-For": "203.0.113.7"}
        for _ in range(settings.public_verification_per_minute):
            assert (
                await client.get(public_url("7K3M-Q9XD-2HVB"), headers=flood)
            ).status_code == 404

        limited = await client.get(public_url("7K3M-Q9XD-2HVB"), headers=flood)
        other = await client.get(
            public_url("7K3M-Q9XD-2HVB"), headers={"X-Forwarded-For": "198.51.100.1"}
        )

        problem(limited, 429)
        assert int(limited.headers["retry-after"]) >= 1
        assert other.status_code == 404
