"""Who may call LAKAMI: citizens, LAKAMI officers (of a kelurahan or a kecamatan) and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cimahi_shared.auth import AgencyRoles, Principal

AGENCY = "lakami"


ROLES = AgencyRoles(AGENCY, "LAKAMI", "Letter requests are not available to your role.")

is_lakami_officer = ROLES.is_officer
"""An officer of this agency (other agencies' officers are strangers here)."""
reader = ROLES.reader
officer = ROLES.officer
citizen = ROLES.citizen


Reader = Annotated[Principal, Depends(reader)]
Officer = Annotated[Principal, Depends(officer)]
Citizen = Annotated[Principal, Depends(citizen)]
