"""E-PBB's event catalogue: sound schemas, nothing uncatalogued or personal in real events.

The journeys below are the service's own (bill run, a bank's payment, a reduction approved, a
data change with a new taxpayer returned, resubmitted and approved, an objection cancelled);
every event they leave in the outbox must be a catalogued CloudEvent whose data matches the
published schema and names no taxpayer.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select

from cimahi_epbb.auth import AGENCY
from cimahi_epbb.bills.generation import generate_bills
from cimahi_epbb.events.catalogue import CATALOGUE, publish
from cimahi_epbb.models import ObjectLink
from cimahi_shared.events.catalogue import CATALOGUE_PATH, EventCatalogue, EventSpec
from cimahi_shared.events.tables import outbox
from cimahi_shared.testing.event_catalogue import check_catalogue, check_published
from services.epbb.tests.conftest import Tokens
from services.epbb.tests.factories import (
    ANI_NIK,
    BUDI_NIK,
    CIBABAT,
    CIBABAT_NOP,
    add_object,
    load_rules,
)
from services.epbb.tests.test_payments_helpers import confirm, new_code, register_channel
from services.epbb.tests.test_requests_helpers import (
    ANI,
    BUDI,
    MONDAY,
    NEW_NIK,
    Flow,
    mutasi,
    pengurangan,
    pin_clock,
)

NAMES = ("Ani Lestari", "Budi Santoso", "Citra Dewi", "Jl. Contoh", "Lampirkan AJB")


async def outbox_payloads(app: FastAPI) -> list[bytes]:
    """Every payload in the outbox, as the relay would publish it."""
    async with app.state.runtime.session_factory() as session:
        return list((await session.execute(select(outbox.c.payload))).scalars())


class TestCatalogue:
    def test_every_schema_is_valid_closed_and_declares_its_personal_data(self) -> None:
        document = check_catalogue(CATALOGUE)
        assert document["agency"] == AGENCY
        names = {event["name"] for event in document["events"]}
        assert {"bills.generated", "payment.received", "request.lifecycle"} <= names
        assert {f"taxpayer_request.{v}" for v in ("submitted", "approved", "cancelled")} <= names
        received = next(e for e in document["events"] if e["name"] == "payment.received")
        assert received["personal_data"] == {}
        assert received["dataschema"].endswith("/schemas/epbb/payment-received/v1.json")

    async def test_an_undeclared_type_or_bad_data_is_refused_before_the_outbox(
        self, app: FastAPI, session: Any
    ) -> None:
        good = {"tax_year": 2026, "rules_version": 1, "created": 1, "total_principal": 10}
        with pytest.raises(KeyError):
            await publish(session, "payment.refunded", subject="x", data=good, time=MONDAY)
        for bad in (
            {**good, "taxpayer_name": "Ani Lestari"},  # a field the schema does not have
            {**good, "created": "many"},
            {key: value for key, value in good.items() if key != "tax_year"},
        ):
            with pytest.raises(ValidationError):
                await publish(session, "bills.generated", subject="2026", data=bad, time=MONDAY)
        await session.commit()
        assert await outbox_payloads(app) == []

    async def test_the_catalogue_is_public(self, client: httpx.AsyncClient) -> None:
        response = await client.get(CATALOGUE_PATH)
        assert response.status_code == 200, response.text
        served = response.json()
        assert served == CATALOGUE.document()
        assert {e["type"] for e in served["events"]} == CATALOGUE.types()


class TestTheChecksBite:
    def test_an_undeclared_personal_field_fails_the_catalogue_check(self) -> None:
        class Named(BaseModel):
            model_config = ConfigDict(extra="forbid")
            holder_name: str

        leaky = EventCatalogue(AGENCY, [EventSpec("object.named", "A name.", Named, "the NOP")])
        with pytest.raises(AssertionError, match="holder_name"):
            check_catalogue(leaky)

    def test_uncatalogued_or_nik_carrying_events_fail_the_outbox_check(self) -> None:
        data = {"tax_year": 2026, "rules_version": 1, "created": 1, "total_principal": 10}
        cloud, _ = CATALOGUE.event("bills.generated", subject="2026", data=data, time=MONDAY)
        check_published(CATALOGUE, [cloud.model_dump_json()])
        forged = cloud.model_copy(update={"type": "id.go.cimahikota.epbb.bills.deleted.v1"})
        with pytest.raises(AssertionError, match="uncatalogued"):
            check_published(CATALOGUE, [forged.model_dump_json()])
        with pytest.raises(AssertionError, match="personal data"):
            check_published(CATALOGUE, [cloud.model_dump_json()], secrets=["2026"])


class TestRealFlows:
    async def test_every_event_of_the_journeys_is_catalogued_and_names_nobody(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app)
        pii = app.state.runtime.pii
        await load_rules(session)
        await add_object(session, pii)
        await add_object(
            session, pii, nop=CIBABAT_NOP, kelurahan_code=CIBABAT, nik=BUDI_NIK, name=NAMES[1]
        )
        await session.commit()
        await generate_bills(app.state.runtime.session_factory, tax_year=2026, now=MONDAY)
        ani_nop = "327701000100100010"
        session.add(ObjectLink(nop=ani_nop, owner_sub=ANI, linked_at=MONDAY))
        session.add(ObjectLink(nop=CIBABAT_NOP, owner_sub=BUDI, linked_at=MONDAY))
        await session.commit()

        bank = await register_channel(client, tokens, code="bjb", client_id="bank-bjb-demo")
        code = await new_code(client, bank, CIBABAT_NOP)
        paid = await confirm(
            client,
            bank,
            code=code["code"],
            amount=code["amount"],
            reference="BJB-1",
            paid_at=MONDAY,
        )
        assert paid.status_code == 201, paid.text

        flow = Flow(client, tokens)
        reduction = (await flow.submit(pengurangan()))["id"]
        await flow.ok(reduction, "verify")
        await flow.ok(reduction, "approve")
        change = (await flow.submit(mutasi(new_taxpayer={"name": NAMES[2], "nik": NEW_NIK})))["id"]
        await flow.ok(change, "return", {"note": "Lampirkan AJB"})
        await flow.ok(change, "resubmit", {"reason": "AJB terlampir"}, flow.ani)
        await flow.ok(change, "verify")
        await flow.ok(change, "approve")

        events = check_published(
            CATALOGUE,
            await outbox_payloads(app),
            secrets=(ANI_NIK, BUDI_NIK, NEW_NIK, *NAMES[:4]),
        )
        seen = {event["type"] for event in events}
        spec_types = {
            name: CATALOGUE.spec(name).type_for(AGENCY)
            for name in (
                "bills.generated",
                "payment.received",
                "request.lifecycle",
                "taxpayer_request.submitted",
                "taxpayer_request.verified",
                "taxpayer_request.returned",
                "taxpayer_request.resubmitted",
                "taxpayer_request.approved",
            )
        }
        assert set(spec_types.values()) <= seen
        received = next(e for e in events if e["type"] == spec_types["payment.received"])
        assert received["data"]["bills"][0]["nop"] == CIBABAT_NOP
        assert set(received["data"]) == {"ntpd", "channel", "amount", "paid_at", "bills"}
        approved = [
            e["data"] for e in events if e["type"] == spec_types["taxpayer_request.approved"]
        ]
        assert {d["kind"] for d in approved} == {"pengurangan", "mutasi"}
