"""Every CloudEvent we produce is parsed by the official `cloudevents` SDK."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_structured
from cloudevents.core.formats.json import JSONFormat
from pydantic import ValidationError

from cimahi_shared.events.envelope import CloudEvent, nats_subject, stream_name
from cimahi_shared.events.lifecycle import (
    LIFECYCLE_SCHEMA_V1,
    LIFECYCLE_V1,
    RequestLifecycleV1,
    UnifiedStatus,
    lifecycle_event,
)

LETTER_TYPE = "id.go.cimahikota.lakami.letter.submitted.v1"


def parse_with_sdk(raw: bytes):  # type: ignore[no-untyped-def]
    """Parse structured-mode JSON with the SDK, as an HTTP receiver would."""
    message = HTTPMessage(
        headers={"content-type": "application/cloudevents+json; charset=utf-8"}, body=raw
    )
    return from_structured(message, JSONFormat())


def lifecycle_payload(**overrides: object) -> RequestLifecycleV1:
    values: dict[str, object] = {
        "tracking_no": "LKM-2026-000123",
        "agency": "lakami",
        "request_kind": "letter.domisili",
        "title": "Surat domisili",
        "owner_sub": "01JCITIZEN0000000000000000",
        "area": "32.77.01.1001",
        "agency_status": "submitted",
        "status": UnifiedStatus.SUBMITTED,
        "occurred_at": datetime(2026, 3, 1, 8, 30, tzinfo=UTC),
        "sequence": 1,
    }
    values.update(overrides)
    return RequestLifecycleV1.model_validate(values)


class TestCloudEvent:
    def test_a_domain_event_is_parsed_by_the_sdk(self) -> None:
        event = CloudEvent(
            source="/lakami",
            type=LETTER_TYPE,
            subject="LKM-2026-000123",
            data={"tracking_no": "LKM-2026-000123", "kind": "domisili"},
        )
        parsed = parse_with_sdk(event.to_json())
        assert parsed.get_id() == event.id
        assert parsed.get_type() == LETTER_TYPE
        assert parsed.get_source() == "/lakami"
        assert parsed.get_subject() == "LKM-2026-000123"
        assert parsed.get_specversion() == "1.0"
        assert parsed.get_time() == event.time
        assert parsed.get_data() == {"tracking_no": "LKM-2026-000123", "kind": "domisili"}

    def test_the_json_format_reader_parses_it_too(self) -> None:
        event = CloudEvent(source="/lakami", type=LETTER_TYPE, data={})
        parsed = JSONFormat().read(None, event.to_json())
        assert parsed.get_id() == event.id
        assert parsed.get_subject() is None

    def test_a_naive_time_is_taken_as_utc(self) -> None:
        event = CloudEvent(
            source="/lakami", type=LETTER_TYPE, time=datetime(2026, 1, 2, 3, 4, 5), data={}
        )
        assert event.time == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        assert parse_with_sdk(event.to_json()).get_time() == event.time

    def test_a_time_with_an_offset_keeps_it(self) -> None:
        wib = timezone(timedelta(hours=7))
        event = CloudEvent(
            source="/lakami", type=LETTER_TYPE, time=datetime(2026, 1, 2, 10, tzinfo=wib), data={}
        )
        assert parse_with_sdk(event.to_json()).get_time() == datetime(2026, 1, 2, 3, tzinfo=UTC)

    def test_an_empty_subject_is_left_out(self) -> None:
        event = CloudEvent(source="/lakami", type=LETTER_TYPE, subject="", data={})
        assert "subject" not in orjson.loads(event.to_json())
        assert parse_with_sdk(event.to_json()).get_subject() is None

    @pytest.mark.parametrize("field", ["source", "type", "id"])
    def test_an_empty_required_attribute_is_refused(self, field: str) -> None:
        values: dict[str, object] = {"source": "/lakami", "type": LETTER_TYPE, "data": {}}
        values[field] = ""
        with pytest.raises(ValidationError):
            CloudEvent.model_validate(values)

    def test_to_json_and_from_json_round_trip(self) -> None:
        event = CloudEvent(source="/lakami", type=LETTER_TYPE, subject="x", data={"a": [1, 2]})
        assert CloudEvent.from_json(event.to_json()) == event

    def test_an_event_written_by_the_sdk_is_read_by_us(self) -> None:
        from cloudevents.core.v1.event import CloudEvent as SdkEvent

        sdk_event = SdkEvent(
            {"id": "e-1", "source": "/other", "type": LETTER_TYPE, "subject": "s"}, {"k": "v"}
        )
        event = CloudEvent.from_json(JSONFormat().write(sdk_event))
        assert (event.id, event.source, event.subject, event.data) == (
            "e-1",
            "/other",
            "s",
            {"k": "v"},
        )

    def test_ids_are_unique(self) -> None:
        ids = {CloudEvent(source="/s", type=LETTER_TYPE, data={}).id for _ in range(1000)}
        assert len(ids) == 1000


class TestLifecycleEvent:
    def test_it_is_parsed_by_the_sdk_with_the_contract_attributes(self) -> None:
        payload = lifecycle_payload()
        event = lifecycle_event(source="/lakami", payload=payload)
        parsed = parse_with_sdk(event.to_json())
        assert parsed.get_id() == event.id
        assert parsed.get_type() == LIFECYCLE_V1 == "id.go.cimahikota.request.lifecycle.v1"
        assert parsed.get_source() == "/lakami"
        assert parsed.get_subject() == "LKM-2026-000123"
        assert parsed.get_dataschema() == LIFECYCLE_SCHEMA_V1
        assert parsed.get_time() == payload.occurred_at
        data = parsed.get_data()
        assert isinstance(data, dict)
        assert RequestLifecycleV1.model_validate(data) == payload

    def test_a_naive_occurred_at_still_gives_a_valid_event(self) -> None:
        payload = lifecycle_payload(occurred_at=datetime(2026, 3, 1, 8, 30))
        event = lifecycle_event(source="/lakami", payload=payload)
        assert parse_with_sdk(event.to_json()).get_time() == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)

    def test_final_statuses(self) -> None:
        assert {s for s in UnifiedStatus if s.is_final} == {
            UnifiedStatus.COMPLETED,
            UnifiedStatus.REJECTED,
            UnifiedStatus.CANCELLED,
        }


class TestNaming:
    def test_the_subject_of_a_domain_event(self) -> None:
        assert nats_subject("lakami", LETTER_TYPE) == "cimahi.lakami.letter.submitted.v1"

    def test_the_subject_of_a_lifecycle_event(self) -> None:
        assert nats_subject("lakami", LIFECYCLE_V1) == "cimahi.lakami.request.lifecycle.v1"

    def test_the_stream_name(self) -> None:
        assert stream_name("lakami") == "CIMAHI_LAKAMI"
