"""Uploads of requirement documents: content checks, size cap, attaching them to an application,
what is still missing, and who may read them (officers' and admins' reads logged)."""

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
from ulid import ULID

from cimahi_shared.errors import InvalidInput
from cimahi_sipinter.catalogue.schemas import Requirement
from cimahi_sipinter.catalogue.standards import CATALOGUE
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.models import AccessAudit, Application, Upload
from cimahi_sipinter.uploads.service import attach, missing_documents, uploads_of
from services.sipinter.tests.conftest import CIBABAT, MELONG, Tokens, problem
from services.sipinter.tests.factories import ANI, BUDI, NOW, make_application, make_business

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MAX_BYTES = 64 * 1024
MELONG_KECAMATAN = "32.77.01"
KLINIK_DOCUMENTS = ["ktp", "staff_list", "equipment_list", "self_assessment"]


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 10)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def settings(settings: SipinterSettings, tmp_path: Path) -> SipinterSettings:
    """A small size cap (too-large files are quick to send) and a directory of the test's own."""
    settings.upload_max_bytes = MAX_BYTES
    settings.upload_dir = str(tmp_path / "uploads")
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
    """A new upload of the caller; its id."""
    response = await post(client, owner, data)
    assert response.status_code == 201, response.text
    upload_id: str = response.json()["id"]
    return upload_id


async def attach_now(
    app: FastAPI, owner_sub: str, application: Application, attachments: dict[str, list[str]]
) -> None:
    """Attach as the applications service does, in a committed transaction of its own."""
    async with app.state.runtime.session_factory() as session, session.begin():
        row = await session.get(Application, application.id)
        assert row is not None
        await attach(
            session, owner_sub=owner_sub, application=row, attachments=attachments, now=NOW
        )


async def rows(app: FastAPI, model: type[Upload] | type[AccessAudit]) -> list[object]:
    async with app.state.runtime.session_factory() as session:
        return list((await session.execute(select(model).order_by(model.id))).scalars())


async def count(app: FastAPI, model: type[Upload] | type[AccessAudit]) -> int:
    async with app.state.runtime.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def audits(app: FastAPI) -> list[AccessAudit]:
    return [a for a in await rows(app, AccessAudit) if isinstance(a, AccessAudit)]


def stored_files(settings: SipinterSettings) -> list[Path]:
    directory = Path(settings.upload_dir)
    return list(directory.iterdir()) if directory.exists() else []


async def add_co_owner(
    client: httpx.AsyncClient, tokens: Tokens, business_id: str, sub: str = BUDI
) -> None:
    response = await client.post(
        f"/v1/businesses/{business_id}/owners",
        json={"owner_sub": sub, "name": "Budi Santoso"},
        headers=tokens.citizen(ANI),
    )
    assert response.status_code == 201, response.text


class TestContent:
    @pytest.mark.parametrize(
        ("name", "make", "expected"),
        [
            ("ktp.pdf", lambda: PDF, "application/pdf"),
            ("ktp.jpg", jpeg, "image/jpeg"),
            ("denah.png", png, "image/png"),
            ("fake.pdf", jpeg, "image/jpeg"),  # JPEG bytes under a PDF name and type
        ],
    )
    async def test_type_is_decided_by_the_content(
        self, client: httpx.AsyncClient, tokens: Tokens, name: str, make: object, expected: str
    ) -> None:
        data: bytes = make()  # type: ignore[operator]
        owner = tokens.citizen(ANI)
        response = await post(client, owner, data, name, "application/pdf", purpose=" KTP ")
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["content_type"] == expected
        assert body["sha256"] == hashlib.sha256(data).hexdigest()
        assert body["size_bytes"] == len(data)
        assert (body["original_filename"], body["purpose"]) == (name, "KTP")
        assert body["attached"] is False
        assert body["application_id"] is body["requirement"] is None
        assert response.headers["location"] == f"uploads/{body['id']}"
        content = await client.get(f"/v1/uploads/{body['id']}/content", headers=owner)
        assert content.status_code == 200
        assert content.content == data
        assert content.headers["content-type"] == expected
        assert content.headers["content-disposition"].startswith("attachment;")
        assert content.headers["x-content-type-options"] == "nosniff"

    @pytest.mark.parametrize(
        "data",
        [
            b"%PDF-1.4\n" + jpeg(),  # a PDF header in front of JPEG bytes, no %%EOF
            b"MZ\x90\x00" * 50,  # a Windows program named .pdf
            b"PK\x03\x04" + b"\x00" * 60,  # a ZIP archive
            png()[:40],  # a truncated PNG
        ],
    )
    async def test_fake_or_corrupt_content_refused_with_415_and_nothing_kept(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tokens: Tokens,
        settings: SipinterSettings,
        data: bytes,
    ) -> None:
        body = problem(await post(client, tokens.citizen(), data), 415)
        assert [e["field"] for e in body["errors"]] == ["file"]
        assert await count(app, Upload) == 0
        assert stored_files(settings) == []

    async def test_empty_or_missing_file_refused_with_422(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        body = problem(await post(client, tokens.citizen(), b""), 422)
        assert [e["field"] for e in body["errors"]] == ["file"]
        missing = await client.post("/v1/uploads", data={"purpose": "x"}, headers=tokens.citizen())
        assert "file" in {e["field"] for e in problem(missing, 422)["errors"]}
        assert await count(app, Upload) == 0

    async def test_over_the_cap_refused_with_413(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tokens: Tokens,
        settings: SipinterSettings,
    ) -> None:
        padding = b"%" + b"0" * (MAX_BYTES - len(PDF) - 2) + b"\n"
        fits = PDF[:9] + padding + PDF[9:]  # a PDF comment line: exactly the cap
        assert len(fits) == MAX_BYTES
        over = PDF[:9] + b"%0" + padding + PDF[9:]
        body = problem(await post(client, tokens.citizen(), over), 413)
        assert [e["field"] for e in body["errors"]] == ["file"]
        problem(await post(client, tokens.citizen(), over * 4), 413)  # stopped by the body limit
        assert await count(app, Upload) == 0
        assert stored_files(settings) == []
        assert (await post(client, tokens.citizen(), fits)).status_code == 201

    @pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
    async def test_image_metadata_is_stripped(
        self, client: httpx.AsyncClient, tokens: Tokens, fmt: str
    ) -> None:
        """EXIF (author, GPS) and PNG text do not reach the officers."""
        out = io.BytesIO()
        image = Image.new("RGB", (16, 8), (10, 10, 200))
        if fmt == "JPEG":
            exif = Image.Exif()
            exif[0x013B] = "Ani Suryani"  # Artist
            image.save(out, format="JPEG", exif=exif.tobytes())
        else:
            info = PngInfo()
            info.add_text("Author", "Ani Suryani")
            image.save(out, format="PNG", pnginfo=info)
        data = out.getvalue()
        assert b"Ani Suryani" in data
        owner = tokens.citizen()
        body = (await post(client, owner, data, f"foto.{fmt.lower()}", "image/*")).json()
        stored = (await client.get(f"/v1/uploads/{body['id']}/content", headers=owner)).content
        assert b"Ani Suryani" not in stored
        assert body["sha256"] == hashlib.sha256(stored).hexdigest()

    @pytest.mark.parametrize("who", ["officer", "head", "admin"])
    async def test_only_citizens_upload(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, who: str
    ) -> None:
        problem(await post(client, getattr(tokens, who)(), PDF), 403)
        problem(await post(client, {}, PDF), 401)
        assert await count(app, Upload) == 0

    async def test_idempotency_key_replays_the_same_upload(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        headers = {
            **tokens.citizen(ANI),
            "Idempotency-Key": "ktp-scan-1",
            "Content-Type": "multipart/form-data; boundary=fixedboundary",
        }
        first = await post(client, headers, png(), "ktp.png", "image/png")
        again = await post(client, headers, png(), "ktp.png", "image/png")
        assert first.status_code == again.status_code == 201, again.text
        assert first.json()["id"] == again.json()["id"]
        assert await count(app, Upload) == 1


class TestAttach:
    async def test_attaches_by_requirement_code_and_lists_oldest_first(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        business = await make_business(app, kelurahan_code=CIBABAT)
        application = await make_application(app, business)
        owner = tokens.citizen(ANI)
        ktp, staff_a, staff_b = [await upload(client, owner) for _ in range(3)]
        await attach_now(app, ANI, application, {"staff_list": [staff_a, staff_b], "ktp": [ktp]})
        async with app.state.runtime.session_factory() as session:
            listed = await uploads_of(session, application.id)
            assert await uploads_of(session, str(ULID())) == []
        assert [(u.id, u.requirement) for u in listed] == [
            (ktp, "ktp"),
            (staff_a, "staff_list"),
            (staff_b, "staff_list"),
        ]
        for row in listed:
            assert (row.attached_kind, row.attached_id) == ("application", application.id)
            assert row.attached_ref == application.registration_number
            assert row.kelurahan_code == CIBABAT
            assert row.attached_at == NOW
        body = (await client.get(f"/v1/uploads/{ktp}", headers=owner)).json()
        assert body["attached"] is True
        assert body["application_id"] == application.id
        assert body["registration_number"] == application.registration_number
        assert body["requirement"] == "ktp"

    async def test_a_draft_is_named_by_its_id(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        business = await make_business(app)
        draft = await make_application(
            app, business, status="draft", stage=None, registration_number=None
        )
        ktp = await upload(client, tokens.citizen(ANI))
        await attach_now(app, ANI, draft, {"ktp": [ktp]})
        [row] = await rows(app, Upload)
        assert isinstance(row, Upload)
        assert row.attached_ref == draft.id

    async def test_codes_that_are_no_document_requirement_are_named(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        application = await make_application(app, await make_business(app))
        ktp = await upload(client, tokens.citizen(ANI))
        other = await upload(client, tokens.citizen(ANI))
        with pytest.raises(InvalidInput) as refused:
            # "pbg" is a prerequisite permit of a clinic, not a document; "akta" is unknown.
            await attach_now(app, ANI, application, {"ktp": [ktp], "pbg": [other], "akta": [other]})
        assert sorted(e["field"] for e in refused.value.errors or []) == [
            "attachments.akta",
            "attachments.pbg",
        ]
        # Nothing was half-attached: the transaction was rolled back.
        assert all(isinstance(u, Upload) and u.attached_id is None for u in await rows(app, Upload))

    async def test_uploads_not_free_are_named_by_position(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        business = await make_business(app)
        first = await make_application(app, business)
        second = await make_application(app, business)
        mine, taken = (
            await upload(client, tokens.citizen(ANI)),
            await upload(client, tokens.citizen(ANI)),
        )
        theirs = await upload(client, tokens.citizen(BUDI))
        await attach_now(app, ANI, first, {"ktp": [taken]})
        with pytest.raises(InvalidInput) as refused:
            await attach_now(
                app,
                ANI,
                second,
                {
                    "ktp": [mine],
                    "staff_list": [mine, theirs, taken, str(ULID()), "x" * 40],
                },
            )
        assert [e["field"] for e in refused.value.errors or []] == [
            "attachments.staff_list[0]",  # listed twice
            "attachments.staff_list[1]",  # another citizen's
            "attachments.staff_list[2]",  # attached to the first application
            "attachments.staff_list[3]",  # unknown
            "attachments.staff_list[4]",  # cannot be an id
        ]
        async with app.state.runtime.session_factory() as session:
            assert [u.id for u in await uploads_of(session, first.id)] == [taken]
            assert await uploads_of(session, second.id) == []

    async def test_attaching_again_adds_files_and_the_same_upload_is_harmless(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        business = await make_business(app)
        application = await make_application(
            app, business, status="returned", missing_items=["staff_list"]
        )
        kept, added = (
            await upload(client, tokens.citizen(ANI)),
            await upload(client, tokens.citizen(ANI)),
        )
        await attach_now(app, ANI, application, {"ktp": [kept]})
        await attach_now(app, ANI, application, {"ktp": [kept], "staff_list": [added]})
        await attach_now(app, ANI, application, {"ktp": [kept]})
        async with app.state.runtime.session_factory() as session:
            listed = await uploads_of(session, application.id)
        assert [(u.id, u.requirement) for u in listed] == [(kept, "ktp"), (added, "staff_list")]

    async def test_a_co_owner_attaches_their_own_uploads(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        business = await make_business(app)
        await add_co_owner(client, tokens, business.id)
        application = await make_application(app, business)
        budis = await upload(client, tokens.citizen(BUDI))
        await attach_now(app, BUDI, application, {"equipment_list": [budis]})
        # Ani, the other owner, now reads Budi's upload.
        read = await client.get(f"/v1/uploads/{budis}", headers=tokens.citizen(ANI))
        assert read.status_code == 200, read.text


class TestMissingDocuments:
    def test_mandatory_documents_without_an_upload(self) -> None:
        klinik = CATALOGUE["IZIN_KLINIK"]
        assert missing_documents(klinik, []) == KLINIK_DOCUMENTS
        given = [Upload(requirement="ktp"), Upload(requirement="self_assessment")]
        assert missing_documents(klinik, given) == ["staff_list", "equipment_list"]
        all_given = [Upload(requirement=code) for code in KLINIK_DOCUMENTS]
        assert missing_documents(klinik, all_given) == []

    def test_optional_documents_and_prerequisite_permits_are_not_missing(self) -> None:
        klinik = CATALOGUE["IZIN_KLINIK"]
        optional = Requirement(code="brochure", name="Brosur", mandatory=False)
        permit = klinik.model_copy(update={"requirements": (*klinik.requirements, optional)})
        missing = missing_documents(permit, [])
        assert "brochure" not in missing
        assert not {"nib", "kkpr", "pbg", "slf"} & set(missing)


class TestWhoMayRead:
    async def test_before_attachment_only_the_uploader(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        await make_business(app)
        owner = tokens.citizen(ANI)
        upload_id = await upload(client, owner)
        for path in (f"/v1/uploads/{upload_id}", f"/v1/uploads/{upload_id}/content"):
            assert (await client.get(path, headers=owner)).status_code == 200
            for stranger in (
                tokens.citizen(BUDI),
                tokens.officer(MELONG),
                tokens.head(),
                tokens.admin(),
            ):
                problem(await client.get(path, headers=stranger), 404)
        assert await audits(app) == []

    async def test_co_owner_reads_once_attached(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        business = await make_business(app)
        await add_co_owner(client, tokens, business.id)
        application = await make_application(app, business)
        upload_id = await upload(client, tokens.citizen(ANI))
        co_owner = tokens.citizen(BUDI)
        problem(await client.get(f"/v1/uploads/{upload_id}", headers=co_owner), 404)
        await attach_now(app, ANI, application, {"ktp": [upload_id]})
        assert (await client.get(f"/v1/uploads/{upload_id}", headers=co_owner)).status_code == 200
        content = await client.get(f"/v1/uploads/{upload_id}/content", headers=co_owner)
        assert content.content == PDF
        # Owners' reads are not logged; co-owners may not delete what is attached anyway.
        assert await audits(app) == []
        problem(await client.delete(f"/v1/uploads/{upload_id}", headers=co_owner), 404)

    @pytest.mark.parametrize("area", [MELONG, MELONG_KECAMATAN, "32.77"])
    async def test_officers_of_the_area_read_and_are_logged(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, area: str
    ) -> None:
        business = await make_business(app)
        application = await make_application(app, business)
        upload_id = await upload(client, tokens.citizen(ANI))
        await attach_now(app, ANI, application, {"ktp": [upload_id]})
        officer_sub = str(ULID())
        officer = {**tokens.officer(area, sub=officer_sub), "X-Purpose": "Pemeriksaan berkas"}
        meta = await client.get(f"/v1/uploads/{upload_id}", headers=officer)
        assert meta.status_code == 200, meta.text
        assert meta.json()["requirement"] == "ktp"
        content = await client.get(f"/v1/uploads/{upload_id}/content", headers=officer)
        assert content.content == PDF
        logged = await audits(app)
        assert [(a.resource, a.resource_ref, a.action) for a in logged] == [
            ("upload", upload_id, "read"),
            ("upload", upload_id, "download"),
        ]
        assert {(a.business_id, a.actor_sub, a.actor_area) for a in logged} == {
            (business.id, officer_sub, area)
        }
        assert {a.purpose for a in logged} == {"Pemeriksaan berkas"}

    async def test_admins_read_attached_uploads_and_are_logged(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        business = await make_business(app)
        application = await make_application(app, business)
        upload_id = await upload(client, tokens.citizen(ANI))
        await attach_now(app, ANI, application, {"ktp": [upload_id]})
        assert (await client.get(f"/v1/uploads/{upload_id}", headers=tokens.admin())).is_success
        [logged] = await audits(app)
        assert (logged.actor_role, logged.business_id, logged.purpose) == (
            "admin",
            business.id,
            "Pelayanan perizinan (tugas pelayanan publik DPMPTSP)",
        )

    async def test_others_get_404_or_403_and_nothing_is_logged(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        business = await make_business(app)
        application = await make_application(app, business)
        upload_id = await upload(client, tokens.citizen(ANI))
        await attach_now(app, ANI, application, {"ktp": [upload_id]})
        for path in (f"/v1/uploads/{upload_id}", f"/v1/uploads/{upload_id}/content"):
            for stranger in (
                tokens.officer(CIBABAT),  # another kelurahan
                tokens.officer("32.77.03"),  # another kecamatan
                tokens.citizen(BUDI),  # not an owner of the business
            ):
                problem(await client.get(path, headers=stranger), 404)
            # Another agency's officer is refused by role, like everywhere in SIPINTER.
            problem(await client.get(path, headers=tokens.officer(MELONG, agency="lakami")), 403)
            problem(await client.get(path), 401)
        assert await audits(app) == []

    async def test_officers_do_not_read_the_uploads_of_a_draft(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        """Like the draft itself, which only its business's owners see."""
        draft = await make_application(
            app, await make_business(app), status="draft", stage=None, registration_number=None
        )
        upload_id = await upload(client, tokens.citizen(ANI))
        await attach_now(app, ANI, draft, {"ktp": [upload_id]})
        for reader in (tokens.officer(MELONG), tokens.admin()):
            problem(await client.get(f"/v1/uploads/{upload_id}", headers=reader), 404)

    async def test_unknown_and_malformed_ids_404(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        for upload_id in (str(ULID()), "x" * 300):
            problem(await client.get(f"/v1/uploads/{upload_id}", headers=tokens.citizen()), 404)


class TestDelete:
    async def test_uploader_deletes_an_unattached_upload_and_its_file(
        self, client: httpx.AsyncClient, tokens: Tokens, settings: SipinterSettings
    ) -> None:
        owner = tokens.citizen(ANI)
        upload_id = await upload(client, owner)
        problem(await client.delete(f"/v1/uploads/{upload_id}", headers=tokens.citizen()), 404)
        problem(await client.delete(f"/v1/uploads/{upload_id}", headers=tokens.officer()), 403)
        assert len(stored_files(settings)) == 1
        assert (await client.delete(f"/v1/uploads/{upload_id}", headers=owner)).status_code == 204
        problem(await client.get(f"/v1/uploads/{upload_id}", headers=owner), 404)
        assert stored_files(settings) == []

    async def test_attached_upload_cannot_be_deleted(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, settings: SipinterSettings
    ) -> None:
        application = await make_application(app, await make_business(app))
        owner = tokens.citizen(ANI)
        upload_id = await upload(client, owner)
        await attach_now(app, ANI, application, {"ktp": [upload_id]})
        problem(await client.delete(f"/v1/uploads/{upload_id}", headers=owner), 409)
        assert (await client.get(f"/v1/uploads/{upload_id}", headers=owner)).status_code == 200
        assert len(stored_files(settings)) == 1
