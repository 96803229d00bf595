"""Recording a levy payment a payment channel confirms with a signed callback.

The protocol (Standard Webhooks signatures; docs/sipinter-levy.md):

* the channel's signature is checked against its secret(s) in ``settings.levy_channels``; an
  unknown channel fails exactly like a wrong signature (401), so nobody learns which exist;
* ``channel_reference`` is the channel's idempotency key (unique): the same reference with the
  same body (its SHA-256) gets the first answer again - no second payment, no second event;
  with another body it is a 409;
* the levy's application is row-locked while the payment is recorded, so two deliveries of one
  payment at the same moment give one payment (the second sees the first's row and repeats its
  answer); a reference taken meanwhile by another levy is caught by the unique index (409);
* then the application moves from ``awaiting_payment`` to the head's signature, which resumes
  its deadline clock (``workflow.advance``), and ``application.levy_paid`` is published.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, timedelta

from fastapi.exceptions import RequestValidationError
from pydantic import SecretStr, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_shared.calendar import RequestClock
from cimahi_shared.errors import Conflict, InvalidInput, NotFound
from cimahi_shared.webhooks import signing
from cimahi_shared.webhooks.signing import SignedMessage
from cimahi_sipinter.applications import workflow
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.events.applications import publish_application_event
from cimahi_sipinter.levy import repository
from cimahi_sipinter.levy.schemas import LevyPaymentConfirmation, LevyPaymentRead
from cimahi_sipinter.models import Application, LevyPayment


class LevyCodeUnknown(NotFound):
    code, title = "levy-code-unknown", "No levy has this payment code"


class LevyNotPayable(Conflict):
    code, title = "levy-not-payable", "This levy cannot be paid now"


class ReferenceReused(Conflict):
    code, title = "channel-reference-reused", "This channel reference confirmed another payment"


class AmountMismatch(InvalidInput):
    code, title = "amount-mismatch", "The amount is not the levy's amount"


def verify_callback(
    channel: str,
    *,
    headers: Mapping[str, str],
    body: bytes,
    clock: RequestClock,
    settings: SipinterSettings,
) -> SignedMessage:
    """The callback if its signature matches the channel's secret; 401 otherwise.

    An unknown channel is checked against no secret at all: the same 401 as a wrong signature.
    """
    secrets_: list[SecretStr] = settings.levy_channels.get(channel, [])
    return signing.verify(
        [s.get_secret_value() for s in secrets_],
        headers=headers,
        body=body,
        now=clock.now,
        tolerance_seconds=settings.callback_tolerance_seconds,
    )


def parse_confirmation(body: bytes) -> LevyPaymentConfirmation:
    """The callback's body, or a 422 naming the wrong fields (as for any request body)."""
    try:
        return LevyPaymentConfirmation.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


def payment_read(payment: LevyPayment, application: Application) -> LevyPaymentRead:
    """The answer to a confirmation (built from the stored payment: the same on every repeat)."""
    return LevyPaymentRead(
        application_id=application.id,
        registration_number=application.registration_number,
        levy_code=application.levy_code or "",
        amount=payment.amount,
        channel_reference=payment.channel_reference,
        paid_at=payment.paid_at,
    )


async def _repeat(
    session: AsyncSession, payment: LevyPayment, *, channel: str, digest: str
) -> LevyPaymentRead:
    """The first answer for a repeated delivery; 409 if the reference now says something else."""
    if payment.channel != channel or payment.body_sha256 != digest:
        raise ReferenceReused(
            f"The reference {payment.channel_reference!r} already confirmed another levy payment "
            "(a different message): use a new reference for a new payment."
        )
    application = await repository.application_by_id(session, payment.application_id)
    assert application is not None
    return payment_read(payment, application)


def _check_payable(
    application: Application,
    data: LevyPaymentConfirmation,
    *,
    clock: RequestClock,
    settings: SipinterSettings,
) -> None:
    """409 unless the levy is due now; 422 for another amount or a payment in the future."""
    if application.status != "awaiting_payment" or application.levy_status != "due":
        raise LevyNotPayable(
            f"The levy {data.levy_code} cannot be paid: its application is "
            f"{application.status} and the levy is {application.levy_status}."
        )
    if data.amount != application.levy_amount:
        raise AmountMismatch(
            f"The levy {data.levy_code} is exactly Rp{application.levy_amount}.",
            errors=[{"field": "amount", "message": f"must be exactly {application.levy_amount}"}],
        )
    if data.paid_at > clock.now + timedelta(seconds=settings.callback_tolerance_seconds):
        raise InvalidInput(
            "paid_at is in the future.", errors=[{"field": "paid_at", "message": "in the future"}]
        )


async def confirm_payment(
    session: AsyncSession,
    *,
    channel: str,
    message: SignedMessage,
    data: LevyPaymentConfirmation,
    clock: RequestClock,
    settings: SipinterSettings,
) -> LevyPaymentRead:
    """Record a channel's signed confirmation (or repeat the answer to an earlier delivery)."""
    digest = hashlib.sha256(message.body).hexdigest()
    earlier = await repository.payment_by_reference(session, data.channel_reference)
    if earlier is not None:
        return await _repeat(session, earlier, channel=channel, digest=digest)
    application = await repository.application_by_code(session, data.levy_code)
    if application is None:
        raise LevyCodeUnknown(f"No levy has the payment code {data.levy_code}.")
    # Holding the application's lock: a delivery of the same payment that got here first has
    # committed by now and its row is visible.
    earlier = await repository.payment_by_reference(session, data.channel_reference)
    if earlier is not None:
        return await _repeat(session, earlier, channel=channel, digest=digest)
    _check_payable(application, data, clock=clock, settings=settings)
    payment = LevyPayment(
        id=str(ULID()),
        application_id=application.id,
        channel=channel,
        channel_reference=data.channel_reference,
        message_id=message.message_id,
        body_sha256=digest,
        amount=data.amount,
        paid_at=data.paid_at.astimezone(UTC),  # as a repeat reads it back
        recorded_at=clock.now,
    )
    try:
        async with session.begin_nested():
            session.add(payment)
    except IntegrityError:
        # The reference was recorded meanwhile for another levy (not locked by us).
        winner = await repository.payment_by_reference(session, data.channel_reference)
        if winner is None:
            raise
        return await _repeat(session, winner, channel=channel, digest=digest)
    await _mark_paid(session, application, payment, channel=channel, clock=clock, settings=settings)
    return payment_read(payment, application)


async def _mark_paid(
    session: AsyncSession,
    application: Application,
    payment: LevyPayment,
    *,
    channel: str,
    clock: RequestClock,
    settings: SipinterSettings,
) -> None:
    """The levy is paid: on to the head's signature (the deadline clock resumes); tell everyone."""
    application.levy_status = "paid"
    await workflow.advance(
        session,
        application,
        action="levy_paid",
        actor=workflow.channel_actor(channel),
        note=f"Retribusi Rp{payment.amount} dibayar melalui {channel} ({payment.channel_reference}).",
        clock=clock,
        settings=settings,
    )
    await publish_application_event(
        session,
        "application.levy_paid",
        application,
        occurred_at=clock.now,
        amount=payment.amount,
        levy_code=application.levy_code,
        channel=channel,
        channel_reference=payment.channel_reference,
        paid_at=payment.paid_at.isoformat(),
    )
