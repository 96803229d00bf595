"""DILANDACINTA's event catalogue: register events name records, never people.

The catalogue is what integrators code against (served at ``/v1/public/events/catalogue`` and
turned into the gateway's AsyncAPI document). Its schemas are valid and closed, the only personal
data are the declared opaque person ids and the dates the events report, its enumerations follow
their sources, a payload outside the schema is refused before anything is enqueued, and real
issuances (birth, death, moving out and in, biodata change) write only catalogued, schema-valid
CloudEvents that the ``cloudevents`` SDK parses and that carry no NIK, No. KK, name, address,
destination or changed value.
"""

from __future__ import annotations

import typing
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import func, select

from cimahi_dilandacinta.catalogue.standards import STANDARDS
from cimahi_dilandacinta.documents.service import KINDS
from cimahi_dilandacinta.events.applications import (
    DOMAIN_EVENTS,
    DomainEvent,
    domain_event_type,
    publish_domain,
)
from cimahi_dilandacinta.events.catalogue import CATALOGUE, BiodataElement, DocumentKind
from cimahi_shared.events.catalogue import CATALOGUE_PATH
from cimahi_shared.events.lifecycle import LIFECYCLE_V1
from cimahi_shared.events.tables import outbox
from cimahi_shared.testing.event_catalogue import check_catalogue, check_published
from services.dilandacinta.tests.conftest import MELONG, Tokens
from services.dilandacinta.tests.test_applications_helpers import (
    Flow,
    Household,
    household,
    pin_clock,
    runtime,
)
from services.dilandacinta.tests.test_applications_types import ADDRESS, body_for

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
BORN = {"person_id": "01JPERSON00000000000000000", "family_id": "01JFAMILY00000000000000000"}


@pytest.fixture(autouse=True)
def _pinned(app: FastAPI) -> None:
    pin_clock(app)


def born(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        **BORN,
        "kelurahan_code": MELONG,
        "birth_date": "2026-11-20",
        "occurred_at": NOW,
    }
    data.update(overrides)
    return data


class TestTheCatalogue:
    def test_every_schema_is_valid_closed_and_declares_its_personal_data(self) -> None:
        document = check_catalogue(CATALOGUE)
        assert document["agency"] == "dilandacinta"
        declared = {e["name"]: set(e["personal_data"]) for e in document["events"]}
        assert declared["person.born"] == {"person_id", "birth_date"}
        assert declared["family.dissolved"] == set()
        assert set(DOMAIN_EVENTS) == set(CATALOGUE.specs) - {"request.lifecycle"}
        assert len(DOMAIN_EVENTS) == 8

    def test_enumerations_follow_their_sources(self) -> None:
        assert set(typing.get_args(DocumentKind)) == set(KINDS)
        element = next(f for f in STANDARDS["biodata_change"].fields if f.code == "element")
        assert set(typing.get_args(BiodataElement)) == set(element.choices or [])

    def test_types_and_dataschemas_are_unchanged(self) -> None:
        assert domain_event_type("person.deceased") == (
            "id.go.cimahikota.dilandacinta.person.deceased.v1"
        )
        spec = CATALOGUE.spec("family.card_issued")
        assert spec.dataschema_for("dilandacinta") == (
            "https://api.cimahikota.go.id/schemas/dilandacinta/family-card_issued/v1.json"
        )

    def test_an_undeclared_type_or_data_outside_the_schema_is_refused(self) -> None:
        with pytest.raises(ValueError, match="unknown"):
            domain_event_type("person.renamed")
        with pytest.raises(KeyError):
            CATALOGUE.event("person.renamed", subject="x", data=born(), time=NOW)
        for bad in (
            born(nik="3277015205900011"),
            born(full_name="Bayi Sunandar"),
            born(birth_date="kemarin"),
            {k: v for k, v in born().items() if k != "kelurahan_code"},
        ):
            with pytest.raises(ValidationError):
                CATALOGUE.event("person.born", subject=BORN["person_id"], data=bad, time=NOW)

    async def test_nothing_is_enqueued_when_a_payload_breaks_its_schema(self, app: FastAPI) -> None:
        event = DomainEvent("person.born", BORN["person_id"], {**born(), "mother_name": "Euis"})
        async with runtime(app).session_factory() as session:
            with pytest.raises(ValidationError):
                await publish_domain(session, [event], occurred_at=NOW)
            count = await session.scalar(select(func.count()).select_from(outbox))
        assert count == 0

    async def test_it_is_served_without_a_token(self, client: httpx.AsyncClient) -> None:
        response = await client.get(CATALOGUE_PATH)
        assert response.status_code == 200, response.text
        assert response.json() == orjson.loads(orjson.dumps(CATALOGUE.document()))


def identifiers(card: Household) -> list[str]:
    """What must never leave the register: NIKs, names and the No. KK of the household."""
    return [card.no_kk, *(m.nik for m in card.members), *(m.name for m in card.members)]


async def issuances(app: FastAPI, flow: Flow) -> list[str]:
    """Every register event: birth, death, the whole family moving out, newcomers, a biodata
    change. Returns the personal values the applications carried."""
    secrets: list[str] = []
    for code in ("akta_kelahiran", "akta_kematian", "biodata_change", "pindah_datang"):
        card = await household(app)
        body = body_for(code, card)
        await flow.to_issued(body)
        secrets += identifiers(card)
        secrets += [p.get("nik", "") for p in body.get("people", [])]
        secrets += [p.get("full_name", "") for p in body.get("people", [])]
    leaving = await household(app)
    body = body_for("pindah_keluar", leaving)
    body["people"] = [{"nik": m.nik} for m in leaving.members]
    await flow.to_issued(body)
    secrets += identifiers(leaving)
    fields = {**body["fields"], **body_for("akta_kelahiran", leaving)["fields"]}
    secrets += [fields[k] for k in ("destination_address", "child_name", "father_name")]
    return [*secrets, ADDRESS["address"], "RSUD Cibabat", "Guru", "Budi Santoso"]


async def test_real_issuances_publish_only_catalogued_safe_events(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    secrets = await issuances(app, Flow(client, tokens))
    async with runtime(app).session_factory() as session:
        payloads = (await session.scalars(select(outbox.c.payload))).all()
    events = check_published(CATALOGUE, payloads, secrets=secrets)
    # Every event type of the catalogue was produced by the issuances.
    assert {e["type"] for e in events} == CATALOGUE.types()
    for event in events:
        if event["type"] != LIFECYCLE_V1:
            assert event["subject"] in orjson.dumps(event["data"]).decode(), event["type"]
