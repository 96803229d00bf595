"""What issuance changes in the register: births, deaths, moving out and in, new cards.

After each change the family cards stay consistent: exactly one head, alive members only, the
old card superseded (or dissolved) with its KK document, one active KK per family.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from cimahi_dilandacinta.models import Family, Person
from services.dilandacinta.tests.conftest import MELONG, Tokens
from services.dilandacinta.tests.test_applications_helpers import (
    Flow,
    Household,
    applicant,
    assert_no_identifiers,
    check_card,
    check_superseded,
    household,
    outbox_events,
    person,
    pin_clock,
    runtime,
)
from services.dilandacinta.tests.test_applications_types import body_for

EVENT = "id.go.cimahikota.dilandacinta.{}.v1"


@pytest.fixture(autouse=True)
def _pinned(app: FastAPI) -> None:
    pin_clock(app)


@pytest.fixture
def flow(client: httpx.AsyncClient, tokens: Tokens) -> Flow:
    return Flow(client, tokens)


async def family_of(app: FastAPI, card: Household) -> str:
    family_id = (await person(app, card.head.nik)).family_id
    assert family_id is not None
    return family_id


async def events_named(app: FastAPI, name: str) -> list[dict[str, Any]]:
    return [e for e in await outbox_events(app) if e["type"] == EVENT.format(name)]


async def test_birth_adds_the_child_with_a_new_nik_and_a_new_card(app: FastAPI, flow: Flow) -> None:
    card = await household(app)
    old = await family_of(app, card)
    await flow.to_issued(body_for("akta_kelahiran", card))

    members = await check_card(app, await family_of(app, card))
    assert len(members) == len(card.members) + 1
    child = next(m for m in members if m.full_name == "Bayi Sunandar")
    assert child.relationship_to_head == "anak"
    nik = runtime(app).pii.decrypt(child.nik_encrypted)
    assert nik.startswith("327701" + "60" + "1126")  # born 20-11-26, a girl: day + 40
    assert child.nik_masked == nik[:4] + "********" + nik[-4:]
    await check_superseded(app, old)
    born = await events_named(app, "person.born")
    assert [e["subject"] for e in born] == [child.id]
    assert born[0]["data"]["kelurahan_code"] == MELONG
    assert born[0]["data"]["birth_date"] == "2026-11-20"
    assert nik not in str(await outbox_events(app))
    assert_no_identifiers(await outbox_events(app), card)


async def test_death_of_the_head_makes_the_spouse_head(app: FastAPI, flow: Flow) -> None:
    card = await household(app, children=2)
    old = await family_of(app, card)
    body = body_for("akta_kematian", card)
    body["subject_nik"] = card.head.nik
    body["applicant"] = applicant(card, card.by_relationship("istri"))
    await flow.to_issued(body)

    deceased = await person(app, card.head.nik)
    assert deceased.status == "deceased"
    assert str(deceased.died_on) == "2026-11-25"
    assert deceased.family_id is None
    wife = await person(app, card.by_relationship("istri").nik)
    assert wife.relationship_to_head == "kepala_keluarga"
    members = await check_card(app, wife.family_id or "")
    assert deceased.id not in {m.id for m in members}
    assert len(members) == 3
    await check_superseded(app, old)
    died = await events_named(app, "person.deceased")
    assert [e["subject"] for e in died] == [deceased.id]
    assert died[0]["data"] == {
        "person_id": deceased.id,
        "family_id": old,
        "kelurahan_code": MELONG,
        "died_on": "2026-11-25",
        "occurred_at": died[0]["data"]["occurred_at"],
    }
    assert_no_identifiers(await outbox_events(app), card)


async def test_death_of_a_child_keeps_the_head(app: FastAPI, flow: Flow) -> None:
    card = await household(app)
    await flow.to_issued(body_for("akta_kematian", card))
    head = await person(app, card.head.nik)
    members = await check_card(app, head.family_id or "")
    assert {m.full_name for m in members} == {card.head.name, card.by_relationship("istri").name}
    assert head.relationship_to_head == "kepala_keluarga"


async def test_moving_out_of_some_members_gives_the_rest_a_new_card(
    app: FastAPI, flow: Flow
) -> None:
    card = await household(app)
    old = await family_of(app, card)
    await flow.to_issued(body_for("pindah_keluar", card))
    child = await person(app, card.by_relationship("anak").nik)
    assert child.status == "moved_out"
    assert child.family_id is None
    assert child.moved_to == "Jl. Dago No. 1, Kota Bandung"
    assert str(child.moved_out_on) == "2026-12-05"
    members = await check_card(app, await family_of(app, card))
    assert len(members) == 2
    await check_superseded(app, old)
    moved = await events_named(app, "person.moved_out")
    assert [e["subject"] for e in moved] == [child.id]


async def test_moving_out_of_the_whole_family_dissolves_the_card(app: FastAPI, flow: Flow) -> None:
    card = await household(app)
    old = await family_of(app, card)
    body = body_for("pindah_keluar", card)
    body["people"] = [{"nik": m.nik} for m in card.members]
    await flow.to_issued(body)
    for member in card.members:
        assert (await person(app, member.nik)).status == "moved_out"
    family = await check_superseded(app, old)
    assert family.status == "dissolved"
    assert len(await events_named(app, "person.moved_out")) == 3
    assert len(await events_named(app, "family.dissolved")) == 1


async def test_moving_in_keeps_the_nik_from_elsewhere(app: FastAPI, flow: Flow) -> None:
    card = await household(app)
    body = body_for("pindah_datang", card)
    await flow.to_issued(body)
    head_nik = body["people"][0]["nik"]
    assert head_nik.startswith("3273")
    head = await person(app, head_nik)
    assert head.status == "alive"
    assert head.kelurahan_code == MELONG
    assert head.relationship_to_head == "kepala_keluarga"
    members = await check_card(app, head.family_id or "")
    assert len(members) == 2
    assert {m.address for m in members} == {"Jl. Encep Kartawiria No. 5"}
    moved_in = await events_named(app, "person.moved_in")
    assert {e["subject"] for e in moved_in} == {m.id for m in members}
    assert head_nik not in str(await outbox_events(app))


async def test_moving_in_refuses_a_current_resident(
    app: FastAPI, flow: Flow, client: httpx.AsyncClient
) -> None:
    card = await household(app)
    body = body_for("pindah_datang", card)
    body["people"][1]["nik"] = card.head.nik
    response = await client.post("/v1/applications", json=body, headers=flow.citizen)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"people[1].nik"}


async def test_split_gives_two_consistent_cards(app: FastAPI, flow: Flow) -> None:
    card = await household(app, children=2)
    old = await family_of(app, card)
    await flow.to_issued(body_for("kk_split", card))
    new_card = await check_card(app, await family_of(app, card))
    assert {m.full_name for m in new_card} == {card.head.name, card.by_relationship("istri").name}
    child = await person(app, card.members[2].nik)
    rest = await check_card(app, child.family_id or "")
    assert {m.full_name for m in rest} == {"Anak Ke 1", "Anak Ke 2"}
    await check_superseded(app, old)
    async with runtime(app).session_factory() as session:
        cards = list(await session.scalars(select(Family).where(Family.status == "active")))
        residents = list(await session.scalars(select(Person).where(Person.status == "alive")))
    assert {p.family_id for p in residents} <= {f.id for f in cards}


async def test_change_of_head_keeps_one_head(app: FastAPI, flow: Flow) -> None:
    card = await household(app)
    await flow.to_issued(body_for("kk_change", card))
    wife = await person(app, card.by_relationship("istri").nik)
    members = await check_card(app, wife.family_id or "")
    assert wife.id in {m.id for m in members}
    assert wife.relationship_to_head == "kepala_keluarga"
    assert (await person(app, card.head.nik)).relationship_to_head != "kepala_keluarga"


async def test_replacement_keeps_the_number_and_supersedes_the_document(
    app: FastAPI, flow: Flow
) -> None:
    card = await household(app)
    family_id = await family_of(app, card)
    first = await flow.to_issued(body_for("kk_replacement", card))
    second = await flow.to_issued(body_for("kk_replacement", card))
    assert first["document_id"] != second["document_id"]
    assert await family_of(app, card) == family_id
    await check_card(app, family_id)


async def test_biodata_change_updates_the_person(app: FastAPI, flow: Flow) -> None:
    card = await household(app)
    await flow.to_issued(body_for("biodata_change", card))
    assert (await person(app, card.by_relationship("istri").nik)).occupation == "Guru"


async def test_signing_follows_the_card_that_replaced_the_submitted_one(
    app: FastAPI, flow: Flow
) -> None:
    card = await household(app)
    body = body_for("kk_replacement", card)
    pending = (await flow.submit(body))["tracking_no"]
    await flow.ok(pending, "verify", {"outcome": "accept"})
    await flow.ok(pending, "process")
    await flow.to_issued(body_for("kk_change", card))  # a new card meanwhile
    assert (await flow.ok(pending, "sign"))["status"] == "issued"
    await check_card(app, await family_of(app, card))


async def test_signing_after_the_person_died_is_a_conflict_and_changes_nothing(
    app: FastAPI, flow: Flow
) -> None:
    from services.dilandacinta.tests.conftest import problem

    card = await household(app)
    moving = (await flow.submit(body_for("pindah_keluar", card)))["tracking_no"]
    await flow.ok(moving, "verify", {"outcome": "accept"})
    await flow.ok(moving, "process")
    await flow.to_issued(body_for("akta_kematian", card))  # the child who was to move died
    problem(await flow.step(moving, "sign"), 409)
    still = await flow.client.get(f"/v1/applications/{moving}", headers=flow.citizen)
    assert still.json()["status"] == "awaiting_signature"
    assert (await person(app, card.by_relationship("anak").nik)).status == "deceased"
    await check_card(app, await family_of(app, card))


def test_documents_print_kelurahan_names_and_relationships_in_words() -> None:
    from cimahi_dilandacinta.register.effects import kelurahan_label, relationship_label

    assert kelurahan_label("32.77.02.1001") == "Baros, Kec. Cimahi Tengah"
    assert kelurahan_label("32.73.01.1001") == "32.73.01.1001"  # not the city's: as given
    assert relationship_label("kepala_keluarga") == "Kepala Keluarga"
    assert relationship_label("istri") == "Istri"
