"""The platform as ``make run`` starts it: which agency services exist, and how to launch them all.

The gateway never imports a service: it starts them as processes by module name. ``cimahi run``,
the end-to-end tests and the benchmark all launch the platform through :func:`launch`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cimahi_shared.supervisor import ProcessSpec, Supervisor, nats_server_binary


@dataclass(frozen=True)
class AgencyService:
    """An agency service the local runner starts."""

    code: str  # the agency code in URLs and events: /api/<code>/..., cimahi.<code>.>
    module: str  # its Python package (has `python -m <module> migrate|seed` and main:create_app)
    env_prefix: str
    port: int  # preferred local port
    name: str


SERVICES: tuple[AgencyService, ...] = (
    AgencyService(
        "lakami",
        "cimahi_lakami",
        "LAKAMI_",
        8101,
        "LAKAMI - kelurahan/kecamatan letters (Diskominfo)",
    ),
    AgencyService(
        "dilandacinta",
        "cimahi_dilandacinta",
        "DILANDACINTA_",
        8102,
        "DILANDACINTA - population register and documents (Disdukcapil)",
    ),
    AgencyService(
        "epbb",
        "cimahi_epbb",
        "EPBB_",
        8103,
        "E-PBB - property tax objects, bills and payments (Bapenda)",
    ),
    AgencyService(
        "sipinter",
        "cimahi_sipinter",
        "SIPINTER_",
        8104,
        "SIPINTER - business licensing and permits (DPMPTSP)",
    ),
)

# SIPINTER's simulated levy (retribusi) payment channel of local platforms (``make run``, the
# end-to-end tests, the benchmark): the client id of the gateway's demo machine client of Bank BJB
# and a fixed Standard Webhooks secret, so the README's walkthrough can sign a payment callback on
# every machine. DEVELOPMENT ONLY: a deployment sets SIPINTER_LEVY_CHANNELS from its secret store
# (SIPINTER has no default channel). Documented in docs/sipinter.md.
SIPINTER_DEMO_LEVY_CHANNEL = "bank-bjb-demo"
SIPINTER_DEMO_LEVY_SECRET = "whsec_ZGVtby1zaXBpbnRlci1sZXZ5LWJqYi1kZXZlbG9wbWVudC1vbmx5"

GATEWAY_PORT = 8000
NATS_PORT = 4322


@dataclass
class PlatformPlan:
    """Where every process of a local platform listens and keeps its data."""

    var_dir: Path
    gateway_port: int
    nats_port: int
    service_ports: dict[str, int]
    # Member name ("gateway" or an agency code) -> database URL; SQLite files in var_dir by default.
    database_urls: dict[str, str] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)
    # Which ASGI server runs the gateway (argv prefix before the app); uvicorn by default.
    access_log: bool = False

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def nats_url(self) -> str:
        return f"nats://127.0.0.1:{self.nats_port}"

    def service_url(self, code: str) -> str:
        return f"http://127.0.0.1:{self.service_ports[code]}"

    def database_url(self, member: str) -> str:
        return self.database_urls.get(
            member, f"sqlite+aiosqlite:///{self.var_dir / (member + '.sqlite3')}"
        )

    def env(self) -> dict[str, str]:
        """Environment variables that wire the processes together."""
        env: dict[str, str] = {
            "GATEWAY_DATABASE_URL": self.database_url("gateway"),
            "GATEWAY_NATS_URL": self.nats_url,
            "GATEWAY_PUBLIC_URL": self.gateway_url,
            "GATEWAY_TOKEN_ISSUER": self.gateway_url,
            "GATEWAY_UPSTREAMS": json.dumps({s.code: self.service_url(s.code) for s in SERVICES}),
            # Citizen registrations must match DILANDACINTA's population register.
            "GATEWAY_DILANDACINTA_URL": self.service_url("dilandacinta"),
            # A local platform's integrators test webhooks against receivers on this machine.
            "GATEWAY_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
            # Documents carry verification links through the front door, not the service port.
            "DILANDACINTA_PUBLIC_BASE_URL": self.gateway_url + "/api/dilandacinta",
            # Tax receipts' QR codes and verification links, likewise.
            "EPBB_PUBLIC_BASE_URL": self.gateway_url + "/api/epbb",
            # Permits' QR codes and verification links, likewise.
            "SIPINTER_PUBLIC_BASE_URL": self.gateway_url + "/api/sipinter",
            "SIPINTER_UPLOAD_DIR": str(self.var_dir / "sipinter-uploads"),
            "SIPINTER_LEVY_CHANNELS": json.dumps(
                {SIPINTER_DEMO_LEVY_CHANNEL: [SIPINTER_DEMO_LEVY_SECRET]}
            ),
        }
        for svc in SERVICES:
            p = svc.env_prefix
            env[p + "DATABASE_URL"] = self.database_url(svc.code)
            env[p + "NATS_URL"] = self.nats_url
            env[p + "TOKEN_ISSUER"] = self.gateway_url
            env[p + "JWKS_URL"] = self.gateway_url + "/.well-known/jwks.json"
        env.update(self.extra_env)
        return env


def _uvicorn(app: str, port: int, *, access_log: bool) -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    argv += ["--log-level", "warning"] + ([] if access_log else ["--no-access-log"])
    return argv


def launch(sup: Supervisor, plan: PlatformPlan) -> dict[str, str]:
    """Start NATS, migrate and seed every member, start the services and the gateway; wait until ready."""
    env = plan.env()
    py = sys.executable
    nats_argv = [nats_server_binary(), "-a", "127.0.0.1", "-p", str(plan.nats_port), "-js"]
    sup.start(
        ProcessSpec(
            "nats", [*nats_argv, "-sd", str(plan.var_dir / "nats")], ready_port=plan.nats_port
        )
    )
    # Every member has its own database: their migrations and seeds run side by side.
    members = [("gateway", "cimahi_gateway"), *((s.code, s.module) for s in SERVICES)]
    sup.run_chains(
        [
            [ProcessSpec(name, [py, "-m", module, step], env=env) for step in ("migrate", "seed")]
            for name, module in members
        ]
    )
    for svc in SERVICES:
        port = plan.service_ports[svc.code]
        sup.start(
            ProcessSpec(
                svc.code,
                _uvicorn(f"{svc.module}.main:create_app", port, access_log=plan.access_log),
                env={**env, svc.env_prefix + "LOG_JSON": "false"},
                ready_url=f"{plan.service_url(svc.code)}/readyz",
            ),
            wait=False,
        )
    for svc in SERVICES:
        sup.wait_ready(svc.code)
    sup.start(
        ProcessSpec(
            "gateway",
            _uvicorn(
                "cimahi_gateway.main:create_app", plan.gateway_port, access_log=plan.access_log
            ),
            env={**env, "GATEWAY_LOG_JSON": "false"},
            ready_url=f"{plan.gateway_url}/readyz",
        )
    )
    return env
