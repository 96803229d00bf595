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


async def ready_for_approval(
    client: httpx.AsyncClient, citizen: dict[str, str], officer: dict[str, str], kelurahan: str
) -> str:
    created = await client.post(
        "/v1/letter-requests", json=letter_body(kelurahan_code=kelurahan), headers=citizen
    )
    assert created.status_code == 201, created.text
    tracking_no: str = created.json()["tracking_no"]
    for action in ("verify", "process"):
        step = await client.post(
            f"/v1/letter-requests/{tracking_no}/{action}", json={}, headers=officer
        )
        assert step.status_code == 200, step.text
    return tracking_no


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
