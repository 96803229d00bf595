"""Letter numbers: per kelurahan and year, gapless, also under concurrent approvals."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from cimahi_lakami.letters import repository
from cimahi_lakami.models import LetterNumberCounter
from cimahi_shared.app import Runtime
from services.lakami.tests.conftest import CIBABAT, MELONG, Tokens, letter_body

CONCURRENT_APPROVALS = 24
CIMAHI_SELATAN = "32.77.01"
USAHA_FIELDS = {
    "business_name": "Warung Bu Rina",
    "business_type": "warung makan",
    "business_address": "Jl. Melong Asih No. 12",
}


async def ready_for_approval(
    client: httpx.AsyncClient,
    citizen: dict[str, str],
    officer: dict[str, str],
    kelurahan: str,
    **overrides: object,
) -> str:
    created = await client.post(
        "/v1/letter-requests",
        json=letter_body(kelurahan_code=kelurahan, **overrides),
        headers=citizen,
    )
    assert created.status_code == 201, created.text
    tracking_no: str = created.json()["tracking_no"]
    await steps(client, tracking_no, officer, "verify", "process")
    return tracking_no


async def steps(
    client: httpx.AsyncClient, tracking_no: str, officer: dict[str, str], *actions: str
) -> None:
    for action in actions:
        step = await client.post(
            f"/v1/letter-requests/{tracking_no}/{action}", json={}, headers=officer
        )
        assert step.status_code == 200, step.text


class TestLetterNumbers:
    async def test_concurrent_approvals_get_gapless_numbers_per_kelurahan(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen, officer = tokens.citizen(), tokens.officer(MELONG)
        waiting = [
            await ready_for_approval(client, citizen, officer, MELONG)
            for _ in range(CONCURRENT_APPROVALS)
        ]
        # Every request approved at once, and each one a second time: only one approval may win.
        attempts = [*waiting, *waiting]
        responses = await asyncio.gather(
            *(
                client.post(f"/v1/letter-requests/{no}/approve", json={}, headers=officer)
                for no in attempts
            )
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * CONCURRENT_APPROVALS + [409] * CONCURRENT_APPROVALS
        numbers = [r.json()["letter_number"] for r in responses if r.status_code == 200]
        serials = sorted(int(n.split("/")[1]) for n in numbers)
        assert serials == list(range(1, CONCURRENT_APPROVALS + 1))
        assert all(n.startswith("470/") and "/Kel.Melong/" in n for n in numbers)

        cibabat_officer = tokens.officer(CIBABAT)
        other = await ready_for_approval(client, citizen, cibabat_officer, CIBABAT)
        approved = await client.post(
            f"/v1/letter-requests/{other}/approve", json={}, headers=cibabat_officer
        )
        assert approved.json()["letter_number"].split("/")[1:3] == ["0001", "Kel.Cibabat"]

    async def test_two_level_approvals_share_the_kelurahan_series_without_gaps(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        """Kelurahan-final, kecamatan-final and forwarding approvals, all at once, each twice.

        Only final approvals take a number; the forwarding ones take none and leave no gap.
        """
        citizen, lurah = tokens.citizen(), tokens.officer(MELONG)
        camat = tokens.officer(CIMAHI_SELATAN)
        n = CONCURRENT_APPROVALS // 3
        usaha = {"letter_type": "usaha", "fields": USAHA_FIELDS}
        kelurahan_final = [
            await ready_for_approval(client, citizen, lurah, MELONG) for _ in range(n)
        ]
        to_forward = [
            await ready_for_approval(client, citizen, lurah, MELONG, **usaha) for _ in range(n)
        ]
        kecamatan_final = []
        for _ in range(n):
            no = await ready_for_approval(client, citizen, lurah, MELONG, **usaha)
            await steps(client, no, lurah, "approve")
            await steps(client, no, camat, "verify", "process")
            kecamatan_final.append(no)
        attempts = [
            *((no, lurah) for no in [*kelurahan_final, *to_forward]),
            *((no, camat) for no in kecamatan_final),
        ]
        responses = await asyncio.gather(
            *(
                client.post(f"/v1/letter-requests/{no}/approve", json={}, headers=officer)
                for no, officer in [*attempts, *attempts]
            )
        )
        # The loser of a forwarding race finds the request at the kecamatan: not its turn (403).
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 3 * n + [403] * n + [409] * 2 * n
        won = {r.json()["tracking_no"]: r.json() for r in responses if r.status_code == 200}
        assert all(won[no]["letter_number"] is None for no in to_forward)
        assert all(won[no]["status"] == "submitted" for no in to_forward)
        numbers = [won[no]["letter_number"] for no in [*kelurahan_final, *kecamatan_final]]
        assert sorted(int(number.split("/")[1]) for number in numbers) == list(range(1, 2 * n + 1))
        assert all("/Kec.CimahiSelatan/" in won[no]["letter_number"] for no in kecamatan_final)
        codes = {won[no]["verification_code"] for no in [*kelurahan_final, *kecamatan_final]}
        assert len(codes) == 2 * n

    async def test_a_rolled_back_approval_gives_its_number_back(self, app: FastAPI) -> None:
        runtime: Runtime = app.state.runtime
        async with runtime.session_factory() as session:
            assert (
                await repository.next_letter_number(session, kelurahan_code=MELONG, year=2026) == 1
            )
            await session.rollback()
        async with runtime.session_factory() as session, session.begin():
            assert (
                await repository.next_letter_number(session, kelurahan_code=MELONG, year=2026) == 1
            )
            assert (
                await repository.next_letter_number(session, kelurahan_code=MELONG, year=2026) == 2
            )
            assert (
                await repository.next_letter_number(session, kelurahan_code=MELONG, year=2027) == 1
            )
        async with runtime.session_factory() as session:
            counters = (await session.execute(select(LetterNumberCounter))).scalars().all()
        assert {(c.year, c.last_number) for c in counters} == {(2026, 2), (2027, 1)}
