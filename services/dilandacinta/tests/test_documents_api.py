"""Issued documents over HTTP: who may list, read and download them; the PDF; the access log."""

from __future__ import annotations

import io

import httpx
import pypdf
import segno
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select
from ulid import ULID

from cimahi_dilandacinta.config import DilandacintaSettings
from cimahi_dilandacinta.models import AccessAudit, Document
from cimahi_shared.documents.pdf import QR_BORDER
from services.dilandacinta.tests.conftest import CIBABAT, MELONG, Tokens, error_fields, problem
from services.dilandacinta.tests.test_documents_issue import (
    HEAD,
    HEAD_TITLE,
    NIK,
    NO_KK,
    draft,
    issue,
    runtime,
)

CIMAHI_SELATAN = "32.77.01"  # Melong's kecamatan
MEMBERS = [
    {
        "full_name": "Ani Lestari",
        "nik": NIK,
        "sex": "Perempuan",
        "birth_place": "Cimahi",
        "birth_date": "1990-05-12",
        "relationship": "Kepala Keluarga",
    },
    {
        "full_name": "Dinda Pratiwi",
        "nik": "3277015508150002",
        "sex": "Perempuan",
        "birth_place": "Cimahi",
        "birth_date": "2015-08-15",
        "relationship": "Anak",
    },
]


async def kk_of(app: FastAPI, owner_sub: str, kelurahan_code: str = MELONG) -> Document:
    return await issue(
        app,
        draft(
            "kk",
            owner_sub=owner_sub,
            kelurahan_code=kelurahan_code,
            family_id=str(ULID()),
            lines=[("Nomor KK", NO_KK), ("Nama Kepala Keluarga", "Ani Lestari")],
            members=MEMBERS,
        ),
    )


async def audit_rows(app: FastAPI, document_id: str) -> list[AccessAudit]:
    async with runtime(app).session_factory() as session:
        result = await session.execute(
            select(AccessAudit).where(AccessAudit.resource_ref == document_id)
        )
        return list(result.scalars())


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def qr_modules(image: Image.Image, *, size: int) -> list[list[bool]]:
    """The dark/light modules of an embedded QR image of ``size`` x ``size`` modules."""
    gray = image.convert("L")
    step = gray.width / size
    return [
        [gray.getpixel((int((x + 0.5) * step), int((y + 0.5) * step))) < 128 for x in range(size)]  # type: ignore[operator]
        for y in range(size)
    ]


class TestListDocuments:
    async def test_a_citizen_lists_only_their_own(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        sub = str(ULID())
        mine = [await kk_of(app, sub), await issue(app, draft(owner_sub=sub))]
        await kk_of(app, str(ULID()))

        response = await client.get("/v1/documents", headers=tokens.citizen(sub))

        assert response.status_code == 200, response.text
        body = response.json()
        assert [item["id"] for item in body["items"]] == [d.id for d in reversed(mine)]
        assert body["next_cursor"] is None
        assert body["items"][0]["holder_nik"] == "3277********0001"
        assert NIK not in response.text

    async def test_an_officer_lists_their_area_and_the_reads_are_logged(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        melong = await kk_of(app, str(ULID()), MELONG)
        cibabat = await kk_of(app, str(ULID()), CIBABAT)

        kecamatan = await client.get("/v1/documents", headers=tokens.officer(CIMAHI_SELATAN))
        city = await client.get("/v1/documents", headers=tokens.officer("32.77"))

        assert [item["id"] for item in kecamatan.json()["items"]] == [melong.id]
        assert [item["id"] for item in city.json()["items"]] == [cibabat.id, melong.id]
        assert [row.action for row in await audit_rows(app, melong.id)] == ["list", "list"]

    async def test_pages_follow_the_cursor(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        sub = str(ULID())
        issued = [await issue(app, draft(owner_sub=sub)) for _ in range(3)]
        headers = tokens.citizen(sub)

        first = (await client.get("/v1/documents?limit=2", headers=headers)).json()
        second = (
            await client.get(
                f"/v1/documents?limit=2&cursor={first['next_cursor']}", headers=headers
            )
        ).json()

        assert [i["id"] for i in first["items"] + second["items"]] == [
            d.id for d in reversed(issued)
        ]
        assert second["next_cursor"] is None

    async def test_a_bad_cursor_or_limit_names_the_field(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        headers = tokens.citizen()
        assert error_fields(await client.get("/v1/documents?cursor=nope", headers=headers)) == {
            "cursor"
        }
        assert "limit" in str(
            error_fields(await client.get("/v1/documents?limit=0", headers=headers))
        )


class TestReadDocument:
    async def test_the_holder_reads_masked_metadata(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tokens: Tokens,
        settings: DilandacintaSettings,
    ) -> None:
        sub = str(ULID())
        document = await kk_of(app, sub)

        response = await client.get(f"/v1/documents/{document.id}", headers=tokens.citizen(sub))

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["number"] == document.number
        assert body["title"] == "Kartu Keluarga"
        assert body["status"] == "active"
        assert body["holder_name"] == "A** L******"
        assert body["signer_title"] == HEAD_TITLE
        assert body["signer_name"] == HEAD.name
        assert body["verification_url"] == (
            f"{settings.public_base_url}/v1/public/documents/{document.verification_code}"
        )
        assert NIK not in response.text
        assert NO_KK not in response.text
        assert await audit_rows(app, document.id) == []  # the holder's own read is not logged

    async def test_officers_and_admins_reads_are_logged(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        document = await kk_of(app, str(ULID()), MELONG)

        officer = await client.get(f"/v1/documents/{document.id}", headers=tokens.officer(MELONG))
        admin = await client.get(f"/v1/documents/{document.id}/pdf", headers=tokens.admin())

        assert (officer.status_code, admin.status_code) == (200, 200)
        rows = await audit_rows(app, document.id)
        assert sorted((row.actor_role, row.action) for row in rows) == [
            ("admin", "download"),
            ("officer", "read"),
        ]

    async def test_others_get_404(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        document = await kk_of(app, str(ULID()), MELONG)

        problem(await client.get(f"/v1/documents/{document.id}", headers=tokens.citizen()), 404)
        problem(
            await client.get(f"/v1/documents/{document.id}", headers=tokens.officer(CIBABAT)), 404
        )
        problem(await client.get(f"/v1/documents/{ULID()}", headers=tokens.officer()), 404)
        # Another agency's officer is not a reader of population documents at all.
        other_agency = tokens.officer("32.77", agency="lakami")
        problem(await client.get(f"/v1/documents/{document.id}", headers=other_agency), 403)
        assert await audit_rows(app, document.id) == []


class TestDownloadDocument:
    async def test_the_holder_downloads_the_pdf_with_number_members_and_qr(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tokens: Tokens,
        settings: DilandacintaSettings,
    ) -> None:
        sub = str(ULID())
        document = await kk_of(app, sub)
        url = f"{settings.public_base_url}/v1/public/documents/{document.verification_code}"

        response = await client.get(f"/v1/documents/{document.id}/pdf", headers=tokens.citizen(sub))

        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["cache-control"] == "private, no-store"
        assert response.headers["content-disposition"] == (
            f'attachment; filename="{document.number}.pdf"'
        )
        words = pdf_text(response.content)
        for expected in (
            "PEMERINTAH KOTA CIMAHI",
            "DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL",
            "KARTU KELUARGA",
            f"Nomor: {document.number}",
            NO_KK,
            "Dinda Pratiwi",
            "3277015508150002",
            "15 Agustus 2015",
            "Ditandatangani secara elektronik oleh",
            HEAD.name or "",
            "29 November 2026",
            document.verification_code,
            url,
        ):
            assert expected in words, expected
        images = pypdf.PdfReader(io.BytesIO(response.content)).pages[0].images
        assert len(images) == 1
        expected_qr = segno.make(url, error="m", boost_error=False)
        size = expected_qr.symbol_size(border=QR_BORDER)[0]
        assert qr_modules(images[0].image, size=size) == [
            [bool(m) for m in row] for row in expected_qr.matrix_iter(border=QR_BORDER)
        ]
        assert await audit_rows(app, document.id) == []

    async def test_an_officer_of_the_area_downloads_and_it_is_logged(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        document = await kk_of(app, str(ULID()), MELONG)
        officer_sub = str(ULID())

        response = await client.get(
            f"/v1/documents/{document.id}/pdf",
            headers=tokens.officer(CIMAHI_SELATAN, sub=officer_sub),
        )

        assert response.status_code == 200, response.text
        [row] = await audit_rows(app, document.id)
        assert (row.action, row.actor_sub, row.actor_area) == (
            "download",
            officer_sub,
            CIMAHI_SELATAN,
        )
        assert (row.resource, row.person_id, row.owner_sub) == (
            "document",
            document.person_id,
            document.owner_sub,
        )

    async def test_another_citizen_and_an_officer_elsewhere_get_404(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        document = await kk_of(app, str(ULID()), MELONG)

        problem(await client.get(f"/v1/documents/{document.id}/pdf", headers=tokens.citizen()), 404)
        problem(
            await client.get(f"/v1/documents/{document.id}/pdf", headers=tokens.officer(CIBABAT)),
            404,
        )
        assert await audit_rows(app, document.id) == []

    async def test_needs_a_token(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        document = await kk_of(app, str(ULID()))

        problem(await client.get(f"/v1/documents/{document.id}/pdf"), 401)
