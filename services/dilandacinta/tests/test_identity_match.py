"""Identity proofing for the gateway: POST /internal/v1/identity/match answers match / no match."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from cimahi_dilandacinta.config import DilandacintaSettings
from cimahi_dilandacinta.main import create_app
from cimahi_dilandacinta.models import IdentityMatchAudit, Person
from cimahi_dilandacinta.register.demo import FIXED_RESIDENTS, add_residents
from services.dilandacinta.tests.conftest import Tokens, error_fields, problem

MATCH = "/internal/v1/identity/match"
ANI = {
    "nik": "3277015205900001",
    "no_kk": "3277011203150004",
    "full_name": "Ani Lestari",
    "birth_date": "1990-05-12",
}
OMAN_DECEASED = {
    "nik": "3277011501380001",
    "no_kk": "3277010805050002",
    "full_name": "Oman Rukmana",
    "birth_date": "1938-01-15",
}
YOGI_MOVED_OUT = {
    "nik": "3277011209960004",
    "no_kk": "3277010805050002",
    "full_name": "Yogi Pratama",
    "birth_date": "1996-09-12",
}


@pytest.fixture
async def register(settings: DilandacintaSettings) -> None:
    await add_residents(
        settings.database_url, FIXED_RESIDENTS, pii_key=settings.pii_key.get_secret_value()
    )


async def _rows(app: FastAPI, model: Any) -> list[Any]:
    async with app.state.runtime.session_factory() as session:
        return list((await session.execute(select(model))).scalars())


AppClient = Callable[..., AbstractAsyncContextManager[tuple[FastAPI, httpx.AsyncClient]]]


@pytest.fixture
def app_with(settings: DilandacintaSettings, tokens: Tokens) -> AppClient:
    """An app and client with some settings changed (rate limits)."""

    @asynccontextmanager
    async def start(**changes: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
        application = create_app(settings.model_copy(update=changes))
        application.state.runtime.verifier.set_local_keys(settings.token_issuer, tokens.jwks)
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://d.test") as c:
                yield application, c

    return start


@pytest.mark.usefixtures("register")
class TestMatch:
    async def test_the_register_matches_and_says_nothing_else(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await client.post(MATCH, json=ANI, headers=tokens.machine())
        assert response.status_code == 200, response.text
        assert response.json() == {"match": True}

    async def test_names_compare_without_case_spacing_and_punctuation(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        body = {**ANI, "full_name": "  ANI   lestari. "}
        response = await client.post(MATCH, json=body, headers=tokens.machine())
        assert response.json() == {"match": True}

    @pytest.mark.parametrize(
        "change",
        [
            pytest.param({"nik": "3277015205900099"}, id="nik-not-in-register"),
            pytest.param({"nik": "3277012001160002"}, id="nik-of-a-family-member"),
            pytest.param({"no_kk": "3277032005100007"}, id="another-family-card"),
            pytest.param({"full_name": "Ani Lestary"}, id="name"),
            pytest.param({"full_name": "Ani"}, id="part-of-the-name"),
            pytest.param({"birth_date": "1990-05-13"}, id="birth-date"),
        ],
    )
    async def test_each_kind_of_mismatch_is_just_no_match(
        self, client: httpx.AsyncClient, tokens: Tokens, change: dict[str, str]
    ) -> None:
        response = await client.post(MATCH, json={**ANI, **change}, headers=tokens.machine())
        assert response.status_code == 200, response.text
        assert response.json() == {"match": False}

    @pytest.mark.parametrize("person", [OMAN_DECEASED, YOGI_MOVED_OUT], ids=["dead", "moved-out"])
    async def test_only_living_residents_match(
        self, client: httpx.AsyncClient, tokens: Tokens, person: dict[str, str]
    ) -> None:
        response = await client.post(MATCH, json=person, headers=tokens.machine())
        assert response.json() == {"match": False}

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("nik", "32770152059000"),
            ("nik", "3277013205900000"),
            ("no_kk", "12345"),
            ("birth_date", "12-05-1990"),
            ("full_name", ""),
        ],
    )
    async def test_malformed_fields_are_named(
        self, client: httpx.AsyncClient, tokens: Tokens, field: str, value: str
    ) -> None:
        response = await client.post(MATCH, json={**ANI, field: value}, headers=tokens.machine())
        assert error_fields(response) == {field}


@pytest.mark.usefixtures("register")
class TestCallers:
    @pytest.mark.parametrize(
        "who",
        [
            pytest.param(lambda t: t.citizen(), id="citizen"),
            pytest.param(lambda t: t.officer(), id="officer"),
            pytest.param(lambda t: t.head(), id="head"),
            pytest.param(lambda t: t.admin(), id="admin"),
            pytest.param(lambda t: t.machine(client_id="epbb"), id="other-machine-client"),
            pytest.param(lambda t: t.machine(scope="openid"), id="gateway-without-scope"),
            pytest.param(
                lambda t: t.headers(sub="gateway", role="citizen", client_id="gateway",
                                    scope="dilandacinta:identity.match"),
                id="gateway-id-but-not-a-client",
            ),
        ],
    )  # fmt: skip
    async def test_refused_to_anyone_but_the_gateway(
        self, client: httpx.AsyncClient, tokens: Tokens, who: Callable[[Tokens], dict[str, str]]
    ) -> None:
        response = await client.post(MATCH, json=ANI, headers=who(tokens))
        body = problem(response, 403)
        assert "match" not in body

    async def test_refused_without_a_token(self, client: httpx.AsyncClient) -> None:
        response = await client.post(MATCH, json=ANI)
        assert response.status_code == 401


@pytest.mark.usefixtures("register")
class TestBinding:
    async def test_a_match_binds_the_account(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        body = {**ANI, "account_sub": "01JACCOUNTANI0000000000000"}
        assert (await client.post(MATCH, json=body, headers=tokens.machine())).json()["match"]
        bound = [p for p in await _rows(app, Person) if p.account_sub]
        assert [(p.full_name, p.account_sub) for p in bound] == [
            ("Ani Lestari", "01JACCOUNTANI0000000000000")
        ]

    async def test_no_match_binds_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        body = {**ANI, "birth_date": "1990-05-13", "account_sub": "01JACCOUNTANI0000000000000"}
        assert not (await client.post(MATCH, json=body, headers=tokens.machine())).json()["match"]
        assert not [p for p in await _rows(app, Person) if p.account_sub]

    async def test_rebinding_replaces_and_moves_the_account(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        budi = {
            "nik": "3277030308850002",
            "no_kk": "3277032005100007",
            "full_name": "Budi Santoso",
            "birth_date": "1985-08-03",
        }
        for body in (
            {**ANI, "account_sub": "sub-1"},
            {**ANI, "account_sub": "sub-2"},  # Ani's new login replaces her old one
            {**budi, "account_sub": "sub-2"},  # that login now proves Budi: it moves
        ):
            response = await client.post(MATCH, json=body, headers=tokens.machine())
            assert response.json() == {"match": True}
        bound = {p.full_name: p.account_sub for p in await _rows(app, Person) if p.account_sub}
        assert bound == {"Budi Santoso": "sub-2"}


@pytest.mark.usefixtures("register")
class TestAuditAndLimits:
    async def test_every_call_is_logged_without_the_nik(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        await client.post(MATCH, json=ANI, headers={**tokens.machine(), "X-Request-ID": "req-1"})
        await client.post(
            MATCH, json={**ANI, "full_name": "Someone Else"}, headers=tokens.machine()
        )
        rows = {r.outcome: r for r in await _rows(app, IdentityMatchAudit)}
        assert set(rows) == {"match", "no_match"}
        assert {r.client_id for r in rows.values()} == {"gateway"}
        assert rows["match"].http_request_id == "req-1"
        assert rows["match"].person_id is not None
        assert rows["no_match"].person_id is None
        assert rows["match"].nik_hash == rows["no_match"].nik_hash
        for row in rows.values():
            assert ANI["nik"] not in " ".join(str(v) for v in vars(row).values())

    async def test_attempts_per_nik_are_limited(self, app_with: AppClient, tokens: Tokens) -> None:
        async with app_with(identity_match_max_per_nik=2) as (app, client):
            for _ in range(2):
                response = await client.post(MATCH, json=ANI, headers=tokens.machine())
                assert response.status_code == 200
            refused = await client.post(MATCH, json=ANI, headers=tokens.machine())
            assert refused.status_code == 429
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert 1 <= int(refused.headers["retry-after"]) <= 900
            assert "match" not in refused.json()
            other = {**ANI, "nik": "3277030308850002"}
            assert (
                await client.post(MATCH, json=other, headers=tokens.machine())
            ).status_code == 200
            outcomes = sorted(r.outcome for r in await _rows(app, IdentityMatchAudit))
            assert outcomes == ["match", "match", "no_match", "rate_limited"]

    async def test_attempts_per_client_are_limited(
        self, app_with: AppClient, tokens: Tokens
    ) -> None:
        async with app_with(
            identity_match_max_per_client=3, identity_match_clients=["gateway", "gateway-2"]
        ) as (_app, client):
            niks = ["3277015205900001", "3277030308850002", "3277024107950003", "3277021703920002"]
            codes = [
                (
                    await client.post(MATCH, json={**ANI, "nik": n}, headers=tokens.machine())
                ).status_code
                for n in niks
            ]
            assert codes == [200, 200, 200, 429]
            second = tokens.machine(client_id="gateway-2")
            assert (await client.post(MATCH, json=ANI, headers=second)).status_code == 200
