"""The SSRF guard of webhook URLs: internal addresses in any spelling or behind DNS are refused."""

from __future__ import annotations

from typing import Any

import pytest

from cimahi_gateway.integrations.webhooks import ssrf
from cimahi_shared.errors import InvalidInput

PUBLIC = "93.184.216.34"
DNS = {
    "hooks.example.com": [PUBLIC],
    "internal.example.com": ["10.1.2.3"],
    "mixed.example.com": [PUBLIC, "192.168.0.7"],
    "rebind.example.com": ["::ffff:169.254.169.254"],
    "v6.example.com": ["2606:2800:220:1:248:1893:25c8:1946"],
}

ATTEMPTS = [
    "https://127.0.0.1/hook",
    "https://localhost/hook",
    "https://[::1]/hook",
    "https://0.0.0.0/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.1/hook",
    "https://192.168.1.1/hook",
    "https://172.16.0.1/hook",
    "https://100.64.0.1/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://2130706433/hook",
    "https://0x7f000001/hook",
    "https://0177.0.0.1/hook",
    "https://127.1/hook",
    "https://[fe80::1]/hook",
    "https://[fd00::1]/hook",
    "https://224.0.0.1/hook",
    "https://255.255.255.255/hook",
    "https://192.0.2.10/hook",
    "https://[64:ff9b::7f00:1]/hook",
    "https://internal.example.com/hook",
    "https://mixed.example.com/hook",
    "https://rebind.example.com/hook",
    "https://nowhere.example.com/hook",
    "http://hooks.example.com/hook",
    "https://user:pass@hooks.example.com/hook",
    "ftp://hooks.example.com/hook",
    "https:///hook",
    "https://hooks.example.com:99999/hook",
]


async def fake_resolver(host: str, port: int) -> list[str]:
    """DNS for the tests (no real lookups): ``localhost`` as the system has it, the table, or
    no answer."""
    if host == "localhost":
        return ["127.0.0.1", "::1"]
    if host in DNS:
        return DNS[host]
    raise OSError(f"{host} does not resolve")


@pytest.mark.parametrize("url", ATTEMPTS)
async def test_internal_targets_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        await ssrf.check_url(url, allow_private=False, resolver=fake_resolver)
    assert caught.value.errors is not None
    assert [e["field"] for e in caught.value.errors] == ["url"]


async def test_public_targets_give_the_addresses_to_connect_to() -> None:
    found = await ssrf.resolve_public(
        "https://hooks.example.com/x", allow_private=False, resolver=fake_resolver
    )
    assert found == [PUBLIC]
    found = await ssrf.resolve_public(
        "https://v6.example.com:8443/x", allow_private=False, resolver=fake_resolver
    )
    assert found == DNS["v6.example.com"]
    assert await ssrf.resolve_public("https://8.8.8.8/", allow_private=False) == ["8.8.8.8"]


async def test_private_targets_pass_only_when_allowed() -> None:
    url = "http://127.0.0.1:8080/hook"
    assert await ssrf.resolve_public(url, allow_private=True) == ["127.0.0.1"]
    found = await ssrf.resolve_public(
        "http://localhost/hook", allow_private=True, resolver=fake_resolver
    )
    assert found == ["127.0.0.1", "::1"]
    with pytest.raises(InvalidInput):  # still a URL that resolves, with no credentials
        await ssrf.check_url("http://u:p@127.0.0.1/", allow_private=True)


async def test_the_api_refuses_every_attempt_naming_url(
    start_gateway: Any, seed_integrator: Any, no_delivery_worker: None
) -> None:
    gw = await start_gateway(webhook_allow_private_targets=False)
    gw.runtime.extras[ssrf.RESOLVER_KEY] = fake_resolver
    headers = await gw.integrator_headers(await seed_integrator(gw, ["lakami.>"]))
    for url in ATTEMPTS:
        body = {"url": url, "event_types": ["lakami.>"]}
        response = await gw.client.post("/api/v1/webhooks", json=body, headers=headers)
        assert response.status_code == 422, (url, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == ["url"], url
    ok = {"url": "https://hooks.example.com/h", "event_types": ["lakami.>"]}
    created = await gw.client.post("/api/v1/webhooks", json=ok, headers=headers)
    assert created.status_code == 201, created.text
    path = f"/api/v1/webhooks/{created.json()['id']}"
    moved = await gw.client.patch(path, json={"url": "https://[::1]/h"}, headers=headers)
    assert moved.status_code == 422
    assert moved.json()["errors"][0]["field"] == "url"
    assert (await gw.client.get(path, headers=headers)).json()["url"] == ok["url"]
    listed = await gw.client.get("/api/v1/webhooks", headers=headers)
    assert len(listed.json()["items"]) == 1  # nothing half-made by the refused ones


async def test_the_development_setting_lets_loopback_through(
    start_gateway: Any, seed_integrator: Any, no_delivery_worker: None
) -> None:
    gw = await start_gateway(webhook_allow_private_targets=True)
    headers = await gw.integrator_headers(await seed_integrator(gw, ["lakami.>"]))
    body = {"url": "http://127.0.0.1:9/hook", "event_types": ["lakami.>"]}
    response = await gw.client.post("/api/v1/webhooks", json=body, headers=headers)
    assert response.status_code == 201, response.text
