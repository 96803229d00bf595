"""Taxpayer requests end to end through the API: each kind from submission to a new bill
version, the return/resubmit, cancel and reject paths, who may do what, events, idempotency."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from cimahi_epbb.models import AccessAudit, ObjectLink, TaxObject, TaxObjectChange, TaxpayerRequest
from cimahi_epbb.requests import repository
from cimahi_shared.events.lifecycle import LIFECYCLE_V1
from services.epbb.tests.conftest import Tokens, error_fields, problem
from services.epbb.tests.test_requests_helpers import (
    ANI,
    ANI_NIK,
    CIBABAT_NOP,
    MELONG,
    MELONG_NOP,
    NEW_NIK,
    PRINCIPAL_2026,
    Flow,
    bills_of,
    keberatan,
    mutasi,
    outbox_events,
    pengurangan,
    pin_clock,
    runtime,
    scene,
)

DOMAIN = "id.go.cimahikota.epbb.taxpayer_request.{}.v1"


async def count(app: FastAPI, model: Any) -> int:
    async with runtime(app).session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


class TestKeberatan:
    async def test_submit_verify_head_approves_with_a_reassessed_bill(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        sc = await scene(app, session)
        flow = Flow(client, tokens)
        filed = await flow.submit(keberatan())
        assert filed["tracking_no"].startswith("PBB-R2606-")
        assert filed["status"] == "submitted"
        assert filed["unified_status"] == "submitted"
        assert filed["bill_id"] == sc.bill_id
        assert filed["nop"] == MELONG_NOP
        assert filed["fields"]["claimed_land_area"] == 100
        ref = filed["id"]
        verified = await flow.ok(ref, "verify", {"note": "Berkas lengkap"})
        assert verified["status"] == "verified"
        assert verified["unified_status"] == "in_review"
        approved = await flow.ok(ref, "approve", {"note": "Hasil pengukuran"}, flow.head)
        assert approved["status"] == "approved"
        assert approved["unified_status"] == "completed"
        # 0.0009 x 0.8 x (100 x 3,410,000 + 90 x 2,625,000 - 15,000,000) = 404,820
        assert approved["decision"]["principal"] == 404_820
        assert approved["decision"]["previous_principal"] == PRINCIPAL_2026
        old, new = await bills_of(app)
        assert (old.status, old.is_current, old.superseded_by_id) == ("superseded", False, new.id)
        assert old.principal == PRINCIPAL_2026  # the old version is kept as it was
        assert (new.version, new.is_current, new.status) == (2, True, "unpaid")
        assert new.sppt_number == f"2026.{MELONG_NOP}.2"
        assert (new.principal, new.reason, new.request_id) == (404_820, "objection", ref)
        assert new.computation["land_area"] == 100
        assert approved["outcome_bill_id"] == new.id
        history = approved["history"]
        assert [h["to_status"] for h in history] == ["submitted", "verified", "approved"]
        assert history[1]["note"] == "Berkas lengkap"
        assert history[2]["actor_role"] == "officer"

    async def test_an_explicit_principal_is_taken_as_decided(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        ref = (await flow.submit(keberatan()))["id"]
        await flow.ok(ref, "verify")
        approved = await flow.ok(ref, "approve", {"principal": 300_000}, flow.head)
        assert approved["decision"]["principal"] == 300_000
        new = (await bills_of(app))[-1]
        assert new.principal == 300_000
        assert new.computation["decided_principal"] == 300_000

    async def test_only_the_head_decides_an_objection(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        ref = (await flow.submit(keberatan()))["id"]
        await flow.ok(ref, "verify")
        problem(await flow.step(ref, "approve", {}, flow.officer), 403)
        problem(await flow.step(ref, "reject", {"note": "tidak"}, flow.officer), 403)
        assert len(await bills_of(app)) == 1  # nothing changed
        assert (await flow.get(ref)).json()["status"] == "verified"

    async def test_a_claimed_building_on_bare_land_needs_its_class(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session, bare_land=True)
        flow = Flow(client, tokens)
        response = await client.post(
            "/v1/requests", json=keberatan(claimed_building_area=36), headers=flow.ani
        )
        assert error_fields(response) == {"claimed_building_class"}
        body = keberatan(claimed_building_area=36, claimed_building_class="B05")
        ref = (await flow.submit(body))["id"]
        await flow.ok(ref, "verify")
        approved = await flow.ok(ref, "approve", {}, flow.head)
        # 0.0009 x 0.8 x (100 x 3,410,000 + 36 x 1,208,000 - 15,000,000) = 266,031.36 -> 266,031
        assert approved["decision"]["principal"] == 266_031
        assert approved["decision"]["building_class"] == "B05"

    async def test_an_unknown_decided_class_is_named(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        ref = (await flow.submit(keberatan()))["id"]
        await flow.ok(ref, "verify")
        response = await flow.step(ref, "approve", {"decided_land_class": "Z99"}, flow.head)
        assert error_fields(response) == {"decided_land_class"}
        response = await flow.step(
            ref, "approve", {"principal": 1, "decided_land_area": 5}, flow.head
        )
        assert "principal" in error_fields(response)
        assert len(await bills_of(app)) == 1


class TestPengurangan:
    async def test_submit_verify_approve_grants_the_decided_percent(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        ref = (await flow.submit(pengurangan()))["id"]
        await flow.ok(ref, "verify")
        approved = await flow.ok(ref, "approve", {"decided_percent": 20})
        # 20% of 453,924 = 90,784.8 -> 90,785 (half up)
        assert approved["granted_reduction"] == 90_785
        assert approved["decision"] == {
            "previous_bill_id": approved["bill_id"],
            "percent": 20,
            "principal": PRINCIPAL_2026,
            "granted_reduction": 90_785,
        }
        old, new = await bills_of(app)
        assert (old.status, old.granted_reduction) == ("superseded", 0)
        assert (new.principal, new.granted_reduction, new.reason) == (
            PRINCIPAL_2026,
            90_785,
            "reduction",
        )
        assert new.computation == old.computation

    async def test_the_requested_percent_when_none_is_decided(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        ref = (await flow.submit(pengurangan()))["id"]
        await flow.ok(ref, "verify")
        approved = await flow.ok(ref, "approve")
        assert approved["granted_reduction"] == 113_481  # 25% of 453,924

    async def test_a_later_objection_keeps_the_granted_percent(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        reduction = (await flow.submit(pengurangan()))["id"]
        objection = (await flow.submit(keberatan()))["id"]
        await flow.ok(reduction, "verify")
        await flow.ok(reduction, "approve")  # 25% of 453,924 = 113,481
        await flow.ok(objection, "verify")
        approved = await flow.ok(objection, "approve", {}, flow.head)
        assert approved["bill_id"] != approved["decision"]["previous_bill_id"]  # v2 replaced
        versions = await bills_of(app)
        assert [(b.version, b.principal, b.granted_reduction) for b in versions] == [
            (1, PRINCIPAL_2026, 0),
            (2, PRINCIPAL_2026, 113_481),
            (3, 404_820, 101_205),  # 25% of the new principal
        ]
        assert [b.is_current for b in versions] == [False, False, True]


class TestMutasi:
    async def test_object_data_change_reassesses_the_bill_and_keeps_a_change_row(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        body = mutasi(object_changes={"building_area": 60, "address": "Jl. Melong No. 9"})
        ref = (await flow.submit(body))["id"]
        await flow.ok(ref, "verify")
        approved = await flow.ok(ref, "approve")
        assert approved["decision"]["changed_fields"] == ["address", "building_area"]
        old, new = await bills_of(app)
        assert old.status == "superseded"
        # 0.0009 x 0.8 x (120 x 3,410,000 + 60 x 2,625,000 - 15,000,000) = 397,224
        assert (new.principal, new.reason, new.version) == (397_224, "mutasi", 2)
        async with runtime(app).session_factory() as s:
            obj = await s.get(TaxObject, MELONG_NOP)
            assert obj is not None
            assert (obj.building_area, obj.address, obj.version) == (60, "Jl. Melong No. 9", 2)
            change = await s.scalar(select(TaxObjectChange))
            assert change is not None
            assert change.before == {"address": "Jl. Contoh No. 1", "building_area": 90}
            assert change.after == {"address": "Jl. Melong No. 9", "building_area": 60}
            assert (change.version, change.request_id) == (2, ref)
            assert await s.get(ObjectLink, MELONG_NOP) is not None  # same taxpayer: still linked

    async def test_change_of_taxpayer_masks_the_nik_and_removes_the_link(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        body = mutasi(
            new_taxpayer={"name": "Citra Dewi", "nik": NEW_NIK, "address": "Jl. Baru 2"},
            reason="Jual beli (AJB 12/2026)",
        )
        filed = await flow.submit(body)
        assert NEW_NIK not in str(filed)
        assert filed["new_taxpayer_nik_masked"] == "3277********0003"
        assert filed["fields"]["new_taxpayer"] == {"name": "Citra Dewi", "address": "Jl. Baru 2"}
        async with runtime(app).session_factory() as s:
            stored = await s.get(TaxpayerRequest, filed["id"])
            assert stored is not None
            assert NEW_NIK not in str(stored.fields)
            assert stored.new_taxpayer_nik_encrypted
            assert runtime(app).pii.decrypt(stored.new_taxpayer_nik_encrypted) == NEW_NIK
        await flow.ok(filed["id"], "verify")
        approved = await flow.ok(filed["id"], "approve")
        assert approved["decision"]["changed_fields"] == [
            "taxpayer_address",
            "taxpayer_name",
            "taxpayer_nik_masked",
        ]
        old, new = await bills_of(app)
        assert (old.status, new.principal, new.reason) == ("superseded", PRINCIPAL_2026, "mutasi")
        async with runtime(app).session_factory() as s:
            obj = await s.get(TaxObject, MELONG_NOP)
            assert obj is not None
            assert (obj.taxpayer_name, obj.taxpayer_nik_masked) == (
                "Citra Dewi",
                "3277********0003",
            )
            assert obj.taxpayer_nik_hash == runtime(app).pii.lookup_hash(NEW_NIK)
            assert await s.get(ObjectLink, MELONG_NOP) is None  # Ani no longer linked
            change = await s.scalar(select(TaxObjectChange))
            assert change is not None
            assert change.before["taxpayer_nik_masked"] == "3277********0001"
            assert ANI_NIK not in str(change.before)
            assert NEW_NIK not in str(change.after)
        # Ani still follows her request, but cannot file another about the object.
        assert (await flow.get(filed["id"])).status_code == 200
        problem(await client.post("/v1/requests", json=pengurangan(), headers=flow.ani), 404)

    async def test_a_new_building_needs_a_class(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        response = await client.post(
            "/v1/requests",
            json=mutasi(object_changes={"building_class": "B99"}),
            headers=flow.ani,
        )
        assert error_fields(response) == {"object_changes.building_class"}
        response = await client.post("/v1/requests", json=mutasi(), headers=flow.ani)
        assert error_fields(response) == {"object_changes"}


class TestReturnResubmitCancelReject:
    async def test_return_then_resubmit_with_corrected_fields(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        ref = (await flow.submit(pengurangan(requested_percent=90)))["id"]
        response = await flow.step(ref, "return", {"note": "  "})
        assert error_fields(response) == {"note"}
        response = await flow.step(ref, "return", {})
        assert error_fields(response) == {"note"}
        returned = await flow.ok(ref, "return", {"note": "Lampirkan SK pensiun"})
        assert (returned["status"], returned["unified_status"]) == ("returned", "needs_revision")
        problem(await flow.step(ref, "verify"), 409)  # the taxpayer's turn
        problem(await flow.step(ref, "resubmit", {"requested_percent": 50}, flow.budi), 404)
        again = await flow.ok(
            ref, "resubmit", {"requested_percent": 50, "note": "SK terlampir"}, flow.ani
        )
        assert (again["status"], again["unified_status"]) == ("resubmitted", "in_review")
        assert again["fields"]["requested_percent"] == 50
        assert again["fields"]["reason"] == pengurangan()["reason"]  # unchanged fields stay
        await flow.ok(ref, "verify")
        assert (await flow.ok(ref, "approve"))["granted_reduction"] == 226_962  # 50%
        assert [h["to_status"] for h in (await flow.get(ref)).json()["history"]] == [
            "submitted",
            "returned",
            "resubmitted",
            "verified",
            "approved",
        ]

    async def test_a_resubmission_naming_a_bill_with_an_open_request_is_refused(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tokens: Tokens,
        session: Any,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        pin_clock(app)
        await scene(app, session, years=(2025, 2026))
        flow = Flow(client, tokens)
        ref = (await flow.submit(pengurangan(tax_year=2025)))["id"]
        await flow.ok(ref, "return", {"note": "Tahun pajak?"})
        await flow.submit(pengurangan(tax_year=2026))
        problem(await flow.step(ref, "resubmit", {"tax_year": 2026}, flow.ani), 409)
        # The same race where the other submission commits after the check: the unique index
        # refuses the change, still a 409 and the request unchanged.
        monkeypatch.setattr(repository, "open_request_about", _no_open_request)
        problem(await flow.step(ref, "resubmit", {"tax_year": 2026}, flow.ani), 409)
        again = (await flow.get(ref)).json()
        assert (again["status"], again["tax_year"]) == ("returned", 2025)

    async def test_resubmit_checks_the_fields_again(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        ref = (await flow.submit(keberatan()))["id"]
        await flow.ok(ref, "return", {"note": "Kelas tanah?"})
        response = await flow.step(ref, "resubmit", {"claimed_land_class": "Z99"}, flow.ani)
        assert error_fields(response) == {"claimed_land_class"}
        response = await flow.step(ref, "resubmit", {"ground": "veteran"}, flow.ani)
        assert error_fields(response) == {"ground"}
        assert (await flow.get(ref)).json()["status"] == "returned"

    async def test_cancel_before_a_decision_only(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        ref = (await flow.submit(pengurangan()))["id"]
        await flow.ok(ref, "verify")
        problem(await flow.step(ref, "cancel", {}, flow.budi), 404)
        problem(await flow.step(ref, "cancel", {}, flow.officer), 403)
        cancelled = await flow.ok(ref, "cancel", {"note": "Sudah dibayar"}, flow.ani)
        assert (cancelled["status"], cancelled["unified_status"]) == ("cancelled", "cancelled")
        problem(await flow.step(ref, "approve"), 409)
        problem(await flow.step(ref, "cancel", {}, flow.ani), 409)
        assert len(await bills_of(app)) == 1

    async def test_reject_needs_a_reason_and_changes_no_bill(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        ref = (await flow.submit(pengurangan()))["id"]
        assert error_fields(await flow.step(ref, "reject", {})) == {"note"}
        rejected = await flow.ok(ref, "reject", {"note": "Bukan pensiunan"})
        assert (rejected["status"], rejected["unified_status"]) == ("rejected", "rejected")
        assert rejected["decided_at"] is not None
        problem(await flow.step(ref, "cancel", {}, flow.ani), 409)
        problem(await flow.step(ref, "approve"), 409)
        assert len(await bills_of(app)) == 1
        # A new request about the same bill may be filed once the first is decided.
        await flow.submit(pengurangan())

    async def test_approve_needs_verification_first_and_one_open_request_per_bill(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        ref = (await flow.submit(pengurangan()))["id"]
        problem(await flow.step(ref, "approve"), 409)
        problem(await client.post("/v1/requests", json=pengurangan(), headers=flow.ani), 409)
        await flow.submit(keberatan())  # another kind is another matter


class TestPaidBills:
    async def test_a_paid_bill_cannot_be_objected_to_or_reduced(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        await _mark_paid(app)
        for body in (keberatan(), pengurangan()):
            problem(await client.post("/v1/requests", json=body, headers=flow.ani), 409)
        assert await count(app, TaxpayerRequest) == 0

    async def test_a_bill_paid_after_verification_is_not_replaced(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        ref = (await flow.submit(pengurangan()))["id"]
        await flow.ok(ref, "verify")
        await _mark_paid(app)
        problem(await flow.step(ref, "approve"), 409)
        (bill,) = await bills_of(app)
        assert bill.status == "paid"
        assert (await flow.get(ref)).json()["status"] == "verified"


async def _mark_paid(app: FastAPI) -> None:
    async with runtime(app).session_factory() as s:
        (bill,) = await bills_of(app)
        bill = await s.merge(bill)
        bill.status = "paid"
        await s.commit()


class TestAuthorization:
    async def test_only_the_linked_taxpayer_files_about_an_object(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        unknown = keberatan(nop="32.77.010.001.001-0999.0")
        for headers, body in ((flow.budi, keberatan()), (flow.ani, unknown)):
            body_404 = problem(await client.post("/v1/requests", json=body, headers=headers), 404)
            assert "linked" in body_404["detail"]
        problem(await client.post("/v1/requests", json=keberatan(), headers=flow.officer), 403)

    async def test_reads_and_steps_by_strangers_are_404_and_other_agencies_403(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        filed = await flow.submit(pengurangan())
        ref = filed["id"]
        missing = problem(await flow.get("01JZZZZZZZZZZZZZZZZZZZZZZZ"), 404)
        other = problem(await flow.get(ref, flow.budi), 404)
        assert other["title"] == missing["title"]
        problem(await flow.get(ref, flow.cibabat_officer), 404)
        problem(await flow.step(ref, "verify", {}, flow.cibabat_officer), 404)
        problem(await flow.get(ref, flow.lakami), 403)
        problem(await flow.step(ref, "verify", {}, flow.lakami), 403)
        problem(await flow.step(ref, "verify", {}, flow.ani), 403)
        # By tracking number too; the owner's read is not logged, the officer's is.
        assert (await flow.get(filed["tracking_no"])).status_code == 200
        assert await count(app, AccessAudit) == 0
        response = await client.get(
            f"/v1/requests/{ref}", headers={**flow.officer, "X-Purpose": "Verifikasi berkas"}
        )
        assert response.status_code == 200, response.text
        async with runtime(app).session_factory() as s:
            (entry,) = (await s.scalars(select(AccessAudit))).all()
            assert (entry.nop, entry.resource, entry.action) == (MELONG_NOP, "request", "read")
            assert (entry.purpose, entry.resource_ref) == (
                "Verifikasi berkas",
                filed["tracking_no"],
            )
            assert entry.actor_area == MELONG

    async def test_lists_citizens_own_and_officers_area(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        ani = (await flow.submit(pengurangan()))["id"]
        budi = (await flow.submit(pengurangan(nop=CIBABAT_NOP), flow.budi))["id"]

        async def listed(headers: dict[str, str], **params: str) -> list[str]:
            response = await client.get("/v1/requests", params=params, headers=headers)
            assert response.status_code == 200, response.text
            return [item["id"] for item in response.json()["items"]]

        assert await listed(flow.ani) == [ani]
        assert await listed(flow.budi) == [budi]
        assert await listed(flow.officer) == [ani]
        assert await listed(flow.cibabat_officer) == [budi]
        assert sorted(await listed(flow.head)) == sorted([ani, budi])
        assert await listed(flow.officer, kind="keberatan") == []
        assert await listed(flow.officer, status="submitted") == [ani]
        assert (await client.get("/v1/requests", headers=flow.lakami)).status_code == 403
        async with runtime(app).session_factory() as s:
            rows = (await s.execute(select(AccessAudit.action, AccessAudit.nop))).all()
        # One row per request an officer was shown (2 + 1 + 2); citizens' own lists not logged.
        assert sorted(nop for action, nop in rows if action == "list") == sorted(
            [MELONG_NOP, MELONG_NOP, CIBABAT_NOP, MELONG_NOP, CIBABAT_NOP]
        )


class TestInput:
    async def test_bad_fields_are_named_and_nothing_is_saved(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)

        async def fields_of(body: dict[str, Any]) -> set[str]:
            return error_fields(await client.post("/v1/requests", json=body, headers=flow.ani))

        assert await fields_of(keberatan(reason="x" * 2001)) == {"reason"}
        assert await fields_of(keberatan(reason=" ")) == {"reason"}
        assert await fields_of(keberatan(tax_year=None)) == {"tax_year"}
        assert await fields_of(keberatan(tax_year=2024)) == {"tax_year"}  # no bill of 2024
        assert await fields_of(keberatan(claimed_building_class="B99")) == {
            "claimed_building_class"
        }
        assert await fields_of(keberatan(requested_percent=10)) == {"requested_percent"}
        assert await fields_of(keberatan(nop="3277")) == {"nop"}
        assert await fields_of(keberatan(kind="banding")) == {"kind"}
        assert await fields_of(keberatan(status="approved")) == {"status"}  # mass assignment
        assert await fields_of(pengurangan(requested_percent=0)) == {"requested_percent"}
        assert await fields_of(pengurangan(requested_percent=101)) == {"requested_percent"}
        assert await fields_of(pengurangan(ground="rich")) == {"ground"}
        body = pengurangan()
        del body["ground"], body["requested_percent"]
        assert await fields_of(body) == {"ground", "requested_percent"}
        bad_nik = {"name": "Citra", "nik": "1234567890123456"}
        assert await fields_of(mutasi(new_taxpayer=bad_nik)) == {"new_taxpayer.nik"}
        assert await fields_of(mutasi(tax_year=2026, object_changes={"land_area": 1})) == {
            "tax_year"
        }
        assert await fields_of(mutasi(object_changes={"land_area": 0})) == {
            "object_changes.land_area"
        }
        assert await count(app, TaxpayerRequest) == 0

    async def test_a_retried_submission_with_the_same_idempotency_key_is_replayed(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        headers = {**flow.ani, "Idempotency-Key": "keberatan-2026-1"}
        first = await client.post("/v1/requests", json=keberatan(), headers=headers)
        again = await client.post("/v1/requests", json=keberatan(), headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json()["id"] == first.json()["id"]
        assert await count(app, TaxpayerRequest) == 1
        other = await client.post("/v1/requests", json=keberatan(reason="lain"), headers=headers)
        problem(other, 422)
        step_headers = {**flow.officer, "Idempotency-Key": "verify-1"}
        ref = first.json()["id"]
        for _ in range(2):
            response = await client.post(
                f"/v1/requests/{ref}/verify", json={}, headers=step_headers
            )
            assert response.status_code == 200, response.text
        assert (await flow.get(ref)).json()["history"][-1]["sequence"] == 2  # verified once


class TestEvents:
    async def test_every_step_publishes_a_domain_and_a_lifecycle_event_without_nik(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        body = mutasi(new_taxpayer={"name": "Citra Dewi", "nik": NEW_NIK})
        filed = await flow.submit(body)
        ref = filed["id"]
        await flow.ok(ref, "return", {"note": "Lampirkan AJB"})
        await flow.ok(ref, "resubmit", {"reason": "AJB terlampir"}, flow.ani)
        await flow.ok(ref, "verify")
        await flow.ok(ref, "approve")
        events = await outbox_events(app)
        lifecycle = [e for e in events if e["type"] == LIFECYCLE_V1]
        data = [e["data"] for e in lifecycle]
        assert [d["sequence"] for d in data] == [1, 2, 3, 4, 5]
        assert [(d["agency_status"], d["status"]) for d in data] == [
            ("submitted", "submitted"),
            ("returned", "needs_revision"),
            ("resubmitted", "in_review"),
            ("verified", "in_review"),
            ("approved", "completed"),
        ]
        first = data[0]
        assert (first["agency"], first["request_kind"], first["area"]) == (
            "epbb",
            "pbb.mutasi",
            MELONG,
        )
        assert (first["tracking_no"], first["owner_sub"]) == (filed["tracking_no"], ANI)
        assert first["title"] == "Mutasi objek/subjek PBB - 32.77.010.001.001-0001.0"
        assert data[1]["note"] == "Lampirkan AJB"
        assert {e["subject"] for e in lifecycle} == {filed["tracking_no"]}
        domain = [e["type"] for e in events if e["type"] != LIFECYCLE_V1]
        verbs = ["submitted", "returned", "resubmitted", "verified", "approved"]
        assert domain == [DOMAIN.format(v) for v in verbs]
        approved = next(e for e in events if e["type"] == DOMAIN.format("approved"))["data"]
        assert approved["changed_fields"] == [
            "taxpayer_name",
            "taxpayer_nik_masked",
        ]
        text = str(events)
        for secret in (NEW_NIK, ANI_NIK, "Citra Dewi", "Ani Lestari", "3277********0003"):
            assert secret not in text

    async def test_events_parse_as_cloudevents(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        from cloudevents.core.formats.json import JSONFormat

        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        await flow.submit(keberatan())
        events = await outbox_events(app)
        assert len(events) == 2
        for event in events:
            raw = json.dumps(event).encode()
            assert JSONFormat().read(None, raw).get_type() == event["type"]


class TestConcurrency:
    async def test_concurrent_approvals_make_one_bill_version(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        import asyncio

        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        ref = (await flow.submit(pengurangan()))["id"]
        await flow.ok(ref, "verify")
        first, second = await asyncio.gather(flow.step(ref, "approve"), flow.step(ref, "approve"))
        assert sorted([first.status_code, second.status_code]) == [200, 409]
        assert [b.version for b in await bills_of(app)] == [1, 2]
        history = (await flow.get(ref)).json()["history"]
        assert [h["to_status"] for h in history] == ["submitted", "verified", "approved"]

    async def test_concurrent_submissions_about_one_bill_file_one_request(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        import asyncio

        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        responses = await asyncio.gather(
            *(client.post("/v1/requests", json=pengurangan(), headers=flow.ani) for _ in range(3))
        )
        assert sorted(r.status_code for r in responses) == [201, 409, 409]
        assert await count(app, TaxpayerRequest) == 1

    async def test_the_database_refuses_a_second_undecided_request(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        from sqlalchemy.exc import IntegrityError

        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        first = await flow.submit(mutasi(object_changes={"land_area": 100}))
        async with runtime(app).session_factory() as s:
            stored = await s.get(TaxpayerRequest, first["id"])
            assert stored is not None
            copy = {c.key: getattr(stored, c.key) for c in TaxpayerRequest.__table__.columns}
            s.add(TaxpayerRequest(**{**copy, "id": "01" + "X" * 24, "tracking_no": "PBB-RCOPY"}))
            with pytest.raises(IntegrityError):
                await s.flush()

    async def test_a_submission_losing_the_race_after_its_check_gets_409(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tokens: Tokens,
        session: Any,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        from cimahi_epbb.requests import repository

        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        await flow.submit(pengurangan())
        real = repository.open_request_about
        calls: list[int] = []

        async def too_early(*args: Any, **kwargs: Any) -> Any:
            calls.append(1)
            return None if len(calls) == 1 else await real(*args, **kwargs)

        monkeypatch.setattr(repository, "open_request_about", too_early)
        response = await client.post("/v1/requests", json=pengurangan(), headers=flow.ani)
        assert "still open" in problem(response, 409)["detail"]
        assert len(calls) == 2  # the check saw nothing; the unique index caught it
        assert await count(app, TaxpayerRequest) == 1


class TestAdminsAndOutcomeEvents:
    async def test_admins_read_with_a_log_but_take_no_steps(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        ref = (await flow.submit(pengurangan()))["id"]
        admin = tokens.admin()
        assert (await flow.get(ref, admin)).status_code == 200
        problem(await flow.step(ref, "verify", {}, admin), 403)
        async with runtime(app).session_factory() as s:
            (entry,) = (await s.scalars(select(AccessAudit))).all()
            assert (entry.actor_role, entry.nop) == ("admin", MELONG_NOP)

    async def test_the_approved_event_carries_the_outcome(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        await scene(app, session)
        flow = Flow(client, tokens)
        ref = (await flow.submit(pengurangan()))["id"]
        await flow.ok(ref, "verify")
        approved = await flow.ok(ref, "approve")
        (event,) = [e for e in await outbox_events(app) if e["type"] == DOMAIN.format("approved")]
        assert event["subject"] == approved["tracking_no"]
        data = event["data"]
        assert (data["kind"], data["nop"], data["tax_year"]) == ("pengurangan", MELONG_NOP, 2026)
        assert (data["outcome_bill_id"], data["granted_reduction"]) == (
            approved["outcome_bill_id"],
            113_481,
        )
        assert (data["principal"], data["sequence"]) == (PRINCIPAL_2026, 3)
        assert "Ani" not in str(event)
        assert "owner_sub" not in data


async def _no_open_request(*_args: Any, **_kwargs: Any) -> None:
    return None
