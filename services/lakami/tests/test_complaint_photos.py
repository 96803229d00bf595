"""Complaint photos: real uploads checked and attached in the filing transaction, who reads them.

Also what an officer below the identity role can read of an anonymous complaint with photos:
the complaint, its history, the photos' metadata, the events and Open311 never name the author.
"""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import orjson
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select

from cimahi_lakami.config import LakamiSettings
from cimahi_lakami.models import Complaint, Upload
from services.lakami.tests import test_complaints
from services.lakami.tests.conftest import CIBABAT, MELONG, Tokens, problem
from services.lakami.tests.test_complaints import (
    SECRET_CONTACT,
    SECRET_NAME,
    Clock,
    act,
    citizen,
    complaint_body,
    file,
    outbox_events,
    runtime,
)

clock = test_complaints.clock  # the fixture: a fixed Thursday and an injected holiday
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OWNER_SUB = "citizen-rina"


@pytest.fixture(autouse=True)
def upload_dir(settings: LakamiSettings, tmp_path: Path) -> None:
    settings.upload_dir = str(tmp_path / "uploads")


def image(fmt: str, colour: tuple[int, int, int] = (200, 10, 10)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format=fmt)
    return out.getvalue()


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    data: bytes,
    name: str = "foto.jpg",
    ctype: str = "image/jpeg",
) -> str:
    response = await client.post(
        "/v1/uploads", files={"file": (name, data, ctype)}, headers=headers
    )
    assert response.status_code == 201, response.text
    upload_id: str = response.json()["id"]
    return upload_id


async def upload_rows(app: FastAPI) -> dict[str, Upload]:
    async with runtime(app).session_factory() as session:
        rows = (await session.execute(select(Upload))).scalars().all()
    return {u.id: u for u in rows}


class TestFilingWithPhotos:
    async def test_photos_are_attached_and_readable_by_the_areas_officers_only(
        self, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        owner = citizen(tokens)
        jpeg = await upload(client, owner, image("JPEG"))
        # A PNG named .pdf and sent as application/pdf is still a PNG: the content decides.
        disguised = await upload(client, owner, image("PNG"), "scan.pdf", "application/pdf")
        created = await file(client, owner, photo_upload_ids=[jpeg, disguised], public=True)
        tracking_no = created["tracking_no"]
        assert created["photo_upload_ids"] == [jpeg, disguised]
        for upload_id in (jpeg, disguised):
            meta = (await client.get(f"/v1/uploads/{upload_id}", headers=owner)).json()
            assert (meta["attached"], meta["attached_kind"], meta["attached_ref"]) == (
                True,
                "complaint",
                tracking_no,
            )
            assert meta["requirement"] is None
        # Attached for good: the owner can no longer delete it.
        problem(await client.delete(f"/v1/uploads/{jpeg}", headers=owner), 409)

        melong = tokens.officer(MELONG)
        kecamatan = tokens.officer("32.77.01")
        seen = (await client.get(f"/v1/complaints/{tracking_no}", headers=melong)).json()
        assert seen["photo_upload_ids"] == [jpeg, disguised]
        for officer in (melong, kecamatan):
            content = await client.get(f"/v1/uploads/{jpeg}/content", headers=officer)
            assert content.status_code == 200, content.text
            assert content.headers["content-type"] == "image/jpeg"

        stranger = citizen(tokens, sub="citizen-other")
        public_view = (await client.get(f"/v1/complaints/{tracking_no}", headers=stranger)).json()
        assert public_view["photo_upload_ids"] == []
        for reader in (
            stranger,
            tokens.officer(CIBABAT),
            tokens.officer(MELONG, agency="dukcapil"),
        ):
            problem(await client.get(f"/v1/uploads/{jpeg}", headers=reader), 404)
            problem(await client.get(f"/v1/uploads/{jpeg}/content", headers=reader), 404)

    async def test_bad_photos_are_422_naming_the_index_and_nothing_is_saved(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        owner = citizen(tokens)
        other = citizen(tokens, sub="citizen-other")
        good = await upload(client, owner, image("JPEG"))
        pdf = await upload(client, owner, PDF, "foto.jpg", "image/jpeg")  # a PDF named .jpg
        foreign = await upload(client, other, image("PNG"))
        used = await upload(client, owner, image("PNG", (1, 2, 3)))
        await file(client, owner, photo_upload_ids=[used])
        before = await outbox_events(app)

        cases: list[tuple[list[str], str]] = [
            ([good, pdf], "photo_upload_ids[1]"),
            ([foreign, good], "photo_upload_ids[0]"),
            ([good, used], "photo_upload_ids[1]"),
            ([good, good], "photo_upload_ids[1]"),
            (["01JDZ8Y3Q6V1XKQ7N2M4P5R6ST"], "photo_upload_ids[0]"),
            ([good] * 6, "photo_upload_ids"),
            (["not-an-id"], "photo_upload_ids.0"),
        ]
        for ids, field in cases:
            response = await client.post(
                "/v1/complaints", json=complaint_body(photo_upload_ids=ids), headers=owner
            )
            body = problem(response, 422)
            assert field in {e["field"] for e in body["errors"]}, (ids, body)
        assert (
            "JPEG or PNG"
            in problem(
                await client.post(
                    "/v1/complaints", json=complaint_body(photo_upload_ids=[pdf]), headers=owner
                ),
                422,
            )["errors"][0]["message"]
        )

        # Nothing half-saved: one complaint (the earlier one), no new events, uploads unattached.
        async with runtime(app).session_factory() as session:
            assert len((await session.execute(select(Complaint.id))).all()) == 1
        assert await outbox_events(app) == before
        rows = await upload_rows(app)
        for upload_id in (good, pdf, foreign):
            assert rows[upload_id].attached_kind is None
            assert rows[upload_id].kelurahan_code is None
        # ... so the good photo can still be used.
        created = await file(client, owner, photo_upload_ids=[good])
        assert created["photo_upload_ids"] == [good]

    async def test_a_retried_filing_with_photos_creates_one_complaint(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        owner = citizen(tokens)
        photo = await upload(client, owner, image("JPEG"))
        headers = {**owner, "Idempotency-Key": "adu-photo-retry"}
        body = complaint_body(photo_upload_ids=[photo])
        first = await client.post("/v1/complaints", json=body, headers=headers)
        again = await client.post("/v1/complaints", json=body, headers=headers)
        assert first.status_code == again.status_code == 201, again.text
        assert first.json()["tracking_no"] == again.json()["tracking_no"]
        async with runtime(app).session_factory() as session:
            assert len((await session.execute(select(Complaint.id))).all()) == 1


class TestPhotosAddedLater:
    async def test_add_info_attaches_photos_up_to_the_limit(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        owner = citizen(tokens)
        first = [await upload(client, owner, image("JPEG", (i, 0, 0))) for i in range(4)]
        created = await file(client, owner, photo_upload_ids=first)
        tracking_no = created["tracking_no"]
        extra = [await upload(client, owner, image("PNG", (0, i, 0))) for i in range(2)]
        too_many = await act(
            client, tracking_no, "info", owner, note="Dua foto lagi", photo_upload_ids=extra
        )
        assert "photo_upload_ids" in {e["field"] for e in problem(too_many, 422)["errors"]}
        rows = await upload_rows(app)
        assert all(rows[i].attached_kind is None for i in extra)

        added = await act(
            client, tracking_no, "info", owner, note="Satu foto lagi", photo_upload_ids=extra[:1]
        )
        assert added.status_code == 200, added.text
        assert added.json()["photo_upload_ids"] == [*first, extra[0]]
        assert (await upload_rows(app))[extra[0]].attached_ref == tracking_no
        # Another citizen cannot push their photo onto it, nor use the owner's.
        other = citizen(tokens, sub="citizen-other")
        problem(
            await act(client, tracking_no, "info", other, note="foto", photo_upload_ids=extra[1:]),
            403,
        )
        assert (await upload_rows(app))[extra[1]].attached_kind is None


class TestAnonymousWithPhotos:
    async def test_nothing_an_officer_reads_names_the_author(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        owner = citizen(tokens)
        photo = await upload(client, owner, image("JPEG"), "IMG_0001.jpg")
        created = await file(client, owner, anonymous=True, public=True, photo_upload_ids=[photo])
        tracking_no = created["tracking_no"]
        await act(client, tracking_no, "info", owner, note="Tambahan dari pelapor")
        officer = tokens.officer(MELONG, sub="officer-melong-9")
        await act(client, tracking_no, "verify", officer)
        readings = [
            await client.get(f"/v1/complaints/{tracking_no}", headers=officer),
            await client.get("/v1/complaints", headers=officer),
            await client.get(f"/v1/uploads/{photo}", headers=officer),
            await client.get(f"/open311/v2/requests/{tracking_no}.json"),
            await client.get("/open311/v2/requests.json"),
        ]
        for response in readings:
            assert response.status_code == 200, response.text
            for secret in (OWNER_SUB, SECRET_NAME, SECRET_CONTACT):
                assert secret not in response.text, (response.url, secret)
        detail = readings[0].json()
        assert detail["author"] is None
        assert detail["photo_upload_ids"] == [photo]
        assert all(h["actor_sub"] != OWNER_SUB for h in detail["history"])
        assert detail["history"][0]["actor_sub"] is None
        # Events carry the owner's opaque subject only for the unified list (never a name).
        raw = orjson.dumps(await outbox_events(app)).decode()
        assert SECRET_NAME not in raw
        assert SECRET_CONTACT not in raw
        assert photo not in raw
        # The identity role sees who it was.
        admin = await client.get(f"/v1/complaints/{tracking_no}", headers=tokens.admin())
        assert admin.json()["author"]["sub"] == OWNER_SUB

    async def test_the_photo_file_name_does_not_reach_officers(
        self, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        owner = citizen(tokens)
        photo = await upload(client, owner, image("JPEG"), f"{SECRET_NAME}.jpg")
        await file(client, owner, anonymous=True, photo_upload_ids=[photo])
        meta = await client.get(f"/v1/uploads/{photo}", headers=tokens.officer(MELONG))
        assert meta.status_code == 200
        assert SECRET_NAME not in meta.text
