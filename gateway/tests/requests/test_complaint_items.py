"""Complaints in the unified request list: LAKAMI's complaint lifecycle events, projected.

The events have the shape LAKAMI's ``events/complaints.py`` publishes: ``request_kind``
``complaint.<category>``, the category's name as ``title``, the kelurahan as ``area``, the
current deadline as ``due_at`` and only officers' notes. A complaint may come back from
``completed`` (answered) to ``in_process`` when the citizen reopens it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cimahi_shared.events.envelope import CloudEvent
from cimahi_shared.events.lifecycle import RequestLifecycleV1, UnifiedStatus, lifecycle_event

Auth = Callable[..., dict[str, str]]
MakeEvent = Callable[..., CloudEvent]

MELONG = "32.77.01.1001"
KEC_SELATAN = "32.77.01"
FILED = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
VERIFY_DUE = datetime(2026, 12, 9, 16, 59, 59, tzinfo=UTC)
ANSWER_DUE = datetime(2026, 12, 11, 16, 59, 59, tzinfo=UTC)
REOPEN_DUE = datetime(2026, 12, 25, 16, 59, 59, tzinfo=UTC)
COMPLAINT = "ADU-2612-7QWE72R2"
LETTER = "LKM-2612-00000001"

# (agency status, unified status, officer's note, due_at) of each step, in sequence.
STEPS: list[tuple[str, UnifiedStatus, str | None, datetime]] = [
    ("submitted", UnifiedStatus.SUBMITTED, None, VERIFY_DUE),
    ("verified", UnifiedStatus.IN_REVIEW, "Lengkap", ANSWER_DUE),
    ("answered", UnifiedStatus.COMPLETED, "Sudah diangkut DLH.", ANSWER_DUE),
    ("reopened", UnifiedStatus.IN_PROCESS, None, REOPEN_DUE),
    ("answered", UnifiedStatus.COMPLETED, "Diangkut lagi, TPS dijadwalkan.", REOPEN_DUE),
]


def complaint_event(sequence: int, *, owner_sub: str = "citizen-rina") -> CloudEvent:
    agency_status, status, note, due_at = STEPS[sequence - 1]
    return lifecycle_event(
        source="/lakami",
        payload=RequestLifecycleV1(
            tracking_no=COMPLAINT,
            agency="lakami",
            request_kind="complaint.kebersihan",
            title="Kebersihan dan sampah",
            owner_sub=owner_sub,
            area=MELONG,
            agency_status=agency_status,
            status=status,
            note=note,
            occurred_at=FILED + timedelta(days=sequence - 1),
            sequence=sequence,
            submitted_at=FILED,
            due_at=due_at,
        ),
    )


def found(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestComplaintItems:
    @pytest.mark.parametrize("order", [[1, 2, 3, 4, 5], [1, 4, 2, 5, 3], [5, 4, 3, 2, 1]])
    async def test_a_reopened_and_answered_again_complaint_sits_next_to_letters(
        self, api: Any, auth: Auth, make_event: MakeEvent, order: list[int]
    ) -> None:
        await api.project(
            [
                make_event(LETTER, 1, "submitted", owner_sub="citizen-rina", area=MELONG),
                *[complaint_event(sequence) for sequence in order],
            ]
        )
        owner = auth("citizen", "citizen-rina")
        items = {
            i["tracking_no"]: i
            for i in found(await api.client.get("/api/v1/requests", headers=owner))["items"]
        }
        assert set(items) == {COMPLAINT, LETTER}
        complaint, letter = items[COMPLAINT], items[LETTER]
        # A complaint item carries everything a letter item does.
        assert set(complaint) == set(letter)
        assert complaint["agency"] == "lakami"
        assert complaint["request_kind"] == "complaint.kebersihan"
        assert complaint["title"] == "Kebersihan dan sampah"
        assert complaint["area"] == MELONG
        assert (complaint["status"], complaint["agency_status"]) == ("completed", "answered")
        assert complaint["submitted_at"] == "2026-12-03T03:00:00Z"
        assert complaint["due_at"] == "2026-12-25T16:59:59Z"

        detail = found(await api.client.get(f"/api/v1/requests/{COMPLAINT}", headers=owner))
        assert [(t["status"], t["agency_status"]) for t in detail["timeline"]] == [
            ("submitted", "submitted"),
            ("in_review", "verified"),
            ("completed", "answered"),
            ("in_process", "reopened"),
            ("completed", "answered"),
        ]
        assert detail["timeline"][2]["note"] == "Sudah diangkut DLH."

    async def test_only_the_author_and_the_areas_officers_see_it(
        self, api: Any, auth: Auth
    ) -> None:
        await api.project([complaint_event(1), complaint_event(2)])
        url = f"/api/v1/requests/{COMPLAINT}"
        missing = "/api/v1/requests/ADU-2612-ZZZZZZZZ"
        for caller in (
            auth("citizen", "citizen-other"),
            auth("officer", agency="lakami", area="32.77.03.1002"),
            auth("officer", agency="dukcapil", area=MELONG),
        ):
            hidden = await api.client.get(url, headers=caller)
            absent = await api.client.get(missing, headers=caller)
            assert hidden.status_code == absent.status_code == 404
            assert hidden.json()["detail"] == absent.json()["detail"]
            listed = await api.client.get("/api/v1/requests", headers=caller)
            assert COMPLAINT not in listed.text
        for caller in (
            auth("citizen", "citizen-rina"),
            auth("officer", agency="lakami", area=MELONG),
            auth("officer", agency="lakami", area=KEC_SELATAN),
            auth("admin"),
        ):
            assert found(await api.client.get(url, headers=caller))["status"] == "in_review"
