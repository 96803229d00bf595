"""The ``cimahi`` command: migrations, demo data, officers, admins and machine clients."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from cimahi_gateway.cli import app, migrate_gateway, print_banner
from cimahi_gateway.identity import service as identity
from cimahi_gateway.platform import SERVICES, PlatformPlan
from cimahi_shared.db import create_engine


@pytest.fixture
def gateway_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.sqlite3'}"
    monkeypatch.setenv("GATEWAY_DATABASE_URL", url)
    migrate_gateway(url)
    return url


def _scalar(url: str, sql: str) -> object:
    async def run() -> object:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return (await conn.execute(text(sql))).scalar_one()
        finally:
            await engine.dispose()

    return asyncio.run(run())


class TestUserCommands:
    def test_create_officer_carries_agency_and_area(self, gateway_db: str) -> None:
        result = CliRunner().invoke(
            app,
            [
                "user",
                "create-officer",
                "--username",
                "petugas.baros",
                "--full-name",
                "Asep Sunandar",
                "--agency",
                "lakami",
                "--area",
                "32.77.02.1001",
                "--password",
                "Sandi-Petugas-2026",
            ],
        )
        assert result.exit_code == 0, result.output
        assert "officer created" in result.output
        area = _scalar(
            gateway_db, "SELECT area FROM identity_users WHERE username = 'petugas.baros'"
        )
        assert area == "32.77.02.1001"

    def test_create_a_city_wide_head_of_an_agency(self, gateway_db: str) -> None:
        result = CliRunner().invoke(
            app,
            [
                "user",
                "create-officer",
                "--username",
                "kadis.contoh",
                "--full-name",
                "Kepala Dinas",
                "--agency",
                "dilandacinta",
                "--area",
                "32.77",
                "--position",
                "head",
                "--password",
                "Sandi-Petugas-2026",
            ],
        )
        assert result.exit_code == 0, result.output
        row = _scalar(
            gateway_db,
            "SELECT area || ' ' || position FROM identity_users WHERE username = 'kadis.contoh'",
        )
        assert row == "32.77 head"

    def test_create_officer_refuses_an_unknown_area(self, gateway_db: str) -> None:
        result = CliRunner().invoke(
            app,
            [
                "user",
                "create-officer",
                "--username",
                "petugas.x",
                "--full-name",
                "X",
                "--agency",
                "lakami",
                "--area",
                "32.77.09.9999",
                "--password",
                "Sandi-Petugas-2026",
            ],
        )
        assert result.exit_code != 0
        assert _scalar(gateway_db, "SELECT count(*) FROM identity_users") == 0

    def test_create_admin(self, gateway_db: str) -> None:
        result = CliRunner().invoke(
            app,
            [
                "user",
                "create-admin",
                "--username",
                "root.kota",
                "--full-name",
                "Admin Kota",
                "--password",
                "Sandi-Admin-2026",
            ],
        )
        assert result.exit_code == 0, result.output
        assert (
            _scalar(gateway_db, "SELECT role FROM identity_users WHERE username = 'root.kota'")
            == "admin"
        )


class TestClientCommand:
    def test_secret_is_shown_once_and_only_its_hash_stored(self, gateway_db: str) -> None:
        result = CliRunner().invoke(
            app,
            [
                "client",
                "create",
                "--client-id",
                "bank-bjb",
                "--name",
                "Bank BJB",
                "--scope",
                "requests:read",
                "--scope",
                "epbb:pay",
            ],
        )
        assert result.exit_code == 0, result.output
        secret = next(
            line.split()[-1]
            for line in result.output.splitlines()
            if line.startswith("client_secret")
        )
        assert secret.startswith("cimahi_cs_")
        stored = _scalar(
            gateway_db, "SELECT count(*) FROM identity_clients WHERE client_id = 'bank-bjb'"
        )
        assert stored == 1
        dump = str(_scalar(gateway_db, "SELECT group_concat(secret_hash) FROM identity_clients"))
        assert secret not in dump


class _Recorder:
    def __init__(self) -> None:
        self.said: list[str] = []

    def say(self, text: str) -> None:
        self.said.append(text)


class TestBanner:
    def test_banner_shows_epbb_the_bapenda_logins_and_the_channel_credentials(
        self, tmp_path: Path
    ) -> None:
        plan = PlatformPlan(
            var_dir=tmp_path,
            gateway_port=18000,
            nats_port=14222,
            service_ports={s.code: 18100 + n for n, s in enumerate(SERVICES, start=1)},
        )
        recorder = _Recorder()
        print_banner(recorder, plan)  # type: ignore[arg-type]
        banner = "\n".join(recorder.said)
        assert "http://127.0.0.1:18000/api/epbb/" in banner
        assert "E-PBB" in banner
        for login in ("petugas.bapenda", "kaban.bapenda", "Cimahi-Demo-2026"):
            assert login in banner
        for client in identity.DEMO_CLIENTS:
            assert client.client_id in banner
            assert client.secret in banner
        assert "epbb:channel" in banner

    def test_banner_shows_sipinter_the_dpmptsp_logins_and_where_the_levy_secret_is(
        self, tmp_path: Path
    ) -> None:
        plan = PlatformPlan(
            var_dir=tmp_path,
            gateway_port=18000,
            nats_port=14222,
            service_ports={s.code: 18100 + n for n, s in enumerate(SERVICES, start=1)},
        )
        recorder = _Recorder()
        print_banner(recorder, plan)  # type: ignore[arg-type]
        banner = "\n".join(recorder.said)
        assert "http://127.0.0.1:18000/api/sipinter/" in banner
        assert "SIPINTER" in banner
        for login in ("petugas.dpmptsp", "verifikator.dpmptsp", "kepala.dpmptsp"):
            assert login in banner
        assert "docs/sipinter.md" in banner
