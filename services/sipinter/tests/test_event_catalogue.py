"""SIPINTER's event catalogue: sound schemas, nothing uncatalogued or personal in real events.

The journeys below are the service's own: the demo seed (applications submitted, returned,
verified, permits issued), a levy assessed and paid by a bank's signed callback, a permit
revoked by the head with a reason, an application withdrawn, the deadline sweep flagging an
application granted by law and reminding a permit's expiry. Every event they leave in the
outbox must be a catalogued CloudEvent whose data matches the published schema and names nobody.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr, ValidationError
from sqlalchemy import select

from cimahi_shared.events.catalogue import CATALOGUE_PATH
from cimahi_shared.events.tables import outbox
from cimahi_shared.testing.event_catalogue import check_catalogue, check_published
from cimahi_sipinter.auth import AGENCY
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.deadlines.sweep import sweep_once
from cimahi_sipinter.demo import seed_demo
from cimahi_sipinter.events.applications import DOMAIN_EVENTS, publish_domain
from cimahi_sipinter.events.catalogue import CATALOGUE
from services.sipinter.tests.conftest import Tokens
from services.sipinter.tests.factories import (
    ANI_NIK,
    BUDI_NIK,
    NOW,
    VERIFIER,
    make_application,
    make_business,
    pin_clock,
)
from services.sipinter.tests.test_deadlines import make_permit
from services.sipinter.tests.test_levy_helpers import (
    CHANNEL,
    SECRET,
    clock_at,
    confirmation,
    pay,
    recommended,
)
from services.sipinter.tests.test_permits_helpers import issued

REASON = "Pemilik Ani Lestari tidak lagi memenuhi standar (pengawasan 2026)."
WITHDRAW_NOTE = "Ani Lestari membatalkan permohonan."
SECRETS = (ANI_NIK, BUDI_NIK, "Jl. Melong", "Klinik Pratama Sehat", REASON)


@pytest.fixture
def settings(migrated_url: str) -> SipinterSettings:
    """The tests' settings with the levy channel the helpers sign for."""
    return SipinterSettings(
        database_url=migrated_url,
        nats_enabled=False,
        log_json=False,
        levy_channels={CHANNEL: [SecretStr(SECRET)]},
    )


async def outbox_payloads(app: FastAPI) -> list[bytes]:
    """Every payload in the outbox, as the relay would publish it."""
    async with app.state.runtime.session_factory() as session:
        return list((await session.execute(select(outbox.c.payload))).scalars())


class TestCatalogue:
    def test_every_schema_is_valid_closed_and_declares_its_personal_data(self) -> None:
        document = check_catalogue(CATALOGUE)
        assert document["agency"] == AGENCY
        names = {event["name"] for event in document["events"]}
        assert names == {*DOMAIN_EVENTS, "request.lifecycle"}
        assert len(DOMAIN_EVENTS) == 12
        declared = {e["name"]: e["personal_data"] for e in document["events"]}
        assert set(declared["application.deemed_approved"]) == {"assigned_officer_sub"}
        assert declared["permit.revoked"] == {}
        revoked = next(e for e in document["events"] if e["name"] == "permit.revoked")
        assert "revoked_by_sub" not in revoked["schema"]["properties"]
        assert revoked["dataschema"].endswith("/schemas/sipinter/permit-revoked/v1.json")

    async def test_an_undeclared_type_or_bad_data_is_refused_before_the_outbox(
        self, app: FastAPI
    ) -> None:
        business = await make_business(app)
        permit = await make_permit(app, business, valid_until=NOW.date() + timedelta(days=5))
        good: dict[str, Any] = {
            "permit_id": permit.id,
            "permit_number": permit.number,
            "permit_type": permit.permit_type,
            "business_id": business.id,
            "kelurahan_code": permit.kelurahan_code,
            "valid_until": "2026-03-07",
            "days_left": 5,
            "days_before": 7,
        }
        before = len(await outbox_payloads(app))
        async with app.state.runtime.session_factory() as session:
            with pytest.raises(KeyError):
                await publish_domain(
                    session, "permit.suspended", subject=permit.id, data=good, occurred_at=NOW
                )
            for bad in (
                {**good, "holder_name": "Klinik Pratama Sehat"},
                {**good, "days_before": "soon"},
                {k: v for k, v in good.items() if k != "permit_number"},
            ):
                with pytest.raises(ValidationError):
                    await publish_domain(
                        session, "permit.expiring", subject=permit.id, data=bad, occurred_at=NOW
                    )
            await session.commit()
        assert len(await outbox_payloads(app)) == before

    async def test_the_catalogue_is_public(self, client: httpx.AsyncClient) -> None:
        response = await client.get(CATALOGUE_PATH)
        assert response.status_code == 200, response.text
        served = response.json()
        assert served == CATALOGUE.document()
        assert {e["type"] for e in served["events"]} == CATALOGUE.types()


class TestRealFlows:
    async def test_every_event_of_the_journeys_is_catalogued_and_names_nobody(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tokens: Tokens,
        settings: SipinterSettings,
    ) -> None:
        pin_clock(app)
        await seed_demo(settings)

        business = await make_business(app)
        due = await recommended(app, business, settings)
        assert (await pay(client, confirmation(due))).status_code == 200

        revoked = await issued(app, business)
        response = await client.post(
            f"/v1/permits/{revoked.id}/revoke",
            json={"reason": REASON},
            headers=tokens.head("32.77.01"),
        )
        assert response.status_code == 200, response.text

        leaving = await make_application(app, business, status="submitted", stage=None)
        response = await client.post(
            f"/v1/applications/{leaving.id}/withdraw",
            json={"note": WITHDRAW_NOTE},
            headers=tokens.citizen(sub=business.created_by),
        )
        assert response.status_code == 200, response.text

        await make_application(
            app,
            business,
            status="in_verification",
            stage="technical_verification",
            submitted_at=NOW,
            working_days=3,
            assigned_officer_sub=VERIFIER,
        )
        await make_permit(app, business, valid_until=NOW.date() + timedelta(days=15))
        await sweep_once(
            app.state.runtime, clock=clock_at(NOW + timedelta(days=10)), settings=settings
        )

        events = check_published(CATALOGUE, await outbox_payloads(app), secrets=SECRETS)
        seen = {event["type"] for event in events}
        expected = {
            "request.lifecycle",
            "application.submitted",
            "application.levy_due",
            "application.levy_paid",
            "application.withdrawn",
            "application.deemed_approved",
            "permit.issued",
            "permit.revoked",
            "permit.expiring",
        }
        missing = {n for n in expected if CATALOGUE.spec(n).type_for(AGENCY) not in seen}
        assert not missing
        # A note typed by a person reaches only the citizen's own status (the shared lifecycle
        # contract's ``note``), never a domain event.
        lifecycle = CATALOGUE.spec("request.lifecycle").type_for(AGENCY)
        domain = [e for e in events if e["type"] != lifecycle]
        assert not [e["type"] for e in domain if "Ani Lestari" in str(e)]
        assert WITHDRAW_NOTE in [e["data"]["note"] for e in events if e["type"] == lifecycle]
