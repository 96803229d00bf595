"""Each agency's event catalogue: every event type it publishes, with the schema of its data.

An agency declares its events once (:class:`EventSpec` with a pydantic model of ``data``) and
publishes only what its catalogue holds: :meth:`EventCatalogue.event` validates the payload
against the model (an undeclared type or a payload that breaks its schema is a programming
error, raised before anything is enqueued). The catalogue is served at
``GET /v1/public/events/catalogue`` (:func:`catalogue_router`), from which the gateway builds the
AsyncAPI document for integrators; nothing in it is personal data.

Event keys: ``<agency>.<entity>.<verb>`` (e.g. ``sipinter.permit.issued``) name an event type
without the city's prefix and the version; integrators' permissions are patterns over keys.
The platform's ``request.lifecycle.v1`` is in every agency's catalogue as
``<agency>.request.lifecycle``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_shared.events.envelope import TYPE_PREFIX, CloudEvent, nats_subject
from cimahi_shared.events.lifecycle import LIFECYCLE_SCHEMA_V1, LIFECYCLE_V1, RequestLifecycleV1
from cimahi_shared.events.outbox import enqueue

SCHEMA_BASE = "https://api.cimahikota.go.id/schemas"
CATALOGUE_PATH = "/v1/public/events/catalogue"


def event_key(agency: str, event_type: str) -> str:
    """``<agency>.<entity>.<verb>`` of a CloudEvents type published by ``agency``."""
    short = event_type.removeprefix(TYPE_PREFIX).removeprefix(agency + ".")
    name, _, version = short.rpartition(".")
    if not name or not version.startswith("v"):
        raise ValueError(f"event type {event_type!r} has no version suffix")
    return f"{agency}.{name}"


@dataclass(frozen=True)
class EventSpec:
    """One event type: its name (``entity.verb``), what it means, and the model of its data."""

    name: str  # e.g. "permit.issued"; "request.lifecycle" for the platform's lifecycle event
    summary: str
    payload: type[BaseModel]
    subject: str  # what the CloudEvents ``subject`` is, e.g. "the permit's id (ULID)"
    version: int = 1
    # Why each personal-data field is needed (empty: none). Reviewed when a spec is added.
    personal_data: dict[str, str] = field(default_factory=dict)

    def type_for(self, agency: str) -> str:
        """The CloudEvents type, e.g. ``id.go.cimahikota.sipinter.permit.issued.v1``."""
        if self.name == "request.lifecycle":
            return LIFECYCLE_V1
        return f"{TYPE_PREFIX}{agency}.{self.name}.v{self.version}"

    def dataschema_for(self, agency: str) -> str:
        """The ``dataschema`` URI of the event's data."""
        if self.name == "request.lifecycle":
            return LIFECYCLE_SCHEMA_V1
        slug = self.name.replace(".", "-")
        return f"{SCHEMA_BASE}/{agency}/{slug}/v{self.version}.json"


LIFECYCLE_SPEC = EventSpec(
    name="request.lifecycle",
    summary=(
        "A citizen request changed status. Platform-internal: it feeds the gateway's unified "
        "request status and is never delivered to integrators (webhooks, stream or NATS), "
        "because its note is written for the requester; follow the agencies' domain events."
    ),
    payload=RequestLifecycleV1,
    subject="the request's tracking number",
    personal_data={"owner_sub": "opaque account id of the requester (pseudonymous, not a NIK)"},
)


class EventCatalogue:
    """The event types one agency publishes (always including the lifecycle event)."""

    def __init__(self, agency: str, specs: list[EventSpec]) -> None:
        self.agency = agency
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise ValueError(f"{agency}: an event name is declared twice")
        self.specs: dict[str, EventSpec] = {s.name: s for s in [LIFECYCLE_SPEC, *specs]}

    @property
    def source(self) -> str:
        """The CloudEvents ``source`` of the agency's events."""
        return "/" + self.agency

    def spec(self, name: str) -> EventSpec:
        """The spec of an event name; ``KeyError`` for a name the agency did not declare."""
        return self.specs[name]

    def types(self) -> set[str]:
        """Every CloudEvents type of the catalogue."""
        return {s.type_for(self.agency) for s in self.specs.values()}

    def event(
        self,
        name: str,
        *,
        subject: str,
        data: dict[str, Any] | BaseModel,
        time: datetime,
    ) -> tuple[CloudEvent, str]:
        """The CloudEvent of a declared event (data validated against its model) and its subject
        on NATS. Raises ``KeyError`` (undeclared) or ``pydantic.ValidationError`` (bad data)."""
        spec = self.spec(name)
        model = data if isinstance(data, spec.payload) else spec.payload.model_validate(data)
        event_type = spec.type_for(self.agency)
        cloud = CloudEvent(
            source=self.source,
            type=event_type,
            subject=subject,
            time=time,
            dataschema=spec.dataschema_for(self.agency),
            data=model.model_dump(mode="json"),
        )
        return cloud, nats_subject(self.agency, event_type)

    async def publish(
        self,
        session: AsyncSession,
        name: str,
        *,
        subject: str,
        data: dict[str, Any] | BaseModel,
        time: datetime,
    ) -> None:
        """Validate a declared event and enqueue it in the caller's transaction (the outbox)."""
        cloud, nats = self.event(name, subject=subject, data=data, time=time)
        await enqueue(session, cloud, subject=nats)

    async def publish_lifecycle(self, session: AsyncSession, payload: RequestLifecycleV1) -> None:
        """Enqueue the platform's ``request.lifecycle.v1`` (subject: the tracking number)."""
        await self.publish(
            session,
            LIFECYCLE_SPEC.name,
            subject=payload.tracking_no,
            data=payload,
            time=payload.occurred_at,
        )

    def document(self) -> dict[str, Any]:
        """The catalogue as JSON: every event's type, key, subject, summary and data schema."""
        events = []
        for spec in sorted(self.specs.values(), key=lambda s: s.name):
            event_type = spec.type_for(self.agency)
            events.append(
                {
                    "name": spec.name,
                    "key": event_key(self.agency, event_type),
                    "type": event_type,
                    "version": spec.version,
                    "nats_subject": nats_subject(self.agency, event_type),
                    "summary": spec.summary,
                    "subject": spec.subject,
                    "dataschema": spec.dataschema_for(self.agency),
                    "schema": spec.payload.model_json_schema(mode="serialization"),
                    "personal_data": spec.personal_data,
                }
            )
        return {"agency": self.agency, "source": self.source, "events": events}


def catalogue_router(catalogue: EventCatalogue) -> APIRouter:
    """``GET /v1/public/events/catalogue``: the agency's event types and schemas (public, no data)."""
    router = APIRouter(tags=["events"])
    document = catalogue.document()

    @router.get(CATALOGUE_PATH, summary="Event catalogue", response_model=None)
    async def get_catalogue() -> dict[str, Any]:
        """Every event type this service publishes, with the JSON Schema of its data."""
        return document

    return router
