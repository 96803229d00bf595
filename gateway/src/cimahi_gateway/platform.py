"""The platform as ``make run`` starts it: which agency services exist and where they listen locally.

The gateway never imports a service: it starts them as processes by module name.
"""

from __future__ import annotations

from dataclasses import dataclass


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
)

GATEWAY_PORT = 8000
NATS_PORT = 4322
