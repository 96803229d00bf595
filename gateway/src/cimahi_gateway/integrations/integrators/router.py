"""Admin API of integrators: register, list, change, rotate the client secret, revoke.

Administrators only (``AdminDep``, as the identity admin endpoints). The client secret appears
in two responses only (creation and rotation), both ``Cache-Control: no-store``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from cimahi_gateway.identity.router import NO_STORE, AdminDep
from cimahi_gateway.identity.service import gateway_settings
from cimahi_gateway.integrations.integrators import service
from cimahi_gateway.integrations.integrators.schemas import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    ClientSecret,
    IntegratorCreate,
    IntegratorCreated,
    IntegratorPage,
    IntegratorRead,
    IntegratorUpdate,
)
from cimahi_gateway.integrations.models import ULID_LEN
from cimahi_gateway.problems import CONFLICT, NOT_FOUND
from cimahi_shared.app import RuntimeDep, SessionDep

router = APIRouter(prefix="/api/v1/admin/integrators", tags=["integrations"])
FOUND: dict[int | str, dict[str, Any]] = {404: NOT_FOUND}
CHANGE: dict[int | str, dict[str, Any]] = {404: NOT_FOUND, 409: CONFLICT}

IntegratorId = Annotated[str, Path(min_length=1, max_length=ULID_LEN)]


def _no_store(response: Response) -> None:
    response.headers.update(NO_STORE)


@router.post("", response_model=IntegratorCreated, status_code=201)
async def create_integrator(
    data: IntegratorCreate,
    admin: AdminDep,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
) -> IntegratorCreated:
    """Register an integrator: its machine client (integrator scope) and allowed event types."""
    del admin
    settings = gateway_settings(runtime)
    integrator, secret = await service.create_integrator(
        session, data, scope=settings.integrator_scope, agencies=settings.upstreams
    )
    _no_store(response)
    read = IntegratorRead.model_validate(integrator)
    return IntegratorCreated(**read.model_dump(), client_secret=secret)


@router.get("", response_model=IntegratorPage)
async def list_integrators(
    admin: AdminDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=ULID_LEN)] = None,
) -> IntegratorPage:
    """List integrators (revoked ones too), oldest first."""
    del admin
    rows, next_cursor = await service.list_integrators(session, limit=limit, cursor=cursor)
    items = [IntegratorRead.model_validate(row) for row in rows]
    return IntegratorPage(items=items, next_cursor=next_cursor)


@router.get("/{integrator_id}", response_model=IntegratorRead, responses=FOUND)
async def get_integrator(
    integrator_id: IntegratorId, admin: AdminDep, session: SessionDep
) -> IntegratorRead:
    """Show one integrator."""
    del admin
    return IntegratorRead.model_validate(await service.get_integrator(session, integrator_id))


@router.patch("/{integrator_id}", response_model=IntegratorRead, responses=CHANGE)
async def update_integrator(
    integrator_id: IntegratorId,
    data: IntegratorUpdate,
    admin: AdminDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> IntegratorRead:
    """Change an integrator's name, contact or allowed events (409 once revoked)."""
    del admin
    agencies = gateway_settings(runtime).upstreams
    integrator = await service.update_integrator(session, integrator_id, data, agencies=agencies)
    return IntegratorRead.model_validate(integrator)


@router.post("/{integrator_id}/rotate-secret", response_model=ClientSecret, responses=CHANGE)
async def rotate_secret(
    integrator_id: IntegratorId, admin: AdminDep, session: SessionDep, response: Response
) -> ClientSecret:
    """A new client secret, shown once; the previous one stops working at once."""
    del admin
    client_id, secret = await service.rotate_secret(session, integrator_id)
    _no_store(response)
    return ClientSecret(client_id=client_id, client_secret=secret)


@router.post("/{integrator_id}/revoke", response_model=IntegratorRead, responses=CHANGE)
async def revoke_integrator(
    integrator_id: IntegratorId, admin: AdminDep, session: SessionDep
) -> IntegratorRead:
    """Revoke an integrator and its machine client: refused at once everywhere, for good."""
    del admin
    return IntegratorRead.model_validate(await service.revoke_integrator(session, integrator_id))
