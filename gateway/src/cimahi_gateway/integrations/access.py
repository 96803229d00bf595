"""Who is calling the integrations API: an integrator's machine client, by its token.

An integrator calls with a ``client_credentials`` token of its machine client carrying the
integrator scope (``GATEWAY_INTEGRATOR_SCOPE``); the gateway looks the integrator up by the
token's ``client_id`` on every call, so a revoked integrator is refused at once even while its
last token is still unexpired.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy import select

from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.integrations.models import Integrator
from cimahi_shared.app import RuntimeDep, SessionDep
from cimahi_shared.auth import CurrentPrincipal
from cimahi_shared.errors import Forbidden


async def current_integrator(
    principal: CurrentPrincipal, session: SessionDep, runtime: RuntimeDep
) -> Integrator:
    """The calling integrator (403 for any other caller or a revoked integrator)."""
    settings = runtime.settings
    scope = (
        settings.integrator_scope if isinstance(settings, GatewaySettings) else "events:subscribe"
    )
    if principal.role != "client" or principal.client_id is None or scope not in principal.scopes:
        raise Forbidden(f"Only integrators' machine clients (scope {scope}) can do this.")
    query = select(Integrator).where(Integrator.client_id == principal.client_id)
    integrator = (await session.execute(query)).scalar_one_or_none()
    if integrator is None or integrator.revoked_at is not None:
        raise Forbidden("This client is not an active integrator.")
    return integrator


IntegratorDep = Annotated[Integrator, Depends(current_integrator)]
