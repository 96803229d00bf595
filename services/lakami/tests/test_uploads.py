"""Uploads through the HTTP API: content sniffing, size limits, ownership, deletion."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import func, select

from cimahi_lakami.config import LakamiSettings
from cimahi_lakami.models import Upload
from cimahi_shared.app import Runtime
from services.lakami.tests.conftest import Tokens, problem

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _stored_files(directory: Path) -> list[Path]:
    return list(directory.iterdir()) if directory.exists() else []


async def _rows(app: FastAPI) -> int:
    """Rows in the uploads table."""
    runtime: Runtime = app.state.runtime
    async with runtime.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(Upload)) or 0)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 10)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def upload_settings(settings: LakamiSettings, tmp_path: Path) -> LakamiSettings:
    settings.upload_dir = str(tmp_path / "uploads")
    return settings


async def post(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, data: bytes, ctype: str
) -> httpx.Response:
    return await client.post("/v1/uploads", files={"file": (name, data, ctype)}, headers=headers)


@pytest.mark.usefixtures("upload_settings")
class TestUploads:
    @pytest.mark.parametrize(
        ("name", "make", "expected"),
        [
            ("a.pdf", lambda: PDF, "application/pdf"),
            ("b.jpg", jpeg, "image/jpeg"),
            ("c.png", png, "image/png"),
            ("disguised.pdf", png, "image/png"),
        ],
    )
    async def test_accepted_with_sniffed_type_and_hash(
        self, client: httpx.AsyncClient, tokens: Tokens, name: str, make: object, expected: str
    ) -> None:
        data: bytes = make()  # type: ignore[operator]
        citizen = tokens.citizen()
        response = await post(client, citizen, name, data, "application/pdf")
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["content_type"] == expected
        assert body["sha256"] == hashlib.sha256(data).hexdigest()
        content = await client.get(f"/v1/uploads/{body['id']}/content", headers=citizen)
        assert content.content == data
        assert content.headers["content-type"] == expected
        assert content.headers["x-content-type-options"] == "nosniff"
        assert content.headers["content-disposition"].startswith("attachment")

    @pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
    async def test_photo_metadata_that_could_name_the_author_is_stripped(
        self, client: httpx.AsyncClient, tokens: Tokens, fmt: str
    ) -> None:
        """EXIF artist / PNG text are removed before storing; size and hash are of the result."""
        out = io.BytesIO()
        image = Image.new("RGB", (16, 8), (10, 10, 200))
        if fmt == "JPEG":
            exif = Image.Exif()
            exif[0x013B] = "Rina Marlina"  # Artist
            exif[0x0112] = 6  # rotate 90 degrees when shown
            image.save(out, format="JPEG", exif=exif.tobytes())
        else:
            info = PngInfo()
            info.add_text("Author", "Rina Marlina")
            image.save(out, format="PNG", pnginfo=info)
        data = out.getvalue()
        assert b"Rina Marlina" in data
        citizen = tokens.citizen()
        body = (await post(client, citizen, f"x.{fmt.lower()}", data, "image/*")).json()
        stored = (await client.get(f"/v1/uploads/{body['id']}/content", headers=citizen)).content
        assert b"Rina Marlina" not in stored
        assert body["sha256"] == hashlib.sha256(stored).hexdigest()
        assert body["size_bytes"] == len(stored)
        # The EXIF rotation is applied to the pixels, so the photo still shows upright.
        assert Image.open(io.BytesIO(stored)).size == ((8, 16) if fmt == "JPEG" else (16, 8))

    async def test_exe_renamed_pdf_refused(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tokens: Tokens,
        upload_settings: LakamiSettings,
    ) -> None:
        response = await post(
            client, tokens.citizen(), "x.pdf", b"MZ\x90\x00" * 50, "application/pdf"
        )
        assert problem(response, 415)["errors"][0]["field"] == "file"
        assert await _rows(app) == 0
        assert _stored_files(Path(upload_settings.upload_dir)) == []

    async def test_empty_refused(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await post(client, tokens.citizen(), "x.pdf", b"", "application/pdf")
        assert problem(response, 422)["errors"][0]["field"] == "file"
        assert await _rows(app) == 0

    async def test_too_large_stores_nothing(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tokens: Tokens,
        upload_settings: LakamiSettings,
    ) -> None:
        big = PDF + b"0" * upload_settings.upload_max_bytes
        problem(await post(client, tokens.citizen(), "x.pdf", big, "application/pdf"), 413)
        assert _stored_files(Path(upload_settings.upload_dir)) == []
        assert await _rows(app) == 0
        # A file of exactly the cap is accepted: the cap, not something else, refused it.
        padding = b"%" + b"0" * (upload_settings.upload_max_bytes - len(PDF) - 2) + b"\n"
        fits = PDF[:9] + padding + PDF[9:]  # a comment line inside the PDF: exactly the cap
        assert len(fits) == upload_settings.upload_max_bytes
        response = await post(client, tokens.citizen(), "x.pdf", fits, "application/pdf")
        assert response.status_code == 201, response.text
        assert await _rows(app) == 1

    async def test_other_citizen_and_officer_get_404_then_delete(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        owner = tokens.citizen()
        created = (await post(client, owner, "c.png", png(), "image/png")).json()
        url = f"/v1/uploads/{created['id']}"
        problem(await client.get(url, headers=tokens.citizen()), 404)
        problem(await client.get(url, headers=tokens.officer()), 404)
        assert (await client.get(url, headers=owner)).status_code == 200
        problem(await client.delete(url, headers=tokens.citizen()), 404)
        assert (await client.delete(url, headers=owner)).status_code == 204
        problem(await client.get(url, headers=owner), 404)

    async def test_idempotent_upload(self, client: httpx.AsyncClient, tokens: Tokens) -> None:
        citizen = {**tokens.citizen(), "Idempotency-Key": "up-1"}
        headers = {**citizen, "Content-Type": "multipart/form-data; boundary=fixedboundary"}
        data = png()
        first = await post(client, headers, "c.png", data, "image/png")
        again = await post(client, headers, "c.png", data, "image/png")
        assert first.status_code == again.status_code == 201, again.text
        assert first.json()["id"] == again.json()["id"]
