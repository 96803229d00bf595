"""A resident of the population register through the whole platform: an identity-proofed
registration at the gateway, a KK change at DILANDACINTA verified, processed and signed by
Disdukcapil, followed in the unified status, the document downloaded and checked publicly.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from PIL import Image

from cimahi_dilandacinta.register.demo import Resident
from tests.e2e.conftest import Platform
from tests.e2e.test_letter_journey import DEMO_PASSWORD, _problem, password_token, wait_for_status

pytestmark = pytest.mark.e2e

CIBABAT = "32.77.03.1002"
PASSWORD = "rahasia-warga-456"
NEW_ADDRESS = {
    "reason": "perubahan_alamat",
    "address": "Jl. Encep Kartawiria No. 45",
    "rt": "002",
    "rw": "011",
    "kelurahan_code": CIBABAT,
}


def resident(backend: str) -> Resident:
    """The head of a family in Cibabat, born 14 February 1984 (one per backend's platform)."""
    serial = 11 if backend == "sqlite" else 12
    return Resident(
        nik=f"327703140284{serial:04d}",
        no_kk=f"32770320051000{serial:02d}",
        full_name="Rahmat Hidayat",
        birth_date=date(1984, 2, 14),
        sex="L",
        kelurahan_code=CIBABAT,
        address="Jl. Kolonel Masturi No. 7",
        rt="004",
        rw="009",
    )


def registration(person: Resident, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "nik": person.nik,
        "no_kk": person.no_kk,
        "full_name": person.full_name,
        "birth_date": person.birth_date.isoformat(),
        "email": f"rahmat{person.nik[-2:]}@example.id",
        "password": PASSWORD,
    }
    body.update(overrides)
    return body


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (20, 90, 200)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def client(platform: Platform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.gateway_url, timeout=30.0) as c:
        yield c


@pytest.fixture(scope="module")
def person(platform: Platform) -> Resident:
    someone = resident(platform.backend)
    platform.add_residents([someone])
    return someone


def staff(client: httpx.Client, username: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + password_token(client, username, DEMO_PASSWORD)}


class TestPopulationJourney:
    def test_registration_is_proofed_against_the_register(
        self, client: httpx.Client, person: Resident
    ) -> None:
        wrong = client.post(
            "/api/v1/auth/register", json=registration(person, birth_date="1984-02-15")
        )
        body = _problem(wrong, 422)
        assert "Data tidak cocok dengan data kependudukan" in body["detail"]
        assert [e["field"] for e in body["errors"]] == ["identity"]
        for named in ("birth_date", "nik", "no_kk", "full_name"):
            assert named not in wrong.text
        assert person.nik not in wrong.text
        # Nothing was created: the NIK cannot log in.
        refused = client.post(
            "/oauth/token",
            data={
                "grant_type": "password",
                "client_id": "cimahi-web",
                "username": person.nik,
                "password": PASSWORD,
            },
        )
        assert refused.status_code == 400

        created = client.post("/api/v1/auth/register", json=registration(person))
        assert created.status_code == 201, created.text
        account = created.json()
        assert account["identity_verified"] is True
        assert person.nik not in created.text
        me = client.get(
            "/api/v1/me",
            headers={"Authorization": "Bearer " + password_token(client, person.nik, PASSWORD)},
        )
        assert me.json()["sub"] == account["id"]

    def test_a_kk_change_from_application_to_verified_document(
        self, client: httpx.Client, person: Resident
    ) -> None:
        citizen = {"Authorization": "Bearer " + password_token(client, person.nik, PASSWORD)}
        officer = staff(client, "petugas.disdukcapil")
        head = staff(client, "kadis.disdukcapil")

        catalogue = client.get("/api/dilandacinta/v1/public/services/kk_change")
        assert catalogue.status_code == 200, catalogue.text
        uploads = {}
        for requirement in ("formulir_f101", "kk_lama"):
            uploaded = client.post(
                "/api/dilandacinta/v1/uploads",
                files={"file": (f"{requirement}.png", png(), "image/png")},
                data={"purpose": requirement},
                headers=citizen,
            )
            assert uploaded.status_code == 201, uploaded.text
            uploads[requirement] = [uploaded.json()["id"]]

        application = {
            "type": "kk_change",
            "applicant": {"nik": person.nik, "no_kk": person.no_kk, "name": person.full_name},
            "fields": NEW_ADDRESS,
            "attachments": uploads,
        }
        retry = {**citizen, "Idempotency-Key": f"kk-change-{person.nik[-4:]}"}
        created = client.post("/api/dilandacinta/v1/applications", json=application, headers=retry)
        assert created.status_code == 201, created.text
        assert person.nik not in created.text
        tracking_no = created.json()["tracking_no"]
        again = client.post("/api/dilandacinta/v1/applications", json=application, headers=retry)
        assert again.json()["tracking_no"] == tracking_no
        wait_for_status(client, citizen, tracking_no, "submitted")

        url = f"/api/dilandacinta/v1/applications/{tracking_no}"
        # Only the head of Dinas signs; a citizen cannot act as an officer.
        assert client.post(
            f"{url}/verify", json={"outcome": "accept"}, headers=citizen
        ).status_code in (403, 404)
        for action, body in (("verify", {"outcome": "accept"}), ("process", {"note": "ok"})):
            response = client.post(f"{url}/{action}", json=body, headers=officer)
            assert response.status_code == 200, response.text
        assert client.post(f"{url}/sign", json={}, headers=officer).status_code == 403
        signed = client.post(f"{url}/sign", json={"note": "ditandatangani"}, headers=head)
        assert signed.status_code == 200, signed.text
        assert signed.json()["status"] == "issued"

        final = wait_for_status(client, citizen, tracking_no, "completed", timeline_len=4)
        assert [entry["status"] for entry in final["timeline"]] == [
            "submitted",
            "in_review",
            "in_process",
            "completed",
        ]
        assert final["agency"] == "dilandacinta"
        assert person.nik not in str(final)
        # Disdukcapil's city-wide officer sees it in the unified list too.
        assert tracking_no in client.get("/api/v1/requests", headers=officer).text

        document_id = client.get(url, headers=citizen).json()["document_id"]
        assert document_id
        document = client.get(f"/api/dilandacinta/v1/documents/{document_id}", headers=citizen)
        assert document.status_code == 200, document.text
        code = document.json()["verification_code"]
        assert document.json()["verification_url"].startswith(
            str(client.base_url).rstrip("/") + "/api/dilandacinta/"
        )
        pdf = client.get(f"/api/dilandacinta/v1/documents/{document_id}/pdf", headers=citizen)
        assert pdf.status_code == 200, pdf.text
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")

        check = client.get(f"/api/dilandacinta/v1/public/documents/{code}")
        assert check.status_code == 200, check.text
        assert check.json()["status"] == "active"
        assert person.nik not in check.text
        _problem(client.get("/api/dilandacinta/v1/public/documents/AAAA-BBBB-CCCC"), 404)
