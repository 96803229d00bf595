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

from cimahi_shared.auth import AgencyRoles, CurrentPrincipal, Principal
from cimahi_shared.auth import in_area as in_area
from cimahi_shared.errors import Forbidden

AGENCY = "dilandacinta"
IDENTITY_MATCH_SCOPE = "dilandacinta:identity.match"


ROLES = AgencyRoles(AGENCY, "Disdukcapil", "Population services are not available to your role.")

is_officer = ROLES.is_officer
"""An officer of this agency (other agencies' officers are strangers here)."""
reader = ROLES.reader
officer = ROLES.officer
citizen = ROLES.citizen
is_head = ROLES.is_head
"""The head of Dinas (signs documents, decides late birth registrations)."""


async def head(principal: CurrentPrincipal) -> Principal:
    """The head of Dinas."""
    if not is_head(principal):
        raise Forbidden("Only the head of Disdukcapil can do this.")
    return principal


Reader = Annotated[Principal, Depends(reader)]
Officer = Annotated[Principal, Depends(officer)]
Head = Annotated[Principal, Depends(head)]
Citizen = Annotated[Principal, Depends(citizen)]
