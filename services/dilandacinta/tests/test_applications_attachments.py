"""Uploads attached to applications by requirement code, on submission and resubmission."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from services.dilandacinta.tests.conftest import CIBABAT, Tokens, error_fields
from services.dilandacinta.tests.test_applications_helpers import Flow, household, pin_clock
from services.dilandacinta.tests.test_applications_types import body_for

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _pinned(app: FastAPI) -> None:
    pin_clock(app)


async def upload(client: httpx.AsyncClient, owner: dict[str, str]) -> str:
    response = await client.post(
        "/v1/uploads", files={"file": ("f101.pdf", PDF, "application/pdf")}, headers=owner
    )
    assert response.status_code == 201, response.text
    upload_id: str = response.json()["id"]
    return upload_id


async def test_attachments_on_submit_and_resubmit(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    flow = Flow(client, tokens)
    card = await household(app)
    form = await upload(client, flow.citizen)
    body = {**body_for("kk_change", card), "attachments": {"formulir_f101": [form]}}
    submitted = await flow.submit(body)
    assert [(a["upload_id"], a["requirement"]) for a in submitted["attachments"]] == [
        (form, "formulir_f101")
    ]
    tracking_no = submitted["tracking_no"]
    officer_view = await client.get(f"/v1/uploads/{form}", headers=flow.officer)
    assert officer_view.status_code == 200
    elsewhere = await client.get(f"/v1/uploads/{form}", headers=tokens.officer(CIBABAT))
    assert elsewhere.status_code == 404

    await flow.ok(
        tracking_no,
        "verify",
        {"outcome": "return", "note": "KK lama belum diunggah", "missing_items": ["kk_lama"]},
    )
    old_card = await upload(client, flow.citizen)
    again = await flow.ok(tracking_no, "resubmit", {"attachments": {"kk_lama": [old_card]}})
    assert {(a["upload_id"], a["requirement"]) for a in again["attachments"]} == {
        (form, "formulir_f101"),
        (old_card, "kk_lama"),
    }


async def test_bad_attachments_name_the_requirement_and_save_nothing(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    flow = Flow(client, tokens)
    card = await household(app)
    someone_elses = await upload(client, tokens.citizen())
    body = {**body_for("kk_change", card), "attachments": {"kk_lama": [someone_elses]}}
    response = await client.post("/v1/applications", json=body, headers=flow.citizen)
    assert error_fields(response) == {"attachments.kk_lama"}
    mine = await client.get("/v1/applications", headers=flow.citizen)
    assert mine.json()["items"] == []
    mine_upload = await upload(client, flow.citizen)
    first = await flow.submit({**body, "attachments": {"kk_lama": [mine_upload]}})
    assert first["attachments"]
    reused = await client.post(
        "/v1/applications",
        json={**body, "attachments": {"kk_lama": [mine_upload]}},
        headers=flow.citizen,
    )
    assert error_fields(reused) == {"attachments.kk_lama"}
