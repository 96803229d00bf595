"""The transactional outbox and its relay, with a real nats-server, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cimahi_shared.db import create_session_factory
from cimahi_shared.events.bus import EventBus, ensure_stream
from cimahi_shared.events.envelope import CloudEvent, nats_subject, stream_name
from cimahi_shared.events.outbox import OutboxRelay, enqueue, pending_count
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
