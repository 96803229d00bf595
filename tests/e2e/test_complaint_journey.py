"""A citizen's complaint through every layer: gateway, LAKAMI, outbox, NATS, unified request list."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.e2e.conftest import Platform
from tests.e2e.test_letter_journey import (
    DEMO_PASSWORD,
    MELONG,
    Citizen,
    _problem,
    password_token,
    wait_for_status,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def client(platform: Platform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.gateway_url, timeout=30.0) as c:
        yield c


@pytest.fixture(scope="module")
def citizens(client: httpx.Client, platform: Platform) -> tuple[Citizen, Citizen]:
    base = 21 if platform.backend == "sqlite" else 25
    return (
        Citizen(client, platform, serial=base, name="Siti Rahmawati", female=False),
        Citizen(client, platform, serial=base + 1, name="Dedi Kurniawan", female=False),
    )


def staff(client: httpx.Client, username: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + password_token(client, username, DEMO_PASSWORD)}


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


def complaint_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "kebersihan",
        "title": "Sampah tidak diangkut seminggu",
        "description": "Sampah di TPS Jl. Melong Asih belum diangkut sejak minggu lalu.",
        "kelurahan_code": MELONG,
        "location": {"lat": -6.90, "long": 107.54},
        "public": False,
    }
    body.update(overrides)
    return body


class TestComplaintJourney:
    def test_a_filed_complaint_is_in_its_authors_unified_list_only(
        self, client: httpx.Client, citizens: tuple[Citizen, Citizen]
    ) -> None:
        alice, bob = citizens
        officer, other_officer = staff(client, "petugas.melong"), staff(client, "petugas.cibabat")
        photo = client.post(
            "/api/lakami/v1/uploads",
            files={"file": ("sampah.png", png(), "image/png")},
            headers=alice.headers,
        )
        assert photo.status_code == 201, photo.text
        photo_id = photo.json()["id"]
        created = client.post(
            "/api/lakami/v1/complaints",
            json=complaint_body(photo_upload_ids=[photo_id]),
            headers={**alice.headers, "Idempotency-Key": "e2e-complaint-1"},
        )
        assert created.status_code == 201, created.text
        tracking_no = created.json()["tracking_no"]
        assert created.json()["due_at"] == created.json()["verify_due_at"]

        # In the author's unified list, through NATS and the gateway's projection.
        item = wait_for_status(client, alice.headers, tracking_no, "submitted")
        assert item["agency"] == "lakami"
        assert item["request_kind"] == "complaint.kebersihan"
        assert item["title"]
        assert item["area"] == MELONG
        assert item["due_at"] is not None
        listed = client.get("/api/v1/requests", headers=alice.headers).json()["items"]
        assert tracking_no in [i["tracking_no"] for i in listed]
        assert "Sampah tidak diangkut" not in str(listed)  # the citizen's own title stays home

        # Another citizen sees nothing of it: the same 404 as for one that does not exist.
        for path in (
            f"/api/v1/requests/{tracking_no}",
            f"/api/lakami/v1/complaints/{tracking_no}",
            f"/api/lakami/v1/uploads/{photo_id}",
        ):
            _problem(client.get(path, headers=bob.headers), 404)
        assert tracking_no not in client.get("/api/v1/requests", headers=bob.headers).text
        # The officer of another kelurahan neither sees nor acts on it.
        assert tracking_no not in client.get("/api/v1/requests", headers=other_officer).text
        _problem(
            client.post(
                f"/api/lakami/v1/complaints/{tracking_no}/verify", json={}, headers=other_officer
            ),
            404,
        )

        # Melong's officer verifies and answers; the author follows it to completed.
        assert client.get(f"/api/lakami/v1/uploads/{photo_id}/content", headers=officer).is_success
        for action, body in (("verify", {}), ("answer", {"note": "Sudah diangkut DLH."})):
            response = client.post(
                f"/api/lakami/v1/complaints/{tracking_no}/{action}", json=body, headers=officer
            )
            assert response.status_code == 200, response.text
        done = wait_for_status(client, alice.headers, tracking_no, "completed", timeline_len=3)
        assert [(t["status"], t["agency_status"]) for t in done["timeline"]] == [
            ("submitted", "submitted"),
            ("in_review", "verified"),
            ("completed", "answered"),
        ]
        assert done["timeline"][-1]["note"] == "Sudah diangkut DLH."
        assert tracking_no in client.get("/api/v1/requests", headers=officer).text

        # Not satisfied: the author reopens it within the window, and it is in process again.
        reopened = client.post(
            f"/api/lakami/v1/complaints/{tracking_no}/reopen",
            json={"note": "Masih menumpuk."},
            headers=alice.headers,
        )
        assert reopened.status_code == 200, reopened.text
        again = wait_for_status(client, alice.headers, tracking_no, "in_process", timeline_len=4)
        assert again["agency_status"] == "reopened"
        assert again["timeline"][-1]["note"] is None  # the citizen's words stay in LAKAMI
