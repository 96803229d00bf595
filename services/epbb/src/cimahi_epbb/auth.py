"""Who may call E-PBB: taxpayers (citizens), Bapenda officers, admins, and payment channels.

* **Citizens** read the tax objects linked to their account (``POST /v1/me/objects`` with NOP +
  NIK links one) and file taxpayer requests about them.
* **Officers** of Bapenda (agency ``epbb``) work in an area: the whole city (``32.77``), a
  kecamatan or a kelurahan; they read objects and bills of their area (every read of a
  taxpayer's data is logged) and decide taxpayer requests. The head (``position == "head"``)
  decides objections.
* **Admins** manage tax-year rules, bill generation and payment channels.
* **Payment channels** (banks, QRIS, virtual account, post, retail) call with a machine token of
  the gateway (role ``client``) carrying the ``epbb:channel`` scope; their ``client_id`` names the
  channel (table ``payment_channels``). They may only inquire and pay.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cimahi_shared.auth import AgencyRoles, CurrentPrincipal, Principal
from cimahi_shared.auth import in_area as in_area
from cimahi_shared.errors import Forbidden

AGENCY = "epbb"
CHANNEL_SCOPE = "epbb:channel"

ROLES = AgencyRoles(AGENCY, "Bapenda", "Property tax services are not available to your role.")

is_officer = ROLES.is_officer
"""An officer of Bapenda (other agencies' officers are strangers here)."""
reader = ROLES.reader
officer = ROLES.officer
citizen = ROLES.citizen
is_head = ROLES.is_head
"""The head of Bapenda (decides objections)."""


async def admin(principal: CurrentPrincipal) -> Principal:
    """A platform admin (tax-year rules, bill generation, channels, reconciliation)."""
    if not principal.is_admin:
        raise Forbidden("Only administrators can do this.")
    return principal


async def channel_client(principal: CurrentPrincipal) -> Principal:
    """A payment channel's machine token (role client, scope ``epbb:channel``).

    Which channel it is, and whether that channel is active, is checked against the
    ``payment_channels`` table by the payments module.
    """
    if principal.role != "client" or CHANNEL_SCOPE not in principal.scopes:
        raise Forbidden("Only payment channels can do this.")
    return principal


Reader = Annotated[Principal, Depends(reader)]
Officer = Annotated[Principal, Depends(officer)]
Citizen = Annotated[Principal, Depends(citizen)]
Admin = Annotated[Principal, Depends(admin)]
ChannelClient = Annotated[Principal, Depends(channel_client)]
