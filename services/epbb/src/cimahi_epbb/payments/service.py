"""Payments through channels: channels, exact amounts (payment codes), signed confirmations.

The protocol, step by step (docs/epbb.md is written from these docstrings):

1. An admin registers a channel (``POST /v1/admin/channels``: code, name, kind bank | qris | va
   | post | retail, client_id); the HMAC secret of its callbacks is shown once (kept encrypted);
   ``POST /v1/admin/channels/{code}/secret`` rotates it, ``.../deactivate`` and ``.../activate``.
2. The channel calls with a gateway machine token (role client, scope ``epbb:channel``) whose
   client_id is an active channel's (else 403). ``GET /v1/channel/bills/{nop}`` gives the unpaid
   bills with today's amounts (masked taxpayer name only).
3. ``POST /v1/channel/payment-codes`` {nop, tax_years?} freezes the exact amount of those bills
   (all unpaid ones when tax_years is omitted) in a 16-digit code (with a QRIS payload for QRIS
   channels), valid until ``expires_at`` = min(now + ``EPBB_PAYMENT_CODE_TTL_MINUTES``, 00:00 WIB
   of the first day any of the bills' amount changes: end of the due date, of an early discount,
   of a penalty month, an amnesty's start or end). A quoted amount is therefore never wrong when
   paid. Citizens get the same through the portal (``POST /v1/me/payment-codes``) for a QRIS or
   VA channel of their choice. ``GET /v1/channel/payment-codes/{code}`` tells the channel whether
   its code is open, paid (with the NTPD) or expired (e.g. after a timeout).
4. The channel confirms with a signed callback ``POST /v1/channel/payments`` (see
   ``cimahi_shared.webhooks.signing``) {payment_code, amount, channel_reference, paid_at}. Refusals change
   nothing: bad or missing signature 401, timestamp out of tolerance 401, the same webhook-id
   with another body 409 (``callback-replayed``; with the same body it is answered as the first
   delivery), unknown code or another channel's code 404 (``payment-code-unknown``), code expired
   409 (``payment-code-expired``: ``paid_at`` at or after ``expires_at``, or the callback arriving
   later than the tolerance after it; a payment made just before midnight and reported just
   after is accepted), amount different from the code's 422 (``amount-mismatch``,
   field ``amount``), a bill already paid through any code 409 (``already-paid``), a bill
   corrected or cancelled since the code was issued 409 (``bill-changed``), a reference already
   used for another code or amount 409 (``channel-reference-reused``), ``paid_at`` in the future
   422 (field ``paid_at``). The same (channel, reference, code, amount) again answers 200 with
   the first receipt.
5. Success (201) in one transaction: each bill of the code is marked paid with ``UPDATE bills
   ... WHERE id = :id AND status = 'unpaid' AND is_current`` (one row, else everything is rolled
   back: of concurrent confirmations of one bill exactly one wins); the payment row (unique per
   channel and reference: a concurrent duplicate is answered with the winner's receipt); the NTPD
   ``3277`` + yymmdd (WIB day of confirmation) + 7-digit serial of the day (17 digits, never
   mistaken for a 16-digit NIK), gapless (``receipt_counters``); the receipt (lines, masked name, public verification code); the code
   marked paid; the events ``epbb.payment.received.v1`` and, for a linked owner, a completed
   ``request.lifecycle.v1`` (``PBB-<ntpd>``). Callback ids older than twice the tolerance are
   forgotten then (their timestamps are refused anyway).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_epbb.bills.formula import next_change
from cimahi_epbb.bills.inquiry import BillDue, inquire
from cimahi_epbb.config import EpbbSettings
from cimahi_epbb.events.payments import publish_payment_lifecycle, publish_payment_received
from cimahi_epbb.models import Payment, PaymentChannel, PaymentCode, Receipt
from cimahi_epbb.payments import codes, repository
from cimahi_epbb.payments.schemas import (
    BillDueRead,
    ChannelCreate,
    ChannelInquiryRead,
    ChannelKind,
    ChannelRead,
    ChannelSecretRead,
    CodeBillRead,
    PaidBillRead,
    PaymentCodeRead,
    PaymentConfirmation,
    PaymentRead,
)
from cimahi_epbb.rules.service import RulesInForce, rules_for
from cimahi_shared.auth import Principal
from cimahi_shared.calendar.workdays import WIB
from cimahi_shared.documents.codes import new_code as new_verification_code
from cimahi_shared.documents.masking import mask_name
from cimahi_shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from cimahi_shared.identifiers import format_nop
from cimahi_shared.pii import PiiCipher
from cimahi_shared.webhooks.signing import SignedMessage, new_secret

CITY_PREFIX = "3277"
OPEN, PAID, EXPIRED = "open", "paid", "expired"
CITIZEN_CHANNEL_KINDS = (ChannelKind.QRIS, ChannelKind.VA)
_CODE_ATTEMPTS = 5


class ChannelNotRegistered(Forbidden):
    code, title = "channel-not-registered", "This client is not an active payment channel"


class ChannelExists(Conflict):
    code, title = "channel-exists", "A channel with this code or client_id exists"


class ChannelNotFound(NotFound):
    code, title = "channel-not-found", "No such payment channel"


class ObjectNotFound(NotFound):
    code, title = "object-not-found", "No such tax object"


class PaymentCodeUnknown(NotFound):
    code, title = "payment-code-unknown", "No such payment code for this channel"


class PaymentCodeExpired(Conflict):
    code, title = "payment-code-expired", "The payment code has expired"


class AlreadyPaid(Conflict):
    code, title = "already-paid", "A bill of this payment code is already paid"


class AmountMismatch(InvalidInput):
    code, title = "amount-mismatch", "The amount is not the payment code's amount"


class BillChanged(Conflict):
    code, title = "bill-changed", "A bill of this payment code was corrected or cancelled"


class ReferenceReused(Conflict):
    code, title = "channel-reference-reused", "This channel reference confirmed another payment"


class CallbackReplayed(Conflict):
    code, title = "callback-replayed", "This webhook-id was already used for another message"


class NothingToPay(InvalidInput):
    code, title = "nothing-to-pay", "No unpaid bill to pay"


# --- channels ---


def channel_read(channel: PaymentChannel) -> ChannelRead:
    """A channel as shown (no secret)."""
    return ChannelRead(
        code=channel.code,
        name=channel.name,
        kind=ChannelKind(channel.kind),
        client_id=channel.client_id,
        active=channel.active,
        created_at=channel.created_at,
    )


def _with_secret(channel: PaymentChannel, secret: str) -> ChannelSecretRead:
    return ChannelSecretRead(**channel_read(channel).model_dump(), secret=secret)


async def create_channel(
    session: AsyncSession,
    *,
    data: ChannelCreate,
    pii: PiiCipher,
    now: datetime,
    secret: str | None = None,
) -> ChannelSecretRead:
    """Register a channel with a fresh HMAC secret (shown once, kept encrypted)."""
    if await repository.get_channel(session, data.code) is not None:
        raise ChannelExists(
            f"A channel with code {data.code!r} exists.",
            errors=[{"field": "code", "message": "already registered"}],
        )
    if await repository.channel_of_client(session, data.client_id) is not None:
        raise ChannelExists(
            f"The client {data.client_id!r} is already a channel.",
            errors=[{"field": "client_id", "message": "already a channel"}],
        )
    secret = secret or new_secret()
    channel = PaymentChannel(
        code=data.code,
        name=data.name,
        kind=data.kind.value,
        client_id=data.client_id,
        secret_encrypted=pii.encrypt(secret),
        active=True,
        created_at=now,
    )
    session.add(channel)
    await session.flush()
    return _with_secret(channel, secret)


async def list_channels(session: AsyncSession) -> list[ChannelRead]:
    """Every channel (no secrets)."""
    return [channel_read(c) for c in await repository.list_channels(session)]


async def _channel(session: AsyncSession, code: str) -> PaymentChannel:
    channel = await repository.get_channel(session, code)
    if channel is None:
        raise ChannelNotFound(f"No payment channel {code!r}.")
    return channel


async def rotate_secret(session: AsyncSession, *, code: str, pii: PiiCipher) -> ChannelSecretRead:
    """Give a channel a new HMAC secret (the old one stops working now); shown once."""
    channel = await _channel(session, code)
    secret = new_secret()
    channel.secret_encrypted = pii.encrypt(secret)
    await session.flush()
    return _with_secret(channel, secret)


async def set_active(session: AsyncSession, *, code: str, active: bool) -> ChannelRead:
    """Activate or deactivate a channel (an inactive channel's calls are refused, 403)."""
    channel = await _channel(session, code)
    channel.active = active
    await session.flush()
    return channel_read(channel)


async def calling_channel(session: AsyncSession, principal: Principal) -> PaymentChannel:
    """The active channel a machine token's client_id names (403 otherwise)."""
    channel = (
        await repository.channel_of_client(session, principal.client_id)
        if principal.client_id
        else None
    )
    if channel is None or not channel.active:
        raise ChannelNotRegistered("Your client is not an active E-PBB payment channel.")
    return channel


def channel_secret(channel: PaymentChannel, pii: PiiCipher) -> str:
    """A channel's HMAC secret (decrypted)."""
    return pii.decrypt(channel.secret_encrypted)


# --- inquiry and payment codes ---


def _bill_due(item: BillDue) -> BillDueRead:
    assert item.due is not None
    due = item.due
    return BillDueRead(
        bill_id=item.bill.id,
        tax_year=item.bill.tax_year,
        sppt_number=item.bill.sppt_number,
        due_date=item.bill.due_date,
        principal=due.principal,
        reduction=due.reduction,
        discount=due.discount,
        penalty_months=due.penalty_months,
        penalty=due.penalty,
        penalty_waived=due.penalty_waived,
        total=due.total,
    )


async def channel_inquiry(session: AsyncSession, *, nop: str, on: date) -> ChannelInquiryRead:
    """An object's unpaid bills with their amounts on ``on`` (masked taxpayer name only)."""
    obj = await repository.tax_object(session, nop)
    if obj is None:
        raise ObjectNotFound(f"No tax object {format_nop(nop)}.")
    inquiry = await inquire(session, nop=nop, on=on)
    return ChannelInquiryRead(
        nop=nop,
        nop_display=format_nop(nop),
        taxpayer_name=mask_name(obj.taxpayer_name),
        kelurahan_code=obj.kelurahan_code,
        on=on,
        bills=[_bill_due(b) for b in inquiry.unpaid],
        total_due=inquiry.total_due,
    )


def _midnight_wib(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=WIB)


@dataclass(frozen=True, slots=True)
class _Quote:
    lines: list[dict[str, Any]]
    amount: int
    expires_at: datetime


async def _quote(
    session: AsyncSession, *, nop: str, tax_years: list[int] | None, now: datetime, ttl_minutes: int
) -> _Quote:
    if await repository.tax_object(session, nop) is None:
        raise ObjectNotFound(f"No tax object {format_nop(nop)}.")
    today = now.astimezone(WIB).date()
    inquiry = await inquire(session, nop=nop, on=today)
    payable = {b.bill.tax_year: b for b in inquiry.unpaid if b.due is not None and b.due.total > 0}
    if tax_years is None:
        chosen = sorted(payable.values(), key=lambda b: b.bill.tax_year)
        if not chosen:
            raise NothingToPay(
                f"{format_nop(nop)} has no unpaid bill with an amount to pay.",
                errors=[{"field": "nop", "message": "no unpaid bill to pay"}],
            )
    else:
        years = sorted(set(tax_years))
        missing = [y for y in years if y not in payable]
        if missing:
            raise NothingToPay(
                f"No unpaid bill with an amount to pay for {', '.join(map(str, missing))}.",
                errors=[
                    {"field": "tax_years", "message": f"{y}: no unpaid bill to pay"}
                    for y in missing
                ],
            )
        chosen = [payable[y] for y in years]
    expires_at = now + timedelta(minutes=ttl_minutes)
    rules: dict[int, RulesInForce] = {}
    lines: list[dict[str, Any]] = []
    for item in chosen:
        bill, due = item.bill, item.due
        assert due is not None
        if bill.tax_year not in rules:
            rules[bill.tax_year] = await rules_for(session, bill.tax_year)
        change = next_change(due_date=bill.due_date, rules=rules[bill.tax_year].rules, on=today)
        if change is not None:
            expires_at = min(expires_at, _midnight_wib(change))
        lines.append(
            {
                "bill_id": bill.id,
                "nop": bill.nop,
                "tax_year": bill.tax_year,
                "sppt_number": bill.sppt_number,
                "principal": due.principal,
                "reduction": due.reduction,
                "discount": due.discount,
                "penalty_months": due.penalty_months,
                "penalty": due.penalty,
                "penalty_waived": due.penalty_waived,
                "total": due.total,
                "on": today.isoformat(),
            }
        )
    return _Quote(lines=lines, amount=sum(line["total"] for line in lines), expires_at=expires_at)


def code_read(
    code: PaymentCode, kind: ChannelKind, *, now: datetime, ntpd: str | None = None
) -> PaymentCodeRead:
    """A payment code as the channel (or citizen) sees it (``expired`` once past its expiry)."""
    status = EXPIRED if code.status == OPEN and now >= code.expires_at else code.status
    return PaymentCodeRead(
        code=code.code,
        kind=kind,
        channel=code.channel_code,
        payload=code.payload,
        amount=code.amount,
        status=status,
        expires_at=code.expires_at,
        ntpd=ntpd,
        bills=[
            CodeBillRead(**{k: line[k] for k in CodeBillRead.model_fields})
            for line in code.breakdown
        ],
    )


async def create_payment_code(
    session: AsyncSession,
    *,
    channel: PaymentChannel,
    nop: str,
    tax_years: list[int] | None,
    now: datetime,
    settings: EpbbSettings,
) -> PaymentCodeRead:
    """Freeze the exact amount of an object's unpaid bills in a code payable through ``channel``."""
    quote = await _quote(
        session,
        nop=nop,
        tax_years=tax_years,
        now=now,
        ttl_minutes=settings.payment_code_ttl_minutes,
    )
    number = codes.new_code()
    for _ in range(_CODE_ATTEMPTS):
        if not await repository.code_taken(session, number):
            break
        number = codes.new_code()
    kind = ChannelKind(channel.kind)
    code = PaymentCode(
        id=str(ULID()),
        code=number,
        payload=codes.qris_payload(code=number, amount=quote.amount)
        if kind is ChannelKind.QRIS
        else None,
        channel_code=channel.code,
        amount=quote.amount,
        breakdown=quote.lines,
        status=OPEN,
        expires_at=quote.expires_at,
        created_at=now,
        paid_at=None,
    )
    repository.add_code(session, code, {line["bill_id"]: line["total"] for line in quote.lines})
    await session.flush()
    return code_read(code, kind, now=now)


async def read_payment_code(
    session: AsyncSession, *, channel: PaymentChannel, number: str, now: datetime
) -> PaymentCodeRead:
    """One of the channel's codes with its status (open | paid | expired) and NTPD once paid."""
    code = await repository.find_code(session, number)
    if code is None or code.channel_code != channel.code:
        raise PaymentCodeUnknown(f"No payment code {number} was issued to you.")
    paid = await repository.payment_of_code(session, code.id)
    return code_read(
        code,
        ChannelKind(channel.kind),
        now=now,
        ntpd=paid.receipt_ntpd if paid is not None else None,
    )


async def create_my_payment_code(
    session: AsyncSession,
    *,
    principal: Principal,
    nop: str,
    tax_years: list[int] | None,
    channel_code: str,
    now: datetime,
    settings: EpbbSettings,
) -> PaymentCodeRead:
    """A citizen's payment code for their own linked object, through a QRIS or VA channel."""
    if await repository.owner_of(session, nop) != principal.sub:
        raise ObjectNotFound(f"No tax object {format_nop(nop)} is linked to your account.")
    channel = await repository.get_channel(session, channel_code)
    if channel is None or not channel.active or channel.kind not in CITIZEN_CHANNEL_KINDS:
        raise InvalidInput(
            f"{channel_code!r} is not an active QRIS or virtual-account channel.",
            errors=[{"field": "channel", "message": "not an active qris or va channel"}],
        )
    return await create_payment_code(
        session, channel=channel, nop=nop, tax_years=tax_years, now=now, settings=settings
    )


# --- confirmation ---


def ntpd_of(day: date, serial: int) -> str:
    """``3277`` + yymmdd + 7-digit serial of the day: 17 digits.

    Deliberately not 16 digits: a 16-digit number is read (and masked in logs) as a NIK.
    """
    return f"{CITY_PREFIX}{day:%y%m%d}{serial:07d}"


def receipt_url(base_url: str, verification_code: str) -> str:
    """Where the public checks a receipt (its QR code)."""
    return f"{base_url.rstrip('/')}/v1/public/receipts/{verification_code}"


def payment_read(
    payment: Payment, receipt: Receipt, code: PaymentCode, *, base_url: str
) -> PaymentRead:
    """A confirmed payment as its channel sees it."""
    return PaymentRead(
        ntpd=receipt.ntpd,
        channel=payment.channel_code,
        channel_reference=payment.channel_reference,
        payment_code=code.code,
        amount=payment.amount,
        paid_at=payment.paid_at,
        verification_code=receipt.verification_code,
        receipt_url=receipt_url(base_url, receipt.verification_code),
        bills=[
            PaidBillRead(
                nop=line["nop"],
                tax_year=line["tax_year"],
                sppt_number=line["sppt_number"],
                amount=line["total"],
            )
            for line in receipt.lines
        ],
    )


class _BillTaken(Exception):
    """A bill of the code was no longer unpaid (someone else paid it first)."""


async def _answer_repeat(
    session: AsyncSession, payment: Payment, data: PaymentConfirmation, *, base_url: str
) -> PaymentRead:
    code = await repository.code_by_id(session, payment.payment_code_id)
    receipt = await repository.receipt(session, payment.receipt_ntpd)
    assert code is not None
    assert receipt is not None
    if code.code != data.payment_code or payment.amount != data.amount:
        raise ReferenceReused(
            f"The reference {data.channel_reference!r} already confirmed payment code "
            f"{code.code} of Rp{payment.amount} (NTPD {payment.receipt_ntpd}).",
            ntpd=payment.receipt_ntpd,
        )
    return payment_read(payment, receipt, code, base_url=base_url)


async def confirm_payment(
    session: AsyncSession,
    *,
    channel: PaymentChannel,
    message: SignedMessage,
    data: PaymentConfirmation,
    now: datetime,
    settings: EpbbSettings,
) -> tuple[PaymentRead, bool]:
    """Record a channel's signed confirmation; ``(payment, True)`` when this call created it."""
    base_url = settings.public_base_url
    digest = hashlib.sha256(message.body).hexdigest()
    earlier = await repository.remember_message(
        session, channel=channel.code, message_id=message.message_id, body_sha256=digest, now=now
    )
    if earlier is not None and earlier.body_sha256 != digest:
        raise CallbackReplayed(
            f"webhook-id {message.message_id!r} was already used for a different message: "
            "send a new message with a new id."
        )
    existing = await repository.find_payment(
        session, channel=channel.code, reference=data.channel_reference
    )
    if existing is not None:
        return await _answer_repeat(session, existing, data, base_url=base_url), False
    code = await repository.find_code(session, data.payment_code)
    if code is None or code.channel_code != channel.code:
        raise PaymentCodeUnknown(f"No payment code {data.payment_code} was issued to you.")
    if code.status == PAID:
        raise AlreadyPaid(f"Payment code {code.code} is already paid (another reference).")
    tolerance = timedelta(seconds=settings.callback_tolerance_seconds)
    if data.paid_at > now + tolerance:
        raise InvalidInput(
            "paid_at is in the future.", errors=[{"field": "paid_at", "message": "in the future"}]
        )
    # Paid before the expiry and reported within the tolerance (a payment in flight at
    # midnight): still the right amount. Paid after it, or reported too late: refused.
    if data.paid_at >= code.expires_at or now >= code.expires_at + tolerance:
        raise PaymentCodeExpired(
            f"Payment code {code.code} expired at {code.expires_at.isoformat()}: ask for a new one."
        )
    if data.amount != code.amount:
        raise AmountMismatch(
            f"Payment code {code.code} is for exactly Rp{code.amount}, not Rp{data.amount}.",
            errors=[{"field": "amount", "message": f"must be exactly {code.amount}"}],
        )
    try:
        async with session.begin_nested():
            payment, receipt = await _settle(
                session,
                channel=channel,
                code=code,
                data=data,
                now=now,
                forget_messages_before=now
                - timedelta(seconds=2 * settings.callback_tolerance_seconds),
            )
    except _BillTaken:
        winner = await repository.find_payment(
            session, channel=channel.code, reference=data.channel_reference
        )
        if winner is not None:
            return await _answer_repeat(session, winner, data, base_url=base_url), False
        raise await _why_taken(session, code) from None
    except IntegrityError:
        winner = await repository.find_payment(
            session, channel=channel.code, reference=data.channel_reference
        )
        if winner is None:
            raise
        return await _answer_repeat(session, winner, data, base_url=base_url), False
    return payment_read(payment, receipt, code, base_url=base_url), True


async def _why_taken(session: AsyncSession, code: PaymentCode) -> Conflict:
    """Why a bill of the code could not be marked paid: paid meanwhile, or corrected/cancelled."""
    bills = await repository.bills_by_id(session, [str(line["bill_id"]) for line in code.breakdown])
    if any(b.status == PAID for b in bills.values()):
        return AlreadyPaid(
            f"A bill of payment code {code.code} is already paid (through another code); "
            "nothing was recorded."
        )
    return BillChanged(
        f"A bill of payment code {code.code} was corrected or cancelled since the code was "
        "issued; nothing was recorded: ask for a new code."
    )


async def _settle(
    session: AsyncSession,
    *,
    channel: PaymentChannel,
    code: PaymentCode,
    data: PaymentConfirmation,
    now: datetime,
    forget_messages_before: datetime,
) -> tuple[Payment, Receipt]:
    """The confirming writes (inside a savepoint: any refusal undoes all of them)."""
    lines = sorted(code.breakdown, key=lambda line: str(line["bill_id"]))
    for line in lines:
        breakdown = {
            k: line[k]
            for k in ("principal", "reduction", "discount", "penalty", "penalty_waived", "total")
        }
        paid = await repository.mark_bill_paid(
            session,
            bill_id=line["bill_id"],
            paid_at=data.paid_at,
            amount=line["total"],
            breakdown={**breakdown, "penalty_months": line["penalty_months"], "on": line["on"]},
            now=now,
        )
        if not paid:
            raise _BillTaken(line["bill_id"])
    today = now.astimezone(WIB).date()
    ntpd = ntpd_of(today, await repository.next_receipt_serial(session, today))
    # Old callback ids go here, behind the day's counter lock, so purges never race each other.
    await repository.forget_messages(session, channel=channel.code, before=forget_messages_before)
    payment = Payment(
        id=str(ULID()),
        channel_code=channel.code,
        channel_reference=data.channel_reference,
        payment_code_id=code.id,
        amount=code.amount,
        paid_at=data.paid_at,
        paid_on=data.paid_at.astimezone(WIB).date(),
        received_at=now,
        receipt_ntpd=ntpd,
    )
    session.add(payment)
    await session.flush()
    await repository.set_bills_receipt(session, [line["bill_id"] for line in lines], ntpd)
    nop = str(code.breakdown[0]["nop"])
    obj = await repository.tax_object(session, nop)
    assert obj is not None
    receipt = Receipt(
        ntpd=ntpd,
        payment_id=payment.id,
        verification_code=new_verification_code(),
        amount=code.amount,
        lines=[
            {
                k: line[k]
                for k in (
                    "nop",
                    "tax_year",
                    "sppt_number",
                    "principal",
                    "reduction",
                    "discount",
                    "penalty",
                    "penalty_waived",
                    "total",
                )
            }
            for line in code.breakdown
        ],
        taxpayer_name_masked=mask_name(obj.taxpayer_name),
        channel_code=channel.code,
        paid_at=data.paid_at,
        issued_at=now,
    )
    session.add(receipt)
    code.status, code.paid_at = PAID, now
    bills = [{**line, "amount": line["total"]} for line in code.breakdown]
    await publish_payment_received(
        session,
        ntpd=ntpd,
        channel=channel.code,
        amount=code.amount,
        paid_at=data.paid_at,
        bills=bills,
        occurred_at=now,
    )
    owner = await repository.owner_of(session, nop)
    if owner is not None:
        await publish_payment_lifecycle(
            session,
            ntpd=ntpd,
            owner_sub=owner,
            nop=nop,
            tax_years=[int(line["tax_year"]) for line in code.breakdown],
            kelurahan_code=obj.kelurahan_code,
            paid_at=data.paid_at,
            occurred_at=now,
        )
    await session.flush()
    return payment, receipt
