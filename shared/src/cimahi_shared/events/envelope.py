"""The CloudEvents 1.0 envelope (structured JSON mode) every event of the platform travels in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator
from ulid import ULID

from cimahi_shared.db import utcnow

TYPE_PREFIX = "id.go.cimahikota."


class CloudEvent(BaseModel):
    """A CloudEvent; ``data`` is the event payload as JSON."""

    model_config = ConfigDict(frozen=True)

    specversion: str = "1.0"
    id: str = Field(default_factory=lambda: str(ULID()))
    source: str
    type: str
    subject: str | None = None
    time: datetime = Field(default_factory=utcnow)
    datacontenttype: str = "application/json"
    dataschema: str | None = None
    data: dict[str, Any]

    @field_validator("time")
    @classmethod
    def _aware_time(cls, value: datetime) -> datetime:
        # CloudEvents ``time`` is an RFC 3339 timestamp, which always has an offset; the
        # platform's clocks are UTC, so a naive value is taken as UTC rather than sent offset-less.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value

    @field_validator("subject", "dataschema")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("id", "source", "type")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value:
            raise ValueError("must not be empty")
        return value

    def to_json(self) -> bytes:
        """Serialise in structured mode."""
        return orjson.dumps(self.model_dump(mode="json", exclude_none=True))

    @classmethod
    def from_json(cls, raw: bytes | str) -> CloudEvent:
        """Parse a structured-mode event."""
        return cls.model_validate_json(raw)


def nats_subject(agency: str, event_type: str) -> str:
    """The NATS subject an event is published on: ``cimahi.<agency>.<type without prefix>``."""
    short = event_type.removeprefix(TYPE_PREFIX).removeprefix(agency + ".")
    return f"cimahi.{agency}.{short}"


def stream_name(agency: str) -> str:
    """The JetStream stream that holds an agency's events (subjects ``cimahi.<agency>.>``)."""
    return "CIMAHI_" + agency.upper()
