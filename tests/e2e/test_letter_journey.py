"""A citizen's letter request through every layer: gateway, LAKAMI, outbox, NATS, unified status."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cimahi_dilandacinta.register.demo import Resident
from tests.e2e.conftest import Platform

pytestmark = pytest.mark.e2e

DEMO_PASSWORD = "Cimahi-Demo-2026"
MELONG = "32.77.01.1001"
USAHA_FIELDS = {
    "business_name": "Warung Bu Siti",
    "business_type": "warung makan",
    "business_address": "Jl. Melong Asih No. 12",
}


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


def _nik(serial: int, *, day: int = 12, female: bool = False) -> str:
    return f"327701{day + (40 if female else 0):02d}0590{serial:04d}"


class Citizen:
    """A person of the population register who registers through the gateway and logs in."""

    def __init__(
        self, client: httpx.Client, platform: Platform, *, serial: int, name: str, female: bool
    ) -> None:
        self.nik = _nik(serial, female=female)
        self.no_kk = f"32770112059{serial:05d}"
        self.name = name
        self.password = "rahasia-warga-123"
        platform.add_residents(
            [
                Resident(
                    nik=self.nik,
                    no_kk=self.no_kk,
                    full_name=name,
                    birth_date=date(1990, 5, 12),
                    sex="P" if female else "L",
                    kelurahan_code=MELONG,
                )
            ]
        )
        response = client.post(
            "/api/v1/auth/register",
            json={
                "nik": self.nik,
                "no_kk": self.no_kk,
                "full_name": name,
                "birth_date": "1990-05-12",
                "email": f"warga{serial}@example.id",
                "password": self.password,
            },
        )
        assert response.status_code == 201, response.text
        assert self.nik not in response.text
        assert response.json()["identity_verified"] is True
        self.token = password_token(client, self.nik, self.password)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def password_token(client: httpx.Client, username: str, password: str) -> str:
    response = client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": "cimahi-web",
            "username": username,
            "password": password,
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert username not in str(claims.values()) or not username.isdigit(), (
        "a NIK must never be in a token"
    )
    return token


def letter_body(citizen: Citizen, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "letter_type": "domisili",
        "nik": citizen.nik,
        "no_kk": citizen.no_kk,
        "full_name": citizen.name,
        "kelurahan_code": MELONG,
        "rt": "003",
        "rw": "007",
        "cover_letter_number": "012/RT03/2026",
        "cover_letter_date": "2026-11-20",
        "purpose": "Persyaratan pembukaan rekening bank",
        "fields": {"address": "Jl. Melong Asih No. 12", "resident_since": "2015-03-01"},
    }
    body.update(overrides)
    return body


def wait_for_status(
    client: httpx.Client,
    headers: dict[str, str],
    tracking_no: str,
    status: str,
    *,
    timeline_len: int = 0,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Poll the unified status until it shows ``status`` and at least ``timeline_len`` steps.

    The gateway applies event batches concurrently (the projection is order-safe), so the
    current status can show a later step a moment before an earlier step's timeline entry.
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/requests/{tracking_no}", headers=headers)
        if response.status_code == 200:
            last = response.json()
            if last["status"] == status and len(last["timeline"]) >= timeline_len:
                return dict(last)
        time.sleep(0.1)
    raise AssertionError(f"{tracking_no} did not reach {status} within {timeout}s; last: {last}")


@pytest.fixture(scope="module")
def client(platform: Platform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.gateway_url, timeout=30.0) as c:
        yield c


@pytest.fixture(scope="module")
def citizens(client: httpx.Client, platform: Platform) -> tuple[Citizen, Citizen]:
    base = 1 if platform.backend == "sqlite" else 5
    return (
        Citizen(client, platform, serial=base, name="Siti Rahmawati", female=False),
        Citizen(client, platform, serial=base + 1, name="Dedi Kurniawan", female=False),
    )


@pytest.fixture(scope="module")
def officer(client: httpx.Client) -> dict[str, str]:
    return {"Authorization": "Bearer " + password_token(client, "petugas.melong", DEMO_PASSWORD)}


@pytest.fixture(scope="module")
def other_officer(client: httpx.Client) -> dict[str, str]:
    return {"Authorization": "Bearer " + password_token(client, "petugas.cibabat", DEMO_PASSWORD)}


class TestLetterJourney:
    def test_citizen_gets_a_letter_and_follows_it(
        self,
        client: httpx.Client,
        citizens: tuple[Citizen, Citizen],
        officer: dict[str, str],
        other_officer: dict[str, str],
    ) -> None:
        alice, bob = citizens
        created = client.post(
            "/api/lakami/v1/letter-requests", json=letter_body(alice), headers=alice.headers
        )
        assert created.status_code == 201, created.text
        assert alice.nik not in created.text
        tracking_no = created.json()["tracking_no"]
        wait_for_status(client, alice.headers, tracking_no, "submitted")

        # Citizen B sees nothing of it: the same 404 as for a request that does not exist.
        for path in (
            f"/api/v1/requests/{tracking_no}",
            f"/api/lakami/v1/letter-requests/{tracking_no}",
        ):
            missing = path.replace(tracking_no, "LKM-0000-00000000")
            assert (
                _problem(client.get(path, headers=bob.headers), 404)["title"]
                == _problem(client.get(missing, headers=bob.headers), 404)["title"]
            )
        assert tracking_no not in client.get("/api/v1/requests", headers=bob.headers).text

        # An officer of another kelurahan can neither see nor act on it.
        assert (
            client.post(
                f"/api/lakami/v1/letter-requests/{tracking_no}/verify",
                json={},
                headers=other_officer,
            ).status_code
            == 404
        )
        # A citizen cannot act as an officer.
        assert client.post(
            f"/api/lakami/v1/letter-requests/{tracking_no}/verify", json={}, headers=alice.headers
        ).status_code in (403, 404)

        for action in ("verify", "process", "approve"):
            response = client.post(
                f"/api/lakami/v1/letter-requests/{tracking_no}/{action}",
                json={"note": f"{action} ok"},
                headers=officer,
            )
            assert response.status_code == 200, response.text

        final = wait_for_status(client, alice.headers, tracking_no, "completed", timeline_len=4)
        statuses = [entry["status"] for entry in final["timeline"]]
        assert statuses == ["submitted", "in_review", "in_process", "completed"]
        times = [datetime.fromisoformat(entry["occurred_at"]) for entry in final["timeline"]]
        assert times == sorted(times)
        assert alice.nik not in str(final)

        # The officer of Melong sees it in the unified list; the one of Cibabat does not.
        assert tracking_no in client.get("/api/v1/requests", headers=officer).text
        assert tracking_no not in client.get("/api/v1/requests", headers=other_officer).text
        letter = client.get(
            f"/api/lakami/v1/letter-requests/{tracking_no}", headers=alice.headers
        ).json()
        assert letter["letter_number"]

    def test_a_two_level_letter_is_approved_by_the_kelurahan_then_the_kecamatan(
        self,
        client: httpx.Client,
        citizens: tuple[Citizen, Citizen],
        officer: dict[str, str],
        other_officer: dict[str, str],
    ) -> None:
        alice, _ = citizens
        camat = {
            "Authorization": "Bearer "
            + password_token(client, "petugas.kec.cimahiselatan", DEMO_PASSWORD)
        }
        created = client.post(
            "/api/lakami/v1/letter-requests",
            json=letter_body(alice, letter_type="usaha", fields=USAHA_FIELDS),
            headers=alice.headers,
        )
        assert created.status_code == 201, created.text
        tracking_no = created.json()["tracking_no"]
        url = f"/api/lakami/v1/letter-requests/{tracking_no}"
        # Not the kecamatan's turn yet: it sees nothing in LAKAMI.
        _problem(client.get(url, headers=camat), 404)
        _problem(client.post(f"{url}/verify", json={}, headers=camat), 404)
        for action in ("verify", "process", "approve"):
            response = client.post(f"{url}/{action}", json={"note": action}, headers=officer)
            assert response.status_code == 200, response.text
        assert (response.json()["level"], response.json()["status"]) == ("kecamatan", "submitted")
        assert response.json()["letter_number"] is None
        _problem(client.post(f"{url}/verify", json={}, headers=officer), 403)
        _problem(client.post(f"{url}/verify", json={}, headers=other_officer), 404)

        for action in ("verify", "process", "approve"):
            response = client.post(f"{url}/{action}", json={"note": action}, headers=camat)
            assert response.status_code == 200, response.text
        letter = response.json()
        assert letter["signer_title"] == "Camat Cimahi Selatan"
        assert "/Kel.Melong/Kec.CimahiSelatan/" in letter["letter_number"]
        assert letter["verification_code"]

        final = wait_for_status(client, alice.headers, tracking_no, "completed", timeline_len=8)
        statuses = [entry["status"] for entry in final["timeline"]]
        assert statuses == [
            "submitted",
            "in_review",
            "in_process",
            "in_process",  # the kelurahan approved
            "in_process",  # forwarded to the kecamatan
            "in_process",
            "in_process",
            "completed",
        ]
        assert alice.nik not in str(final)

    def test_forged_and_expired_tokens_are_refused(
        self, client: httpx.Client, citizens: tuple[Citizen, Citizen]
    ) -> None:
        alice, _ = citizens
        real = jwt.decode(alice.token, options={"verify_signature": False})
        header = jwt.get_unverified_header(alice.token)
        forger = Ed25519PrivateKey.generate()
        forged = jwt.encode(real, forger, algorithm="EdDSA", headers={"kid": header["kid"]})
        expired_claims = {**real, "exp": int((datetime.now(UTC) - timedelta(hours=1)).timestamp())}
        expired = jwt.encode(
            expired_claims, forger, algorithm="EdDSA", headers={"kid": header["kid"]}
        )
        none_alg = jwt.encode(real, None, algorithm="none")  # type: ignore[arg-type]
        for token in (forged, expired, none_alg, "not-a-token"):
            for path in ("/api/v1/requests", "/api/lakami/v1/letter-requests"):
                _problem(client.get(path, headers={"Authorization": f"Bearer {token}"}), 401)
        _problem(client.get("/api/lakami/v1/letter-requests"), 401)

    def test_bad_input_gets_a_problem_naming_the_field(
        self, client: httpx.Client, citizens: tuple[Citizen, Citizen]
    ) -> None:
        alice, _ = citizens
        url = "/api/lakami/v1/letter-requests"
        malformed = client.post(
            url,
            content=b'{"letter_type": ',
            headers={**alice.headers, "Content-Type": "application/json"},
        )
        assert _problem(malformed, 422)["errors"]
        cases = {
            "nik": letter_body(alice, nik="1234"),
            "kelurahan_code": letter_body(alice, kelurahan_code="32.77.09.9999"),
            "letter_type": letter_body(alice, letter_type="surat-sakti"),
        }
        for field, body in cases.items():
            problem = _problem(client.post(url, json=body, headers=alice.headers), 422)
            assert any(field in e["field"] for e in problem["errors"]), (field, problem)
        huge = client.post(
            url,
            content=b"x" * (3 * 1024 * 1024),
            headers={**alice.headers, "Content-Type": "application/json"},
        )
        _problem(huge, 413)
        register = client.post(
            "/api/v1/auth/register", json={"nik": "123", "no_kk": "1", "full_name": ""}
        )
        assert any(e["field"] == "nik" for e in _problem(register, 422)["errors"])


class TestNatsOutage:
    def test_no_event_is_lost_when_nats_dies(
        self, client: httpx.Client, platform: Platform, citizens: tuple[Citizen, Citizen]
    ) -> None:
        alice, _ = citizens
        platform.sup.kill("nats")
        accepted: list[str] = []
        for i in range(10):
            response = client.post(
                "/api/lakami/v1/letter-requests",
                json=letter_body(alice, purpose=f"Keperluan nomor {i}"),
                headers={**alice.headers, "Idempotency-Key": f"outage-{platform.backend}-{i}"},
            )
            assert response.status_code == 201, response.text
            accepted.append(response.json()["tracking_no"])
        platform.sup.restart("nats")
        for tracking_no in accepted:
            wait_for_status(client, alice.headers, tracking_no, "submitted", timeout=60)
        listed = client.get("/api/v1/requests", params={"limit": 100}, headers=alice.headers).json()
        listed_numbers = [item["tracking_no"] for item in listed["items"]]
        for tracking_no in accepted:
            assert listed_numbers.count(tracking_no) == 1
