"""Who may call LAKAMI: citizens, LAKAMI officers (of a kelurahan or a kecamatan) and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cimahi_shared.auth import CurrentPrincipal, Principal
from cimahi_shared.errors import Forbidden

AGENCY = "lakami"


def is_lakami_officer(principal: Principal) -> bool:
    """An officer of this agency (other agencies' officers are strangers here)."""
    return principal.is_officer and principal.agency == AGENCY


async def reader(principal: CurrentPrincipal) -> Principal:
    """A caller who may read letter requests (object-level rules apply in the service)."""
    if principal.is_citizen or principal.is_admin or is_lakami_officer(principal):
        return principal
    raise Forbidden("Letter requests are not available to your role.")


async def officer(principal: CurrentPrincipal) -> Principal:
    """A LAKAMI officer."""
    if not is_lakami_officer(principal):
        raise Forbidden("Only LAKAMI officers can do this.")
    return principal


async def citizen(principal: CurrentPrincipal) -> Principal:
    """A citizen."""
    if not principal.is_citizen:
        raise Forbidden("Only citizens can do this.")
    return principal


Reader = Annotated[Principal, Depends(reader)]
Officer = Annotated[Principal, Depends(officer)]
Citizen = Annotated[Principal, Depends(citizen)]
