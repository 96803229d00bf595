"""Every service of the catalogue: a happy path to the issued document, and a rejection."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from cimahi_dilandacinta.catalogue.standards import STANDARDS
from cimahi_dilandacinta.models import Document
from services.dilandacinta.tests.conftest import MELONG, Tokens
from services.dilandacinta.tests.test_applications_helpers import (
    Flow,
    Household,
    applicant,
    household,
    nik,
    pin_clock,
    runtime,
)

ADDRESS = {"address": "Jl. Encep Kartawiria No. 5", "rt": "002", "rw": "007"}


def newcomer(
    nik_value: str, name: str, relationship: str, born: str = "1990-01-15"
) -> dict[str, Any]:
    return {
        "nik": nik_value,
        "full_name": name,
        "birth_place": "Bandung",
        "birth_date": born,
        "sex": "L",
        "religion": "Islam",
        "marital_status": "kawin",
        "occupation": "Wiraswasta",
        "relationship_to_head": relationship,
    }


def body_for(code: str, card: Household) -> dict[str, Any]:
    """A valid application of ``code`` by the head of ``card``."""
    base: dict[str, Any] = {"type": code, "applicant": applicant(card), "fields": {}}
    child, wife = card.by_relationship("anak"), card.by_relationship("istri")
    extra: dict[str, dict[str, Any]] = {
        "kk_new": {
            "fields": {"reason": "perkawinan", **ADDRESS, "kelurahan_code": MELONG},
            "people": [{"nik": wife.nik}],
        },
        "kk_change": {"fields": {"reason": "perubahan_kepala_keluarga"}, "subject_nik": wife.nik},
        "kk_replacement": {"fields": {"reason": "hilang"}},
        "kk_split": {
            "fields": {**ADDRESS, "kelurahan_code": MELONG},
            "people": [{"nik": wife.nik}],
        },
        "ktp_recording": {"subject_nik": card.head.nik},
        "ktp_replacement": {"subject_nik": wife.nik, "fields": {"reason": "rusak"}},
        "ktp_change": {"subject_nik": wife.nik, "fields": {"changed_data": "pekerjaan"}},
        "kia": {"subject_nik": child.nik},
        "akta_kelahiran": {
            "fields": {
                "child_name": "Bayi Sunandar",
                "birth_date": "2026-11-20",
                "birth_place": "Cimahi",
                "sex": "P",
                "religion": "Islam",
                "father_name": card.head.name,
                "mother_name": wife.name,
            }
        },
        "akta_kematian": {
            "subject_nik": child.nik,
            "fields": {"died_on": "2026-11-25", "place_of_death": "RSUD Cibabat"},
        },
        "pindah_keluar": {
            "people": [{"nik": child.nik}],
            "fields": {
                "destination_address": "Jl. Dago No. 1",
                "destination_region": "Kota Bandung",
                "reason": "pendidikan",
                "moving_on": "2026-12-05",
            },
        },
        "biodata_change": {
            "subject_nik": wife.nik,
            "fields": {"element": "occupation", "new_value": "Guru"},
        },
    }
    if code == "pindah_datang":
        head_nik, wife_nik = nik_outside("L"), nik_outside("P")
        return {
            "type": code,
            "applicant": {"nik": head_nik, "name": "Budi Santoso"},
            "people": [
                newcomer(head_nik, "Budi Santoso", "kepala_keluarga"),
                {**newcomer(wife_nik, "Sri Wahyuni", "istri"), "sex": "P"},
            ],
            "fields": {
                **ADDRESS,
                "kelurahan_code": MELONG,
                "origin_region": "Kota Bandung",
                "skpwni_number": "SKPWNI/3273/2026/0042",
            },
        }
    return {**base, **extra[code]}


def nik_outside(sex: str) -> str:
    """A NIK of Kota Bandung (3273): newcomers keep theirs."""
    from datetime import date

    return nik(date(1990, 1, 15), sex, region="327301")


@pytest.fixture(autouse=True)
def _pinned(app: FastAPI) -> None:
    pin_clock(app)


@pytest.mark.parametrize("code", sorted(STANDARDS))
async def test_each_service_reaches_its_document(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, code: str
) -> None:
    card = await household(app)
    flow = Flow(client, tokens)
    issued = await flow.to_issued(body_for(code, card))
    async with runtime(app).session_factory() as session:
        document = await session.scalar(
            select(Document).where(Document.id == issued["document_id"])
        )
    assert document is not None
    assert document.kind == STANDARDS[code].document_kind
    assert document.application_id is not None
    assert document.status == "active"


@pytest.mark.parametrize("code", sorted(STANDARDS))
async def test_each_service_can_be_rejected(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, code: str
) -> None:
    card = await household(app)
    flow = Flow(client, tokens)
    submitted = await flow.submit(body_for(code, card))
    missing = STANDARDS[code].requirements[0].code
    rejected = await flow.ok(
        submitted["tracking_no"],
        "verify",
        {"outcome": "reject", "note": "Formulir tidak lengkap", "missing_items": [missing]},
    )
    assert rejected["status"] == "rejected"
    assert rejected["missing_items"] == [missing]
    assert rejected["history"][-1]["note"] == "Formulir tidak lengkap"


async def test_a_second_ktp_recording_is_refused(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    card = await household(app)
    flow = Flow(client, tokens)
    await flow.to_issued(body_for("ktp_recording", card))
    again = await client.post(
        "/v1/applications", json=body_for("ktp_recording", card), headers=flow.citizen
    )
    assert again.status_code == 422
    assert [e["field"] for e in again.json()["errors"]] == ["subject_nik"]
    replaced = await flow.to_issued(body_for("ktp_replacement", card))
    assert replaced["status"] == "issued"
