"""The status projection: idempotent, order-safe, batch-written, one agency never overwrites another."""

from __future__ import annotations

import asyncio
import itertools
import random
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cimahi_gateway.requests.models import TimelineEntry, TrackedRequest
from cimahi_gateway.requests.projection import apply_lifecycle, flush_lifecycle, kecamatan_of
from cimahi_shared.events.consumer import apply_events
from cimahi_shared.events.envelope import CloudEvent
from cimahi_shared.events.lifecycle import UnifiedStatus

Factory = async_sessionmaker[AsyncSession]
MakeEvent = Callable[..., CloudEvent]


def new_tracking_no() -> str:
    return "LKM-" + uuid.uuid4().hex[:12].upper()


async def project(factory: Factory, events: list[CloudEvent]) -> int:
    return await apply_events(factory, consumer="test", events=events, handler=apply_lifecycle)


async def current(factory: Factory, tracking_no: str) -> TrackedRequest | None:
    async with factory() as session:
        return await session.get(TrackedRequest, tracking_no)


async def timeline(factory: Factory, tracking_no: str) -> list[tuple[int, str, str | None]]:
    async with factory() as session:
        rows = await session.scalars(
            select(TimelineEntry)
            .where(TimelineEntry.tracking_no == tracking_no)
            .order_by(TimelineEntry.sequence)
        )
        return [(r.sequence, r.status, r.note) for r in rows]


class TestKecamatanOf:
    @pytest.mark.parametrize(
        ("area", "expected"),
        [
            ("32.77.01.1001", "32.77.01"),
            ("32.77.01", "32.77.01"),
            ("32.77", None),
            ("32.77.010.1001", None),
            ("melong", None),
            (None, None),
        ],
    )
    def test_derives_the_kecamatan_code(self, area: str | None, expected: str | None) -> None:
        assert kecamatan_of(area) == expected


class TestApplyLifecycle:
    async def test_first_event_creates_the_request_and_its_first_step(
        self, session_factory: Factory, make_event: MakeEvent
    ) -> None:
        no = new_tracking_no()
        await project(session_factory, [make_event(no, 1, "submitted", note="diterima")])
        row = await current(session_factory, no)
        assert row is not None
        assert (row.status, row.last_sequence, row.agency, row.owner_sub) == (
            "submitted",
            1,
            "lakami",
            "citizen-a",
        )
        assert row.kecamatan == "32.77.01"
        assert row.submitted_at.tzinfo is not None
        assert await timeline(session_factory, no) == [(1, "submitted", "diterima")]

    async def test_a_late_event_fills_its_slot_but_never_moves_the_status_back(
        self, session_factory: Factory, make_event: MakeEvent
    ) -> None:
        no = new_tracking_no()
        await project(session_factory, [make_event(no, 1, "submitted")])
        await project(session_factory, [make_event(no, 3, "completed")])
        await project(session_factory, [make_event(no, 2, "in_review")])
        row = await current(session_factory, no)
        assert row is not None
        assert (row.status, row.last_sequence, row.agency_status) == ("completed", 3, "completed-3")
        assert [s for s, *_ in await timeline(session_factory, no)] == [1, 2, 3]

    async def test_a_republished_step_with_a_new_event_id_changes_nothing(
        self, session_factory: Factory, make_event: MakeEvent
    ) -> None:
        no = new_tracking_no()
        first = make_event(no, 1, "submitted", note="first")
        await project(session_factory, [first, make_event(no, 2, "in_review")])
        again = make_event(no, 1, "cancelled", note="again")
        assert await project(session_factory, [again, first]) == 1
        row = await current(session_factory, no)
        assert row is not None
        assert row.status == "in_review"
        assert await timeline(session_factory, no) == [
            (1, "submitted", "first"),
            (2, "in_review", None),
        ]

    async def test_several_steps_of_one_request_in_one_batch(
        self, session_factory: Factory, make_event: MakeEvent
    ) -> None:
        no = new_tracking_no()
        batch = [
            make_event(no, s, st_)
            for s, st_ in [(2, "in_review"), (4, "completed"), (1, "submitted"), (3, "in_process")]
        ]
        await project(session_factory, batch)
        row = await current(session_factory, no)
        assert row is not None
        assert (row.status, row.last_sequence) == ("completed", 4)
        assert [s for s, *_ in await timeline(session_factory, no)] == [1, 2, 3, 4]

    async def test_other_event_types_are_ignored(
        self, session_factory: Factory, make_event: MakeEvent
    ) -> None:
        no = new_tracking_no()
        event = make_event(no, 1).model_copy(
            update={"type": "id.go.cimahikota.lakami.letter_request.submitted.v1"}
        )
        assert await project(session_factory, [event]) == 1
        assert await current(session_factory, no) is None

    async def test_a_malformed_lifecycle_event_is_skipped_without_blocking_the_batch(
        self, session_factory: Factory, make_event: MakeEvent
    ) -> None:
        good, bad = new_tracking_no(), new_tracking_no()
        broken = make_event(bad, 1).model_copy(update={"data": {"tracking_no": bad, "sequence": 0}})
        too_long = make_event("X" * 65, 1)
        assert await project(session_factory, [broken, too_long, make_event(good, 1)]) == 3
        assert await current(session_factory, bad) is None
        assert await current(session_factory, good) is not None

    async def test_one_agency_cannot_overwrite_another_agencys_request(
        self, session_factory: Factory, make_event: MakeEvent
    ) -> None:
        no = new_tracking_no()
        await project(session_factory, [make_event(no, 1, "submitted")])
        intruder = make_event(no, 9, "completed", agency="epbb", owner_sub="mallory")
        await project(session_factory, [intruder])
        row = await current(session_factory, no)
        assert row is not None
        assert (row.agency, row.status, row.owner_sub) == ("lakami", "submitted", "citizen-a")
        assert [s for s, *_ in await timeline(session_factory, no)] == [1]

    async def test_submitted_at_is_the_earliest_seen_and_falls_back_to_occurred_at(
        self, session_factory: Factory, make_event: MakeEvent
    ) -> None:
        no, late = new_tracking_no(), new_tracking_no()
        first = make_event(no, 1, submitted_at=None)
        await project(session_factory, [make_event(no, 2, submitted_at=None)])
        await project(session_factory, [first])
        row = await current(session_factory, no)
        assert row is not None
        assert row.submitted_at == first.time
        when = first.time + timedelta(days=1)
        await project(session_factory, [make_event(late, 2, submitted_at=when)])
        await project(
            session_factory, [make_event(late, 1, submitted_at=when - timedelta(hours=1))]
        )
        row = await current(session_factory, late)
        assert row is not None
        assert (row.submitted_at, row.last_sequence) == (when - timedelta(hours=1), 2)

    async def test_a_rolled_back_transaction_leaves_nothing_behind(
        self, session_factory: Factory, make_event: MakeEvent
    ) -> None:
        no = new_tracking_no()
        async with session_factory() as session:
            await session.begin()
            await apply_lifecycle(session, make_event(no, 1))
            await session.rollback()
            await session.begin()
            await apply_lifecycle(session, make_event(new_tracking_no(), 1))
            await session.commit()
        assert await current(session_factory, no) is None

    async def test_flush_makes_the_batch_readable_before_the_commit(
        self, session_factory: Factory, make_event: MakeEvent
    ) -> None:
        no = new_tracking_no()
        async with session_factory() as session, session.begin():
            await apply_lifecycle(session, make_event(no, 1))
            await flush_lifecycle(session)
            assert (await session.get(TrackedRequest, no)) is not None
        assert await current(session_factory, no) is not None

    async def test_big_batches_are_written_in_chunks(
        self, session_factory: Factory, make_event: MakeEvent
    ) -> None:
        numbers = [new_tracking_no() for _ in range(1200)]
        events = [make_event(no, seq) for no in numbers for seq in (1, 2)]
        assert await project(session_factory, events) == 2400
        async with session_factory() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(TimelineEntry)
                .where(TimelineEntry.tracking_no.in_(numbers))
            )
        assert count == 2400

    async def test_one_batch_mixing_new_advanced_stale_and_foreign_events(
        self, session_factory: Factory, make_event: MakeEvent
    ) -> None:
        """Rows the upsert advanced, rows it left alone (a late step, another agency's), new rows."""
        ours, late, theirs, new = (new_tracking_no() for _ in range(4))
        await project(
            session_factory,
            [make_event(ours, 1), make_event(late, 1), make_event(late, 3, "completed")],
        )
        await project(session_factory, [make_event(theirs, 1, agency="epbb", owner_sub="x")])
        batch = [
            make_event(ours, 2, "in_review"),  # advances
            make_event(late, 2, "in_review"),  # late: fills its slot only
            make_event(theirs, 5, "completed"),  # lakami's event for epbb's request: refused
            make_event(new, 1),  # inserts
        ]
        assert await project(session_factory, batch) == 4
        rows = {no: await current(session_factory, no) for no in (ours, late, theirs, new)}
        assert {no: (r.agency, r.last_sequence) for no, r in rows.items() if r} == {
            ours: ("lakami", 2),
            late: ("lakami", 3),
            theirs: ("epbb", 1),
            new: ("lakami", 1),
        }
        assert [s for s, *_ in await timeline(session_factory, late)] == [1, 2, 3]
        assert [s for s, *_ in await timeline(session_factory, ours)] == [1, 2]
        assert [s for s, *_ in await timeline(session_factory, theirs)] == [1]

    async def test_an_older_event_after_a_newer_one_in_the_same_batch(
        self, session_factory: Factory, make_event: MakeEvent
    ) -> None:
        no = new_tracking_no()
        newer, older = make_event(no, 2, "rejected", note="ditolak"), make_event(no, 1)
        assert await project(session_factory, [newer, older, newer]) == 2
        row = await current(session_factory, no)
        assert row is not None
        assert (row.status, row.last_sequence) == ("rejected", 2)
        assert await timeline(session_factory, no) == [
            (1, "submitted", None),
            (2, "rejected", "ditolak"),
        ]

    @pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
    async def test_concurrent_batches_of_the_same_requests_converge(
        self, session_factory: Factory, make_event: MakeEvent
    ) -> None:
        """As the consumer applies two batches at once on PostgreSQL: no deadlock, no step lost,
        the highest sequence wins whichever transaction commits first."""
        numbers = sorted(new_tracking_no() for _ in range(40))
        steps = [make_event(no, seq) for no in numbers for seq in (1, 2, 3, 4)]
        random.Random(5).shuffle(steps)
        batches = [steps[i::4] for i in range(4)]
        await asyncio.gather(*(project(session_factory, b) for b in batches))
        await asyncio.gather(*(project(session_factory, b) for b in reversed(batches)))
        async with session_factory() as session:
            sequences = set(
                (
                    await session.scalars(
                        select(TrackedRequest.last_sequence).where(
                            TrackedRequest.tracking_no.in_(numbers)
                        )
                    )
                ).all()
            )
            entries = await session.scalar(
                select(func.count())
                .select_from(TimelineEntry)
                .where(TimelineEntry.tracking_no.in_(numbers))
            )
        assert sequences == {4}
        assert entries == 160


@st.composite
def deliveries(draw: st.DrawFn) -> dict[str, Any]:
    """A request's events delivered shuffled, some twice (same id) or re-published (new id), in batches."""
    n = draw(st.integers(min_value=1, max_value=8))
    statuses = draw(st.lists(st.sampled_from(list(UnifiedStatus)), min_size=n, max_size=n))
    repeats = draw(st.lists(st.integers(min_value=0, max_value=n - 1), max_size=8))
    order = draw(st.permutations(list(range(n)) + repeats))
    new_ids = draw(st.lists(st.booleans(), min_size=len(order), max_size=len(order)))
    cuts = draw(st.sets(st.integers(min_value=1, max_value=len(order)), max_size=4))
    shifts = draw(st.lists(st.integers(min_value=0, max_value=5), min_size=n, max_size=n))
    return {
        "statuses": statuses,
        "order": order,
        "new_ids": new_ids,
        "cuts": sorted(cuts),
        "shifts": shifts,
    }


class TestOrderSafety:
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(plan=deliveries())
    async def test_any_delivery_order_ends_at_the_highest_sequence_with_a_complete_timeline(
        self, session_factory: Factory, make_event: MakeEvent, plan: dict[str, Any]
    ) -> None:
        no = new_tracking_no()
        statuses: list[UnifiedStatus] = plan["statuses"]
        base = make_event(no, 1).time
        events = [
            make_event(no, i + 1, status, submitted_at=base + timedelta(minutes=plan["shifts"][i]))
            for i, status in enumerate(statuses)
        ]
        delivered = [
            events[i].model_copy(update={"id": uuid.uuid4().hex}) if fresh else events[i]
            for i, fresh in zip(plan["order"], plan["new_ids"], strict=True)
        ]
        bounds = [0, *plan["cuts"], len(delivered)]
        for start, end in itertools.pairwise(bounds):
            await project(session_factory, delivered[start:end])

        row = await current(session_factory, no)
        assert row is not None
        n = len(statuses)
        assert (row.last_sequence, row.status, row.agency_status) == (
            n,
            statuses[-1].value,
            f"{statuses[-1].value}-{n}",
        )
        assert row.submitted_at == base + timedelta(minutes=min(plan["shifts"]))
        assert await timeline(session_factory, no) == [
            (i + 1, status.value, None) for i, status in enumerate(statuses)
        ]
