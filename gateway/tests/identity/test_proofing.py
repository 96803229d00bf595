"""Registration with identity proofing against DILANDACINTA's population register.

The register is the real DILANDACINTA application (migrated database, persons added with
``add_residents``), reached in-process through the gateway's HTTP client: no mock of our own
service. Only the true edges are faked: a register that is down, slow or broken.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from cimahi_dilandacinta.cli import migrate_database
from cimahi_dilandacinta.config import DilandacintaSettings
from cimahi_dilandacinta.main import create_app as create_dilandacinta
from cimahi_dilandacinta.register.demo import FIXED_RESIDENTS, Resident, add_residents
from cimahi_gateway.identity import proofing, service
from cimahi_gateway.identity.demo_proofing import proof_demo_citizens
from cimahi_gateway.identity.models import User
from cimahi_gateway.identity.proofing import MISMATCH_MESSAGE

REGISTER_HOST = "dilandacinta.test"
REGISTER_URL = f"http://{REGISTER_HOST}"
PASSWORD = "sandi-rahasia-123"

SITI = Resident(
    nik="3277024107950003",
    no_kk="3277021506180005",
    full_name="Siti Nurhaliza",
    birth_date=date(1995, 7, 1),
    sex="P",
    kelurahan_code="32.77.02.1001",
)
# Whose NIK encodes another date than the register's birth date (corrected after the NIK was
# given): the register decides, so she can register with her real birth date.
CORRECTED = Resident(
    nik="3277025003880002",
    no_kk="3277021506180005",
    full_name="Rina Marlina",
    birth_date=date(1988, 3, 11),
    sex="P",
    kelurahan_code="32.77.02.1001",
    relationship_to_head="istri",
)


def registration(resident: Resident, **overrides: Any) -> dict[str, Any]:
    """A registration body of a register person (fresh email)."""
    body: dict[str, Any] = {
        "nik": resident.nik,
        "no_kk": resident.no_kk,
        "full_name": resident.full_name,
        "birth_date": resident.birth_date.isoformat(),
        "email": f"{resident.nik[-4:]}.{resident.full_name.split()[0].lower()}@example.id",
        "password": PASSWORD,
    }
    body.update(overrides)
    return body


class Network:
    """The gateway's outgoing HTTP: the register app by host name, or a fault a test installs."""

    def __init__(self) -> None:
        self.apps: dict[str, FastAPI] = {}
        self.fault: Callable[[httpx.Request], httpx.Response] | None = None
        self.sent: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        if self.fault is not None:
            return self.fault(request)
        app = self.apps.get(request.url.host)
        if app is None:
            raise httpx.ConnectError(f"nothing listens at {request.url}", request=request)
        response = await httpx.ASGITransport(app=app).handle_async_request(request)
        body = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=body)

    def match_calls(self) -> list[dict[str, Any]]:
        """The bodies of the identity match requests sent so far."""
        return [json.loads(r.content) for r in self.sent if r.url.path.endswith("/match")]


@pytest.fixture
async def proofed(
    start_polakami: Any, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[tuple[Any, Network]]]]:
    """``await proofed(**register_settings)``: a gateway whose registrations ask a real register."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'dilandacinta.sqlite3'}"
    await asyncio.to_thread(migrate_database, url)
    await add_residents(url, [SITI, CORRECTED])
    async with AsyncExitStack() as stack:

        async def start(**overrides: Any) -> tuple[Any, Network]:
            network = Network()
            idp = await start_polakami(handler=network, dilandacinta_url=REGISTER_URL)
            settings = DilandacintaSettings(
                database_url=url,
                nats_enabled=False,
                log_json=False,
                upload_dir=str(tmp_path / "uploads"),
                **overrides,
            )
            register = create_dilandacinta(settings)
            # DILANDACINTA trusts the gateway's keys, as it does through the JWKS in production.
            keyring = service.identity_state(idp.runtime).keyring
            register.state.runtime.verifier.set_local_keys(
                idp.settings.token_issuer, keyring.jwks()
            )
            await stack.enter_async_context(register.router.lifespan_context(register))
            network.apps[REGISTER_HOST] = register
            return idp, network

        yield start


async def _accounts(idp: Any) -> int:
    async with idp.session() as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


class TestRegisterMatch:
    async def test_a_person_of_the_register_gets_a_verified_account(self, proofed: Any) -> None:
        idp, network = await proofed()
        created = await idp.client.post("/api/v1/auth/register", json=registration(SITI))
        assert created.status_code == 201, created.text
        account = created.json()
        assert account["identity_verified"] is True
        assert account["nik_masked"] == "3277********0003"
        assert SITI.nik not in created.text
        async with idp.session() as session:
            user = await session.get(User, account["id"])
            assert user is not None
            assert user.identity_verified_at is not None
        # The register was asked once, for this account.
        (call,) = network.match_calls()
        assert call["account_sub"] == account["id"]
        token = await idp.password_token(SITI.nik)
        assert token.status_code == 200, token.text

    async def test_the_register_not_the_nik_decides_the_birth_date(self, proofed: Any) -> None:
        idp, _ = await proofed()
        created = await idp.client.post("/api/v1/auth/register", json=registration(CORRECTED))
        assert created.status_code == 201, created.text
        assert created.json()["identity_verified"] is True

    async def test_the_gateway_calls_with_its_own_short_lived_client_token(
        self, proofed: Any
    ) -> None:
        idp, network = await proofed()
        await idp.client.post("/api/v1/auth/register", json=registration(SITI))
        (request,) = [r for r in network.sent if r.url.path.endswith("/match")]
        assert request.url.path == "/internal/v1/identity/match"
        token = request.headers["authorization"].removeprefix("Bearer ")
        claims = jwt.decode(token, options={"verify_signature": False})
        assert (claims["sub"], claims["client_id"], claims["role"]) == (
            "gateway",
            "gateway",
            "client",
        )
        assert claims["scope"] == "dilandacinta:identity.match"
        assert claims["exp"] - claims["iat"] <= 60
        assert SITI.nik not in json.dumps(claims)


class TestRegisterMismatch:
    @pytest.mark.parametrize(
        "overrides",
        [
            {"birth_date": "1995-07-02"},
            {"birth_date": "1905-07-01"},  # the date the NIK encodes, a century off
            {"full_name": "Siti Nurhalizah"},
            {"no_kk": "3277021506180013"},
            {"nik": "3277024107950011", "email": "lain@example.id"},  # not in the register
        ],
    )
    async def test_a_mismatch_is_refused_naming_no_field(
        self, proofed: Any, overrides: dict[str, Any]
    ) -> None:
        idp, _ = await proofed()
        response = await idp.client.post(
            "/api/v1/auth/register", json=registration(SITI, **overrides)
        )
        body = _problem(response, 422)
        assert body["detail"] == MISMATCH_MESSAGE
        assert "Data tidak cocok dengan data kependudukan" in body["detail"]
        assert body["errors"] == [{"field": "identity", "message": MISMATCH_MESSAGE, "in": "body"}]
        assert await _accounts(idp) == 0

    async def test_every_mismatch_gets_the_same_answer(self, proofed: Any) -> None:
        idp, _ = await proofed()
        bodies = []
        for overrides in ({"birth_date": "1995-07-02"}, {"full_name": "Siti Aisyah"}):
            response = await idp.client.post(
                "/api/v1/auth/register", json=registration(SITI, **overrides)
            )
            bodies.append(_problem(response, 422))
        assert bodies[0] == bodies[1]

    async def test_a_refused_registration_can_be_corrected(self, proofed: Any) -> None:
        idp, _ = await proofed()
        wrong = await idp.client.post(
            "/api/v1/auth/register", json=registration(SITI, birth_date="1995-07-02")
        )
        assert wrong.status_code == 422
        right = await idp.client.post("/api/v1/auth/register", json=registration(SITI))
        assert right.status_code == 201, right.text

    async def test_too_many_attempts_for_one_nik_are_limited(self, proofed: Any) -> None:
        idp, _ = await proofed(identity_match_max_per_nik=2)
        statuses = []
        for day in (2, 3, 4):
            response = await idp.client.post(
                "/api/v1/auth/register", json=registration(SITI, birth_date=f"1995-07-0{day}")
            )
            statuses.append(response.status_code)
        assert statuses == [422, 422, 429]
        assert int(response.headers["retry-after"]) > 0
        assert _problem(response, 429)["detail"]
        assert await _accounts(idp) == 0


class TestRegisterUnavailable:
    @pytest.mark.parametrize(
        "fault",
        [
            pytest.param(None, id="nothing-listens"),
            pytest.param(lambda r: httpx.Response(500, json={"status": 500}), id="server-error"),
            pytest.param(lambda r: httpx.Response(200, text="<html>"), id="not-json"),
            pytest.param(lambda r: httpx.Response(200, json={"ok": True}), id="no-match-field"),
            pytest.param(lambda r: httpx.Response(403, json={"status": 403}), id="refused-us"),
        ],
    )
    async def test_no_answer_is_a_503_and_no_account(
        self, proofed: Any, fault: Callable[[httpx.Request], httpx.Response] | None
    ) -> None:
        idp, network = await proofed()
        if fault is None:
            network.apps.clear()
        else:
            network.fault = fault
        response = await idp.client.post("/api/v1/auth/register", json=registration(SITI))
        body = _problem(response, 503)
        assert "coba lagi" in body["detail"]
        assert response.headers["retry-after"]
        assert await _accounts(idp) == 0

    async def test_a_slow_register_times_out_as_a_503(self, proofed: Any) -> None:
        idp, network = await proofed()

        def slow(request: httpx.Request) -> httpx.Response:
            raise httpx.ReadTimeout("timed out", request=request)

        network.fault = slow
        response = await idp.client.post("/api/v1/auth/register", json=registration(SITI))
        _problem(response, 503)
        assert await _accounts(idp) == 0


class TestWithoutTheRegister:
    async def test_unconfigured_registration_stays_unverified_and_checks_the_nik_date(
        self, idp: Any, citizen: Callable[..., dict[str, Any]]
    ) -> None:
        assert not idp.settings.dilandacinta_url
        created = await idp.client.post("/api/v1/auth/register", json=citizen())
        assert created.status_code == 201, created.text
        assert created.json()["identity_verified"] is False
        body = registration(SITI, birth_date="1995-07-02")
        refused = await idp.client.post("/api/v1/auth/register", json=body)
        assert {e["field"] for e in _problem(refused, 422)["errors"]} == {"birth_date"}

    async def test_duplicates_are_refused_before_the_register_is_asked(self, proofed: Any) -> None:
        idp, network = await proofed()
        first = await idp.client.post("/api/v1/auth/register", json=registration(SITI))
        assert first.status_code == 201
        again = await idp.client.post(
            "/api/v1/auth/register", json=registration(SITI, email="lagi@example.id")
        )
        assert again.status_code == 409
        assert len(network.match_calls()) == 1


class TestDemoCitizens:
    """Development: the seeded demo citizens are proofed once DILANDACINTA answers."""

    async def test_demo_citizens_are_verified_and_bound_once(
        self, proofed: Any, tmp_path: Path
    ) -> None:
        idp, network = await proofed()
        await add_residents(
            f"sqlite+aiosqlite:///{tmp_path / 'dilandacinta.sqlite3'}", FIXED_RESIDENTS
        )
        async with idp.session() as session:
            users = await service.ensure_demo_users(session, idp.runtime.pii)
            await session.commit()
        citizens = [u for u in users if u.role == "citizen"]
        assert citizens
        assert all(u.identity_verified_at is None for u in citizens)
        check = proofing.for_gateway(service.identity_state(idp.runtime), idp.runtime.http)
        assert check is not None

        assert await proof_demo_citizens(idp.runtime, check) == len(citizens)
        async with idp.session() as session:
            for user in citizens:
                refreshed = await session.get(User, user.id)
                assert refreshed is not None
                assert refreshed.identity_verified_at is not None
        bound = {call["account_sub"] for call in network.match_calls()}
        assert bound == {u.id for u in citizens}
        # Verified accounts are not asked about again.
        assert await proof_demo_citizens(idp.runtime, check) == 0
        assert len(network.match_calls()) == len(citizens)

    async def test_a_register_that_is_not_up_yet_is_retried_later(self, proofed: Any) -> None:
        idp, network = await proofed()
        async with idp.session() as session:
            await service.ensure_demo_users(session, idp.runtime.pii)
            await session.commit()
        network.fault = lambda request: httpx.Response(503)
        check = proofing.for_gateway(service.identity_state(idp.runtime), idp.runtime.http)
        assert check is not None
        with pytest.raises(proofing.RegisterUnavailable):
            await proof_demo_citizens(idp.runtime, check)
