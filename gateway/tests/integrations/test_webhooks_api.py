"""The webhooks API: subscriptions, who sees them, secrets, enabling, the delivery log."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from ulid import ULID

from cimahi_gateway.integrations.models import (
    Delivery,
    DeliveryAttempt,
    EndpointSecret,
    EventRecord,
    WebhookEndpoint,
)
from cimahi_gateway.integrations.webhooks import delivery, secrets
from cimahi_shared.db import utcnow
from cimahi_shared.events.envelope import TYPE_PREFIX

API = "/api/v1/webhooks"
UPSTREAMS = {"lakami": "http://127.0.0.1:9", "epbb": "http://127.0.0.1:9"}


@pytest.fixture
async def gw(start_gateway: Any, no_delivery_worker: None) -> Any:
    """The gateway (no delivery worker) with two agencies and loopback targets allowed."""
    return await start_gateway(upstreams=UPSTREAMS, webhook_secret_overlap_seconds=60)


@pytest.fixture
async def city(gw: Any, seed_integrator: Any) -> dict[str, str]:
    """Authorization of an integrator allowed every LAKAMI event and E-PBB payments."""
    return dict(
        await gw.integrator_headers(await seed_integrator(gw, ["lakami.>", "epbb.payment.*"]))
    )


def subscription(**fields: Any) -> dict[str, Any]:
    return {"url": "http://127.0.0.1:9/hook", "event_types": ["lakami.letter.*"], **fields}


async def create(gw: Any, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = await gw.client.post(API, json=subscription(**fields), headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_crud_and_the_secret_shown_once(gw: Any, city: dict[str, str]) -> None:
    created = await create(gw, city, agencies=["lakami"], description="Bank BJB")
    secret = created.pop("secret")
    assert secret.startswith("whsec_")
    assert created["status"] == "active"
    assert created["agencies"] == ["lakami"]
    path = f"{API}/{created['id']}"
    shown = (await gw.client.get(path, headers=city)).json()
    assert "secret" not in shown
    assert shown["id"] == created["id"]
    listed = (await gw.client.get(API, headers=city)).json()["items"]
    assert [e["id"] for e in listed] == [created["id"]]
    assert "secret" not in listed[0]
    async with gw.session() as session:  # stored encrypted, readable only with the PII key
        stored = (await session.scalars(select(EndpointSecret))).one()
        assert secret not in stored.secret_encrypted
        assert secret.removeprefix("whsec_") not in stored.secret_encrypted
        assert gw.runtime.pii.decrypt(stored.secret_encrypted) == secret

    change = {"event_types": ["lakami.>", "epbb.payment.received"], "agencies": None}
    changed = await gw.client.patch(path, json={**change, "description": None}, headers=city)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["event_types"] == change["event_types"]
    assert body["agencies"] is None
    assert body["description"] is None
    assert body["url"] == created["url"]
    refused = await gw.client.patch(path, json={"url": None}, headers=city)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "url"

    assert (await gw.client.delete(path, headers=city)).status_code == 204
    assert (await gw.client.get(path, headers=city)).status_code == 404
    async with gw.session() as session:
        assert await session.scalar(select(func.count()).select_from(EndpointSecret)) == 0


async def test_subscriptions_stay_within_what_the_integrator_may_see(
    gw: Any, city: dict[str, str]
) -> None:
    bad = subscription(event_types=["lakami.letter.*", "Lakami!", "sipinter.permit.*", "epbb.>"])
    response = await gw.client.post(
        API, json={**bad, "agencies": ["epbb", "nope", "lakami"]}, headers=city
    )
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["event_types[1]", "event_types[2]", "agencies[1]"]
    # epbb.> overlaps epbb.payment.* (fan-out then delivers only payments): accepted.
    narrowed = {"url": bad["url"], "event_types": ["*.payment.received"], "agencies": ["epbb"]}
    accepted = await gw.client.post(API, json=narrowed, headers=city)
    assert accepted.status_code == 201
    path = f"{API}/{accepted.json()['id']}"
    widened = {"event_types": ["epbb.payment.*", "sipinter.>"], "agencies": ["nope"]}
    patched = await gw.client.patch(path, json=widened, headers=city)
    assert patched.status_code == 422
    assert [e["field"] for e in patched.json()["errors"]] == ["event_types[1]", "agencies[0]"]
    missing = await gw.client.post(API, json={"url": bad["url"]}, headers=city)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "event_types"
    with_key = await gw.client.post(
        API, json=subscription(), headers={**city, "Idempotency-Key": str(uuid.uuid4())}
    )
    assert with_key.status_code == 422  # its answer holds a secret: never stored for replays


async def test_only_the_owner_sees_an_endpoint(
    gw: Any, city: dict[str, str], seed_integrator: Any
) -> None:
    created = await create(gw, city)
    path = f"{API}/{created['id']}"
    other = await gw.integrator_headers(await seed_integrator(gw, ["lakami.>"]))
    assert (await gw.client.get(API, headers=other)).json()["items"] == []
    for method, suffix in [
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/rotate-secret"),
        ("POST", "/enable"),
        ("POST", "/ping"),
        ("GET", "/deliveries"),
        ("POST", "/deliveries/msg_x/redeliver"),
    ]:
        kwargs: dict[str, Any] = {"json": {}} if method == "PATCH" else {}
        response = await gw.client.request(method, path + suffix, headers=other, **kwargs)
        assert response.status_code == 404, (method, suffix, response.text)
    admin = await gw.admin_headers()  # an admin is not an integrator
    assert (await gw.client.get(API, headers=admin)).status_code == 403
    assert (await gw.client.get(path, headers=admin)).status_code == 403
    assert (await gw.client.get(API)).status_code == 401
    assert (await gw.client.get(path, headers=city)).status_code == 200


async def test_rotation_signs_with_both_secrets_until_the_overlap_ends(
    gw: Any, city: dict[str, str]
) -> None:
    created = await create(gw, city)
    old = created["secret"]
    response = await gw.client.post(f"{API}/{created['id']}/rotate-secret", headers=city)
    assert response.status_code == 200, response.text
    new = response.json()["secret"]
    assert new.startswith("whsec_")
    assert new != old
    now = utcnow()
    async with gw.session() as session:
        pii = gw.runtime.pii
        assert await secrets.signing_secrets(session, created["id"], now=now, pii=pii) == [
            new,
            old,
        ]
        later = now + timedelta(seconds=61)
        assert await secrets.signing_secrets(session, created["id"], now=later, pii=pii) == [new]
    shown = (await gw.client.get(f"{API}/{created['id']}", headers=city)).json()
    assert new not in str(shown)
    assert old not in str(shown)


async def seed_deliveries(gw: Any, endpoint_id: str, statuses: list[str]) -> list[str]:
    """Deliveries of fresh events to an endpoint, oldest first; each has one failed attempt."""
    ids = []
    start = utcnow() - timedelta(minutes=10)
    async with gw.session() as session:
        for i, status in enumerate(statuses):
            at = start + timedelta(seconds=i)
            event_type = f"{TYPE_PREFIX}lakami.letter.submitted.v1"
            event = EventRecord(
                event_id=str(uuid.uuid4()),
                key="lakami.letter.submitted",
                type=event_type,
                agency="lakami",
                event={"type": event_type, "source": "/lakami"},
                occurred_at=at,
                received_at=at,
            )
            session.add(event)
            await session.flush()
            found = Delivery(
                id=f"msg_{ULID()}",
                endpoint_id=endpoint_id,
                event_seq=event.seq,
                status=status,
                attempts=1,
                next_attempt_at=None if status in ("held", "failed") else at,
                last_attempt_at=at,
                last_status_code=500,
                created_at=at,
            )
            session.add(found)
            await session.flush()
            session.add(
                DeliveryAttempt(
                    id=str(ULID()),
                    delivery_id=found.id,
                    attempted_at=at,
                    status_code=500,
                    error=None,
                    duration_ms=12,
                    trigger="schedule",
                )
            )
            ids.append(found.id)
        await session.commit()
    return ids


async def test_enable_releases_held_deliveries(gw: Any, city: dict[str, str]) -> None:
    created = await create(gw, city)
    async with gw.session() as session:
        endpoint = await session.get(WebhookEndpoint, created["id"])
        assert endpoint is not None
        endpoint.status, endpoint.disabled_reason = "disabled", "410 Gone"
        endpoint.disabled_at = endpoint.failing_since = utcnow()
        await session.commit()
    held = await seed_deliveries(gw, created["id"], ["held", "held", "succeeded"])
    path = f"{API}/{created['id']}"
    shown = (await gw.client.get(path, headers=city)).json()
    assert shown["status"] == "disabled"
    assert shown["disabled_reason"] == "410 Gone"
    refused = await gw.client.post(f"{path}/deliveries/{held[0]}/redeliver", headers=city)
    assert refused.status_code == 409  # enable it first
    before = utcnow()
    response = await gw.client.post(f"{path}/enable", headers=city)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "active"
    assert body["failing_since"] is None
    assert body["disabled_reason"] is None
    async with gw.session() as session:
        rows = {d.id: d for d in (await session.scalars(select(Delivery))).all()}
    for delivery_id in held[:2]:
        assert rows[delivery_id].status == "pending"
        due = rows[delivery_id].next_attempt_at
        assert due is not None
        assert due >= before - timedelta(seconds=1)
    assert rows[held[2]].status == "succeeded"


async def test_delivery_log_redelivery_and_ping(
    gw: Any, city: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    created = await create(gw, city)
    path = f"{API}/{created['id']}"
    ids = await seed_deliveries(gw, created["id"], ["failed", "succeeded", "pending"])
    first = await gw.client.get(f"{path}/deliveries", params={"limit": 2}, headers=city)
    assert first.status_code == 200, first.text
    page = first.json()
    assert [d["id"] for d in page["items"]] == [ids[2], ids[1]]  # newest first
    assert page["items"][0]["attempts"][0]["status_code"] == 500
    assert page["items"][0]["attempts"][0]["trigger"] == "schedule"
    assert page["items"][0]["event_type"].endswith("lakami.letter.submitted.v1")
    rest = await gw.client.get(
        f"{path}/deliveries", params={"limit": 2, "cursor": page["next_cursor"]}, headers=city
    )
    assert [d["id"] for d in rest.json()["items"]] == [ids[0]]
    assert rest.json()["next_cursor"] is None
    failed = await gw.client.get(f"{path}/deliveries", params={"status": "failed"}, headers=city)
    assert [d["id"] for d in failed.json()["items"]] == [ids[0]]
    bad = await gw.client.get(f"{path}/deliveries", params={"cursor": "x"}, headers=city)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "cursor"

    response = await gw.client.post(f"{path}/deliveries/{ids[0]}/redeliver", headers=city)
    assert response.status_code == 202, response.text
    async with gw.session() as session:
        again = await session.get(Delivery, ids[0])
        assert again is not None
        assert again.status == "pending"
        assert again.next_attempt_at is not None
    missing = await gw.client.post(f"{path}/deliveries/msg_{ULID()}/redeliver", headers=city)
    assert missing.status_code == 404

    pinged: list[str] = []

    async def fake_ping(runtime: Any, endpoint: WebhookEndpoint) -> delivery.PingResult:
        pinged.append(endpoint.id)
        return delivery.PingResult(status_code=204, duration_ms=7, ok=True, error=None)

    monkeypatch.setattr(delivery, "send_ping", fake_ping)
    ping = await gw.client.post(f"{path}/ping", headers=city)
    assert ping.status_code == 200, ping.text
    assert ping.json() == {"status_code": 204, "duration_ms": 7, "ok": True, "error": None}
    assert pinged == [created["id"]]
