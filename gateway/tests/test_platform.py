"""The local platform's wiring (``make run``, the end-to-end tests and the benchmark)."""

from __future__ import annotations

import json
from pathlib import Path

from cimahi_gateway.platform import (
    SERVICES,
    SIPINTER_DEMO_LEVY_CHANNEL,
    SIPINTER_DEMO_LEVY_SECRET,
    PlatformPlan,
)


def _plan(tmp_path: Path) -> PlatformPlan:
    return PlatformPlan(
        var_dir=tmp_path,
        gateway_port=18000,
        nats_port=14222,
        service_ports={s.code: 18100 + n for n, s in enumerate(SERVICES, start=1)},
    )


class TestPlatformEnvironment:
    def test_registrations_are_proofed_against_dilandacinta(self, tmp_path: Path) -> None:
        plan = _plan(tmp_path)
        env = plan.env()
        assert env["GATEWAY_DILANDACINTA_URL"] == plan.service_url("dilandacinta")
        assert (
            json.loads(env["GATEWAY_UPSTREAMS"])["dilandacinta"] == env["GATEWAY_DILANDACINTA_URL"]
        )

    def test_dilandacinta_documents_link_through_the_gateway(self, tmp_path: Path) -> None:
        env = _plan(tmp_path).env()
        assert env["DILANDACINTA_PUBLIC_BASE_URL"] == "http://127.0.0.1:18000/api/dilandacinta"

    def test_extra_env_wins(self, tmp_path: Path) -> None:
        plan = _plan(tmp_path)
        plan.extra_env["GATEWAY_DILANDACINTA_URL"] = ""
        assert plan.env()["GATEWAY_DILANDACINTA_URL"] == ""

    def test_epbb_runs_with_the_others_and_links_receipts_through_the_gateway(
        self, tmp_path: Path
    ) -> None:
        plan = _plan(tmp_path)
        env = plan.env()
        assert json.loads(env["GATEWAY_UPSTREAMS"])["epbb"] == plan.service_url("epbb")
        assert env["EPBB_PUBLIC_BASE_URL"] == "http://127.0.0.1:18000/api/epbb"
        assert env["EPBB_DATABASE_URL"].endswith("epbb.sqlite3")
        assert env["EPBB_JWKS_URL"] == "http://127.0.0.1:18000/.well-known/jwks.json"
        assert env["EPBB_TOKEN_ISSUER"] == plan.gateway_url

    def test_sipinter_runs_with_the_others_links_permits_through_the_gateway_and_has_a_demo_channel(
        self, tmp_path: Path
    ) -> None:
        plan = _plan(tmp_path)
        env = plan.env()
        assert json.loads(env["GATEWAY_UPSTREAMS"])["sipinter"] == plan.service_url("sipinter")
        assert env["SIPINTER_PUBLIC_BASE_URL"] == "http://127.0.0.1:18000/api/sipinter"
        assert env["SIPINTER_DATABASE_URL"].endswith("sipinter.sqlite3")
        assert env["SIPINTER_UPLOAD_DIR"] == str(tmp_path / "sipinter-uploads")
        assert env["SIPINTER_JWKS_URL"] == "http://127.0.0.1:18000/.well-known/jwks.json"
        channels = json.loads(env["SIPINTER_LEVY_CHANNELS"])
        assert channels == {SIPINTER_DEMO_LEVY_CHANNEL: [SIPINTER_DEMO_LEVY_SECRET]}
        assert SIPINTER_DEMO_LEVY_SECRET.startswith("whsec_")
