"""Events of a confirmed payment (enqueued in the confirming transaction, through the outbox).

* ``id.go.cimahikota.epbb.payment.received.v1`` (subject = the NTPD), for integrators (banks,
  the city's treasury, dashboards): ``{ntpd, channel, amount, paid_at, bills: [{nop, tax_year,
  sppt_number, amount}]}`` (:class:`~cimahi_epbb.events.catalogue.PaymentReceivedV1`). No name,
  no NIK: a NOP identifies a property, not a person; the NOP and the amounts are what a bank
  needs to reconcile.
* When the object is linked to a citizen's account, the platform's ``request.lifecycle.v1``
  so the payment shows in the citizen's unified request list as a completed item: tracking_no
  ``PBB-<ntpd>``, request_kind ``payment.pbb``, status ``completed``, sequence 1, area = the
  object's kelurahan.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_epbb.auth import AGENCY
from cimahi_epbb.events.catalogue import (
    CATALOGUE,
    PaidBillV1,
    PaymentReceivedV1,
    publish,
    publish_lifecycle,
)
from cimahi_shared.events.lifecycle import RequestLifecycleV1, UnifiedStatus
from cimahi_shared.identifiers import format_nop

PAYMENT_RECEIVED_V1 = CATALOGUE.spec("payment.received").type_for(AGENCY)
PAYMENT_KIND = "payment.pbb"
TRACKING_PREFIX = "PBB-"


def payment_title(nop: str, tax_years: list[int]) -> str:
    """``Pembayaran PBB 2025, 2026 - 32.77.010.001.001-0001.0``."""
    years = ", ".join(str(y) for y in sorted(tax_years))
    return f"Pembayaran PBB {years} - {format_nop(nop)}"


async def publish_payment_received(
    session: AsyncSession,
    *,
    ntpd: str,
    channel: str,
    amount: int,
    paid_at: datetime,
    bills: list[dict[str, Any]],
    occurred_at: datetime,
) -> None:
    """Enqueue ``epbb.payment.received.v1`` (same transaction as the payment)."""
    data = PaymentReceivedV1(
        ntpd=ntpd,
        channel=channel,
        amount=amount,
        paid_at=paid_at,
        bills=[
            PaidBillV1(
                nop=b["nop"],
                tax_year=b["tax_year"],
                sppt_number=b["sppt_number"],
                amount=b["amount"],
            )
            for b in bills
        ],
    )
    await publish(session, "payment.received", subject=ntpd, data=data, time=occurred_at)


async def publish_payment_lifecycle(
    session: AsyncSession,
    *,
    ntpd: str,
    owner_sub: str,
    nop: str,
    tax_years: list[int],
    kelurahan_code: str,
    paid_at: datetime,
    occurred_at: datetime,
) -> None:
    """Enqueue the completed ``request.lifecycle.v1`` item of a paid bill for its linked owner."""
    payload = RequestLifecycleV1(
        tracking_no=TRACKING_PREFIX + ntpd,
        agency=AGENCY,
        request_kind=PAYMENT_KIND,
        title=payment_title(nop, tax_years),
        owner_sub=owner_sub,
        area=kelurahan_code,
        agency_status="paid",
        status=UnifiedStatus.COMPLETED,
        note=f"Lunas. NTPD {ntpd}.",
        occurred_at=occurred_at,
        sequence=1,
        submitted_at=paid_at,
    )
    await publish_lifecycle(session, payload)
