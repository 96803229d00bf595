"""Uploads through the HTTP API: content checks, size cap, who may read them, the access log."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import func, select
from ulid import ULID

from cimahi_dilandacinta.config import DilandacintaSettings
from cimahi_dilandacinta.models import AccessAudit, Upload
from cimahi_dilandacinta.uploads.service import attach_uploads, uploads_of
from cimahi_shared.app import Runtime
from cimahi_shared.errors import InvalidInput
from services.dilandacinta.tests.conftest import CIBABAT, MELONG, Tokens, problem

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MAX_BYTES = 64 * 1024
MELONG_KECAMATAN = "32.77.01"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 10)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def settings(settings: DilandacintaSettings) -> DilandacintaSettings:
    """A small size cap, so that too-large files are quick to send."""
    settings.upload_max_bytes = MAX_BYTES
    return settings


async def post(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    data: bytes,
    name: str = "scan.pdf",
    ctype: str = "application/pdf",
    purpose: str | None = None,
) -> httpx.Response:
    form = {"purpose": purpose} if purpose is not None else None
    return await client.post(
        "/v1/uploads", files={"file": (name, data, ctype)}, data=form, headers=headers
    )


async def upload(client: httpx.AsyncClient, owner: dict[str, str], data: bytes = PDF) -> str:
    response = await post(client, owner, data)
    assert response.status_code == 201, response.text
    upload_id: str = response.json()["id"]
    return upload_id


def runtime_of(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


async def count(app: FastAPI, model: type[Upload] | type[AccessAudit]) -> int:
    async with runtime_of(app).session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def audits(app: FastAPI) -> list[AccessAudit]:
    async with runtime_of(app).session_factory() as session:
        rows = await session.execute(select(AccessAudit).order_by(AccessAudit.id))
        return list(rows.scalars())


def stored_files(settings: DilandacintaSettings) -> list[Path]:
    directory = Path(settings.upload_dir)
    return list(directory.iterdir()) if directory.exists() else []


async def attach(
    app: FastAPI,
    owner_sub: str,
    uploads: dict[str, list[str]],
    *,
    application_id: str | None = None,
    kelurahan_code: str = MELONG,
) -> list[Upload]:
    """Attach as the applications service does, in a committed transaction of its own."""
    async with runtime_of(app).session_factory() as session, session.begin():
        return await attach_uploads(
            session,
            owner_sub=owner_sub,
            uploads=uploads,
            application_id=application_id or str(ULID()),
            tracking_no="DLC-TEST-0001",
            kelurahan_code=kelurahan_code,
            now=datetime(2026, 11, 29, 3, 0, tzinfo=UTC),
        )


def citizen(tokens: Tokens) -> tuple[str, dict[str, str]]:
    """A citizen's subject and request headers."""
    sub = str(ULID())
    return sub, tokens.citizen(sub)


class TestContent:
    @pytest.mark.parametrize(
        ("name", "make", "expected"),
        [
            ("kk.pdf", lambda: PDF, "application/pdf"),
            ("ktp.jpg", jpeg, "image/jpeg"),
            ("akta.png", png, "image/png"),
            ("fake.pdf", jpeg, "image/jpeg"),  # JPEG bytes under a PDF name and type
        ],
    )
    async def test_type_is_decided_by_the_content(
        self, client: httpx.AsyncClient, tokens: Tokens, name: str, make: object, expected: str
    ) -> None:
        data: bytes = make()  # type: ignore[operator]
        owner = tokens.citizen()
        response = await post(client, owner, data, name, "application/pdf", purpose=" KK lama ")
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["content_type"] == expected
        assert body["sha256"] == hashlib.sha256(data).hexdigest()
        assert body["size_bytes"] == len(data)
        assert body["original_filename"] == name
        assert body["purpose"] == "KK lama"
        assert body["attached"] is False
        assert response.headers["location"] == f"uploads/{body['id']}"
        content = await client.get(f"/v1/uploads/{body['id']}/content", headers=owner)
        assert content.status_code == 200
        assert content.content == data
        assert content.headers["content-type"] == expected
        assert content.headers["content-disposition"].startswith("attachment;")
        assert content.headers["x-content-type-options"] == "nosniff"

    @pytest.mark.parametrize(
        ("data", "why"),
        [
            (b"%PDF-1.4\n" + jpeg(), "a PDF header in front of JPEG bytes, no %%EOF"),
            (b"MZ\x90\x00" * 50, "a Windows program named .pdf"),
            (b"PK\x03\x04" + b"\x00" * 60, "a ZIP archive"),
            (b"\xff\xd8\xff\xe0" + b"\x00" * 60, "a JPEG signature over garbage"),
            (png()[:40], "a truncated PNG"),
        ],
    )
    async def test_unsupported_or_corrupt_refused_with_415(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tokens: Tokens,
        settings: DilandacintaSettings,
        data: bytes,
        why: str,
    ) -> None:
        body = problem(await post(client, tokens.citizen(), data), 415)
        assert [e["field"] for e in body["errors"]] == ["file"], why
        assert await count(app, Upload) == 0
        assert stored_files(settings) == []

    async def test_empty_file_refused_with_422(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        body = problem(await post(client, tokens.citizen(), b""), 422)
        assert [e["field"] for e in body["errors"]] == ["file"]
        assert await count(app, Upload) == 0

    async def test_missing_file_refused_with_422(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await client.post("/v1/uploads", data={"purpose": "x"}, headers=tokens.citizen())
        assert "file" in {e["field"] for e in problem(response, 422)["errors"]}

    async def test_over_the_cap_refused_with_413_and_nothing_kept(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tokens: Tokens,
        settings: DilandacintaSettings,
    ) -> None:
        padding = b"%" + b"0" * (MAX_BYTES - len(PDF) - 2) + b"\n"
        fits = PDF[:9] + padding + PDF[9:]  # a PDF comment line: exactly the cap
        assert len(fits) == MAX_BYTES
        over = PDF[:9] + b"%0" + padding + PDF[9:]
        body = problem(await post(client, tokens.citizen(), over), 413)
        assert [e["field"] for e in body["errors"]] == ["file"]
        assert await count(app, Upload) == 0
        assert stored_files(settings) == []
        # Far above the cap, the body limit stops it before it is read.
        problem(await post(client, tokens.citizen(), over * 4), 413)
        assert (await post(client, tokens.citizen(), fits)).status_code == 201

    @pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
    async def test_image_metadata_is_stripped(
        self, client: httpx.AsyncClient, tokens: Tokens, fmt: str
    ) -> None:
        """EXIF (owner, GPS) and PNG text do not reach the officers; EXIF rotation is applied."""
        out = io.BytesIO()
        image = Image.new("RGB", (16, 8), (10, 10, 200))
        if fmt == "JPEG":
            exif = Image.Exif()
            exif[0x013B] = "Rina Marlina"  # Artist
            exif[0x0112] = 6  # shown rotated by 90 degrees
            image.save(out, format="JPEG", exif=exif.tobytes())
        else:
            info = PngInfo()
            info.add_text("Author", "Rina Marlina")
            image.save(out, format="PNG", pnginfo=info)
        data = out.getvalue()
        assert b"Rina Marlina" in data
        owner = tokens.citizen()
        body = (await post(client, owner, data, f"ktp.{fmt.lower()}", "image/*")).json()
        stored = (await client.get(f"/v1/uploads/{body['id']}/content", headers=owner)).content
        assert b"Rina Marlina" not in stored
        assert body["sha256"] == hashlib.sha256(stored).hexdigest()
        assert body["size_bytes"] == len(stored)
        assert Image.open(io.BytesIO(stored)).size == ((8, 16) if fmt == "JPEG" else (16, 8))

    async def test_path_in_filename_is_reduced_to_a_label(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await post(client, tokens.citizen(), PDF, "..\\..\\KTP Ré*2026?.pdf")
        assert response.json()["original_filename"] == "KTP Re_2026_.pdf"


class TestWhoMayUpload:
    @pytest.mark.parametrize("who", ["officer", "admin", "machine"])
    async def test_only_citizens_upload(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, who: str
    ) -> None:
        headers = getattr(tokens, who)()
        problem(await post(client, headers, PDF), 403)
        assert await count(app, Upload) == 0

    async def test_without_token_401(self, client: httpx.AsyncClient) -> None:
        problem(await post(client, {}, PDF), 401)

    async def test_idempotency_key_replays_the_same_upload(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tokens: Tokens,
        settings: DilandacintaSettings,
    ) -> None:
        headers = {
            **tokens.citizen(),
            "Idempotency-Key": "ktp-scan-1",
            "Content-Type": "multipart/form-data; boundary=fixedboundary",
        }
        first = await post(client, headers, png(), "ktp.png", "image/png")
        again = await post(client, headers, png(), "ktp.png", "image/png")
        assert first.status_code == again.status_code == 201, again.text
        assert first.json()["id"] == again.json()["id"]
        assert await count(app, Upload) == 1
        assert len(stored_files(settings)) == 1
        # The same key with another file is a conflict, not a second upload.
        other = await post(client, headers, jpeg(), "ktp.jpg", "image/jpeg")
        assert other.status_code in (409, 422), other.text
        assert await count(app, Upload) == 1


class TestWhoMayRead:
    async def test_before_attachment_only_the_owner(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        owner = tokens.citizen()
        upload_id = await upload(client, owner)
        for path in (f"/v1/uploads/{upload_id}", f"/v1/uploads/{upload_id}/content"):
            assert (await client.get(path, headers=owner)).status_code == 200
            for stranger in (tokens.citizen(), tokens.officer(), tokens.head(), tokens.admin()):
                problem(await client.get(path, headers=stranger), 404)
        assert await audits(app) == []

    @pytest.mark.parametrize("area", [MELONG, MELONG_KECAMATAN, "32.77"])
    async def test_after_attachment_officers_of_the_area_read_and_are_logged(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, area: str
    ) -> None:
        owner_sub, owner = citizen(tokens)
        upload_id = await upload(client, owner)
        await attach(app, owner_sub, {"kk_lama": [upload_id]})
        officer_sub = str(ULID())
        officer = tokens.officer(area, sub=officer_sub)
        meta = await client.get(f"/v1/uploads/{upload_id}", headers=officer)
        assert meta.status_code == 200, meta.text
        assert meta.json()["attached"] is True
        assert meta.json()["requirement"] == "kk_lama"
        assert meta.json()["tracking_no"] == "DLC-TEST-0001"
        content = await client.get(f"/v1/uploads/{upload_id}/content", headers=officer)
        assert content.content == PDF
        # The owner's own reads are not logged; each officer read is.
        assert (await client.get(f"/v1/uploads/{upload_id}", headers=owner)).status_code == 200
        logged = await audits(app)
        assert [(a.resource, a.resource_ref, a.action) for a in logged] == [
            ("upload", upload_id, "read"),
            ("upload", upload_id, "download"),
        ]
        assert {a.owner_sub for a in logged} == {owner_sub}
        assert {a.actor_sub for a in logged} == {officer_sub}
        assert {a.actor_area for a in logged} == {area}
        assert all(a.purpose for a in logged)

    async def test_after_attachment_others_still_get_404(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        owner_sub, owner = citizen(tokens)
        upload_id = await upload(client, owner)
        await attach(app, owner_sub, {"kk_lama": [upload_id]})
        strangers = [
            tokens.officer(CIBABAT),  # another kelurahan
            tokens.officer("32.77.03"),  # another kecamatan
            tokens.officer(MELONG, agency="lakami"),  # another agency's officer
            tokens.admin(),
            tokens.citizen(),
        ]
        for stranger in strangers:
            problem(await client.get(f"/v1/uploads/{upload_id}", headers=stranger), 404)
            problem(await client.get(f"/v1/uploads/{upload_id}/content", headers=stranger), 404)
        assert await audits(app) == []

    async def test_unknown_and_malformed_ids_404(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        for upload_id in (str(ULID()), "x" * 300):
            problem(await client.get(f"/v1/uploads/{upload_id}", headers=tokens.citizen()), 404)


class TestDelete:
    async def test_owner_deletes_an_unattached_upload_and_its_file(
        self, client: httpx.AsyncClient, tokens: Tokens, settings: DilandacintaSettings
    ) -> None:
        owner = tokens.citizen()
        upload_id = await upload(client, owner)
        problem(await client.delete(f"/v1/uploads/{upload_id}", headers=tokens.citizen()), 404)
        assert (await client.delete(f"/v1/uploads/{upload_id}", headers=owner)).status_code == 204
        problem(await client.get(f"/v1/uploads/{upload_id}", headers=owner), 404)
        assert stored_files(settings) == []

    async def test_attached_upload_cannot_be_deleted(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        owner_sub, owner = citizen(tokens)
        upload_id = await upload(client, owner)
        await attach(app, owner_sub, {"kk_lama": [upload_id]})
        problem(await client.delete(f"/v1/uploads/{upload_id}", headers=owner), 409)
        assert (await client.get(f"/v1/uploads/{upload_id}", headers=owner)).status_code == 200


class TestAttach:
    async def test_attaches_by_requirement_code_and_lists_for_the_application(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        owner_sub, owner = citizen(tokens)
        kk, ktp_front, ktp_back = [await upload(client, owner) for _ in range(3)]
        application_id = str(ULID())
        attached = await attach(
            app,
            owner_sub,
            {"kk_lama": [kk], "ktp_el": [ktp_front, ktp_back]},
            application_id=application_id,
            kelurahan_code=CIBABAT,
        )
        assert sorted(u.id for u in attached) == sorted([kk, ktp_front, ktp_back])
        for row in attached:
            assert row.attached_kind == "application"
            assert row.attached_id == application_id
            assert row.attached_ref == "DLC-TEST-0001"
            assert row.kelurahan_code == CIBABAT
            assert row.attached_at == datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
        async with runtime_of(app).session_factory() as session:
            listed = await uploads_of(session, application_id)
            assert [(u.requirement, u.id) for u in listed] == [
                ("kk_lama", kk),
                *sorted([("ktp_el", ktp_front), ("ktp_el", ktp_back)]),
            ]
            assert await uploads_of(session, str(ULID())) == []
        # Now the Cibabat officers read them, Melong's do not.
        assert (await client.get(f"/v1/uploads/{kk}", headers=tokens.officer(CIBABAT))).is_success
        problem(await client.get(f"/v1/uploads/{kk}", headers=tokens.officer(MELONG)), 404)

    async def test_someone_elses_upload_is_refused_naming_the_requirement(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        owner_sub, owner = citizen(tokens)
        mine = await upload(client, owner)
        theirs = await upload(client, tokens.citizen())
        with pytest.raises(InvalidInput) as refused:
            await attach(app, owner_sub, {"kk_lama": [mine], "ktp_el": [theirs]})
        assert [e["field"] for e in refused.value.errors] == ["attachments.ktp_el"]
        # Nothing was half-attached: the transaction was rolled back.
        assert (await client.get(f"/v1/uploads/{mine}", headers=owner)).json()["attached"] is False

    async def test_unknown_upload_is_refused(self, app: FastAPI, tokens: Tokens) -> None:
        with pytest.raises(InvalidInput) as refused:
            await attach(app, str(ULID()), {"akta_lahir": [str(ULID()), "y" * 40]})
        assert [e["field"] for e in refused.value.errors] == ["attachments.akta_lahir"] * 2

    async def test_upload_attached_elsewhere_is_refused(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        owner_sub, owner = citizen(tokens)
        upload_id = await upload(client, owner)
        first = str(ULID())
        await attach(app, owner_sub, {"kk_lama": [upload_id]}, application_id=first)
        with pytest.raises(InvalidInput) as refused:
            await attach(app, owner_sub, {"kk_lama": [upload_id]}, application_id=str(ULID()))
        assert [e["field"] for e in refused.value.errors] == ["attachments.kk_lama"]
        async with runtime_of(app).session_factory() as session:
            assert [u.id for u in await uploads_of(session, first)] == [upload_id]

    async def test_resubmission_attaches_to_the_same_application_again(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        owner_sub, owner = citizen(tokens)
        kept, added = await upload(client, owner), await upload(client, owner)
        application_id = str(ULID())
        await attach(app, owner_sub, {"kk_lama": [kept]}, application_id=application_id)
        again = await attach(
            app,
            owner_sub,
            {"formulir_f101": [kept], "kk_lama": [added]},
            application_id=application_id,
        )
        assert {(u.id, u.requirement) for u in again} == {
            (kept, "formulir_f101"),
            (added, "kk_lama"),
        }

    async def test_the_same_upload_twice_is_refused(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        owner_sub, owner = citizen(tokens)
        upload_id = await upload(client, owner)
        with pytest.raises(InvalidInput) as refused:
            await attach(app, owner_sub, {"kk_lama": [upload_id], "ktp_el": [upload_id]})
        assert [e["field"] for e in refused.value.errors] == ["attachments.ktp_el"]
