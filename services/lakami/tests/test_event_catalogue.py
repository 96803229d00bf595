"""LAKAMI's event catalogue: every event it can publish is declared, and what it publishes is safe.

The catalogue is what integrators code against (served at ``/v1/public/events/catalogue`` and
turned into the gateway's AsyncAPI document), so: each schema is valid and closed, no field is
named like personal data, every verb of both workflows has its event type, a payload outside
the schema is refused before anything is enqueued, and real journeys (every letter and complaint
verb, through the HTTP API) write only catalogued, schema-valid CloudEvents that the
``cloudevents`` SDK parses and that carry no NIK, No. KK, name, contact, address or typed text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import text

from cimahi_lakami.complaints.workflow import STEPS as COMPLAINT_STEPS
from cimahi_lakami.events.catalogue import CATALOGUE
from cimahi_lakami.letters.workflow import STEPS as LETTER_STEPS
from cimahi_lakami.verification.service import REVOKED_VERB
from cimahi_shared.events.catalogue import CATALOGUE_PATH
from cimahi_shared.events.lifecycle import LIFECYCLE_V1
from cimahi_shared.testing.event_catalogue import check_catalogue, check_published
from services.lakami.tests.conftest import MELONG, NIK, NO_KK, Tokens
from services.lakami.tests.test_complaints import (
    SECRET_CONTACT,
    SECRET_NAME,
    Clock,
    citizen,
    complaint_body,
    file,
)
from services.lakami.tests.test_complaints import act as complaint_act
from services.lakami.tests.test_complaints import clock as clock  # the fixture
from services.lakami.tests.test_letter_chain import CIMAHI_SELATAN, forwarded, through
from services.lakami.tests.test_letters import act, runtime, submit
from services.lakami.tests.test_verification import issue, revoke

# A note typed by an officer or a citizen: the citizen reads it in the platform's lifecycle event
# (the shared contract), never in a LAKAMI domain event.
TYPED_TEXT = "Pak Asep Sunarya di Jl. Kebon Kopi 7"
REASON = "Dokumen palsu atas nama Pak Asep"  # a revocation's reason stays in LAKAMI
SECRETS = (NIK, NO_KK, SECRET_NAME, SECRET_CONTACT, "Jl. Melong Asih", REASON)


def occurred() -> datetime:
    return datetime(2026, 12, 3, 3, 0, tzinfo=UTC)


def letter_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "tracking_no": "LKM-2612-ABCDEFGH",
        "letter_type": "domisili",
        "kelurahan_code": MELONG,
        "previous_status": None,
        "agency_status": "submitted",
        "status": "submitted",
        "sequence": 1,
        "actor_role": "citizen",
        "occurred_at": occurred(),
    }
    data.update(overrides)
    return data


class TestTheCatalogue:
    def test_every_schema_is_valid_closed_and_free_of_personal_data(self) -> None:
        document = check_catalogue(CATALOGUE)
        assert document["agency"] == "lakami"
        for event in document["events"]:
            assert event["personal_data"] == {} or event["type"] == LIFECYCLE_V1
            assert event["nats_subject"].startswith("cimahi.lakami.")

    def test_every_workflow_verb_has_its_event_type(self) -> None:
        letter_verbs = {step.verb for step in LETTER_STEPS.values()} | {REVOKED_VERB}
        complaint_verbs = {step.verb for step in COMPLAINT_STEPS.values()}
        expected = {f"letter_request.{v}" for v in letter_verbs}
        expected |= {f"complaint.{v}" for v in complaint_verbs}
        assert set(CATALOGUE.specs) == expected | {"request.lifecycle"}
        assert "id.go.cimahikota.lakami.complaint.not_authority.v1" in CATALOGUE.types()

    def test_the_dataschema_is_the_catalogues_per_type_uri(self) -> None:
        spec = CATALOGUE.spec("letter_request.submitted")
        assert spec.dataschema_for("lakami") == (
            "https://api.cimahikota.go.id/schemas/lakami/letter_request-submitted/v1.json"
        )

    def test_an_undeclared_type_or_data_outside_the_schema_is_refused(self) -> None:
        time = occurred()
        with pytest.raises(KeyError):
            CATALOGUE.event("letter_request.signed", subject="x", data=letter_data(), time=time)
        for bad in (
            letter_data(owner_sub="citizen-rina"),  # not in the schema any more
            letter_data(note=TYPED_TEXT),
            letter_data(nik=NIK),
            letter_data(agency_status="lost"),  # not a LAKAMI status
            letter_data(sequence=0),
        ):
            with pytest.raises(ValidationError):
                CATALOGUE.event("letter_request.submitted", subject="x", data=bad, time=time)
        cloud, subject = CATALOGUE.event(
            "letter_request.submitted", subject="x", data=letter_data(), time=time
        )
        assert (cloud.type, subject) == (
            "id.go.cimahikota.lakami.letter_request.submitted.v1",
            "cimahi.lakami.letter_request.submitted.v1",
        )

    async def test_it_is_served_without_a_token(self, client: httpx.AsyncClient) -> None:
        response = await client.get(CATALOGUE_PATH)
        assert response.status_code == 200, response.text
        assert response.json() == orjson.loads(orjson.dumps(CATALOGUE.document()))


async def outbox_payloads(app: FastAPI) -> list[bytes]:
    async with runtime(app).session_factory() as session:
        rows = (await session.execute(text("SELECT payload FROM outbox"))).all()
    return [bytes(r.payload) for r in rows]


def ok(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text


async def letter_journeys(client: httpx.AsyncClient, tokens: Tokens) -> None:
    """Every letter verb: return/resubmit, reject, cancel, two-level forward, approve, revoke."""
    owner, officer = tokens.citizen(), tokens.officer(MELONG)
    tracking_no = (await submit(client, owner))["tracking_no"]
    ok(await act(client, tracking_no, "return", officer, note=TYPED_TEXT))
    ok(
        await client.post(
            f"/v1/letter-requests/{tracking_no}/resubmit",
            json={"fields": {"address": "Jl. Melong Asih No. 12"}, "note": TYPED_TEXT},
            headers=owner,
        )
    )
    ok(await act(client, tracking_no, "reject", officer, note=TYPED_TEXT))
    ok(await act(client, (await submit(client, owner))["tracking_no"], "cancel", owner))
    camat = tokens.headers(
        sub="officer-cimahi-selatan", role="officer", agency="lakami", area=CIMAHI_SELATAN
    )
    two_level = await forwarded(client, owner, officer)
    await through(client, two_level, camat, "verify", "process", "approve")
    letter = await issue(client, tokens, tokens.citizen("citizen-catalogue"))
    assert (await revoke(client, letter["tracking_no"], tokens.admin(), REASON)).is_success


async def complaint_journeys(client: httpx.AsyncClient, tokens: Tokens) -> None:
    """Every complaint verb: info, verify, forward, answer, rate, reopen, close, archive..."""
    owner, officer = citizen(tokens), tokens.officer(MELONG)
    first = (await file(client, owner, anonymous=True))["tracking_no"]
    ok(await complaint_act(client, first, "info", owner, note=f"Hubungi {SECRET_CONTACT}"))
    ok(await complaint_act(client, first, "verify", officer, note=TYPED_TEXT))
    ok(await complaint_act(client, first, "forward", officer, responsible_agency="DLH Kota"))
    ok(await complaint_act(client, first, "answer", officer, note=TYPED_TEXT))
    ok(await complaint_act(client, first, "rating", owner, rating=2, comment=SECRET_NAME))
    ok(await complaint_act(client, first, "reopen", owner, note=TYPED_TEXT))
    ok(await complaint_act(client, first, "answer", officer, note=TYPED_TEXT))
    ok(await complaint_act(client, first, "close", officer))
    second = (await file(client, owner))["tracking_no"]
    ok(
        await complaint_act(
            client, second, "not-authority", officer, note=TYPED_TEXT, responsible_agency="PLN"
        )
    )
    third = (await file(client, owner))["tracking_no"]
    ok(await complaint_act(client, third, "archive", officer, note=TYPED_TEXT))


async def test_real_journeys_publish_only_catalogued_safe_events(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
) -> None:
    await letter_journeys(client, tokens)
    await complaint_journeys(client, tokens)
    secrets = (*SECRETS, complaint_body()["description"], complaint_body()["title"])
    domain_events = [
        e
        for e in check_published(CATALOGUE, await outbox_payloads(app), secrets=secrets)
        if e["type"] != LIFECYCLE_V1
    ]
    # Every domain event type of the catalogue was produced by the journeys.
    assert {e["type"] for e in domain_events} == CATALOGUE.types() - {LIFECYCLE_V1}
    for event in domain_events:
        assert "owner_sub" not in event["data"]
        assert "note" not in event["data"]
        assert TYPED_TEXT not in orjson.dumps(event).decode(), event["type"]
