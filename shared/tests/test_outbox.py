"""The transactional outbox and its relay, with a real nats-server, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import Executable, any_, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from cimahi_shared.db import create_session_factory
from cimahi_shared.events.bus import EventBus, PublishOutcome, ensure_stream
from cimahi_shared.events.envelope import CloudEvent, nats_subject, stream_name
from cimahi_shared.events.outbox import (
    _IDS,
    _INDEX_ONLY_PLANS,
    OutboxRelay,
    enqueue,
    pending_count,
)
from cimahi_shared.events.tables import outbox
from cimahi_shared.testing.processes import NatsServer


def new_agency() -> str:
    return "t" + secrets.token_hex(4)


def letter_event(agency: str, n: int) -> CloudEvent:
    return CloudEvent(
        source=f"/{agency}",
        type=f"id.go.cimahikota.{agency}.letter.submitted.v1",
        subject=f"T-{n}",
        data={"n": n},
    )


@contextlib.asynccontextmanager
async def connected_bus(url: str) -> AsyncIterator[EventBus]:
    bus = EventBus(url, name="test-" + secrets.token_hex(3))
    await bus.start()
    try:
        await asyncio.wait_for(bus.connected.wait(), 10)
        yield bus
    finally:
        await bus.stop()


async def enqueue_events(
    factory: async_sessionmaker[AsyncSession], agency: str, ns: range
) -> list[str]:
    ids = []
    async with factory() as session, session.begin():
        for n in ns:
            event = letter_event(agency, n)
            await enqueue(session, event, subject=nats_subject(agency, event.type))
            ids.append(event.id)
    return ids


async def stream_msg_ids(js: JetStreamContext, agency: str) -> list[str]:
    """The Nats-Msg-Id of every message in the agency's stream, in stream order."""
    try:
        info = await js.stream_info(stream_name(agency))
    except NotFoundError:
        return []
    if info.state.messages == 0:
        return []
    ids = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg(stream_name(agency), seq)
        assert msg.headers is not None
        event = CloudEvent.from_json(msg.data or b"")
        assert msg.headers["Nats-Msg-Id"] == event.id
        ids.append(msg.headers["Nats-Msg-Id"])
    return ids


async def wait_until_relayed(factory: async_sessionmaker[AsyncSession], seconds: float) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        async with factory() as session:
            if await pending_count(session) == 0:
                return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the outbox was not drained in time")
        await asyncio.sleep(0.1)


def make_relay(
    factory: async_sessionmaker[AsyncSession], bus: EventBus, agency: str, **kwargs: float
) -> OutboxRelay:
    async def streams() -> None:
        await ensure_stream(bus.js, agency)

    return OutboxRelay(
        service="test", session_factory=factory, bus=bus, ensure_streams=streams, **kwargs
    )


class TestOutboxRelay:
    async def test_committed_events_are_published_with_their_id_as_msg_id(
        self, engine: AsyncEngine, nats_server: NatsServer
    ) -> None:
        factory = create_session_factory(engine)
        agency = new_agency()
        ids = await enqueue_events(factory, agency, range(5))
        async with connected_bus(nats_server.url) as bus:
            await ensure_stream(bus.js, agency)
            relay = make_relay(factory, bus, agency)
            assert await relay.relay_once() == 5
            assert await relay.relay_once() == 0
            assert await stream_msg_ids(bus.js, agency) == ids
        async with factory() as session:
            assert await pending_count(session) == 0

    async def test_a_rolled_back_transaction_publishes_nothing(
        self, engine: AsyncEngine, nats_server: NatsServer
    ) -> None:
        factory = create_session_factory(engine)
        agency = new_agency()

        async def failing_request() -> None:
            async with factory() as session, session.begin():
                event = letter_event(agency, 1)
                await enqueue(session, event, subject=nats_subject(agency, event.type))
                raise RuntimeError("the state change failed")

        with pytest.raises(RuntimeError):
            await failing_request()
        async with connected_bus(nats_server.url) as bus:
            await ensure_stream(bus.js, agency)
            assert await make_relay(factory, bus, agency).relay_once() == 0
            assert await stream_msg_ids(bus.js, agency) == []

    async def test_the_background_relay_publishes_after_a_wake(
        self, engine: AsyncEngine, nats_server: NatsServer
    ) -> None:
        factory = create_session_factory(engine)
        agency = new_agency()
        async with connected_bus(nats_server.url) as bus:
            relay = make_relay(factory, bus, agency, poll_interval=30.0)
            await relay.start()
            try:
                await asyncio.sleep(0.2)  # the relay made its first (empty) pass and now waits
                ids = await enqueue_events(factory, agency, range(3))
                relay.wake()
                await wait_until_relayed(factory, 5)
                assert await stream_msg_ids(bus.js, agency) == ids
            finally:
                await relay.stop()

    async def test_relay_once_refuses_when_nats_is_not_connected(self, engine: AsyncEngine) -> None:
        bus = EventBus("nats://127.0.0.1:1", name="never")
        relay = OutboxRelay(service="test", session_factory=create_session_factory(engine), bus=bus)
        with pytest.raises(ConnectionError):
            await relay.relay_once()

    async def test_a_nats_crash_and_restart_loses_nothing_and_duplicates_nothing(
        self, engine: AsyncEngine, tmp_path: Path
    ) -> None:
        server = NatsServer(tmp_path / "nats").start()
        factory = create_session_factory(engine)
        agency = new_agency()
        all_ids: list[str] = []
        try:
            async with connected_bus(server.url) as bus:
                relay = make_relay(factory, bus, agency, poll_interval=0.05, publish_timeout=1.0)
                await relay.start()
                try:
                    for batch in range(6):
                        all_ids += await enqueue_events(
                            factory, agency, range(batch * 20, batch * 20 + 20)
                        )
                        relay.wake()
                        if batch == 2:
                            await asyncio.sleep(0.05)
                            server.kill()  # SIGKILL while events are being relayed
                        await asyncio.sleep(0.1)
                    async with factory() as session:
                        assert await pending_count(session) > 0, "events wait while NATS is down"
                    server.start()  # same port, same store
                    await wait_until_relayed(factory, 30)
                finally:
                    await relay.stop()
                ids = await stream_msg_ids(bus.js, agency)
            assert len(ids) == len(set(ids)) == len(all_ids) == 120
            assert set(ids) == set(all_ids)
        finally:
            server.stop()

    @pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
    async def test_two_relays_on_postgresql_never_publish_an_event_twice(
        self, engine: AsyncEngine, nats_server: NatsServer
    ) -> None:
        factory = create_session_factory(engine)
        agency = new_agency()
        ids: list[str] = []
        for chunk in range(10):
            ids += await enqueue_events(factory, agency, range(chunk * 50, chunk * 50 + 50))
        async with connected_bus(nats_server.url) as bus_a, connected_bus(nats_server.url) as bus_b:
            await ensure_stream(bus_a.js, agency)
            relays = [
                make_relay(factory, bus_a, agency, batch_size=20),
                make_relay(factory, bus_b, agency, batch_size=20),
            ]
            published = [0, 0]

            async def drain(i: int) -> None:
                while True:
                    sent = await relays[i].relay_once()
                    published[i] += sent
                    if sent == 0:
                        async with factory() as session:
                            if await pending_count(session) == 0:
                                return

            await asyncio.gather(drain(0), drain(1))
            stream_ids = await stream_msg_ids(bus_a.js, agency)
        assert sum(published) == len(ids) == 500, published
        assert all(published), "both relays took part"
        assert len(stream_ids) == len(set(stream_ids)) == 500


class FlakyBus(EventBus):
    """A bus whose JetStream answers are scripted: each batch gets the given per-message results.

    ``None`` confirms a message, a string refuses it; a result list shorter than the batch means
    the connection failed there (the later messages were never sent).
    """

    def __init__(self, script: list[list[str | None]]) -> None:
        super().__init__("nats://127.0.0.1:1", name="flaky")
        self.script = script
        self.sent: list[list[str]] = []

    @property
    def is_connected(self) -> bool:
        return True

    async def publish_batch(
        self, messages: Sequence[tuple[str, bytes, str]], *, ack_wait: float
    ) -> PublishOutcome:
        results = self.script.pop(0)
        self.sent.append([msg_id for _, _, msg_id in messages[: len(results)]])
        error = None if len(results) == len(messages) else "ConnectionClosedError: closed"
        return PublishOutcome(results=list(results), send_error=error)


async def outbox_rows(factory: async_sessionmaker[AsyncSession]) -> dict[str, tuple[bool, int]]:
    """Each row's (published?, attempts)."""
    async with factory() as session:
        rows = await session.execute(select(outbox.c.id, outbox.c.published_at, outbox.c.attempts))
        return {row.id: (row.published_at is not None, row.attempts) for row in rows}


class TestRelayBatches:
    async def test_only_confirmed_rows_are_marked_when_nats_fails_mid_batch(
        self, engine: AsyncEngine
    ) -> None:
        factory = create_session_factory(engine)
        ids = await enqueue_events(factory, new_agency(), range(6))
        # 0 and 1 confirmed, 2 refused by JetStream, 3 sent but never confirmed, then the
        # connection failed: 4 and 5 were not sent at all.
        bus = FlakyBus([[None, None, "stream full", "no PubAck in time"], [None] * 4])
        relay = OutboxRelay(service="test", session_factory=factory, bus=bus, batch_size=10)
        with pytest.raises(ConnectionError, match="4 of 6 events not acknowledged"):
            await relay.relay_once()
        assert bus.sent == [ids[:4]]
        assert await outbox_rows(factory) == {
            ids[0]: (True, 0),
            ids[1]: (True, 0),
            ids[2]: (False, 1),
            ids[3]: (False, 1),
            ids[4]: (False, 0),
            ids[5]: (False, 0),
        }
        # The next pass sends the rest again, in outbox order.
        assert await relay.relay_once() == 4
        assert bus.sent[1] == ids[2:]
        assert all(published for published, _ in (await outbox_rows(factory)).values())

    async def test_an_event_on_a_subject_without_stream_stays_pending(
        self, engine: AsyncEngine, nats_server: NatsServer
    ) -> None:
        factory = create_session_factory(engine)
        agency = new_agency()
        ids = await enqueue_events(factory, agency, range(2))
        async with connected_bus(nats_server.url) as bus:
            relay = OutboxRelay(service="test", session_factory=factory, bus=bus)
            with pytest.raises(ConnectionError, match="no stream"):
                await relay.relay_once()  # no stream for this agency yet: 503 no responders
            assert await outbox_rows(factory) == dict.fromkeys(ids, (False, 1))
            await ensure_stream(bus.js, agency)
            assert await relay.relay_once() == 2
            assert await stream_msg_ids(bus.js, agency) == ids


class TestPublishBatch:
    async def test_confirms_each_message_and_reports_duplicates_as_stored(
        self, nats_server: NatsServer
    ) -> None:
        agency = new_agency()
        async with connected_bus(nats_server.url) as bus:
            await ensure_stream(bus.js, agency)
            subject = f"cimahi.{agency}.x.v1"
            batch = [(subject, b"{}", f"id-{i}") for i in range(50)]
            first = await bus.publish_batch(batch, ack_wait=5)
            again = await bus.publish_batch(batch[:10], ack_wait=5)
            info = await bus.js.stream_info(stream_name(agency))
        assert first == PublishOutcome(results=[None] * 50)
        assert again == PublishOutcome(results=[None] * 10)
        assert info.state.messages == 50

    async def test_a_missing_puback_is_reported_after_the_wait(
        self, nats_server: NatsServer
    ) -> None:
        async with connected_bus(nats_server.url) as bus:
            # A plain subscriber takes the message and never answers (no JetStream stream).
            silent = await bus.nc.subscribe("silent.subject")
            outcome = await bus.publish_batch([("silent.subject", b"x", "m-1")], ack_wait=0.2)
            await silent.unsubscribe()
        assert outcome.results == ["no PubAck in time"]
        assert outcome.send_error is None


async def explain(conn: AsyncConnection, stmt: Executable, params: dict[str, Any]) -> str:
    """PostgreSQL's plan for a statement, its parameters bound as the relay binds them."""
    compiled = stmt.compile(dialect=conn.dialect)
    bound = compiled.construct_params(params)
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    rows = await raw.fetch(
        "EXPLAIN " + str(compiled), *(bound[name] for name in compiled.positiontup or ())
    )
    return "\n".join(row[0] for row in rows)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_relay_plans_use_the_indexes_without_statistics(engine: AsyncEngine) -> None:
    """The relay's statements read the pending index in order and mark through the primary key,
    also on a table PostgreSQL never analyzed (else a backlog drains in quadratic time)."""
    relay = OutboxRelay(service="t", session_factory=create_session_factory(engine), bus=None)  # type: ignore[arg-type]
    async with engine.begin() as conn:
        await conn.execute(text("ALTER TABLE outbox SET (autovacuum_enabled = off)"))
        await conn.execute(
            text(
                "INSERT INTO outbox (id, subject, payload, created_at, published_at, attempts)"
                " SELECT 'E' || lpad(i::text, 12, '0'), 's', '\\x00', now() + i * interval '1 ms',"
                " CASE WHEN i <= 20000 THEN now() END, 0 FROM generate_series(1, 40000) i"
            )
        )
        stats = text("SELECT count(*) FROM pg_stats WHERE tablename = 'outbox'")
        assert (await conn.execute(stats)).scalar_one() == 0
        await conn.execute(_INDEX_ONLY_PLANS)
        pending = await explain(conn, relay._pending_query().with_for_update(skip_locked=True), {})
        mark = await explain(
            conn,
            update(outbox).values(published_at=func.now()).where(outbox.c.id == any_(_IDS)),
            {"ids": [f"E{i:012d}" for i in range(20001, 21001)]},
        )
    assert "Index Scan using ix_outbox_pending" in pending, pending
    assert "Sort" not in pending, pending
    assert "pk_outbox" in mark, mark
    assert "Seq Scan" not in mark, mark
