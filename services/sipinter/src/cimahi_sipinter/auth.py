"""Who may call SIPINTER: applicants (citizens), DPMPTSP officers, admins.

* **Citizens** register their businesses (by NIB) and apply for permits; every owner of a
  business sees it and its applications.
* **Officers** of DPMPTSP (agency ``sipinter``) work in an area (the whole city ``32.77``, a
  kecamatan or a kelurahan); they read businesses and applications of their area (every read of
  an applicant's data is logged) and work the applications. Other agencies' officers are refused.
* **Admins** manage the platform.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cimahi_shared.auth import AgencyRoles, Principal
from cimahi_shared.auth import in_area as in_area

AGENCY = "sipinter"

ROLES = AgencyRoles(AGENCY, "DPMPTSP", "Permit services are not available to your role.")

is_officer = ROLES.is_officer
"""An officer of DPMPTSP (other agencies' officers are strangers here)."""
reader = ROLES.reader
officer = ROLES.officer
citizen = ROLES.citizen
is_head = ROLES.is_head
"""The head of DPMPTSP (signs permits)."""

Reader = Annotated[Principal, Depends(reader)]
Officer = Annotated[Principal, Depends(officer)]
Citizen = Annotated[Principal, Depends(citizen)]
