"""Businesses: registration by NIB, who sees which business, co-owners, NIK never raw."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from cimahi_sipinter.models import AccessAudit, Business, BusinessOwner
from services.sipinter.tests.conftest import CIBABAT, MELONG, Tokens, error_fields, problem

ANI_NIK = "3277015205900001"
BUDI_NIK = "3277030308850002"
ANI = "01JANI00000000000000000000"
BUDI = "01JBUDI0000000000000000000"


def business(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "nib": "9120001234567",
        "name": "Klinik Pratama Sehat",
        "legal_form": "cv",
        "address": "Jl. Melong Raya No. 12",
        "kelurahan_code": MELONG,
        "applicant": {"name": "Ani Suryani", "nik": ANI_NIK},
    }
    body.update(overrides)
    return body


async def register(
    client: httpx.AsyncClient, tokens: Tokens, sub: str = ANI, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/businesses", json=business(**overrides), headers=tokens.citizen(sub)
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def conflict_fields(response: httpx.Response) -> set[str]:
    return {e["field"] for e in problem(response, 409)["errors"]}


async def count(app: FastAPI, model: Any) -> int:
    async with app.state.runtime.session_factory() as s:
        return int((await s.execute(select(func.count()).select_from(model))).scalar_one())


class TestRegistration:
    async def test_the_caller_becomes_the_owner_and_the_nik_is_only_masked(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        body = await register(client, tokens)
        assert body["nib"] == "9120001234567"
        assert body["kelurahan_name"] == "Melong"
        [owner] = body["owners"]
        assert owner["owner_sub"] == ANI
        assert owner["role"] == "owner"
        assert owner["nik_masked"] == "3277********0001"
        async with app.state.runtime.session_factory() as s:
            row = (await s.execute(select(BusinessOwner))).scalar_one()
        assert row.applicant_nik_encrypted
        assert ANI_NIK not in row.applicant_nik_encrypted
        assert app.state.runtime.pii.decrypt(row.applicant_nik_encrypted) == ANI_NIK
        assert row.applicant_nik_hash == app.state.runtime.pii.lookup_hash(ANI_NIK)

    async def test_no_raw_nik_in_any_answer(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        created = await client.post("/v1/businesses", json=business(), headers=tokens.citizen(ANI))
        read = await client.get(f"/v1/businesses/{created.json()['id']}", headers=tokens.officer())
        listed = await client.get("/v1/businesses", headers=tokens.citizen(ANI))
        for response in (created, read, listed):
            assert response.status_code in (200, 201), response.text
            assert ANI_NIK not in response.text
            assert response.headers["Cache-Control"] == "private, no-store"

    async def test_a_duplicate_nib_is_a_409_naming_the_field(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        await register(client, tokens)
        again = await client.post(
            "/v1/businesses", json=business(name="Lain"), headers=tokens.citizen(BUDI)
        )
        assert conflict_fields(again) == {"nib"}
        assert await count(app, Business) == 1
        assert await count(app, BusinessOwner) == 1

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"nib": "12345"}, "nib"),
            ({"nib": "91200012345ab"}, "nib"),
            ({"kelurahan_code": "32.73.01.1001"}, "kelurahan_code"),
            ({"legal_form": "llc"}, "legal_form"),
            ({"name": " "}, "name"),
            ({"applicant": {"name": "Ani", "nik": "1234"}}, "applicant.nik"),
            ({"applicant": {"name": "Ani", "nik": "3277019913900001"}}, "applicant.nik"),
            ({"applicant": {"name": "Ani"}}, "applicant.nik"),
        ],
    )
    async def test_bad_fields_are_a_422_naming_them(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tokens: Tokens,
        overrides: dict[str, Any],
        field: str,
    ) -> None:
        response = await client.post(
            "/v1/businesses", json=business(**overrides), headers=tokens.citizen(ANI)
        )
        problem(response, 422)
        assert field in error_fields(response)
        assert await count(app, Business) == 0

    async def test_a_retried_registration_with_the_same_idempotency_key_is_replayed(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        headers = {**tokens.citizen(ANI), "Idempotency-Key": "daftar-klinik-1"}
        first = await client.post("/v1/businesses", json=business(), headers=headers)
        again = await client.post("/v1/businesses", json=business(), headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json()["id"] == first.json()["id"]
        assert await count(app, Business) == 1
        other = await client.post("/v1/businesses", json=business(name="Lain"), headers=headers)
        problem(other, 422)

    async def test_only_citizens_register(self, client: httpx.AsyncClient, tokens: Tokens) -> None:
        problem(await client.post("/v1/businesses", json=business(), headers=tokens.officer()), 403)
        problem(await client.post("/v1/businesses", json=business()), 401)


class TestWhoSeesWhat:
    async def test_another_applicant_gets_404_like_an_unknown_business(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        created = await register(client, tokens)
        theirs = await client.get(f"/v1/businesses/{created['id']}", headers=tokens.citizen(BUDI))
        unknown = await client.get(
            "/v1/businesses/01JUNKNOWN0000000000000000", headers=tokens.citizen(BUDI)
        )
        assert problem(theirs, 404)["detail"] == problem(unknown, 404)["detail"]
        listed = await client.get("/v1/businesses", headers=tokens.citizen(BUDI))
        assert listed.json()["items"] == []
        mine = await client.get("/v1/businesses", headers=tokens.citizen(ANI))
        assert [b["id"] for b in mine.json()["items"]] == [created["id"]]

    async def test_other_agencies_officers_are_refused(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        created = await register(client, tokens)
        lakami = tokens.officer(agency="lakami")
        problem(await client.get(f"/v1/businesses/{created['id']}", headers=lakami), 403)
        problem(await client.get("/v1/businesses", headers=lakami), 403)

    async def test_officers_see_their_area_and_every_read_is_logged(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        melong = await register(client, tokens)
        cibabat = await register(
            client,
            tokens,
            BUDI,
            nib="9120009999999",
            kelurahan_code=CIBABAT,
            applicant={"name": "Budi Santoso", "nik": BUDI_NIK},
        )
        south = tokens.officer(area="32.77.01")
        listed = await client.get("/v1/businesses", headers={**south, "X-Purpose": "Verifikasi"})
        assert [b["id"] for b in listed.json()["items"]] == [melong["id"]]
        assert listed.json()["total"] == 1
        problem(await client.get(f"/v1/businesses/{cibabat['id']}", headers=south), 404)
        read = await client.get(f"/v1/businesses/{melong['id']}", headers=south)
        assert read.status_code == 200, read.text
        city = await client.get("/v1/businesses", headers=tokens.officer())
        assert city.json()["total"] == 2
        async with app.state.runtime.session_factory() as s:
            rows = list((await s.execute(select(AccessAudit).order_by(AccessAudit.id))).scalars())
        assert [(r.action, r.business_id) for r in rows[:2]] == [
            ("list", melong["id"]),
            ("read", melong["id"]),
        ]
        assert rows[0].purpose == "Verifikasi"
        assert len(rows) == 4  # the city-wide list logs both businesses shown
        assert all(r.resource == "business" and r.actor_role == "officer" for r in rows)

    async def test_owners_reading_their_own_business_are_not_logged(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        created = await register(client, tokens)
        await client.get(f"/v1/businesses/{created['id']}", headers=tokens.citizen(ANI))
        await client.get("/v1/businesses", headers=tokens.citizen(ANI))
        assert await count(app, AccessAudit) == 0


class TestCoOwners:
    async def test_an_owner_adds_a_co_owner_who_then_sees_the_business(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        created = await register(client, tokens)
        added = await client.post(
            f"/v1/businesses/{created['id']}/owners",
            json={"owner_sub": BUDI, "name": "Budi Santoso", "nik": BUDI_NIK},
            headers=tokens.citizen(ANI),
        )
        assert added.status_code == 201, added.text
        assert BUDI_NIK not in added.text
        roles = {o["owner_sub"]: (o["role"], o["nik_masked"]) for o in added.json()["owners"]}
        assert roles == {ANI: ("owner", "3277********0001"), BUDI: ("co_owner", "3277********0002")}
        seen = await client.get(f"/v1/businesses/{created['id']}", headers=tokens.citizen(BUDI))
        assert seen.status_code == 200, seen.text
        again = await client.post(
            f"/v1/businesses/{created['id']}/owners",
            json={"owner_sub": BUDI, "name": "Budi Santoso"},
            headers=tokens.citizen(ANI),
        )
        assert conflict_fields(again) == {"owner_sub"}

    async def test_only_owners_add_co_owners(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        created = await register(client, tokens)
        url = f"/v1/businesses/{created['id']}/owners"
        body = {"owner_sub": BUDI, "name": "Budi Santoso"}
        problem(await client.post(url, json=body, headers=tokens.citizen(BUDI)), 404)
        problem(await client.post(url, json=body, headers=tokens.officer()), 403)
        missing = await client.post(url, json={"name": "B"}, headers=tokens.citizen(ANI))
        problem(missing, 422)
        assert {"owner_sub", "name"} <= error_fields(missing)


class TestConcurrency:
    async def test_two_registrations_of_one_nib_at_once_give_one_business_and_a_409(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        responses = await asyncio.gather(
            client.post("/v1/businesses", json=business(), headers=tokens.citizen(ANI)),
            client.post(
                "/v1/businesses",
                json=business(applicant={"name": "Budi Santoso", "nik": BUDI_NIK}),
                headers=tokens.citizen(BUDI),
            ),
        )
        assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
        assert await count(app, Business) == 1
        assert await count(app, BusinessOwner) == 1
