"""Who sees which application (owners, co-owners, officers by area, other agencies), the access
log of officers' reads, and the officers' queue: order, colours, filters, pages."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from cimahi_sipinter.models import AccessAudit, Application
from services.sipinter.tests.conftest import CIBABAT, MELONG, Tokens, problem
from services.sipinter.tests.factories import (
    ANI,
    BUDI,
    CALENDAR,
    NOW,
    VERIFIER,
    make_application,
    make_business,
    pin_clock,
)

MELONG_KECAMATAN = "32.77.01"
PURPOSE = "Pemeriksaan berkas TDUP"


@pytest.fixture(autouse=True)
def pinned(app: FastAPI) -> None:
    pin_clock(app)


async def ids(client: httpx.AsyncClient, headers: dict[str, str], query: str = "") -> list[str]:
    response = await client.get(f"/v1/applications{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def audit(app: FastAPI) -> list[AccessAudit]:
    async with app.state.runtime.session_factory() as session:
        return list((await session.execute(select(AccessAudit))).scalars())


async def test_owners_and_co_owners_see_their_business_applications_only(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    business = await make_business(app)
    mine = await make_application(app, business)
    draft = await make_application(app, business, status="draft", stage=None, sequence=0)
    budi_business = await make_business(app, owner_sub=BUDI, kelurahan_code=CIBABAT)
    theirs = await make_application(app, budi_business)
    ani, budi = tokens.citizen(ANI), tokens.citizen(BUDI)

    assert set(await ids(client, ani)) == {mine.id, draft.id}
    assert await ids(client, budi) == [theirs.id]
    for url in (f"/v1/applications/{mine.id}", f"/v1/applications/{draft.id}"):
        unknown = problem(
            await client.get("/v1/applications/01JUNKNOWN0000000000000000", headers=budi), 404
        )
        assert problem(await client.get(url, headers=budi), 404)["detail"] == unknown["detail"]
    problem(await client.patch(f"/v1/applications/{draft.id}", json={}, headers=budi), 404)
    problem(await client.post(f"/v1/applications/{draft.id}/submit", headers=budi), 404)
    assert await ids(client, budi, f"?business_id={business.id}") == []

    co_owner = {"owner_sub": BUDI, "name": "Budi Santoso"}
    added = await client.post(f"/v1/businesses/{business.id}/owners", json=co_owner, headers=ani)
    assert added.status_code == 201, added.text
    assert set(await ids(client, budi)) == {mine.id, draft.id, theirs.id}
    response = await client.get(f"/v1/applications/{mine.id}", headers=budi)
    assert response.status_code == 200
    assert await audit(app) == []  # owners' reads are not logged


async def test_officers_by_area_and_agency(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    business = await make_business(app)
    application = await make_application(app, business)
    draft = await make_application(app, business, status="draft", stage=None, sequence=0)
    url = f"/v1/applications/{application.id}"

    elsewhere = tokens.officer(CIBABAT)
    problem(await client.get(url, headers=elsewhere), 404)
    assert await ids(client, elsewhere) == []
    problem(await client.get(url, headers=tokens.officer(agency="dilandacinta")), 403)
    problem(await client.get("/v1/applications", headers=tokens.officer(agency="epbb")), 403)

    officer = tokens.officer(MELONG_KECAMATAN, sub=VERIFIER)
    problem(await client.get(f"/v1/applications/{draft.id}", headers=officer), 404)
    response = await client.get(url, headers={**officer, "X-Purpose": PURPOSE})
    assert response.status_code == 200, response.text
    assert await ids(client, officer) == [application.id]  # never drafts
    rows = await audit(app)
    assert [(r.action, r.resource, r.business_id, r.actor_sub) for r in rows] == [
        ("read", "application", business.id, VERIFIER),
        ("list", "application", business.id, VERIFIER),
    ]
    assert rows[0].purpose == PURPOSE
    assert rows[0].resource_ref == application.registration_number
    assert await ids(client, tokens.admin()) == [application.id]
    problem(await client.post("/v1/applications", json={}, headers=officer), 403)


async def test_queue_order_colours_filters_and_pages(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    business = await make_business(app)
    week_ago = NOW - timedelta(days=7)
    # TDUP: 3 working days. Due dates relative to Monday 2 March 2026, 09:00 WIB.
    overdue = await make_application(app, business, permit_type="TDUP", submitted_at=week_ago)
    due_soon = await make_application(app, business, working_days=1)  # Tuesday: amber
    later = await make_application(
        app,
        business,
        status="in_verification",
        stage="technical_verification",
        assigned_officer_sub=VERIFIER,
        working_days=10,
    )
    returned = await make_application(
        app,
        business,
        status="returned",
        paused_at=NOW,
        remaining_working_days=4,
        submitted_at=week_ago,
    )
    issued = await make_application(app, business, status="issued", stage=None)
    await make_application(app, business, status="draft", stage=None, sequence=0)
    other_area = await make_business(app, owner_sub=BUDI, kelurahan_code=CIBABAT)
    await make_application(app, other_area)

    officer = tokens.officer(MELONG, sub=VERIFIER)
    response = await client.get("/v1/applications", headers=officer)
    items = response.json()["items"]
    assert [i["id"] for i in items] == [overdue.id, due_soon.id, later.id, returned.id, issued.id]
    assert [i["deadline"]["colour"] for i in items] == ["red", "amber", "green", "paused", "none"]
    assert items[1]["deadline"]["working_days_left"] == 1
    assert items[3]["deadline"]["working_days_left"] == 4
    assert items[0]["history"] == []  # lists leave the history out
    assert response.json()["next_offset"] is None

    assert await ids(client, officer, "?due=overdue") == [overdue.id]
    assert await ids(client, officer, "?due=due_soon") == [due_soon.id]
    assert await ids(client, officer, "?assigned=me") == [later.id]
    assert later.id not in await ids(client, officer, "?assigned=none")
    assert await ids(client, officer, "?status=returned") == [returned.id]
    assert await ids(client, officer, "?stage=technical_verification") == [later.id]
    assert await ids(client, officer, "?permit_type=tdup") == [overdue.id]
    assert problem(await client.get("/v1/applications?due=soon", headers=officer), 422)

    first = (await client.get("/v1/applications?limit=2", headers=officer)).json()
    assert [i["id"] for i in first["items"]] == [overdue.id, due_soon.id]
    assert first["next_offset"] == 2
    rest = (await client.get("/v1/applications?limit=3&offset=2", headers=officer)).json()
    assert [i["id"] for i in rest["items"]] == [later.id, returned.id, issued.id]
    assert rest["next_offset"] is None
    assert CALENDAR.due_at(NOW, 1) == due_soon.due_at


async def test_owner_list_is_newest_first(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    business = await make_business(app)
    older = await make_application(app, business, submitted_at=NOW - timedelta(days=3))
    newer = await make_application(app, business, submitted_at=NOW - timedelta(days=1))
    assert await ids(client, tokens.citizen(ANI)) == [newer.id, older.id]
    async with app.state.runtime.session_factory() as session:
        assert len((await session.execute(select(Application))).all()) == 2
