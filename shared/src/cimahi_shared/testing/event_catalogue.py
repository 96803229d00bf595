"""Test checks that an agency's events are catalogued and safe to share with integrators.

Used by each service's ``test_event_catalogue.py``: :func:`check_catalogue` looks at the
declared schemas (valid JSON Schema, closed, no field named like personal data unless the spec
says why it is needed); :func:`check_published` looks at what the service really put in its
outbox (a catalogued type, data valid against both the pydantic model and the published JSON
Schema, parsed by the ``cloudevents`` SDK, no NIK-like value, none of the given secrets).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from cloudevents.core.formats.json import JSONFormat
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from cimahi_shared.events.catalogue import LIFECYCLE_SPEC, EventCatalogue
from cimahi_shared.testing.nik_guard import find_niks

PERSONAL_FIELD = re.compile(
    r"nik|(^|_)kk($|_)|name|address|alamat|phone|email|birth|note|reason|finding|description"
    r"|comment|(^|_)sub$"
)
"""Field names that usually hold personal data or free text typed by a person."""


def field_names(schema: Any) -> set[str]:
    """Every property name anywhere in a JSON Schema (nested objects and ``$defs`` included)."""
    names: set[str] = set()
    if isinstance(schema, dict):
        properties = schema.get("properties")
        if isinstance(properties, dict):
            names |= set(properties)
        for value in schema.values():
            names |= field_names(value)
    elif isinstance(schema, list):
        for item in schema:
            names |= field_names(item)
    return names


def check_catalogue(catalogue: EventCatalogue) -> dict[str, Any]:
    """Assert every agency-owned event schema is sound; returns the served document.

    The shared lifecycle event is checked with its own contract (it is the same in every
    catalogue), so only the agency's domain events are looked at here.
    """
    document = catalogue.document()
    for event in document["events"]:
        if event["name"] == LIFECYCLE_SPEC.name:
            continue
        schema = event["schema"]
        Draft202012Validator.check_schema(schema)
        assert schema.get("type") == "object", event["type"]
        assert schema.get("additionalProperties") is False, f"{event['type']} is not closed"
        personal = {name for name in field_names(schema) if PERSONAL_FIELD.search(name)}
        undeclared = personal - set(event["personal_data"])
        assert not undeclared, f"{event['type']}: undeclared personal data {sorted(undeclared)}"
        assert event["summary"], event["type"]
        assert event["subject"], event["type"]
    return document


def check_published(
    catalogue: EventCatalogue, payloads: Iterable[bytes | str], *, secrets: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """Assert each outbox payload is a catalogued, valid, safe CloudEvent; returns them decoded."""
    specs = {spec.type_for(catalogue.agency): spec for spec in catalogue.specs.values()}
    schemas = {event["type"]: event["schema"] for event in catalogue.document()["events"]}
    secrets = [s for s in secrets if s]
    events = []
    for payload in payloads:
        text = payload.decode() if isinstance(payload, bytes) else payload
        event = json.loads(text)
        parsed = JSONFormat().read(None, text.encode())
        assert (parsed.get_type(), parsed.get_id()) == (event["type"], event["id"])
        assert event["type"] in specs, f"uncatalogued event type {event['type']}"
        spec = specs[event["type"]]
        assert event["source"] == catalogue.source
        assert event["dataschema"] == spec.dataschema_for(catalogue.agency)
        spec.payload.model_validate(event["data"])
        Draft202012Validator(schemas[event["type"]]).validate(event["data"])
        assert find_niks(text) == [], f"a NIK-like value in {event['type']}"
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{event['type']} carries personal data: {leaked}"
        events.append(event)
    return events
