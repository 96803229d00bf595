"""The gateway's AsyncAPI document and merged event catalogue, from agencies' served catalogues.

The agencies here are small FastAPI apps serving catalogues built in the test (the real
services' catalogues are compared in ``tests/asyncapi``); the gateway reaches them over its own
HTTP client, routed in-process. One agency answers 500 and one is unreachable: they are left out
with a note, never a 500, and the document still validates with ``@asyncapi/parser``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, create_model

from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.integrations.asyncapi import (
    CatalogueUnavailable,
    check_catalogue,
    events_markdown,
    fetch_all,
    render_events_doc,
)
from cimahi_gateway.main import create_app
from cimahi_shared.app import Runtime
from cimahi_shared.events.catalogue import EventCatalogue, EventSpec, catalogue_router
from cimahi_shared.testing import asyncapi as asyncapi_tool


class Kind(StrEnum):
    """An enum that pydantic puts into ``$defs``."""

    RURAL = "rural"
    URBAN = "urban"


# Two different nested models with the same ``$defs`` name (``Bill``), one per agency.
AlphaBill = create_model("Bill", nop=(str, ...), amount=(int, ...))
BetaBill = create_model("Bill", code=(str, ...), due=(date | None, None))


class PaidV1(BaseModel):
    """Alpha's payment event."""

    ntpd: str
    kind: Kind
    bills: list[AlphaBill]  # type: ignore[valid-type]


class OpenedV1(BaseModel):
    """Beta's case event."""

    case_id: str
    bill: BetaBill | None = None  # type: ignore[valid-type]
    kind: Kind


ALPHA = EventCatalogue(
    "alpha", [EventSpec("payment.paid", "A payment was received.", PaidV1, "the NTPD")]
)
BETA = EventCatalogue(
    "beta",
    [
        EventSpec("case.opened", "A case was opened.", OpenedV1, "the case id"),
        EventSpec("case.closed", "A case was closed.", OpenedV1, "the case id", version=2),
    ],
)


def _service(catalogue: EventCatalogue) -> FastAPI:
    app = FastAPI()
    app.include_router(catalogue_router(catalogue))
    return app


@dataclass
class Upstreams:
    """The fake agencies behind the gateway, and how often each catalogue was fetched."""

    calls: dict[str, int]
    down: set[str]

    def transport(self, name: str, app: FastAPI) -> httpx.AsyncBaseTransport:
        inner = httpx.ASGITransport(app=app)

        async def handle(request: httpx.Request) -> httpx.Response:
            self.calls[name] = self.calls.get(name, 0) + 1
            if name in self.down:
                raise httpx.ConnectError("down", request=request)
            return await inner.handle_async_request(request)

        return httpx.MockTransport(handle)


def _broken(request: httpx.Request) -> httpx.Response:
    return httpx.Response(500, json={"title": "oops"})


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


MakeGateway = Callable[..., Any]


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[tuple[MakeGateway, Upstreams]]:
    """``make(agencies, **settings)`` -> an in-process client of a gateway with those upstreams."""
    upstreams = Upstreams(calls={}, down=set())
    routes = {
        "alpha": upstreams.transport("alpha", _service(ALPHA)),
        "beta": upstreams.transport("beta", _service(BETA)),
        "gamma": httpx.MockTransport(_broken),
        "delta": httpx.MockTransport(_refused),
    }
    clients: list[httpx.AsyncClient] = []

    async def make(agencies: list[str], **overrides: Any) -> httpx.AsyncClient:
        settings = GatewaySettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'gw.sqlite3'}",
            nats_enabled=False,
            log_json=False,
            upstreams={a: f"http://{a}.test" for a in agencies},
            **overrides,
        )
        app: Any = create_app(settings)
        runtime: Runtime = app.app.state.runtime
        await runtime.http.aclose()
        runtime.http = httpx.AsyncClient(mounts={f"http://{a}.test": routes[a] for a in agencies})
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        )
        clients.extend([client, runtime.http])
        return client

    yield make, upstreams
    for client in clients:
        await client.aclose()


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


async def test_document_lists_every_event_with_resolvable_schemas(
    gateway: tuple[MakeGateway, Upstreams],
) -> None:
    make, _ = gateway
    client = await make(
        ["alpha", "beta", "gamma", "delta"],
        public_url="https://api.cimahikota.go.id",
        integrator_nats_url="nats://nats.cimahikota.go.id:4222",
    )
    response = await client.get("/api/v1/events/asyncapi.json")  # no token: public
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["asyncapi"] == "3.0.0"
    assert doc["servers"]["nats"] == {
        "host": "nats.cimahikota.go.id:4222",
        "protocol": "nats",
        "description": doc["servers"]["nats"]["description"],
    }
    assert doc["servers"]["gateway"]["host"] == "api.cimahikota.go.id"
    assert doc["servers"]["gateway"]["protocol"] == "https"

    expected = {e["nats_subject"]: e["type"] for c in (ALPHA, BETA) for e in c.document()["events"]}
    addresses = {ch["address"] for ch in doc["channels"].values()}
    assert addresses == set(expected)
    names = {m["name"] for m in doc["components"]["messages"].values()}
    assert names == set(expected.values())
    assert {op["action"] for op in doc["operations"].values()} == {"send"}
    assert len(doc["operations"]) == len(doc["channels"]) == len(expected)

    # Every $ref resolves inside the document; no pydantic $defs are left.
    refs = [v for k, v in _walk(doc) if k == "$ref"]
    assert refs
    for ref in refs:
        _resolve(doc, ref)
    assert all(k != "$defs" for k, _ in _walk(doc))

    # The two different "Bill" models keep apart; the shared enum and lifecycle schema are one.
    schemas = doc["components"]["schemas"]
    bills = [s for s in schemas.values() if s.get("title") == "Bill"]
    assert sorted(sorted(b["properties"]) for b in bills) == [["amount", "nop"], ["code", "due"]]
    assert sum(1 for s in schemas.values() if s.get("title") == "Kind") == 1
    assert sum(1 for s in schemas.values() if s.get("title") == "RequestLifecycleV1") == 1

    # The payload of a message is the CloudEvents envelope around the data schema.
    channel = doc["channels"]["alpha.payment.paid.v1"]
    message = _resolve(doc, next(iter(channel["messages"].values()))["$ref"])
    envelope, specific = message["payload"]["allOf"]
    assert _resolve(doc, envelope["$ref"])["properties"]["specversion"]["const"] == "1.0"
    assert specific["properties"]["type"]["const"] == "id.go.cimahikota.alpha.payment.paid.v1"
    data = _resolve(doc, specific["properties"]["data"]["$ref"])
    assert set(data["required"]) == {"ntpd", "kind", "bills"}

    # The agencies that could not be fetched are named, and why.
    description = doc["info"]["description"]
    assert "`gamma`: answered 500" in description
    assert "`delta`: unreachable" in description
    assert "/api/v1/events/stream" in description

    code, output = asyncapi_tool.validate(doc)
    assert code == 0, output


async def test_the_validator_refuses_a_broken_document(
    gateway: tuple[MakeGateway, Upstreams],
) -> None:
    make, _ = gateway
    doc = (await (await make(["alpha"])).get("/api/v1/events/asyncapi.json")).json()
    channel = next(iter(doc["channels"].values()))
    channel["messages"] = {"m": {"$ref": "#/components/messages/nowhere"}}
    code, output = asyncapi_tool.validate(doc)
    assert code == 1, output
    assert "error" in output


async def test_catalogue_is_the_agencies_documents_merged(
    gateway: tuple[MakeGateway, Upstreams],
) -> None:
    make, _ = gateway
    client = await make(["beta", "alpha", "gamma"])
    response = await client.get("/api/v1/events/catalogue")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "agencies": [ALPHA.document(), BETA.document()],
        "missing": [{"agency": "gamma", "reason": "answered 500"}],
    }


async def test_cached_and_last_good_copy_kept(gateway: tuple[MakeGateway, Upstreams]) -> None:
    make, upstreams = gateway
    client = await make(["alpha", "beta"], openapi_cache_seconds=30.0)
    for path in ("/api/v1/events/asyncapi.json", "/api/v1/events/catalogue") * 2:
        assert (await client.get(path)).status_code == 200
    assert upstreams.calls == {"alpha": 1, "beta": 1}

    client = await make(["alpha", "beta"], openapi_cache_seconds=0.0)
    first = (await client.get("/api/v1/events/catalogue")).json()
    upstreams.down.add("alpha")  # briefly down: its last good catalogue is still served
    again = (await client.get("/api/v1/events/catalogue")).json()
    assert upstreams.calls["alpha"] == 3
    assert again == first
    assert again["missing"] == []


def test_invalid_catalogues_are_refused() -> None:
    good = ALPHA.document()
    assert check_catalogue("alpha", good).agency == "alpha"
    with pytest.raises(CatalogueUnavailable, match="not 'beta'"):
        check_catalogue("beta", good)
    with pytest.raises(CatalogueUnavailable, match="not an event catalogue"):
        check_catalogue("alpha", {"agency": "alpha", "events": "many"})
    broken = ALPHA.document()
    broken["events"][0]["schema"]["properties"]["x"] = {"$ref": "#/$defs/Missing"}
    with pytest.raises(CatalogueUnavailable, match="unresolvable"):
        check_catalogue("alpha", broken)
    outside = ALPHA.document()
    outside["events"][0]["nats_subject"] = "cimahi.beta.payment.paid.v1"
    with pytest.raises(CatalogueUnavailable, match="outside"):
        check_catalogue("alpha", outside)


async def test_events_markdown_tables() -> None:
    async with httpx.AsyncClient(
        mounts={
            "http://alpha.test": httpx.ASGITransport(app=_service(ALPHA)),
            "http://gamma.test": httpx.MockTransport(_broken),
        }
    ) as http:
        merged = await fetch_all(http, {"alpha": "http://alpha.test", "gamma": "http://gamma.test"})
    text = events_markdown(merged)
    assert "### `alpha` (stream `CIMAHI_ALPHA`, subjects `cimahi.alpha.>`)" in text
    assert (
        "| `alpha.payment.paid` | `id.go.cimahikota.alpha.payment.paid.v1` "
        "| `cimahi.alpha.payment.paid.v1` | A payment was received. |"
    ) in text
    assert "| `bills` | array of Bill | yes |  |" in text
    assert "| `bills[].amount` | integer | yes |  |" in text
    assert "| `kind` | one of `rural`, `urban` | yes |  |" in text
    assert "personal data: opaque account id" in text  # the lifecycle's owner_sub
    assert "**Missing**: `gamma` (answered 500)." in text

    page = "# Events\n\nHand-written part.\n"
    once = render_events_doc(page, merged)
    assert once.startswith(page)
    assert once.endswith(text)
    assert render_events_doc(once, merged) == once  # regenerating replaces, never appends
