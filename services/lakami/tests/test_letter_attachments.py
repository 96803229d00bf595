"""Requirement documents attached to letter requests: by code, in the submission's transaction."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from cimahi_lakami.config import LakamiSettings
from cimahi_lakami.models import AccessAudit, LetterRequest, Upload
from services.lakami.tests.conftest import CIBABAT, MELONG, Tokens, error_fields, letter_body
from services.lakami.tests.test_letter_chain import (
    CIMAHI_SELATAN,
    CIMAHI_UTARA,
    USAHA_FIELDS,
    through,
)
from services.lakami.tests.test_letters import act, runtime
from services.lakami.tests.test_uploads import PDF, png, post

pytestmark = pytest.mark.usefixtures("upload_settings")


@pytest.fixture
def upload_settings(settings: LakamiSettings, tmp_path: Path) -> LakamiSettings:
    settings.upload_dir = str(tmp_path / "uploads")
    return settings


ATTACHMENT_KEYS = {"id", "requirement", "content_type", "size_bytes", "sha256", "filename"}


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], name: str = "ktp.pdf"
) -> dict[str, Any]:
    data = PDF if name.endswith(".pdf") else png()
    response = await post(client, headers, name, data, "application/octet-stream")
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def submit_with(
    client: httpx.AsyncClient, headers: dict[str, str], attachments: list[dict[str, str]], **kw: Any
) -> httpx.Response:
    return await client.post(
        "/v1/letter-requests", json=letter_body(attachments=attachments, **kw), headers=headers
    )


async def counts(app: FastAPI) -> tuple[int, int]:
    """(letter requests, attached uploads)."""
    async with runtime(app).session_factory() as session:
        requests = await session.scalar(select(func.count()).select_from(LetterRequest))
        attached = await session.scalar(
            select(func.count()).select_from(Upload).where(Upload.attached_kind.is_not(None))
        )
    return int(requests or 0), int(attached or 0)


class TestAttaching:
    async def test_attachments_are_shown_and_missing_requirements_listed(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen()
        ktp, kk = await upload(client, citizen, "ktp.pdf"), await upload(client, citizen, "kk.png")
        response = await submit_with(
            client,
            citizen,
            [
                {"requirement": "ktp", "upload_id": ktp["id"]},
                {"requirement": "kk", "upload_id": kk["id"]},
            ],
        )
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["missing_requirements"] == ["cover_letter"]
        by_id = {a["id"]: a for a in created["attachments"]}
        assert set(by_id) == {ktp["id"], kk["id"]}
        assert all(set(a) == ATTACHMENT_KEYS for a in created["attachments"])
        assert by_id[ktp["id"]] == {
            "id": ktp["id"],
            "requirement": "ktp",
            "content_type": "application/pdf",
            "size_bytes": len(PDF),
            "sha256": hashlib.sha256(PDF).hexdigest(),
            "filename": "ktp.pdf",
        }
        assert by_id[kk["id"]]["content_type"] == "image/png"
        read = await client.get(f"/v1/letter-requests/{created['tracking_no']}", headers=citizen)
        assert read.json() == created
        mine = (await client.get(f"/v1/uploads/{ktp['id']}", headers=citizen)).json()
        assert (mine["attached_kind"], mine["attached_ref"], mine["requirement"]) == (
            "letter_request",
            created["tracking_no"],
            "ktp",
        )
        problem_ = await client.delete(f"/v1/uploads/{ktp['id']}", headers=citizen)
        assert problem_.status_code == 409

    async def test_without_attachments_every_required_document_is_missing(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await client.post(
            "/v1/letter-requests", json=letter_body(), headers=tokens.citizen()
        )
        assert response.status_code == 201
        assert response.json()["attachments"] == []
        assert response.json()["missing_requirements"] == ["cover_letter", "ktp", "kk"]

    async def test_a_retried_submission_attaches_once(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = {**tokens.citizen(), "Idempotency-Key": "sub-with-ktp"}
        ktp = await upload(client, citizen | {"Idempotency-Key": "up-ktp"})
        refs = [{"requirement": "ktp", "upload_id": ktp["id"]}]
        first = await submit_with(client, citizen, refs)
        again = await submit_with(client, citizen, refs)
        assert first.status_code == again.status_code == 201, again.text
        assert first.json()["tracking_no"] == again.json()["tracking_no"]
        assert await counts(app) == (1, 1)

    async def test_resubmission_adds_documents(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen, lurah = tokens.citizen(), tokens.officer(MELONG)
        tracking_no = (
            await client.post("/v1/letter-requests", json=letter_body(), headers=citizen)
        ).json()["tracking_no"]
        await act(client, tracking_no, "return", lurah, note="Lampirkan KK")
        kk = await upload(client, citizen, "kk.png")
        url = f"/v1/letter-requests/{tracking_no}/resubmit"
        bad = await client.post(
            url,
            json={"attachments": [{"requirement": "passport", "upload_id": kk["id"]}]},
            headers=citizen,
        )
        assert error_fields(bad) == {"attachments[0].requirement"}
        resubmitted = await client.post(
            url,
            json={"attachments": [{"requirement": "kk", "upload_id": kk["id"]}]},
            headers=citizen,
        )
        assert resubmitted.status_code == 200, resubmitted.text
        body = resubmitted.json()
        assert body["status"] == "edited"
        assert [a["id"] for a in body["attachments"]] == [kk["id"]]
        assert body["missing_requirements"] == ["cover_letter", "ktp"]


class TestRefused:
    async def test_bad_attachments_are_422_naming_them_and_nothing_is_saved(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen, someone = tokens.citizen(), tokens.citizen()
        mine, other = await upload(client, citizen), await upload(client, someone)
        taken = await upload(client, citizen, "kk.png")
        assert (
            await submit_with(client, citizen, [{"requirement": "kk", "upload_id": taken["id"]}])
        ).status_code == 201
        before = await counts(app)
        cases: list[tuple[list[dict[str, str]], set[str]]] = [
            # A valid one first: its claim must be rolled back with the rest.
            (
                [
                    {"requirement": "ktp", "upload_id": mine["id"]},
                    {"requirement": "kk", "upload_id": other["id"]},
                ],
                {"attachments[1].upload_id"},
            ),
            (
                [
                    {"requirement": "ktp", "upload_id": mine["id"]},
                    {"requirement": "kk", "upload_id": taken["id"]},
                ],
                {"attachments[1].upload_id"},
            ),
            (
                [{"requirement": "ktp", "upload_id": "01JDQ4W3N5X6Y7Z8A9B0C1D2E3"}],
                {"attachments[0].upload_id"},
            ),
            (
                [
                    {"requirement": "ktp", "upload_id": mine["id"]},
                    {"requirement": "kk", "upload_id": mine["id"]},
                ],
                {"attachments[1].upload_id"},
            ),
            (
                [{"requirement": "akta_tanah", "upload_id": mine["id"]}],
                {"attachments[0].requirement"},
            ),
            (
                [{"requirement": "KTP-el pemohon", "upload_id": mine["id"]}],
                {"attachments.0.requirement"},
            ),
            ([{"requirement": "ktp"}], {"attachments.0.upload_id"}),
        ]
        for attachments, fields in cases:
            response = await submit_with(client, citizen, attachments)
            assert error_fields(response) == fields, response.text
        # Field errors and attachment errors come together; nothing is written either way.
        both = await submit_with(
            client,
            citizen,
            [{"requirement": "akta_tanah", "upload_id": mine["id"]}],
            fields={"address": "Jl. Melong", "resident_since": "kemarin"},
        )
        assert error_fields(both) == {"attachments[0].requirement", "fields.resident_since"}
        assert await counts(app) == before
        still_mine = (await client.get(f"/v1/uploads/{mine['id']}", headers=citizen)).json()
        assert still_mine["attached"] is False
        ok = await submit_with(client, citizen, [{"requirement": "ktp", "upload_id": mine["id"]}])
        assert ok.status_code == 201, ok.text


class TestReading:
    async def test_who_may_read_a_requests_documents(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen()
        lurah = tokens.officer(MELONG, sub="lurah-melong")
        camat = tokens.officer(CIMAHI_SELATAN, sub="camat-selatan")
        strangers = {
            "other citizen": tokens.citizen(),
            "other kelurahan": tokens.officer(CIBABAT),
            "other kecamatan": tokens.officer(CIMAHI_UTARA),
            "other agency": tokens.officer(MELONG, agency="dilandacinta"),
        }
        ktp = await upload(client, citizen)
        response = await submit_with(
            client,
            citizen,
            [{"requirement": "ktp", "upload_id": ktp["id"]}],
            letter_type="usaha",
            fields=USAHA_FIELDS,
        )
        assert response.status_code == 201, response.text
        tracking_no, owner = response.json()["tracking_no"], response.json()["owner_sub"]
        url = f"/v1/uploads/{ktp['id']}"
        assert (await client.get(url, headers=citizen)).status_code == 200

        async def status_of(headers: dict[str, str]) -> tuple[int, int]:
            meta = await client.get(url, headers=headers)
            content = await client.get(f"{url}/content", headers=headers)
            return meta.status_code, content.status_code

        assert await status_of(lurah) == (200, 200)
        assert await status_of(camat) == (404, 404)  # not at the kecamatan yet
        for who, headers in strangers.items():
            assert await status_of(headers) == (404, 404), who
        assert (await client.get(f"{url}/content", headers=lurah)).content == PDF

        await through(client, tracking_no, lurah, "verify", "process", "approve")
        assert await status_of(camat) == (200, 200)
        assert await status_of(lurah) == (200, 200)  # the kelurahan keeps read access
        for who, headers in strangers.items():
            assert await status_of(headers) == (404, 404), who
        assert await status_of(tokens.admin()) == (200, 200)

        async with runtime(app).session_factory() as session:
            rows = (
                await session.execute(
                    select(AccessAudit).where(AccessAudit.action.like("read_upload%"))
                )
            ).scalars()
            audited = sorted((r.actor_sub, r.action, r.tracking_no) for r in rows)
        assert ("camat-selatan", "read_upload", tracking_no) in audited
        assert ("camat-selatan", "read_upload_content", tracking_no) in audited
        assert audited.count(("lurah-melong", "read_upload_content", tracking_no)) == 3
        assert all(sub != owner for sub, _, _ in audited)  # the owner's own reads are not logged
