"""Who may call DILANDACINTA: citizens, Disdukcapil officers (and their head), admins, the gateway.

Officers work in an area: the whole city (``32.77``), a kecamatan or a kelurahan; they see and act
on applications and register records of that area only. The head of Dinas (officer with
``position == "head"``) signs documents and decides late birth registrations. The gateway calls
the identity match endpoint with its own machine token (role ``client``, scope
``dilandacinta:identity.match``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cimahi_shared.auth import CurrentPrincipal, Principal
from cimahi_shared.errors import Forbidden

AGENCY = "dilandacinta"
CITY_AREA = "32.77"
HEAD_POSITION = "head"
IDENTITY_MATCH_SCOPE = "dilandacinta:identity.match"


def is_officer(principal: Principal) -> bool:
    """An officer of this agency (other agencies' officers are strangers here)."""
    return principal.is_officer and principal.agency == AGENCY


def is_head(principal: Principal) -> bool:
    """The head of Dinas (signs documents, decides late birth registrations)."""
    return is_officer(principal) and principal.position == HEAD_POSITION


def in_area(principal: Principal, kelurahan_code: str) -> bool:
    """Whether an officer's area (city, kecamatan or kelurahan code) covers a kelurahan."""
    area = principal.area or ""
    if not area:
        return False
    return kelurahan_code == area or kelurahan_code.startswith(area + ".")


async def reader(principal: CurrentPrincipal) -> Principal:
    """A caller who may read applications (object-level rules apply in the service)."""
    if principal.is_citizen or principal.is_admin or is_officer(principal):
        return principal
    raise Forbidden("Population services are not available to your role.")


async def officer(principal: CurrentPrincipal) -> Principal:
    """A DILANDACINTA officer."""
    if not is_officer(principal):
        raise Forbidden("Only Disdukcapil officers can do this.")
    return principal


async def head(principal: CurrentPrincipal) -> Principal:
    """The head of Dinas."""
    if not is_head(principal):
        raise Forbidden("Only the head of Disdukcapil can do this.")
    return principal


async def citizen(principal: CurrentPrincipal) -> Principal:
    """A citizen."""
    if not principal.is_citizen:
        raise Forbidden("Only citizens can do this.")
    return principal


Reader = Annotated[Principal, Depends(reader)]
Officer = Annotated[Principal, Depends(officer)]
Head = Annotated[Principal, Depends(head)]
Citizen = Annotated[Principal, Depends(citizen)]
