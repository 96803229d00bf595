"""The gateway's AsyncAPI document against the real agency services' event catalogues.

Every agency service is built in-process (``create_app``, no lifespan: serving the catalogue
needs no database) and the gateway fetches their catalogues over its own HTTP client, routed to
them with ``httpx.ASGITransport`` - the same path as in production, without ports. The services
validate every event against their catalogue before it is enqueued (an undeclared type raises),
so the catalogue is what they publish; the document must list exactly those types, validate with
``@asyncapi/parser``, and ``docs/events.md`` must be what ``cimahi events-doc`` generates.

``CIMAHI_UPDATE_DOCS=1`` makes the docs test rewrite ``docs/events.md`` instead of failing.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.integrations.asyncapi import MergedCatalogue, render_events_doc
from cimahi_gateway.main import create_app
from cimahi_gateway.platform import SERVICES
from cimahi_shared.app import Runtime
from cimahi_shared.events.catalogue import EventCatalogue
from cimahi_shared.events.envelope import TYPE_PREFIX, nats_subject
from cimahi_shared.testing import asyncapi as asyncapi_tool

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def _catalogue(module: str) -> EventCatalogue:
    catalogue: EventCatalogue = importlib.import_module(f"{module}.events.catalogue").CATALOGUE
    return catalogue


def _declared_elsewhere(module: str, agency: str) -> set[str]:
    """Types the service's event modules name outside the catalogue: ``..._V1`` constants and
    ``DOMAIN_EVENTS`` lists (each must be in the catalogue too)."""
    package = importlib.import_module(f"{module}.events")
    found: set[str] = set()
    for info in pkgutil.iter_modules(package.__path__):
        events = vars(importlib.import_module(f"{module}.events.{info.name}"))
        for name, value in events.items():
            if isinstance(value, str) and value.startswith(TYPE_PREFIX) and name.isupper():
                found.add(value)
        for name in events.get("DOMAIN_EVENTS", ()):
            found.add(f"{TYPE_PREFIX}{agency}.{name}.v1")
    return found


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway whose upstreams are the real agency services, in-process."""
    mounts: dict[str, httpx.AsyncBaseTransport] = {}
    for svc in SERVICES:
        service = importlib.import_module(f"{svc.module}.main").create_app()
        mounts[f"http://{svc.code}.test"] = httpx.ASGITransport(app=service)
    settings = GatewaySettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'gw.sqlite3'}",
        nats_enabled=False,
        log_json=False,
        upstreams={svc.code: f"http://{svc.code}.test" for svc in SERVICES},
    )
    app: Any = create_app(settings)
    runtime: Runtime = app.app.state.runtime
    await runtime.http.aclose()
    runtime.http = httpx.AsyncClient(mounts=mounts)
    transport = httpx.ASGITransport(app=app)
    async with runtime.http, httpx.AsyncClient(transport=transport, base_url="http://gw") as c:
        yield c


async def test_asyncapi_lists_exactly_the_published_event_types(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.get("/api/v1/events/asyncapi.json")
    assert response.status_code == 200, response.text
    doc = response.json()
    assert "Incomplete" not in doc["info"]["description"]

    listed: dict[str, set[str]] = {}
    for message in doc["components"]["messages"].values():
        source = message["payload"]["allOf"][1]["properties"]["source"]["const"]
        listed.setdefault(source.strip("/"), set()).add(message["name"])
    addresses = {ch["address"] for ch in doc["channels"].values()}

    expected: dict[str, set[str]] = {}
    for svc in SERVICES:
        catalogue = _catalogue(svc.module)
        assert catalogue.agency == svc.code
        expected[svc.code] = catalogue.types()
        missing = _declared_elsewhere(svc.module, svc.code) - catalogue.types()
        assert not missing, f"{svc.code} names types outside its catalogue: {missing}"
    assert listed == expected
    assert addresses == {
        nats_subject(agency, t) for agency, types in expected.items() for t in types
    }

    code, output = asyncapi_tool.validate(doc)
    assert code == 0, output


async def test_events_doc_is_generated_from_the_catalogues(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/api/v1/events/catalogue")
    assert response.status_code == 200, response.text
    merged = MergedCatalogue.model_validate(response.json())
    assert not merged.missing
    assert [a.agency for a in merged.agencies] == sorted(s.code for s in SERVICES)
    current = DOCS.read_text(encoding="utf-8")
    generated = render_events_doc(current, merged)
    if os.environ.get("CIMAHI_UPDATE_DOCS") and generated != current:
        DOCS.write_text(generated, encoding="utf-8")
        pytest.skip("docs/events.md regenerated")
    assert generated == current, "docs/events.md is stale: run `cimahi events-doc`"
