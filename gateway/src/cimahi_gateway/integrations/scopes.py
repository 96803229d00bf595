"""Which events an integrator may see: patterns over event keys ``<agency>.<entity>.<verb>``.

A pattern is a key, or a key whose last parts are ``*`` (any one part) or ``>`` at the end
(any number of parts, at least one), as NATS subjects are matched:
``epbb.payment.received``, ``sipinter.permit.*``, ``dilandacinta.>``. An integrator's
``allowed_events`` bound everything it receives (webhooks, the stream, NATS); a webhook
endpoint's or a stream request's own patterns can only narrow them.

The platform's ``request.lifecycle`` events are internal: they feed the citizens' unified status
and carry what only the requester should read (officers' notes, the requester's account id), so
no pattern ever matches them for an integrator (``<agency>.>`` included) and the event log does
not keep them. Integrators follow requests through the agencies' domain events.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from cimahi_shared.events.catalogue import event_key

_PART = re.compile(r"^[a-z][a-z0-9_]*$")


def is_pattern(value: str) -> bool:
    """Whether ``value`` is a well-formed pattern (``*`` parts, ``>`` only last)."""
    parts = value.split(".")
    if len(parts) < 2 or len(value) > 160:
        return False
    for i, part in enumerate(parts):
        if part == ">" and i == len(parts) - 1:
            continue
        if part != "*" and not _PART.match(part):
            return False
    return True


def matches(pattern: str, key: str) -> bool:
    """Whether an event key matches one pattern."""
    want, have = pattern.split("."), key.split(".")
    for i, part in enumerate(want):
        if part == ">":
            return len(have) > i
        if i >= len(have) or (part != "*" and part != have[i]):
            return False
    return len(want) == len(have)


INTERNAL_NAMES = frozenset({"request.lifecycle"})
"""Event names (``<entity>.<verb>``) never shown to integrators."""


def is_internal(key: str) -> bool:
    """Whether an event key is platform-internal (never for integrators)."""
    return key.partition(".")[2] in INTERNAL_NAMES


def allowed(patterns: Iterable[str], key: str) -> bool:
    """Whether any of ``patterns`` matches ``key`` (never for an internal key)."""
    return not is_internal(key) and any(matches(p, key) for p in patterns)


def key_of(event: Mapping[str, Any]) -> str:
    """The key of a structured CloudEvent (agency from ``source`` ``/<agency>``)."""
    agency = str(event.get("source", "")).strip("/")
    return event_key(agency, str(event["type"]))
