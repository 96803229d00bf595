"""Idempotent consumers: processed ids commit with the effect; a durable consumer on real NATS."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from nats.js.api import AckPolicy, ConsumerConfig
from sqlalchemy import Column, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cimahi_shared.db import create_session_factory, new_metadata, utcnow
from cimahi_shared.events.bus import EventBus, ensure_stream
from cimahi_shared.events.consumer import _CLAIM, DurableConsumer, _Puller, apply_events
from cimahi_shared.events.envelope import CloudEvent, nats_subject, stream_name
from cimahi_shared.events.tables import processed_events
from cimahi_shared.testing.processes import NatsServer

metadata: MetaData = new_metadata()
effects = Table(
    "effects",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("subject", String(100), nullable=False),
)
TYPE = "id.go.cimahikota.{agency}.letter.submitted.v1"


def event(n: int, agency: str = "lakami") -> CloudEvent:
    return CloudEvent(
        source=f"/{agency}", type=TYPE.format(agency=agency), subject=f"T-{n}", data={"n": n}
    )


async def record(session: AsyncSession, ev: CloudEvent) -> None:
    """The side effect: one row per applied event (a second insert would violate the key)."""
    await session.execute(insert(effects).values(event_id=ev.id, subject=ev.subject))


@pytest.fixture
async def factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return create_session_factory(engine)


async def count(factory: async_sessionmaker[AsyncSession], table: Table) -> int:
    async with factory() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


class TestApplyEvents:
    async def test_new_events_are_applied_once_each(
        self, factory: async_sessionmaker[AsyncSession]
    ) -> None:
        events = [event(n) for n in range(3)]
        assert await apply_events(factory, consumer="c", events=events, handler=record) == 3
        assert await count(factory, effects) == 3
        assert await count(factory, processed_events) == 3

    async def test_a_duplicate_in_the_same_batch_is_skipped(
        self, factory: async_sessionmaker[AsyncSession]
    ) -> None:
        ev = event(1)
        assert (
            await apply_events(factory, consumer="c", events=[ev, ev, event(2), ev], handler=record)
            == 2
        )
        assert await count(factory, effects) == 2

    async def test_a_duplicate_in_a_later_batch_is_skipped(
        self, factory: async_sessionmaker[AsyncSession]
    ) -> None:
        ev = event(1)
        await apply_events(factory, consumer="c", events=[ev], handler=record)
        assert await apply_events(factory, consumer="c", events=[ev, event(2)], handler=record) == 1
        assert await apply_events(factory, consumer="c", events=[ev], handler=record) == 0
        assert await count(factory, effects) == 2

    async def test_each_consumer_keeps_its_own_processed_ids(
        self, factory: async_sessionmaker[AsyncSession]
    ) -> None:
        seen: list[str] = []

        async def other(session: AsyncSession, ev: CloudEvent) -> None:
            seen.append(ev.id)

        ev = event(1)
        await apply_events(factory, consumer="a", events=[ev], handler=record)
        assert await apply_events(factory, consumer="b", events=[ev], handler=other) == 1
        assert seen == [ev.id]

    async def test_a_failing_handler_leaves_neither_effect_nor_processed_id(
        self, factory: async_sessionmaker[AsyncSession]
    ) -> None:
        calls = 0

        async def flaky(session: AsyncSession, ev: CloudEvent) -> None:
            nonlocal calls
            calls += 1
            await record(session, ev)
            if ev.data["n"] == 2:
                raise RuntimeError("handler failed")

        events = [event(1), event(2)]
        with pytest.raises(RuntimeError):
            await apply_events(factory, consumer="c", events=events, handler=flaky)
        assert await count(factory, effects) == 0
        assert await count(factory, processed_events) == 0
        # The redelivery is applied in full.
        assert await apply_events(factory, consumer="c", events=events, handler=record) == 2
        assert await count(factory, effects) == 2

    async def test_an_empty_batch_does_nothing(
        self, factory: async_sessionmaker[AsyncSession]
    ) -> None:
        assert await apply_events(factory, consumer="c", events=[], handler=record) == 0


async def wait_for_count(factory: async_sessionmaker[AsyncSession], n: int) -> None:
    deadline = asyncio.get_running_loop().time() + 10
    while await count(factory, effects) < n:
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"only {await count(factory, effects)} of {n} effects")
        await asyncio.sleep(0.05)


class TestDurableConsumer:
    async def test_published_events_are_consumed_into_a_table_exactly_once(
        self, factory: async_sessionmaker[AsyncSession], nats_server: NatsServer
    ) -> None:
        agency = "c" + secrets.token_hex(4)
        bus = EventBus(nats_server.url, name="consumer-test")
        await bus.start()
        await asyncio.wait_for(bus.connected.wait(), 10)

        async def streams() -> None:
            await ensure_stream(bus.js, agency)

        consumer = DurableConsumer(
            name=f"test-{agency}",
            bus=bus,
            stream=stream_name(agency),
            filter_subjects=[f"cimahi.{agency}.>"],
            session_factory=factory,
            handler=record,
            ensure_stream=streams,
            fetch_timeout=0.2,
        )
        try:
            await streams()
            events = [event(n, agency) for n in range(10)]
            for ev in events:
                await bus.js.publish(
                    nats_subject(agency, ev.type), ev.to_json(), headers={"Nats-Msg-Id": ev.id}
                )
            await consumer.start()
            await wait_for_count(factory, 10)
            # A redelivery outside the dedup window (no Nats-Msg-Id) and a malformed message.
            await bus.js.publish(nats_subject(agency, events[0].type), events[0].to_json())
            await bus.js.publish(f"cimahi.{agency}.junk.v1", b"not an event")
            extra = event(99, agency)
            await bus.js.publish(nats_subject(agency, extra.type), extra.to_json())
            await wait_for_count(factory, 11)
            await asyncio.sleep(0.5)
            assert await count(factory, effects) == 11
            async with factory() as session:
                subjects = set((await session.execute(select(effects.c.subject))).scalars())
            assert subjects == {f"T-{n}" for n in [*range(10), 99]}
            info = await bus.js.consumer_info(stream_name(agency), f"test-{agency}")
            assert info.num_ack_pending == 0
        finally:
            await consumer.stop()
            await bus.stop()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
class TestConcurrentBatches:
    async def test_an_event_in_two_concurrent_batches_is_applied_once(
        self, factory: async_sessionmaker[AsyncSession]
    ) -> None:
        shared = [event(n) for n in range(5)]
        first_claimed = asyncio.Event()

        async def slow(session: AsyncSession, ev: CloudEvent) -> None:
            await record(session, ev)
            first_claimed.set()
            await asyncio.sleep(0.05)  # keep the claim open while the other batch arrives

        async def second() -> int:
            await first_claimed.wait()  # its claim now waits for the first transaction
            return await apply_events(
                factory, consumer="c", events=[*reversed(shared), event(9)], handler=record
            )

        applied = await asyncio.gather(
            apply_events(factory, consumer="c", events=shared, handler=slow), second()
        )
        assert applied == [5, 1]
        assert await count(factory, effects) == 6
        assert await count(factory, processed_events) == 6

    async def test_the_duplicate_check_is_a_primary_key_conflict_not_a_scan(
        self, factory: async_sessionmaker[AsyncSession]
    ) -> None:
        """Independent of statistics: the claim never plans a read of processed_events."""
        async with factory() as session, session.begin():
            compiled = _CLAIM.compile(dialect=session.get_bind().dialect)
            bound = compiled.construct_params({"ids": ["a", "b"], "consumer": "c", "now": utcnow()})
            raw = (await (await session.connection()).get_raw_connection()).driver_connection
            assert raw is not None
            rows = await raw.fetch(
                "EXPLAIN " + str(compiled), *(bound[n] for n in compiled.positiontup or ())
            )
        plan = "\n".join(r[0] for r in rows)
        assert "Conflict Arbiter Indexes: pk_processed_events" in plan, plan
        assert "Scan on processed_events" not in plan, plan


class TestPuller:
    async def test_messages_delivered_but_not_taken_are_handed_back_on_stop(
        self, factory: async_sessionmaker[AsyncSession], nats_server: NatsServer
    ) -> None:
        agency = "p" + secrets.token_hex(4)
        bus = EventBus(nats_server.url, name="puller-test")
        await bus.start()
        await asyncio.wait_for(bus.connected.wait(), 10)
        try:
            await ensure_stream(bus.js, agency)
            await bus.js.add_consumer(
                stream_name(agency),
                ConsumerConfig(durable_name="d", ack_policy=AckPolicy.EXPLICIT, ack_wait=60),
            )
            for n in range(10):
                await bus.js.publish(f"cimahi.{agency}.x.v1", str(n).encode())
            puller = _Puller(bus.nc, stream=stream_name(agency), durable="d", batch=4, expires=1)
            await puller.start()
            first = await puller.next_batch()
            assert [m.data for m in first] == [b"0", b"1", b"2", b"3"]
            for msg in first:
                await msg.ack()
            # The next batch was requested when this one was handed out: it arrives, unasked.
            for _ in range(500):
                if len(puller._ready) >= 4:
                    break
                await asyncio.sleep(0.02)
            assert len(puller._ready) == 4
            await puller.stop()

            again = _Puller(bus.nc, stream=stream_name(agency), durable="d", batch=10, expires=1)
            await again.start()
            seen: list[bytes] = []
            deadline = asyncio.get_running_loop().time() + 10
            while len(seen) < 6 and asyncio.get_running_loop().time() < deadline:
                for msg in await again.next_batch():
                    seen.append(msg.data)
                    await msg.ack()
            await again.stop()
            # Handed back with a NAK: redelivered now, not after the 60 s ack wait.
            assert sorted(seen) == [str(n).encode() for n in range(4, 10)]
        finally:
            await bus.stop()

    async def test_a_deleted_consumer_is_created_again_and_nothing_is_applied_twice(
        self, factory: async_sessionmaker[AsyncSession], nats_server: NatsServer
    ) -> None:
        agency = "r" + secrets.token_hex(4)
        bus = EventBus(nats_server.url, name="recreate-test")
        await bus.start()
        await asyncio.wait_for(bus.connected.wait(), 10)

        async def streams() -> None:
            await ensure_stream(bus.js, agency)

        consumer = DurableConsumer(
            name=f"test-{agency}",
            bus=bus,
            stream=stream_name(agency),
            filter_subjects=[f"cimahi.{agency}.>"],
            session_factory=factory,
            handler=record,
            ensure_stream=streams,
            fetch_timeout=0.2,
        )
        try:
            await streams()
            events = [event(n, agency) for n in range(6)]
            for ev in events[:3]:
                await bus.js.publish(nats_subject(agency, ev.type), ev.to_json())
            await consumer.start()
            await wait_for_count(factory, 3)
            await bus.js.delete_consumer(stream_name(agency), f"test-{agency}")
            for ev in events[3:]:
                await bus.js.publish(nats_subject(agency, ev.type), ev.to_json())
            # Re-created from the first message: the first three come again and are skipped.
            await wait_for_count(factory, 6)
            deadline = asyncio.get_running_loop().time() + 10
            info = await bus.js.consumer_info(stream_name(agency), f"test-{agency}")
            while info.num_pending + info.num_ack_pending and (
                asyncio.get_running_loop().time() < deadline
            ):
                await asyncio.sleep(0.05)
                info = await bus.js.consumer_info(stream_name(agency), f"test-{agency}")
            assert (info.num_pending, info.num_ack_pending) == (0, 0)
            assert await count(factory, effects) == 6
        finally:
            await consumer.stop()
            await bus.stop()
