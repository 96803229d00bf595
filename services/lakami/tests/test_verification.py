"""Issued letters through the HTTP API: the public check, revocation and the PDF with its QR code."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime
from typing import Any

import httpx
import orjson
import pypdf
import pytest
import segno
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select, text

from cimahi_lakami.config import LakamiSettings
from cimahi_lakami.models import AccessAudit
from cimahi_lakami.verification import pdf as letter_pdf
from cimahi_lakami.verification.service import mask_name, verification_url
from cimahi_shared.app import Runtime
from cimahi_shared.calendar import WIB
from cimahi_shared.documents.codes import new_code
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

CIMAHI_SELATAN = "32.77.01"  # Melong's kecamatan
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
USAHA_FIELDS = {
    "business_name": "Warung Bu Rina",
    "business_type": "Warung makan",
    "business_address": "Jl. Sadarmanah 3",
}
PUBLIC_KEYS = {
    "result",
    "valid",
    "message",
    "verification_code",
    "letter_type",
    "letter_number",
    "issued_on",
    "kelurahan",
    "kecamatan",
    "signer_title",
    "holder_name",
    "holder_nik",
    "revoked_on",
}


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


async def approve(
    client: httpx.AsyncClient, tracking_no: str, officer: dict[str, str]
) -> dict[str, Any]:
    """verify -> process -> approve at the officer's level."""
    response = None
    for action in ("verify", "process", "approve"):
        response = await client.post(
            f"/v1/letter-requests/{tracking_no}/{action}", json={}, headers=officer
        )
        assert response.status_code == 200, response.text
    assert response is not None
    body: dict[str, Any] = response.json()
    return body


async def issue(
    client: httpx.AsyncClient, tokens: Tokens, citizen: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    """A domisili letter submitted by ``citizen`` and signed by the Lurah of Melong."""
    tracking_no = (await submit(client, citizen, **overrides))["tracking_no"]
    letter = await approve(client, tracking_no, tokens.officer(MELONG))
    assert letter["status"] == "approved"
    assert letter["verification_code"]
    return letter


async def revoke(
    client: httpx.AsyncClient,
    tracking_no: str,
    headers: dict[str, str],
    reason: str | None = "Data alamat tidak sesuai dengan kenyataan",
    **extra_headers: str,
) -> httpx.Response:
    body = {"reason": reason} if reason is not None else {}
    return await client.post(
        f"/v1/letter-requests/{tracking_no}/revoke",
        json=body,
        headers={**headers, **extra_headers},
    )


async def outbox_events(app: FastAPI) -> list[dict[str, Any]]:
    async with runtime(app).session_factory() as session:
        rows = (await session.execute(text("SELECT subject, payload FROM outbox"))).all()
    return [{"nats_subject": r.subject, **orjson.loads(r.payload)} for r in rows]


async def audit_actions(app: FastAPI, tracking_no: str) -> list[tuple[str, str]]:
    async with runtime(app).session_factory() as session:
        rows = (
            await session.scalars(
                select(AccessAudit)
                .where(AccessAudit.tracking_no == tracking_no)
                .order_by(AccessAudit.id)
            )
        ).all()
    return [(r.action, r.actor_sub) for r in rows]


def today_wib() -> str:
    return datetime.now(WIB).date().isoformat()


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def qr_modules(image: Image.Image, *, size: int) -> list[list[bool]]:
    """The dark modules of a QR image of ``size`` x ``size`` modules (quiet zone included)."""
    gray = image.convert("L")
    step = gray.width / size
    return [
        [
            gray.getpixel((int((x + 0.5) * step), int((y + 0.5) * step))) < 128  # type: ignore[operator]
            for x in range(size)
        ]
        for y in range(size)
    ]


class TestPublicVerification:
    async def test_genuine_letter_shows_only_masked_facts(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        owner = "citizen-verify-1"
        letter = await issue(client, tokens, tokens.citizen(owner))
        code = letter["verification_code"]

        response = await client.get(f"/v1/public/letters/{code}")  # no token

        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert set(body) == PUBLIC_KEYS
        assert body == {
            "result": "genuine",
            "valid": True,
            "message": body["message"],
            "verification_code": code,
            "letter_type": "Surat Keterangan Domisili",
            "letter_number": letter["letter_number"],
            "issued_on": letter["issued_on"],
            "kelurahan": "Melong",
            "kecamatan": "Cimahi Selatan",
            "signer_title": "Lurah Melong",
            "holder_name": "R*** M******",
            "holder_nik": "3277********0011",
            "revoked_on": None,
        }
        assert "asli dan berlaku" in body["message"]
        for secret in (
            letter["tracking_no"],
            owner,
            NIK,
            NO_KK,
            "Rina",
            "Marlina",
            "Melong Asih",  # the address field
            "rekening",  # the purpose
            "Ujang",  # the signing officer's name
            letter["signer_sub"],
            "012/RT03",  # the cover letter
        ):
            assert secret not in response.text

    async def test_typed_code_is_normalised(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        code = (await issue(client, tokens, tokens.citizen()))["verification_code"]
        typed = " " + code.replace("-", " ").lower().replace("0", "o").replace("1", "l") + " "

        response = await client.get(f"/v1/public/letters/{typed}")

        assert response.status_code == 200, response.text
        assert response.json()["verification_code"] == code

    async def test_a_browser_gets_an_escaped_page_in_bahasa_indonesia(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        letter = await issue(
            client, tokens, tokens.citizen(), full_name="<script>alert(1)</script> Rina"
        )
        response = await client.get(
            f"/v1/public/letters/{letter['verification_code']}",
            headers={"Accept": BROWSER_ACCEPT},
        )

        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-store"
        assert "default-src 'none'" in response.headers["content-security-policy"]
        page = response.text
        assert '<html lang="id">' in page
        assert "Surat asli dan berlaku" in page
        assert letter["letter_number"] in page
        assert "Lurah Melong" in page
        assert "3277********0011" in page
        assert "&lt;******" in page  # the masked name, escaped
        assert "<script" not in page
        assert "Rina" not in page
        assert letter["tracking_no"] not in page

    async def test_json_stays_the_default_for_api_clients(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        code = (await issue(client, tokens, tokens.citizen()))["verification_code"]
        for accept in ("*/*", "application/json", "application/json, text/html;q=0.5"):
            response = await client.get(f"/v1/public/letters/{code}", headers={"Accept": accept})
            assert response.headers["content-type"] == "application/json", accept

    @pytest.mark.parametrize(
        "accept", ["text/html;q=0, application/json", "application/*, text/html;q=0.9"]
    )
    async def test_html_only_when_preferred(
        self, client: httpx.AsyncClient, tokens: Tokens, accept: str
    ) -> None:
        code = (await issue(client, tokens, tokens.citizen()))["verification_code"]

        response = await client.get(f"/v1/public/letters/{code}", headers={"Accept": accept})

        assert response.headers["content-type"] == "application/json"

    async def test_unknown_code_is_a_404_problem(self, client: httpx.AsyncClient) -> None:
        response = await client.get(f"/v1/public/letters/{new_code()}")

        body = problem(response, 404)
        assert body["result"] == "unknown"
        assert body["type"].endswith("/unknown-verification-code")
        assert response.headers["cache-control"] == "no-store"

    @pytest.mark.parametrize(
        "typed", ["ABCD", "not-a-code", "ABCD-EFGH-JKMN-PQRS", "ÄBCD-EFGH-JKMN"]
    )
    async def test_malformed_code_is_unknown_too(
        self, client: httpx.AsyncClient, typed: str
    ) -> None:
        body = problem(await client.get(f"/v1/public/letters/{typed}"), 404)
        assert body["result"] == "unknown"

    async def test_unknown_code_page_for_a_browser(self, client: httpx.AsyncClient) -> None:
        response = await client.get(
            f"/v1/public/letters/{new_code()}", headers={"Accept": BROWSER_ACCEPT}
        )

        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "Kode verifikasi tidak dikenal" in response.text

    async def test_open_requests_have_no_code(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        created = await submit(client, tokens.citizen())
        assert created["verification_code"] is None

    def test_name_masking(self) -> None:
        assert mask_name("Siti  Nur'aini") == "S*** N*******"
        assert mask_name("A Budi") == "A B***"


class TestRevocation:
    async def test_revoked_letter_is_reported_as_revoked(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen("citizen-revoke-1")
        letter = await issue(client, tokens, citizen)
        tracking_no, code = letter["tracking_no"], letter["verification_code"]
        officer = tokens.officer(MELONG, sub="officer-revoker")
        reason = "Pemohon tidak berdomisili di Jl. Melong Asih No. 12"

        response = await revoke(client, tracking_no, officer, reason)

        assert response.status_code == 200, response.text
        revoked = response.json()
        assert revoked["tracking_no"] == tracking_no
        assert revoked["verification_code"] == code
        assert revoked["revoked_by_sub"] == "officer-revoker"
        assert revoked["reason"] == reason

        public = await client.get(f"/v1/public/letters/{code}")
        assert public.status_code == 200
        body = public.json()
        assert (body["result"], body["valid"]) == ("revoked", False)
        assert body["revoked_on"] == today_wib()
        assert "tidak berlaku" in body["message"]
        assert reason not in public.text
        assert "officer-revoker" not in public.text
        page = await client.get(f"/v1/public/letters/{code}", headers={"Accept": BROWSER_ACCEPT})
        assert "Surat telah dicabut" in page.text
        assert "Tanggal dicabut" in page.text
        assert "Melong Asih" not in page.text

        seen = (await client.get(f"/v1/letter-requests/{tracking_no}", headers=citizen)).json()
        last = seen["history"][-1]
        assert (last["action"], last["from_status"], last["to_status"]) == (
            "revoke",
            "approved",
            "approved",
        )
        assert (last["level"], last["actor_sub"], last["note"]) == (
            "kelurahan",
            "officer-revoker",
            reason,
        )
        assert [h["sequence"] for h in seen["history"]] == [1, 2, 3, 4, 5]
        assert ("revoke", "officer-revoker") in await audit_actions(app, tracking_no)

    async def test_revocation_events_carry_no_reason_or_personal_data(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        from cloudevents.core.formats.json import JSONFormat

        letter = await issue(client, tokens, tokens.citizen("citizen-revoke-events"))
        reason = "Dokumen palsu atas nama Rina Marlina"
        assert (await revoke(client, letter["tracking_no"], tokens.admin(), reason)).is_success

        events = [e for e in await outbox_events(app) if e["subject"] == letter["tracking_no"]]
        revoked = [e for e in events if e["type"].endswith(".letter_request.revoked.v1")]
        assert len(revoked) == 1
        domain = revoked[0]
        assert domain["type"] == "id.go.cimahikota.lakami.letter_request.revoked.v1"
        assert domain["nats_subject"] == "cimahi.lakami.letter_request.revoked.v1"
        assert domain["data"]["sequence"] == 5
        assert domain["data"]["agency_status"] == "approved"
        assert domain["data"]["letter_number"] == letter["letter_number"]
        assert "note" not in domain["data"]  # the reason stays in LAKAMI
        lifecycle = [
            e
            for e in events
            if e["type"] == "id.go.cimahikota.request.lifecycle.v1" and e["data"]["sequence"] == 5
        ]
        assert len(lifecycle) == 1
        assert lifecycle[0]["data"]["status"] == "completed"
        assert "dicabut" in lifecycle[0]["data"]["note"]
        for event in (domain, lifecycle[0]):
            raw = orjson.dumps({k: v for k, v in event.items() if k != "nats_subject"})
            assert JSONFormat().read(None, raw).get_type() == event["type"]
            for secret in (reason, NIK, NO_KK, "Rina", "Marlina", letter["verification_code"]):
                assert secret not in raw.decode()

    async def test_who_may_revoke(self, client: httpx.AsyncClient, tokens: Tokens) -> None:
        citizen = tokens.citizen("citizen-revoke-rules")
        tracking_no = (await issue(client, tokens, citizen))["tracking_no"]

        problem(await revoke(client, tracking_no, citizen), 403)  # even the owner
        problem(await revoke(client, tracking_no, tokens.citizen()), 403)
        problem(await revoke(client, tracking_no, tokens.officer(MELONG, agency="epbb")), 403)
        problem(await revoke(client, tracking_no, tokens.officer(CIBABAT)), 404)
        # The kecamatan never saw a letter the Lurah signed.
        problem(await revoke(client, tracking_no, tokens.officer(CIMAHI_SELATAN)), 404)
        problem(await revoke(client, "LKM-2601-00000000", tokens.officer(MELONG)), 404)
        code = (await client.get(f"/v1/letter-requests/{tracking_no}", headers=citizen)).json()[
            "verification_code"
        ]
        assert (await client.get(f"/v1/public/letters/{code}")).json()["result"] == "genuine"

        assert (await revoke(client, tracking_no, tokens.officer(MELONG))).status_code == 200
        twice = problem(await revoke(client, tracking_no, tokens.admin()), 409)
        assert "already revoked" in twice["detail"]

    async def test_concurrent_revocations_revoke_once(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen()
        tracking_no = (await issue(client, tokens, citizen))["tracking_no"]

        responses = await asyncio.gather(
            revoke(client, tracking_no, tokens.officer(MELONG)),
            revoke(client, tracking_no, tokens.admin()),
        )

        assert sorted(r.status_code for r in responses) == [200, 409]
        seen = (await client.get(f"/v1/letter-requests/{tracking_no}", headers=citizen)).json()
        assert [h["action"] for h in seen["history"]].count("revoke") == 1

    async def test_only_issued_letters_can_be_revoked(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        tracking_no = (await submit(client, tokens.citizen()))["tracking_no"]

        body = problem(await revoke(client, tracking_no, tokens.officer(MELONG)), 409)

        assert body["current_status"] == "submitted"

    @pytest.mark.parametrize("reason", [None, "", "   ", "x" * 501])
    async def test_reason_is_required(
        self, client: httpx.AsyncClient, tokens: Tokens, reason: str | None
    ) -> None:
        letter = await issue(client, tokens, tokens.citizen())

        response = await revoke(client, letter["tracking_no"], tokens.officer(MELONG), reason)

        assert error_fields(response) == {"reason"}
        public = await client.get(f"/v1/public/letters/{letter['verification_code']}")
        assert public.json()["result"] == "genuine"

    async def test_retry_with_the_same_idempotency_key_replays(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        letter = await issue(client, tokens, tokens.citizen())
        officer = tokens.officer(MELONG, sub="officer-idem")

        first = await revoke(client, letter["tracking_no"], officer, **{"Idempotency-Key": "k-1"})
        again = await revoke(client, letter["tracking_no"], officer, **{"Idempotency-Key": "k-1"})

        assert first.status_code == again.status_code == 200
        assert first.json() == again.json()

    async def test_camat_signed_letter_is_revoked_by_the_kecamatan(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen()
        created = await submit(client, citizen, letter_type="usaha", fields=USAHA_FIELDS)
        await approve(client, created["tracking_no"], tokens.officer(MELONG))
        letter = await approve(client, created["tracking_no"], tokens.officer(CIMAHI_SELATAN))
        assert letter["signer_title"] == "Camat Cimahi Selatan"
        tracking_no = letter["tracking_no"]

        assert (await client.get(f"/v1/public/letters/{letter['verification_code']}")).json()[
            "signer_title"
        ] == "Camat Cimahi Selatan"
        problem(await revoke(client, tracking_no, tokens.officer(MELONG)), 403)
        problem(await revoke(client, tracking_no, tokens.officer("32.77.02")), 404)
        response = await revoke(client, tracking_no, tokens.officer(CIMAHI_SELATAN))
        assert response.status_code == 200, response.text
        seen = (await client.get(f"/v1/letter-requests/{tracking_no}", headers=citizen)).json()
        assert (seen["history"][-1]["action"], seen["history"][-1]["level"]) == (
            "revoke",
            "kecamatan",
        )


class TestLetterPdf:
    async def test_owner_downloads_the_letter_with_its_qr_code(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, settings: LakamiSettings
    ) -> None:
        citizen = tokens.citizen("citizen-pdf-1")
        letter = await issue(client, tokens, citizen, full_name="Siti Nur'aini")
        tracking_no, code = letter["tracking_no"], letter["verification_code"]

        response = await client.get(
            f"/v1/letter-requests/{tracking_no}/letter.pdf", headers=citizen
        )

        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["cache-control"] == "private, no-store"
        year = letter["issued_on"][:4]
        assert response.headers["content-disposition"] == (
            f'attachment; filename="470_{letter["letter_number"].split("/")[1]}_Kel.Melong_{year}.pdf"'
        )
        content = response.content
        assert content.startswith(b"%PDF-")
        words = pdf_text(content)
        url = verification_url(code, base_url=settings.public_base_url)
        assert url == f"http://127.0.0.1:8000/api/lakami/v1/public/letters/{code}"
        for expected in (
            "PEMERINTAH KOTA CIMAHI",
            "KECAMATAN CIMAHI SELATAN",
            "KELURAHAN MELONG",
            "SURAT KETERANGAN DOMISILI",
            f"Nomor: {letter['letter_number']}",
            "Siti Nur'aini",
            NIK,  # the letter itself carries the full NIK
            "RT 003 / RW 007",
            "Alamat domisili",  # catalogue labels of the type's fields
            "Jl. Melong Asih No. 12",
            "Berdomisili sejak",
            "1 Maret 2015",
            "Persyaratan pembukaan rekening bank",
            "Lurah Melong",
            "Ujang Suherman",
            "Ditandatangani secara elektronik",
            code,
            url,
        ):
            assert expected in words, expected
        assert NO_KK not in words
        assert letter_pdf.indonesian_date(datetime.fromisoformat(letter["issued_on"]).date()) in (
            words
        )

        images = pypdf.PdfReader(io.BytesIO(content)).pages[0].images
        assert len(images) == 1
        expected_qr = segno.make(url, error="m", boost_error=False)
        size = expected_qr.symbol_size(border=letter_pdf.QR_BORDER)[0]
        assert qr_modules(images[0].image, size=size) == [
            [bool(m) for m in row] for row in expected_qr.matrix_iter(border=letter_pdf.QR_BORDER)
        ]
        # The owner's own download is not in the access log (only officers' and admins' are).
        assert "download" not in [action for action, _ in await audit_actions(app, tracking_no)]

    async def test_names_outside_latin_1_are_transliterated(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen()
        letter = await issue(client, tokens, citizen, full_name="Śri Rahayu Łaksmi 王")

        response = await client.get(
            f"/v1/letter-requests/{letter['tracking_no']}/letter.pdf", headers=citizen
        )

        assert response.status_code == 200, response.text
        assert "Sri Rahayu Laksmi ?" in pdf_text(response.content)
        public = await client.get(f"/v1/public/letters/{letter['verification_code']}")
        assert public.json()["holder_name"] == "Ś** R***** Ł***** 王"

    async def test_officers_may_download_and_are_logged(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        letter = await issue(client, tokens, tokens.citizen())
        tracking_no = letter["tracking_no"]
        before = await audit_actions(app, tracking_no)
        officer = tokens.officer(MELONG, sub="officer-pdf-reader")
        admin = tokens.admin()

        for headers in (officer, admin):
            response = await client.get(
                f"/v1/letter-requests/{tracking_no}/letter.pdf", headers=headers
            )
            assert response.status_code == 200, response.text

        added = (await audit_actions(app, tracking_no))[len(before) :]
        assert [action for action, _ in added] == ["download", "download"]
        assert added[0][1] == "officer-pdf-reader"

    async def test_others_see_nothing(self, client: httpx.AsyncClient, tokens: Tokens) -> None:
        letter = await issue(client, tokens, tokens.citizen())
        path = f"/v1/letter-requests/{letter['tracking_no']}/letter.pdf"

        problem(await client.get(path, headers=tokens.citizen()), 404)
        problem(await client.get(path, headers=tokens.officer(CIBABAT)), 404)
        problem(await client.get(path, headers=tokens.officer(CIMAHI_SELATAN)), 404)
        problem(await client.get(path, headers=tokens.officer(MELONG, agency="epbb")), 403)
        problem(await client.get(path), 401)

    async def test_no_letter_before_approval(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen()
        tracking_no = (await submit(client, citizen))["tracking_no"]

        response = await client.get(
            f"/v1/letter-requests/{tracking_no}/letter.pdf", headers=citizen
        )

        assert problem(response, 409)["current_status"] == "submitted"

    async def test_revoked_letter_is_gone(self, client: httpx.AsyncClient, tokens: Tokens) -> None:
        citizen = tokens.citizen()
        letter = await issue(client, tokens, citizen)
        assert (await revoke(client, letter["tracking_no"], tokens.officer(MELONG))).is_success

        response = await client.get(
            f"/v1/letter-requests/{letter['tracking_no']}/letter.pdf", headers=citizen
        )

        assert problem(response, 410)["type"].endswith("/letter-revoked")

    async def test_camat_signed_letter_has_the_kecamatan_letterhead(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen()
        created = await submit(client, citizen, letter_type="usaha", fields=USAHA_FIELDS)
        await approve(client, created["tracking_no"], tokens.officer(MELONG))
        letter = await approve(client, created["tracking_no"], tokens.officer(CIMAHI_SELATAN))

        response = await client.get(
            f"/v1/letter-requests/{letter['tracking_no']}/letter.pdf", headers=citizen
        )

        words = pdf_text(response.content)
        assert "KECAMATAN CIMAHI SELATAN" in words
        assert "KELURAHAN MELONG" not in words
        assert "Camat Cimahi Selatan" in words
        assert "Nama usaha" in words
        assert "Warung Bu Rina" in words
