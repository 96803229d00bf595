"""The two-level chain: kelurahan, then kecamatan for types that need it; who may see and act."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from cimahi_lakami.models import AccessAudit
from services.lakami.tests.conftest import (
    CIBABAT,
    MELONG,
    NIK,
    NO_KK,
    Tokens,
    problem,
)
from services.lakami.tests.test_letters import act, outbox_events, runtime, submit

CIMAHI_SELATAN = "32.77.01"  # the kecamatan of Melong
CIMAHI_UTARA = "32.77.03"  # the kecamatan of Cibabat
USAHA_FIELDS = {
    "business_name": "Warung Bu Rina",
    "business_type": "warung makan",
    "business_address": "Jl. Melong Asih No. 12",
}


def year_wib() -> int:
    return datetime.now(timezone(timedelta(hours=7))).year


async def submit_usaha(client: httpx.AsyncClient, citizen: dict[str, str], **overrides: Any) -> str:
    body = await submit(client, citizen, letter_type="usaha", fields=USAHA_FIELDS, **overrides)
    assert body["needs_kecamatan"] is True
    assert body["level"] == "kelurahan"
    tracking_no: str = body["tracking_no"]
    return tracking_no


async def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def through(
    client: httpx.AsyncClient, tracking_no: str, officer: dict[str, str], *actions: str
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for action in actions:
        body = await ok(await act(client, tracking_no, action, officer, note=f"{action} ok"))
    return body


async def forwarded(
    client: httpx.AsyncClient, citizen: dict[str, str], kelurahan_officer: dict[str, str]
) -> str:
    """A usaha request approved by the kelurahan: waiting at the kecamatan."""
    tracking_no = await submit_usaha(client, citizen)
    body = await through(client, tracking_no, kelurahan_officer, "verify", "process", "approve")
    assert (body["level"], body["status"]) == ("kecamatan", "submitted")
    return tracking_no


class TestTwoLevelChain:
    async def test_kelurahan_then_kecamatan_with_history_and_events(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen()
        lurah = tokens.officer(MELONG, sub="officer-melong")
        camat = tokens.headers(
            sub="officer-cimahi-selatan",
            role="officer",
            agency="lakami",
            area=CIMAHI_SELATAN,
            name="Asep Sunandar",
        )
        tracking_no = await submit_usaha(client, citizen)
        # The kecamatan sees nothing before the kelurahan approved.
        problem(await client.get(f"/v1/letter-requests/{tracking_no}", headers=camat), 404)

        steps = [("verify", "verify", "in_review"), ("process", "process", "in_process")]
        for action, status, unified in steps:
            body = await ok(await act(client, tracking_no, action, lurah, note=f"kel {action}"))
            assert (body["level"], body["status"], body["unified_status"]) == (
                "kelurahan",
                status,
                unified,
            )
        body = await ok(await act(client, tracking_no, "approve", lurah, note="kel approve"))
        assert (body["level"], body["status"], body["unified_status"]) == (
            "kecamatan",
            "submitted",
            "in_process",
        )
        assert body["letter_number"] is None
        assert body["verification_code"] is None
        assert body["signer_title"] is None

        listed = await ok(await client.get("/v1/letter-requests", headers=camat))
        assert [i["tracking_no"] for i in listed["items"]] == [tracking_no]
        for action in ("verify", "process"):
            body = await ok(await act(client, tracking_no, action, camat, note=f"kec {action}"))
            assert (body["level"], body["status"], body["unified_status"]) == (
                "kecamatan",
                action,
                "in_process",
            )
        letter = await ok(await act(client, tracking_no, "approve", camat, note="kec approve"))
        assert (letter["level"], letter["status"], letter["unified_status"]) == (
            "kecamatan",
            "approved",
            "completed",
        )
        year = year_wib()
        assert letter["letter_number"] == f"503/0001/Kel.Melong/Kec.CimahiSelatan/{year}"
        assert letter["signer_title"] == "Camat Cimahi Selatan"
        assert (letter["signer_name"], letter["signer_sub"]) == (
            "Asep Sunandar",
            "officer-cimahi-selatan",
        )
        assert letter["issued_on"]
        assert letter["approved_at"]
        assert letter["verification_code"]

        seen = await ok(await client.get(f"/v1/letter-requests/{tracking_no}", headers=citizen))
        assert seen == {**letter, "overdue": seen["overdue"]}
        history = [
            (h["level"], h["action"], h["from_status"], h["to_status"], h["status"], h["actor_sub"])
            for h in seen["history"]
        ]
        me = seen["owner_sub"]
        assert history == [
            ("kelurahan", "submit", None, "submitted", "submitted", me),
            ("kelurahan", "verify", "submitted", "verify", "in_review", "officer-melong"),
            ("kelurahan", "process", "verify", "process", "in_process", "officer-melong"),
            ("kelurahan", "approve", "process", "approved", "in_process", "officer-melong"),
            ("kecamatan", "forward", "approved", "submitted", "in_process", "officer-melong"),
            ("kecamatan", "verify", "submitted", "verify", "in_process", "officer-cimahi-selatan"),
            ("kecamatan", "process", "verify", "process", "in_process", "officer-cimahi-selatan"),
            ("kecamatan", "approve", "process", "approved", "completed", "officer-cimahi-selatan"),
        ]
        notes = [h["note"] for h in seen["history"]]
        assert notes == [
            None,
            "kel verify",
            "kel process",
            "kel approve",
            None,
            "kec verify",
            "kec process",
            "kec approve",
        ]
        assert [h["sequence"] for h in seen["history"]] == list(range(1, 9))
        times = [datetime.fromisoformat(h["occurred_at"]) for h in seen["history"]]
        assert times == sorted(times)

        events = [e for e in await outbox_events(app) if e["subject"] == tracking_no]
        lifecycle = sorted(
            (e["data"] for e in events if e["type"].endswith("request.lifecycle.v1")),
            key=lambda d: d["sequence"],
        )
        assert [(d["agency_status"], d["status"]) for d in lifecycle] == [
            ("submitted", "submitted"),
            ("verify", "in_review"),
            ("process", "in_process"),
            ("approved", "in_process"),
            ("submitted", "in_process"),
            ("verify", "in_process"),
            ("process", "in_process"),
            ("approved", "completed"),
        ]
        assert {d["area"] for d in lifecycle} == {MELONG}
        domain = sorted(
            (e for e in events if ".letter_request." in e["type"]),
            key=lambda e: e["data"]["sequence"],
        )
        assert [(e["type"].split(".")[-2], e["data"]["level"]) for e in domain] == [
            ("submitted", "kelurahan"),
            ("verified", "kelurahan"),
            ("processed", "kelurahan"),
            ("approved", "kelurahan"),
            ("forwarded", "kecamatan"),
            ("verified", "kecamatan"),
            ("processed", "kecamatan"),
            ("approved", "kecamatan"),
        ]
        assert domain[-1]["data"]["letter_number"] == letter["letter_number"]
        for event in events:
            assert NIK not in str(event)
            assert NO_KK not in str(event)

    async def test_a_kelurahan_only_letter_is_issued_by_the_lurah(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen, lurah = tokens.citizen(), tokens.officer(MELONG)
        created = await submit(client, citizen)
        assert created["needs_kecamatan"] is False
        letter = await through(
            client, created["tracking_no"], lurah, "verify", "process", "approve"
        )
        assert (letter["level"], letter["status"], letter["unified_status"]) == (
            "kelurahan",
            "approved",
            "completed",
        )
        assert letter["letter_number"] == f"470/0001/Kel.Melong/{year_wib()}"
        assert letter["signer_title"] == "Lurah Melong"
        assert letter["verification_code"]
        assert [h["level"] for h in letter["history"]] == ["kelurahan"] * 4

    async def test_return_and_resubmit_at_the_kecamatan_is_verified_there_again(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen, lurah = tokens.citizen(), tokens.officer(MELONG)
        camat = tokens.officer(CIMAHI_SELATAN)
        tracking_no = await forwarded(client, citizen, lurah)
        await through(client, tracking_no, camat, "verify")
        problem(await act(client, tracking_no, "return", camat), 422)
        returned = await ok(
            await act(client, tracking_no, "return", camat, note="Foto tempat usaha kurang jelas")
        )
        assert (returned["level"], returned["status"], returned["unified_status"]) == (
            "kecamatan",
            "returned",
            "needs_revision",
        )
        problem(await act(client, tracking_no, "verify", camat), 409)
        edited = await ok(
            await client.post(
                f"/v1/letter-requests/{tracking_no}/resubmit",
                json={"fields": {"business_type": "rumah makan"}, "note": "Sudah saya perbaiki"},
                headers=citizen,
            )
        )
        assert (edited["level"], edited["status"], edited["unified_status"]) == (
            "kecamatan",
            "edited",
            "in_process",
        )
        assert edited["fields"]["business_type"] == "rumah makan"
        assert edited["history"][-1]["level"] == "kecamatan"
        assert edited["history"][-1]["note"] == "Sudah saya perbaiki"
        # The kelurahan is done with it: the kecamatan verifies the correction.
        problem(await act(client, tracking_no, "verify", lurah), 403)
        again = await through(client, tracking_no, camat, "verify", "process", "approve")
        assert again["status"] == "approved"
        assert [h["action"] for h in again["history"]][-6:] == [
            "verify",
            "return",
            "resubmit",
            "verify",
            "process",
            "approve",
        ]

    async def test_the_kecamatan_may_reject(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen, lurah = tokens.citizen(), tokens.officer(MELONG)
        camat = tokens.officer(CIMAHI_SELATAN)
        tracking_no = await forwarded(client, citizen, lurah)
        rejected = await ok(await act(client, tracking_no, "reject", camat, note="Bukan usaha"))
        assert (rejected["status"], rejected["unified_status"]) == ("rejected", "rejected")
        assert rejected["letter_number"] is None
        conflict = problem(await act(client, tracking_no, "cancel", citizen), 409)
        assert conflict["current_status"] == "rejected"


class TestCancel:
    async def test_cancel_at_each_level_and_never_after_the_decision(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen, lurah = tokens.citizen(), tokens.officer(MELONG)
        camat = tokens.officer(CIMAHI_SELATAN)

        at_kelurahan = await submit_usaha(client, citizen)
        await through(client, at_kelurahan, lurah, "verify", "process")
        body = await ok(await act(client, at_kelurahan, "cancel", citizen, note="Tidak jadi"))
        assert (body["level"], body["status"], body["unified_status"]) == (
            "kelurahan",
            "cancelled",
            "cancelled",
        )
        problem(await act(client, at_kelurahan, "approve", lurah), 409)

        for steps in ((), ("verify",), ("verify", "process")):
            at_kecamatan = await forwarded(client, citizen, lurah)
            await through(client, at_kecamatan, camat, *steps)
            body = await ok(await act(client, at_kecamatan, "cancel", citizen))
            assert (body["level"], body["status"], body["unified_status"]) == (
                "kecamatan",
                "cancelled",
                "cancelled",
            )
            assert body["history"][-1]["level"] == "kecamatan"
            conflict = problem(await act(client, at_kecamatan, "verify", camat), 409)
            assert conflict["allowed_actions"] == []

        returned = await forwarded(client, citizen, lurah)
        await act(client, returned, "return", camat, note="Lengkapi NIB")
        assert (await ok(await act(client, returned, "cancel", citizen)))["status"] == "cancelled"

        done = await forwarded(client, citizen, lurah)
        await through(client, done, camat, "verify", "process", "approve")
        conflict = problem(await act(client, done, "cancel", citizen), 409)
        assert conflict["current_status"] == "approved"
        problem(await act(client, done, "cancel", camat), 403)


class TestAuthorizationMatrix:
    async def test_who_may_see_and_act_at_each_level(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen, lurah = tokens.citizen(), tokens.officer(MELONG)
        camat = tokens.officer(CIMAHI_SELATAN)
        other_lurah = tokens.officer(CIBABAT)  # another kelurahan (and kecamatan)
        other_camat = tokens.officer(CIMAHI_UTARA)
        other_agency = tokens.officer(MELONG, agency="dilandacinta")
        other_citizen = tokens.citizen()
        tracking_no = await submit_usaha(client, citizen)
        url = f"/v1/letter-requests/{tracking_no}"

        async def hidden(headers: dict[str, str]) -> None:
            problem(await client.get(url, headers=headers), 404)
            problem(await act(client, tracking_no, "verify", headers), 404)
            listed = await ok(await client.get("/v1/letter-requests", headers=headers))
            assert tracking_no not in str(listed)

        # At the kelurahan: the kecamatan (even its own) does not see it yet.
        for stranger in (camat, other_lurah, other_camat):
            await hidden(stranger)
        problem(await client.get(url, headers=other_citizen), 404)
        problem(await act(client, tracking_no, "cancel", other_citizen), 404)
        problem(await client.get(url, headers=other_agency), 403)
        problem(await act(client, tracking_no, "verify", other_agency), 403)

        await through(client, tracking_no, lurah, "verify", "process", "approve")
        # At the kecamatan: the kelurahan still reads it but may not act; the kecamatan acts.
        assert (await ok(await client.get(url, headers=lurah)))["level"] == "kecamatan"
        for action in ("verify", "reject", "return"):
            problem(await act(client, tracking_no, action, lurah, note="x"), 403)
        for stranger in (other_lurah, other_camat):
            await hidden(stranger)
        problem(await client.get(url, headers=other_citizen), 404)
        problem(await act(client, tracking_no, "verify", tokens.admin()), 403)
        for action in ("verify", "process", "approve"):
            problem(await act(client, tracking_no, action, citizen, note="saya"), 403)
        assert (await ok(await client.get(url, headers=tokens.admin())))["level"] == "kecamatan"
        assert (await through(client, tracking_no, camat, "verify"))["status"] == "verify"

        # A kelurahan-level request of its kecamatan stays hidden from the kecamatan officer.
        other = (await submit(client, citizen))["tracking_no"]
        problem(await act(client, other, "verify", camat), 404)
        await through(client, other, lurah, "verify")

    async def test_an_officer_without_a_proper_area_is_refused(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        headers = tokens.officer("32.77")
        problem(await client.get("/v1/letter-requests", headers=headers), 403)

    async def test_officer_reads_at_both_levels_are_in_the_access_log(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen, lurah = tokens.citizen(), tokens.officer(MELONG, sub="lurah-1")
        camat = tokens.officer(CIMAHI_SELATAN, sub="camat-1")
        tracking_no = await forwarded(client, citizen, lurah)
        await ok(await client.get(f"/v1/letter-requests/{tracking_no}", headers=camat))
        await ok(await client.get("/v1/letter-requests", headers=camat))
        await ok(await client.get(f"/v1/letter-requests/{tracking_no}", headers=citizen))
        async with runtime(app).session_factory() as session:
            rows = (
                await session.execute(
                    select(AccessAudit).where(AccessAudit.tracking_no == tracking_no)
                )
            ).scalars()
            seen = {(r.actor_sub, r.actor_area, r.action) for r in rows}
        assert ("camat-1", CIMAHI_SELATAN, "read") in seen
        assert ("camat-1", CIMAHI_SELATAN, "list") in seen
        assert ("lurah-1", MELONG, "approve") in seen
        assert all(sub in ("camat-1", "lurah-1") for sub, _, _ in seen)


@pytest.mark.parametrize("level", ["kelurahan", "kecamatan"])
async def test_409_lists_the_actions_possible_at_the_level(
    client: httpx.AsyncClient, tokens: Tokens, level: str
) -> None:
    citizen, lurah = tokens.citizen(), tokens.officer(MELONG)
    officer = lurah if level == "kelurahan" else tokens.officer(CIMAHI_SELATAN)
    tracking_no = (
        await submit_usaha(client, citizen)
        if level == "kelurahan"
        else await forwarded(client, citizen, lurah)
    )
    conflict = problem(await act(client, tracking_no, "approve", officer), 409)
    assert conflict["current_status"] == "submitted"
    assert conflict["allowed_actions"] == ["verify", "reject", "return", "cancel"]
