"""Tax objects: linking to a citizen's account (NOP + NIK), reads per object, officers' lists."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from cimahi_epbb.clock import CLOCK_EXTRA
from cimahi_epbb.models import ObjectClaimAttempt, ObjectLink
from services.epbb.tests.conftest import CIBABAT, MELONG, Tokens, error_fields, problem
from services.epbb.tests.factories import ANI_NIK, BUDI_NIK, CIBABAT_NOP, MELONG_NOP, add_object
from services.epbb.tests.test_objects_helpers import (
    ANI_SMALL_NOP,
    ANI_SUB,
    BUDI_SUB,
    CIBABAT_DISPLAY,
    MELONG_DISPLAY,
    NOW,
    SITI_NOP,
    Scene,
    ani,
    assert_no_raw_nik,
    audit_rows,
    budi,
    count,
    link,
    scene,
)

__all__ = ["scene"]
LINK = "/v1/me/objects"


class TestLink:
    async def test_nop_and_the_taxpayers_nik_link_the_object(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        response = await client.post(
            LINK, json={"nop": MELONG_DISPLAY, "nik": ANI_NIK}, headers=ani(tokens)
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["nop"] == MELONG_NOP
        assert body["nop_display"] == MELONG_DISPLAY
        assert body["taxpayer"]["nik_masked"] == "3277********0001"
        assert_no_raw_nik(response)
        mine = await client.get(LINK, headers=ani(tokens))
        assert [o["nop"] for o in mine.json()["items"]] == [MELONG_NOP]

    async def test_linking_again_answers_200_with_the_same_object(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        first = await client.post(
            LINK, json={"nop": MELONG_NOP, "nik": ANI_NIK}, headers=ani(tokens)
        )
        again = await client.post(
            LINK, json={"nop": MELONG_NOP, "nik": ANI_NIK}, headers=ani(tokens)
        )
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()

    async def test_wrong_nik_unknown_nop_and_another_accounts_object_get_one_answer(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        await link(app, CIBABAT_NOP, BUDI_SUB)
        wrong_nik = await client.post(
            LINK, json={"nop": MELONG_NOP, "nik": BUDI_NIK}, headers=ani(tokens)
        )
        unknown = await client.post(
            LINK, json={"nop": "327701000100100990", "nik": ANI_NIK}, headers=ani(tokens)
        )
        # Budi's own NIK, but from another account than the one linked to his object.
        taken = await client.post(
            LINK, json={"nop": CIBABAT_NOP, "nik": BUDI_NIK}, headers=ani(tokens)
        )
        bodies = [problem(r, 422) for r in (wrong_nik, unknown, taken)]
        for body in bodies:
            assert [e["field"] for e in body["errors"]] == ["identity"]
            body.pop("instance", None)
        assert bodies[0] == bodies[1] == bodies[2]
        assert "Budi" not in taken.text
        assert await count(app, ObjectLink) == 1  # only Budi's, untouched

    async def test_an_object_without_a_recorded_nik_cannot_be_linked(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        runtime = app.state.runtime
        async with runtime.session_factory() as session:
            await add_object(session, runtime.pii, nop="327701000100300010", nik=None)
            await session.commit()
        response = await client.post(
            LINK, json={"nop": "327701000100300010", "nik": ANI_NIK}, headers=ani(tokens)
        )
        assert [e["field"] for e in problem(response, 422)["errors"]] == ["identity"]

    async def test_malformed_nop_or_nik_names_the_field(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        bad_nop = await client.post(
            LINK, json={"nop": "3277010001001000100", "nik": ANI_NIK}, headers=ani(tokens)
        )
        assert error_fields(bad_nop) == {"nop"}
        bad_nik = await client.post(
            LINK, json={"nop": MELONG_NOP, "nik": "3277019999990001"}, headers=ani(tokens)
        )
        assert error_fields(bad_nik) == {"nik"}
        assert ANI_NIK not in bad_nop.text

    async def test_attempts_are_recorded_without_the_nik(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        await client.post(LINK, json={"nop": MELONG_NOP, "nik": BUDI_NIK}, headers=ani(tokens))
        await client.post(LINK, json={"nop": MELONG_NOP, "nik": ANI_NIK}, headers=ani(tokens))
        async with app.state.runtime.session_factory() as session:
            rows = list(
                (
                    await session.execute(
                        select(ObjectClaimAttempt).order_by(ObjectClaimAttempt.id)
                    )
                ).scalars()
            )
        assert [(r.owner_sub, r.nop, r.matched) for r in rows] == [
            (ANI_SUB, MELONG_NOP, False),
            (ANI_SUB, MELONG_NOP, True),
        ]
        for row in rows:
            assert ANI_NIK not in repr(vars(row))
            assert BUDI_NIK not in repr(vars(row))

    async def test_failed_attempts_are_limited_per_account(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        settings = app.state.runtime.settings
        settings.claim_max_attempts, settings.claim_window_seconds = 3, 900
        wrong = {"nop": MELONG_NOP, "nik": BUDI_NIK}
        for _ in range(3):
            problem(await client.post(LINK, json=wrong, headers=ani(tokens)), 422)
        limited = await client.post(
            LINK, json={"nop": MELONG_NOP, "nik": ANI_NIK}, headers=ani(tokens)
        )
        body = problem(limited, 429)
        assert limited.headers["Retry-After"] == "900"
        assert body["retry_after"] == 900
        assert await count(app, ObjectLink) == 0
        # Another account is not affected.
        other = await client.post(
            LINK, json={"nop": CIBABAT_NOP, "nik": BUDI_NIK}, headers=budi(tokens)
        )
        assert other.status_code == 201
        # When the first failure leaves the window, one more attempt is allowed.
        app.state.runtime.extras[CLOCK_EXTRA] = lambda: NOW + timedelta(seconds=901)
        again = await client.post(
            LINK, json={"nop": MELONG_NOP, "nik": ANI_NIK}, headers=ani(tokens)
        )
        assert again.status_code == 201, again.text

    async def test_a_retried_link_with_the_same_idempotency_key_is_replayed(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        headers = {**ani(tokens), "Idempotency-Key": "link-ani-1"}
        body = {"nop": MELONG_NOP, "nik": ANI_NIK}
        first = await client.post(LINK, json=body, headers=headers)
        second = await client.post(LINK, json=body, headers=headers)
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert await count(app, ObjectClaimAttempt) == 1

    async def test_two_accounts_linking_one_object_at_once_make_one_link(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        body = {"nop": MELONG_NOP, "nik": ANI_NIK}
        first, second = await asyncio.gather(
            client.post(LINK, json=body, headers=ani(tokens)),
            client.post(LINK, json=body, headers=tokens.citizen("01JOTHER00000000000000000C")),
        )
        assert sorted([first.status_code, second.status_code]) == [201, 422]
        assert await count(app, ObjectLink) == 1

    async def test_only_citizens_link(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        response = await client.post(
            LINK, json={"nop": MELONG_NOP, "nik": ANI_NIK}, headers=tokens.officer(MELONG)
        )
        problem(response, 403)


class TestMyObjects:
    async def test_lists_each_object_with_its_unpaid_years_and_total_due_today(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        await link(app, MELONG_NOP, ANI_SUB)
        await link(app, ANI_SMALL_NOP, ANI_SUB)
        response = await client.get(LINK, headers=ani(tokens))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["on"] == "2026-06-01"
        big, small = body["items"]
        # 2026: 453,924 - 5% early discount (22,696) = 431,228; 2025 (9 months late):
        # 587,000 + 9% penalty (52,830) = 639,830.
        assert (big["nop"], big["unpaid_years"], big["total_due"]) == (MELONG_NOP, 2, 1_071_058)
        # 40,000 is reduced in full: nothing to pay, no unpaid year.
        assert (small["nop"], small["unpaid_years"], small["total_due"]) == (ANI_SMALL_NOP, 0, 0)
        assert body["total_due"] == 1_071_058
        assert_no_raw_nik(response)

    async def test_another_citizen_sees_none_of_them(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        await link(app, MELONG_NOP, ANI_SUB)
        response = await client.get(LINK, headers=budi(tokens))
        assert response.json()["items"] == []

    async def test_unlink_removes_the_object_once(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        await link(app, MELONG_NOP, ANI_SUB)
        problem(await client.delete(f"{LINK}/{MELONG_NOP}", headers=budi(tokens)), 404)
        gone = await client.delete(f"{LINK}/{MELONG_DISPLAY}", headers=ani(tokens))
        assert gone.status_code == 204
        assert (await client.get(LINK, headers=ani(tokens))).json()["items"] == []
        problem(await client.delete(f"{LINK}/{MELONG_NOP}", headers=ani(tokens)), 404)
        problem(await client.get(f"/v1/objects/{MELONG_NOP}", headers=ani(tokens)), 404)


class TestReadObject:
    async def test_the_owner_reads_location_areas_classes_and_the_masked_taxpayer(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        await link(app, MELONG_NOP, ANI_SUB)
        response = await client.get(f"/v1/objects/{MELONG_DISPLAY}", headers=ani(tokens))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["nop_display"] == MELONG_DISPLAY
        assert body["location"]["kelurahan_code"] == MELONG
        assert body["location"]["kelurahan_name"] == "Melong"
        assert body["location"]["kecamatan_name"] == "Cimahi Selatan"
        assert (body["land_area"], body["building_area"]) == (120, 90)
        assert (body["land_class"], body["building_class"]) == ("A05", "B03")
        assert body["taxpayer"] == {
            "name": "Ani Lestari",
            "nik_masked": "3277********0001",
            "address": "Jl. Contoh No. 1, Cimahi",
        }
        assert_no_raw_nik(response)

    async def test_another_citizen_gets_the_same_404_as_for_an_unknown_nop(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        await link(app, MELONG_NOP, ANI_SUB)
        theirs = problem(await client.get(f"/v1/objects/{MELONG_NOP}", headers=budi(tokens)), 404)
        unknown = problem(
            await client.get("/v1/objects/327701000100100990", headers=budi(tokens)), 404
        )
        assert theirs["detail"] == unknown["detail"]

    @pytest.mark.parametrize(
        ("area", "visible"),
        [
            ("32.77", True),
            ("32.77.01", True),
            (MELONG, True),
            (CIBABAT, False),
            ("32.77.03", False),
        ],
    )
    async def test_officers_see_objects_of_their_area_only(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene, area: str, visible: bool
    ) -> None:
        response = await client.get(f"/v1/objects/{MELONG_NOP}", headers=tokens.officer(area))
        if visible:
            assert response.status_code == 200, response.text
            assert response.json()["taxpayer"]["nik_masked"] == "3277********0001"
            assert_no_raw_nik(response)
        else:
            problem(response, 404)

    async def test_admins_see_every_object(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        response = await client.get(f"/v1/objects/{CIBABAT_DISPLAY}", headers=tokens.admin())
        assert response.status_code == 200
        assert response.json()["taxpayer"]["name"] == "Budi Santoso"

    async def test_other_agencies_officers_and_channels_are_refused(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        lakami = tokens.officer("32.77", agency="lakami")
        problem(await client.get(f"/v1/objects/{MELONG_NOP}", headers=lakami), 403)
        problem(await client.get(f"/v1/objects/{MELONG_NOP}", headers=tokens.machine("bank")), 403)
        problem(await client.get(f"/v1/objects/{MELONG_NOP}"), 401)

    @pytest.mark.parametrize(
        "nop", ["12345", "327701000100100011", "32.77.010.001.001-0001.X", "337701000100100010"]
    )
    async def test_a_malformed_nop_is_a_422_naming_nop(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene, nop: str
    ) -> None:
        assert error_fields(await client.get(f"/v1/objects/{nop}", headers=tokens.admin())) == {
            "nop"
        }


class TestListObjects:
    async def test_officers_list_their_area_by_nop(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        melong = await client.get("/v1/objects", headers=tokens.officer("32.77.01"))
        assert melong.status_code == 200, melong.text
        assert [o["nop"] for o in melong.json()["items"]] == [MELONG_NOP, ANI_SMALL_NOP, SITI_NOP]
        city = await client.get("/v1/objects", headers=tokens.officer("32.77"))
        assert len(city.json()["items"]) == 4
        cimahi_utara = await client.get("/v1/objects", headers=tokens.officer("32.77.03"))
        assert [o["nop"] for o in cimahi_utara.json()["items"]] == [CIBABAT_NOP]
        cibabat = await client.get(
            "/v1/objects", params={"kelurahan_code": MELONG}, headers=tokens.officer(CIBABAT)
        )
        assert cibabat.json()["items"] == []
        assert_no_raw_nik(city)

    async def test_search_by_name_or_nop_prefix(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        headers = tokens.officer("32.77")
        by_name = await client.get("/v1/objects", params={"q": "siti"}, headers=headers)
        assert [o["nop"] for o in by_name.json()["items"]] == [SITI_NOP]
        by_nop = await client.get("/v1/objects", params={"q": "32.77.030"}, headers=headers)
        assert [o["nop"] for o in by_nop.json()["items"]] == [CIBABAT_NOP]
        wildcard = await client.get("/v1/objects", params={"q": "%%"}, headers=headers)
        assert wildcard.json()["items"] == []

    async def test_pages_follow_the_cursor(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        headers = tokens.admin()
        seen: list[str] = []
        cursor = None
        for _ in range(5):
            params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
            page = (await client.get("/v1/objects", params=params, headers=headers)).json()
            seen += [o["nop"] for o in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == sorted([MELONG_NOP, ANI_SMALL_NOP, SITI_NOP, CIBABAT_NOP])

    async def test_citizens_and_other_agencies_cannot_list(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        problem(await client.get("/v1/objects", headers=ani(tokens)), 403)
        lakami = tokens.officer("32.77", agency="lakami")
        problem(await client.get("/v1/objects", headers=lakami), 403)

    async def test_bad_filters_name_the_field(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        headers = tokens.admin()
        assert error_fields(
            await client.get("/v1/objects", params={"kelurahan_code": "Melong"}, headers=headers)
        ) == {"kelurahan_code"}
        assert error_fields(
            await client.get("/v1/objects", params={"limit": 1000}, headers=headers)
        ) == {"limit"}
        assert error_fields(
            await client.get("/v1/objects", params={"cursor": "x"}, headers=headers)
        ) == {"cursor"}

    async def test_every_listed_object_is_in_the_access_log(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        await client.get("/v1/objects", params={"q": "Ani"}, headers=tokens.officer(MELONG))
        rows = await audit_rows(app, action="search")
        assert sorted(r.nop for r in rows) == [MELONG_NOP, ANI_SMALL_NOP]


class TestNoNikInResponses:
    async def test_no_raw_nik_in_any_answer_to_owner_officer_admin_or_public(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        await link(app, MELONG_NOP, ANI_SUB)
        bill_id = scene.bills[MELONG_NOP, 2026]
        paths = [
            f"/v1/objects/{MELONG_NOP}",
            f"/v1/objects/{MELONG_NOP}/bills",
            f"/v1/bills/{bill_id}",
            f"/v1/bills/{bill_id}/explanation",
        ]
        callers = [ani(tokens), tokens.officer(MELONG), tokens.admin()]
        responses = [await client.get(p, headers=h) for p in paths for h in callers]
        responses += [
            await client.get("/v1/me/objects", headers=ani(tokens)),
            await client.get("/v1/me/access-log", headers=ani(tokens)),
            await client.get("/v1/objects", headers=tokens.admin()),
            await client.get("/v1/bills", headers=tokens.admin()),
            await client.get(f"/v1/public/bills/{MELONG_NOP}"),
        ]
        for response in responses:
            assert response.status_code == 200, (response.request.url, response.text)
            assert_no_raw_nik(response)
