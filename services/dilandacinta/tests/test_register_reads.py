"""Officers' reads of the register (their area, logged with purpose) and a citizen's own data."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from cimahi_dilandacinta.config import DilandacintaSettings
from cimahi_dilandacinta.models import AccessAudit, IdentityMatchAudit, Person
from cimahi_dilandacinta.register.demo import FIXED_RESIDENTS, add_residents
from services.dilandacinta.tests.conftest import CIBABAT, MELONG, Tokens, error_fields, problem

SEARCH = "/v1/persons/search"
PURPOSE = "Verifikasi permohonan KK DKC-2611-0001"
ANI_NIK, ANI_KK = "3277015205900001", "3277011203150004"
ANI = {"nik": ANI_NIK, "no_kk": ANI_KK, "full_name": "Ani Lestari", "birth_date": "1990-05-12"}


@pytest.fixture(autouse=True)
async def register(settings: DilandacintaSettings) -> None:
    await add_residents(
        settings.database_url, FIXED_RESIDENTS, pii_key=settings.pii_key.get_secret_value()
    )


async def _rows(app: FastAPI, model: Any) -> list[Any]:
    async with app.state.runtime.session_factory() as session:
        return list((await session.execute(select(model))).scalars())


async def _ani_id(client: httpx.AsyncClient, tokens: Tokens) -> str:
    response = await client.post(
        SEARCH, json={"nik": ANI_NIK, "purpose": PURPOSE}, headers=tokens.officer(MELONG)
    )
    person_id: str = response.json()["items"][0]["id"]
    return person_id


class TestOfficerSearch:
    async def test_by_nik_in_the_area_shows_the_record_masked(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await client.post(
            SEARCH, json={"nik": ANI_NIK, "purpose": PURPOSE}, headers=tokens.officer(MELONG)
        )
        assert response.status_code == 200, response.text
        [ani] = response.json()["items"]
        assert ani["full_name"] == "Ani Lestari"
        assert ani["nik_masked"] == "3277********0001"
        assert ani["kelurahan_name"] == "Melong"
        assert ANI_NIK not in response.text
        assert ANI_KK not in response.text

    async def test_by_no_kk_lists_the_members(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await client.post(
            SEARCH, json={"no_kk": ANI_KK, "purpose": PURPOSE}, headers=tokens.officer("32.77.01")
        )
        names = [p["full_name"] for p in response.json()["items"]]
        assert names == ["Rahmat Hidayat", "Ani Lestari", "Rafi Hidayat", "Aisyah Putri Hidayat"]

    @pytest.mark.parametrize("area", [CIBABAT, "32.77.03"])
    async def test_outside_the_area_nothing_is_found(
        self, client: httpx.AsyncClient, tokens: Tokens, area: str
    ) -> None:
        for body in ({"nik": ANI_NIK}, {"no_kk": ANI_KK}):
            response = await client.post(
                SEARCH, json={**body, "purpose": PURPOSE}, headers=tokens.officer(area)
            )
            assert response.json() == {"items": []}

    @pytest.mark.parametrize(
        ("body", "fields"),
        [
            ({"nik": ANI_NIK}, {"purpose"}),
            ({"nik": ANI_NIK, "purpose": " "}, {"purpose"}),
            ({"nik": "123", "purpose": PURPOSE}, {"nik"}),
            ({"purpose": PURPOSE}, {"nik", "no_kk"}),
            ({"nik": ANI_NIK, "no_kk": ANI_KK, "purpose": PURPOSE}, {"nik", "no_kk"}),
        ],
    )
    async def test_bad_searches_name_the_field(
        self, client: httpx.AsyncClient, tokens: Tokens, body: dict[str, str], fields: set[str]
    ) -> None:
        response = await client.post(SEARCH, json=body, headers=tokens.officer())
        assert error_fields(response) == fields

    @pytest.mark.parametrize(
        "who",
        [
            pytest.param(lambda t: t.admin(), id="admin"),
            pytest.param(lambda t: t.citizen(), id="citizen"),
            pytest.param(lambda t: t.officer(agency="lakami"), id="lakami-officer"),
            pytest.param(lambda t: t.machine(), id="gateway"),
        ],
    )
    async def test_only_disdukcapil_officers_read_the_register(
        self, client: httpx.AsyncClient, tokens: Tokens, who: Any
    ) -> None:
        body = {"nik": ANI_NIK, "purpose": PURPOSE}
        problem(await client.post(SEARCH, json=body, headers=who(tokens)), 403)


class TestOfficerReads:
    async def test_person_and_family_card_in_the_area(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        person_id = await _ani_id(client, tokens)
        officer = tokens.officer(MELONG)
        person = await client.get(
            f"/v1/persons/{person_id}", params={"purpose": PURPOSE}, headers=officer
        )
        assert person.status_code == 200, person.text
        assert person.json()["relationship_to_head"] == "istri"
        family_id = person.json()["family_id"]
        family = await client.get(
            f"/v1/families/{family_id}", params={"purpose": PURPOSE}, headers=officer
        )
        card = family.json()
        assert card["no_kk_masked"] == "3277********0004"
        assert [(m["full_name"], m["relationship_to_head"]) for m in card["members"]] == [
            ("Rahmat Hidayat", "kepala_keluarga"),
            ("Ani Lestari", "istri"),
            ("Rafi Hidayat", "anak"),
            ("Aisyah Putri Hidayat", "anak"),
        ]
        head = next(m for m in card["members"] if m["relationship_to_head"] == "kepala_keluarga")
        assert card["head_person_id"] == head["person_id"]
        assert all("*" in m["nik_masked"] for m in card["members"])

    async def test_outside_the_area_is_not_found(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        person_id = await _ani_id(client, tokens)
        other = tokens.officer(CIBABAT)
        params = {"purpose": PURPOSE}
        person = await client.get(f"/v1/persons/{person_id}", params=params, headers=other)
        problem(person, 404)
        own = await client.get(
            f"/v1/persons/{person_id}", params=params, headers=tokens.officer(MELONG)
        )
        family_id = own.json()["family_id"]
        problem(await client.get(f"/v1/families/{family_id}", params=params, headers=other), 404)
        problem(await client.get("/v1/persons/nope", params=params, headers=other), 404)

    async def test_a_read_without_purpose_is_refused(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        person_id = await _ani_id(client, tokens)
        response = await client.get(f"/v1/persons/{person_id}", headers=tokens.officer())
        assert error_fields(response) == {"purpose"}

    async def test_every_read_is_logged_with_who_whose_and_why(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        person_id = await _ani_id(client, tokens)  # one search row
        officer = tokens.officer(MELONG, sub="officer-1")
        await client.get(
            f"/v1/persons/{person_id}",
            params={"purpose": PURPOSE},
            headers={**officer, "X-Request-ID": "read-1"},
        )
        rows = await _rows(app, AccessAudit)
        reads = [r for r in rows if r.action == "read"]
        assert len(rows) == 2
        assert [
            (r.actor_sub, r.actor_role, r.actor_agency, r.person_id, r.purpose, r.http_request_id)
            for r in reads
        ] == [("officer-1", "officer", "dilandacinta", person_id, PURPOSE, "read-1")]


class TestOwnData:
    async def test_not_linked_yet_is_a_clear_404(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        body = problem(await client.get("/v1/me/register", headers=tokens.citizen()), 404)
        assert "/v1/me/register/link" in body["detail"]

    async def test_link_then_read_own_record_and_family(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen(sub="citizen-ani")
        linked = await client.post("/v1/me/register/link", json=ANI, headers=citizen)
        assert linked.status_code == 200, linked.text
        mine = await client.get("/v1/me/register", headers=citizen)
        assert mine.json() == linked.json()
        record = mine.json()
        assert record["person"]["full_name"] == "Ani Lestari"
        assert record["person"]["nik_masked"] == "3277********0001"
        assert record["family"]["members"][0]["full_name"] == "Rahmat Hidayat"
        assert ANI_NIK not in mine.text
        assert ANI_KK not in mine.text
        # Own reads are not someone else's access.
        assert await _rows(app, AccessAudit) == []

    async def test_a_retried_link_with_an_idempotency_key_is_replayed(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = {**tokens.citizen(sub="citizen-ani"), "Idempotency-Key": "link-1"}
        first = await client.post("/v1/me/register/link", json=ANI, headers=citizen)
        again = await client.post("/v1/me/register/link", json=ANI, headers=citizen)
        assert again.status_code == first.status_code == 200
        assert again.json() == first.json()
        assert again.headers.get("idempotent-replayed") == "true"
        assert len(await _rows(app, IdentityMatchAudit)) == 1

    async def test_a_mismatch_is_one_generic_422_and_logged(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen(sub="citizen-x")
        for wrong in ({"birth_date": "1990-05-13"}, {"no_kk": "3277032005100007"}):
            response = await client.post(
                "/v1/me/register/link", json={**ANI, **wrong}, headers=citizen
            )
            body = problem(response, 422)
            assert [e["field"] for e in body["errors"]] == ["identity"]
        first, second = [
            await client.post(
                "/v1/me/register/link", json={**ANI, **wrong}, headers=tokens.citizen()
            )
            for wrong in ({"full_name": "Ani L"}, {"nik": "3277015205900002"})
        ]
        assert first.json()["detail"] == second.json()["detail"]
        audits = await _rows(app, IdentityMatchAudit)
        assert sorted(a.outcome for a in audits) == ["no_match"] * 4
        assert {a.client_id for a in audits} == {"citizen"}
        assert not [p for p in await _rows(app, Person) if p.account_sub]

    async def test_link_attempts_per_login_are_limited(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen(sub="citizen-guessing")
        niks = [f"32770152059000{n:02d}" for n in range(10, 20)]
        codes = []
        for nik in niks[:6]:
            response = await client.post(
                "/v1/me/register/link", json={**ANI, "nik": nik}, headers=citizen
            )
            codes.append(response.status_code)
        assert codes == [422] * 5 + [429]
        assert response.headers["retry-after"].isdigit()

    async def test_only_citizens_have_own_data(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        problem(await client.get("/v1/me/register", headers=tokens.officer()), 403)
        problem(await client.get("/v1/me/access-log", headers=tokens.admin()), 403)


class TestAccessLog:
    async def test_the_citizen_sees_the_officers_reads_newest_first(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen(sub="citizen-ani")
        await client.post("/v1/me/register/link", json=ANI, headers=citizen)
        await _ani_id(client, tokens)
        family_id = (await client.get("/v1/me/register", headers=citizen)).json()["family"]["id"]
        officer = tokens.officer(MELONG)
        await client.get(
            f"/v1/families/{family_id}", params={"purpose": "Pemutakhiran KK"}, headers=officer
        )
        page = (await client.get("/v1/me/access-log", headers=citizen)).json()
        entries = page["items"]
        assert {(e["resource"], e["action"], e["purpose"]) for e in entries} == {
            ("person", "search", PURPOSE),
            ("family", "read", "Pemutakhiran KK"),
        }
        assert entries[0]["occurred_at"] >= entries[1]["occurred_at"]
        assert all(e["actor_name"] == "Dewi Kurniasih" for e in entries)
        assert all(e["actor_agency"] == "dilandacinta" for e in entries)
        assert "actor_sub" not in entries[0]

    async def test_pages_and_only_own_entries(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen(sub="citizen-ani")
        await client.post("/v1/me/register/link", json=ANI, headers=citizen)
        for _ in range(3):
            await _ani_id(client, tokens)
        budi = {"nik": "3277030308850002", "purpose": PURPOSE}
        await client.post(SEARCH, json=budi, headers=tokens.officer(CIBABAT))

        first = (await client.get("/v1/me/access-log?limit=2", headers=citizen)).json()
        assert len(first["items"]) == 2
        assert first["next_cursor"]
        rest = await client.get(
            "/v1/me/access-log",
            params={"limit": 2, "cursor": first["next_cursor"]},
            headers=citizen,
        )
        assert len(rest.json()["items"]) == 1
        assert rest.json()["next_cursor"] is None
        stranger = await client.get("/v1/me/access-log", headers=tokens.citizen())
        assert stranger.json() == {"items": [], "next_cursor": None}
        bad = await client.get("/v1/me/access-log?cursor=x", headers=citizen)
        assert error_fields(bad) == {"cursor"}
