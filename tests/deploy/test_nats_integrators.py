"""Direct NATS access for integrators: deploy/nats with a real nats-server, and its CLI.

The server runs the repository's nats-server.conf and accounts.conf (copied next to a generated
integrators.conf, with the port, monitoring port and store directory overridden on the command
line). A service user publishes CloudEvents through JetStream the way the services do; each
integrator's user receives exactly the subjects its allowed events give it, and is refused
everything else: other subjects, publishing, and the JetStream API.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import nats
import pytest
from cloudevents.core.formats.json import JSONFormat
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js.errors import Error as JetStreamError
from sqlalchemy import update
from typer.testing import CliRunner
from ulid import ULID

from cimahi_gateway.cli import app, migrate_gateway
from cimahi_gateway.integrations.models import Integrator
from cimahi_gateway.integrations.nats_access import (
    SERVICE_USERS,
    account_config,
    new_password,
    password_variable,
    subject_for,
    subjects_for,
)
from cimahi_shared.db import create_engine, create_session_factory
from cimahi_shared.errors import Conflict, InvalidInput
from cimahi_shared.events.bus import EventBus, ensure_stream
from cimahi_shared.events.envelope import TYPE_PREFIX, CloudEvent, nats_subject
from cimahi_shared.supervisor import nats_server_binary
from cimahi_shared.testing.processes import free_port, stop_process, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "nats"
EXAMPLE = ROOT / "examples" / "nats_subscriber.py"
WAIT = 15.0  # seconds: the most any expected message may take (generous: CI is loaded)


def integrator(client_id: str, allowed: list[str]) -> Integrator:
    """An integrator row (not stored) with ``allowed`` event patterns."""
    now = datetime.now(UTC)
    return Integrator(
        id=str(ULID()),
        name=f"Integrator {client_id}",
        contact_email=f"ops@{client_id}.example",
        client_id=client_id,
        allowed_events=allowed,
        created_at=now,
        updated_at=now,
        revoked_at=None,
    )


BANK = integrator("bank-bjb", ["epbb.payment.*"])
REGISTRY = integrator("bpjs-registry", ["dilandacinta.>", "sipinter.permit.issued"])
# BANK's account with its user allowed to publish: shows what the account alone permits.
PROBE = integrator("probe-only", ["epbb.payment.*"])


def probe_config() -> str:
    """PROBE's account as generated, minus the user's publish deny (never done in production)."""
    config = account_config(PROBE)
    deny = '        publish: { deny: [">"] }\n'
    assert deny in config
    return config.replace(deny, "").replace("allow: [", 'allow: ["_INBOX.>", ')


def service_passwords() -> dict[str, str]:
    """A fresh password for each SERVICES user, under the variable accounts.conf reads."""
    return {f"CIMAHI_NATS_PASSWORD_{u.upper()}": new_password() for u in SERVICE_USERS}


def server_environment(store: Path) -> dict[str, str]:
    """What nats-server.conf reads from the environment: the passwords and the store."""
    return {**service_passwords(), "CIMAHI_NATS_STORE_DIR": str(store)}


@dataclass
class DeployedNats:
    """The running server and the passwords its configuration read from the environment."""

    url: str
    passwords: dict[str, str] = field(default_factory=dict)

    def password_of(self, who: Integrator | str) -> str:
        """The password of an integrator or of a service user."""
        if isinstance(who, Integrator):
            return self.passwords[password_variable(who)]
        return self.passwords[f"CIMAHI_NATS_PASSWORD_{who.upper()}"]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeployedNats]:
    """nats-server on the repository's configuration with BANK's and REGISTRY's accounts."""
    folder = tmp_path_factory.mktemp("deploy-nats")
    for name in ("nats-server.conf", "accounts.conf"):
        shutil.copy(DEPLOY / name, folder / name)
    accounts = account_config(BANK) + account_config(REGISTRY) + probe_config()
    (folder / "integrators.conf").write_text(accounts)
    env = server_environment(folder / "store")
    passwords = {k: v for k, v in env.items() if k.startswith("CIMAHI_NATS_PASSWORD_")}
    passwords |= {password_variable(i): new_password() for i in (BANK, REGISTRY, PROBE)}
    port = free_port()
    proc = subprocess.Popen(
        [
            nats_server_binary(),
            "-c",
            str(folder / "nats-server.conf"),
            "-a",
            "127.0.0.1",
            "-p",
            str(port),
            "-m",
            str(free_port()),
        ],
        env={**os.environ, **env, **passwords},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc=proc)
        yield DeployedNats(f"nats://127.0.0.1:{port}", passwords)
    finally:
        stop_process(proc)


@dataclass
class Listener:
    """An integrator's connection: what it received and what the server told it off for."""

    nc: NatsClient
    received: list[Msg] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def on_message(self, msg: Msg) -> None:
        self.received.append(msg)
        self.arrived.set()

    async def wait_for(self, count: int) -> None:
        """Wait until ``count`` messages arrived (fails after WAIT seconds)."""
        async with asyncio.timeout(WAIT):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()

    async def wait_for_error(self, fragment: str) -> str:
        """The first server error containing ``fragment`` (nats-py lowercases them; fails
        after WAIT seconds)."""
        async with asyncio.timeout(WAIT):
            while True:
                for error in self.errors:
                    if fragment.lower() in error:
                        return error
                await asyncio.sleep(0.02)


async def connect_as(deployed: DeployedNats, who: Integrator) -> Listener:
    """Connect as an integrator's user, recording server errors instead of raising them."""
    errors: list[str] = []

    async def on_error(exc: Exception) -> None:
        errors.append(str(exc))

    nc = await nats.connect(
        deployed.url,
        user=who.client_id,
        password=deployed.password_of(who),
        error_cb=on_error,
        allow_reconnect=False,
    )
    return Listener(nc, errors=errors)


@pytest.fixture
async def bus(deployed: DeployedNats) -> AsyncIterator[EventBus]:
    """The gateway's SERVICES user, connected the way the services connect (EventBus)."""
    password = deployed.password_of("gateway")
    bus = EventBus(deployed.url.replace("//", f"//gateway:{password}@"), name="test-publisher")
    await bus.start()
    async with asyncio.timeout(WAIT):
        await bus.connected.wait()
    for agency in ("epbb", "sipinter", "dilandacinta"):
        await ensure_stream(bus.js, agency)
    yield bus
    await bus.stop()


def event(agency: str, name: str) -> tuple[str, CloudEvent]:
    """A CloudEvent of ``agency`` (type ``<name>.v1``) and the subject it is published on."""
    event_type = f"{TYPE_PREFIX}{agency}.{name}.v1"
    cloud = CloudEvent(source=f"/{agency}", type=event_type, subject="X-1", data={"n": 1})
    return nats_subject(agency, event_type), cloud


async def publish(bus: EventBus, events: list[tuple[str, CloudEvent]]) -> None:
    """Publish through JetStream as the outbox relay does; every event must be stored."""
    batch = [(subject, e.to_json(), e.id) for subject, e in events]
    outcome = await bus.publish_batch(batch, ack_wait=WAIT)
    assert outcome.send_error is None
    assert outcome.results == [None] * len(events)


def mixed() -> list[tuple[str, CloudEvent]]:
    """Fresh events of several agencies and types, in publishing order."""
    return [
        event("epbb", "payment.received"),
        event("sipinter", "permit.issued"),
        event("epbb", "bill.issued"),
        # Platform-internal: never delivered, even to an integrator allowed `dilandacinta.>`.
        event("dilandacinta", "request.lifecycle"),
        event("dilandacinta", "death.recorded"),
        event("epbb", "request.lifecycle"),
        event("sipinter", "permit.revoked"),
        event("epbb", "payment.reversed"),  # last, and allowed to BANK: everything before it is in
    ]


class TestSubjects:
    @pytest.mark.parametrize(
        ("pattern", "subject"),
        [
            ("epbb.payment.*", "cimahi.epbb.payment.*.*"),
            ("epbb.payment.received", "cimahi.epbb.payment.received.*"),
            ("dilandacinta.>", "cimahi.dilandacinta.>"),
            ("*.request.lifecycle", "cimahi.*.request.lifecycle.*"),
            ("sipinter.permit.>", "cimahi.sipinter.permit.>"),
        ],
    )
    def test_a_pattern_becomes_the_subject_of_its_events(self, pattern: str, subject: str) -> None:
        assert subject_for(pattern) == subject

    def test_the_lifecycle_subject_matches_its_pattern(self) -> None:
        published = nats_subject("epbb", "id.go.cimahikota.request.lifecycle.v1")
        assert published == "cimahi.epbb.request.lifecycle.v1"
        assert subject_for("epbb.request.lifecycle") == "cimahi.epbb.request.lifecycle.*"

    @pytest.mark.parametrize("bad", ["epbb", "epbb.>.x", "EPBB.payment.*", "epbb..x"])
    def test_a_malformed_pattern_is_refused(self, bad: str) -> None:
        with pytest.raises(ValueError, match="not an event pattern"):
            subject_for(bad)

    def test_covered_subjects_are_dropped_so_no_event_arrives_twice(self) -> None:
        patterns = ["epbb.payment.*", "epbb.>", "sipinter.permit.issued", "*.permit.issued"]
        assert subjects_for(patterns) == ["cimahi.*.permit.issued.*", "cimahi.epbb.>"]


class TestAccountConfig:
    def test_the_account_imports_and_allows_only_its_subjects_and_never_publishes(self) -> None:
        text = account_config(REGISTRY)
        assert f'"INTEGRATOR_{REGISTRY.id}": {{' in text
        assert 'user: "bpjs-registry"' in text
        assert f"password: ${password_variable(REGISTRY)}" in text
        assert 'publish: { deny: [">"] }' in text
        assert (
            'subscribe: { allow: ["cimahi.dilandacinta.>", "cimahi.sipinter.permit.issued.*"], '
            'deny: ["cimahi.*.request.>"] }' in text
        )
        assert text.count("stream: { account: SERVICES") == 2
        assert "jetstream" not in text
        assert REGISTRY.contact_email not in text

    def test_an_integrator_without_events_gets_no_account(self) -> None:
        with pytest.raises(InvalidInput) as caught:
            account_config(integrator("empty-one", []))
        assert caught.value.errors == [
            {"field": "allowed_events", "message": "must not be empty for NATS access"}
        ]

    def test_a_malformed_allowed_event_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            account_config(integrator("odd-one", ["epbb.payment.*", "no"]))

    def test_a_client_id_that_is_a_service_user_is_refused(self) -> None:
        with pytest.raises(Conflict):
            account_config(integrator("epbb", ["epbb.payment.*"]))


class TestRepositoryConfig:
    def _check(self, conf: Path, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [nats_server_binary(), "-c", str(conf), "-t"],
            env={"PATH": os.environ.get("PATH", ""), **env},
            capture_output=True,
            timeout=30,
        )

    def test_the_shipped_configuration_is_valid(self, tmp_path: Path) -> None:
        result = self._check(DEPLOY / "nats-server.conf", server_environment(tmp_path))
        assert result.returncode == 0, result.stderr.decode()

    def test_the_template_is_a_valid_integrators_conf(self, tmp_path: Path) -> None:
        for name in ("nats-server.conf", "accounts.conf"):
            shutil.copy(DEPLOY / name, tmp_path / name)
        shutil.copy(DEPLOY / "integrator.conf.example", tmp_path / "integrators.conf")
        env = server_environment(tmp_path / "store")
        env["CIMAHI_NATS_PASSWORD_INTEGRATOR_01JABCDEFGHJKMNPQRSTVWXYZ0"] = new_password()
        result = self._check(tmp_path / "nats-server.conf", env)
        assert result.returncode == 0, result.stderr.decode()

    def test_a_missing_password_variable_stops_the_server(self, tmp_path: Path) -> None:
        env = server_environment(tmp_path)
        del env["CIMAHI_NATS_PASSWORD_GATEWAY"]
        result = self._check(DEPLOY / "nats-server.conf", env)
        assert result.returncode != 0
        assert b"CIMAHI_NATS_PASSWORD_GATEWAY" in result.stderr + result.stdout


class TestIntegratorAccess:
    async def test_it_receives_exactly_its_subjects_as_cloudevents(
        self, deployed: DeployedNats, bus: EventBus
    ) -> None:
        bank, registry = await connect_as(deployed, BANK), await connect_as(deployed, REGISTRY)
        try:
            for listener, who in ((bank, BANK), (registry, REGISTRY)):
                for subject in subjects_for(who.allowed_events):
                    await listener.nc.subscribe(subject, cb=listener.on_message)
                await listener.nc.flush()
            events = mixed()
            await publish(bus, events)
            await bank.wait_for(2)
            await registry.wait_for(2)
            await bus.flush()
            await bank.nc.flush()
            await registry.nc.flush()
        finally:
            await bank.nc.close()
            await registry.nc.close()
        assert [m.subject for m in bank.received] == [
            "cimahi.epbb.payment.received.v1",
            "cimahi.epbb.payment.reversed.v1",
        ]
        assert [m.subject for m in registry.received] == [
            "cimahi.sipinter.permit.issued.v1",
            "cimahi.dilandacinta.death.recorded.v1",
        ]
        sent = dict(events)
        for msg in bank.received + registry.received:
            parsed = JSONFormat().read(None, msg.data)
            assert parsed.get_id() == sent[msg.subject].id
            assert parsed.get_type() == sent[msg.subject].type
        assert bank.errors == []
        assert registry.errors == []

    async def test_another_subject_is_a_permissions_violation(
        self, deployed: DeployedNats, bus: EventBus
    ) -> None:
        bank = await connect_as(deployed, BANK)
        try:
            await bank.nc.subscribe("cimahi.sipinter.>", cb=bank.on_message)
            await bank.nc.subscribe("cimahi.>", cb=bank.on_message)
            await bank.nc.flush()
            error = await bank.wait_for_error('Subscription to "cimahi.sipinter.>"')
            await bank.wait_for_error('Subscription to "cimahi.>"')
            await publish(bus, mixed())
            await bus.flush()
            await asyncio.sleep(0.2)
        finally:
            await bank.nc.close()
        assert "permissions violation" in error.lower()
        assert bank.received == []

    async def test_publishing_anything_is_refused(
        self, deployed: DeployedNats, bus: EventBus
    ) -> None:
        bank = await connect_as(deployed, BANK)
        spy = await connect_as(deployed, BANK)
        try:
            await spy.nc.subscribe("cimahi.epbb.payment.*.*", cb=spy.on_message)
            await spy.nc.flush()
            subject, forged = event("epbb", "payment.received")
            await bank.nc.publish(subject, forged.to_json())
            error = await bank.wait_for_error("Permissions Violation for Publish")
            await asyncio.sleep(0.2)
        finally:
            await bank.nc.close()
            await spy.nc.close()
        assert subject in error
        assert spy.received == []

    async def test_the_jetstream_api_is_out_of_reach(self, deployed: DeployedNats) -> None:
        bank = await connect_as(deployed, BANK)
        js = bank.nc.jetstream(timeout=0.5)
        try:
            with pytest.raises((NatsError, JetStreamError, TimeoutError)):
                await js.stream_info("CIMAHI_EPBB")
            with pytest.raises((NatsError, JetStreamError, TimeoutError)):
                await js.add_consumer("CIMAHI_EPBB", durable_name="steal")
            error = await bank.wait_for_error('Publish to "$JS.API.')
        finally:
            await bank.nc.close()
        assert "permissions violation" in error.lower()

    async def test_the_account_has_no_jetstream_even_for_a_user_who_may_publish(
        self, deployed: DeployedNats
    ) -> None:
        probe = await connect_as(deployed, PROBE)
        js = probe.nc.jetstream(timeout=1.0)
        try:
            with pytest.raises(JetStreamError) as caught:
                await js.stream_info("CIMAHI_EPBB")
        finally:
            await probe.nc.close()
        assert "jetstream not enabled" in str(caught.value).lower()
        assert probe.errors == []

    async def test_a_wrong_password_is_refused(self, deployed: DeployedNats) -> None:
        nc = NatsClient()
        try:
            with pytest.raises(NatsError):
                await nc.connect(
                    deployed.url,
                    user=BANK.client_id,
                    password=new_password(),
                    allow_reconnect=False,
                    connect_timeout=2,
                )
        finally:
            await nc.close()  # nats-py leaves the socket of a refused connection open


class TestExampleSubscriber:
    async def test_it_prints_each_event_it_may_see(
        self, deployed: DeployedNats, bus: EventBus
    ) -> None:
        env = {
            **os.environ,
            "CIMAHI_NATS_URL": deployed.url,
            "CIMAHI_NATS_USER": BANK.client_id,
            "CIMAHI_NATS_PASSWORD": deployed.password_of(BANK),
            "CIMAHI_NATS_SUBJECTS": " ".join(subjects_for(BANK.allowed_events)),
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(EXAMPLE),
            "--max",
            "2",
            "--timeout",
            "90",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            assert proc.stdout is not None
            async with asyncio.timeout(45):
                first = await proc.stdout.readline()
            assert first.startswith(b"listening on cimahi.epbb.payment.*.*"), first
            events = mixed()
            await publish(bus, events)
            async with asyncio.timeout(45):
                out, err = await proc.communicate()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        assert proc.returncode == 0, err.decode()
        lines = out.decode().splitlines()
        expected = [(s, e) for s, e in events if s.startswith("cimahi.epbb.payment.")]
        assert lines == [f"{s}  {e.type} subject=X-1 id={e.id}" for s, e in expected]


class TestCli:
    def test_it_prints_the_account_of_a_registered_integrator(
        self, database_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("GATEWAY_DATABASE_URL", database_url)
        migrate_gateway(database_url)
        stored = integrator("kantor-pos", ["epbb.payment.*", "sipinter.>"])
        revoked = integrator("old-bank", ["epbb.>"])
        asyncio.run(_store(database_url, stored, revoked))
        runner = CliRunner()

        result = runner.invoke(app, ["nats-account", "kantor-pos"])
        assert result.exit_code == 0, result.output
        assert result.output == account_config(stored)

        unknown = runner.invoke(app, ["nats-account", "nobody-here"])
        assert unknown.exit_code == 1
        assert "No integrator" in unknown.output

        fresh = runner.invoke(app, ["nats-account", "kantor-pos", "--new-password"])
        assert fresh.exit_code == 0, fresh.output
        variable = password_variable(stored)
        assert fresh.stdout == account_config(stored)
        assert f"{variable}=p" in fresh.stderr
        assert (
            fresh.stderr
            != runner.invoke(app, ["nats-account", "kantor-pos", "--new-password"]).stderr
        )

        gone = runner.invoke(app, ["nats-account", "old-bank"])
        assert gone.exit_code == 1
        assert "revoked" in gone.output


async def _store(database_url: str, *rows: Integrator) -> None:
    """Store integrators; the last one revoked."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            session.add_all(rows)
            await session.flush()
            await session.execute(
                update(Integrator)
                .where(Integrator.id == rows[-1].id)
                .values(revoked_at=datetime.now(UTC))
            )
            await session.commit()
    finally:
        await engine.dispose()
