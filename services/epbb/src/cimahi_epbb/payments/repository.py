"""Every SQL statement of payments: channels, codes, the confirming writes, receipts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_epbb.models import (
    Bill,
    CallbackReplay,
    ObjectLink,
    Payment,
    PaymentChannel,
    PaymentCode,
    PaymentCodeBill,
    Receipt,
    ReceiptCounter,
    TaxObject,
)


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


# --- channels ---


async def get_channel(session: AsyncSession, code: str) -> PaymentChannel | None:
    """A channel by its code."""
    return await session.get(PaymentChannel, code)


async def channel_of_client(session: AsyncSession, client_id: str) -> PaymentChannel | None:
    """The channel a machine client is."""
    return (
        await session.execute(select(PaymentChannel).where(PaymentChannel.client_id == client_id))
    ).scalar_one_or_none()


async def list_channels(session: AsyncSession) -> list[PaymentChannel]:
    """Every channel by code."""
    return list(
        (await session.execute(select(PaymentChannel).order_by(PaymentChannel.code))).scalars()
    )


# --- objects ---


async def tax_object(session: AsyncSession, nop: str) -> TaxObject | None:
    """The tax object of a NOP."""
    return await session.get(TaxObject, nop)


async def owner_of(session: AsyncSession, nop: str) -> str | None:
    """The citizen account linked to an object (its taxpayer), if any."""
    link = await session.get(ObjectLink, nop)
    return link.owner_sub if link is not None else None


# --- payment codes ---


async def code_taken(session: AsyncSession, code: str) -> bool:
    """Whether a payment code number is already used."""
    found = await session.execute(select(PaymentCode.id).where(PaymentCode.code == code))
    return found.first() is not None


def add_code(session: AsyncSession, code: PaymentCode, amounts: dict[str, int]) -> None:
    """Stage a payment code and the bills it covers."""
    session.add(code)
    session.add_all(
        PaymentCodeBill(payment_code_id=code.id, bill_id=bill_id, amount=amount)
        for bill_id, amount in amounts.items()
    )


async def find_code(session: AsyncSession, code: str) -> PaymentCode | None:
    """A payment code by its number."""
    return (
        await session.execute(select(PaymentCode).where(PaymentCode.code == code))
    ).scalar_one_or_none()


async def code_by_id(session: AsyncSession, code_id: str) -> PaymentCode | None:
    """A payment code by id."""
    return await session.get(PaymentCode, code_id)


async def bills_by_id(session: AsyncSession, ids: Sequence[str]) -> dict[str, Bill]:
    """Bills by id (any status)."""
    rows = await session.execute(
        select(Bill).where(Bill.id.in_(list(ids))).execution_options(populate_existing=True)
    )
    return {b.id: b for b in rows.scalars()}


# --- the confirming writes ---


async def remember_message(
    session: AsyncSession, *, channel: str, message_id: str, body_sha256: str, now: datetime
) -> CallbackReplay | None:
    """Record a callback's webhook-id; the earlier record when the id was seen before."""
    insert = _insert(session)
    stmt = (
        insert(CallbackReplay)
        .values(
            channel_code=channel, message_id=message_id, received_at=now, body_sha256=body_sha256
        )
        .on_conflict_do_nothing(
            index_elements=[CallbackReplay.channel_code, CallbackReplay.message_id]
        )
    )
    result: CursorResult[Any] = await session.execute(stmt)  # type: ignore[assignment]
    if result.rowcount == 1:
        return None
    return (
        await session.execute(
            select(CallbackReplay).where(
                CallbackReplay.channel_code == channel, CallbackReplay.message_id == message_id
            )
        )
    ).scalar_one()


async def forget_messages(session: AsyncSession, *, channel: str, before: datetime) -> None:
    """Drop a channel's callback ids received before ``before`` (their timestamps are refused
    anyway, so they can no longer be replayed)."""
    await session.execute(
        delete(CallbackReplay).where(
            CallbackReplay.channel_code == channel, CallbackReplay.received_at < before
        )
    )


async def find_payment(session: AsyncSession, *, channel: str, reference: str) -> Payment | None:
    """The payment a channel confirmed with this reference (read fresh, not from the session)."""
    return (
        await session.execute(
            select(Payment)
            .where(Payment.channel_code == channel, Payment.channel_reference == reference)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def mark_bill_paid(
    session: AsyncSession,
    *,
    bill_id: str,
    paid_at: datetime,
    amount: int,
    breakdown: dict[str, Any],
    now: datetime,
) -> bool:
    """Mark one bill paid if it is still the current unpaid version (False: someone was first)."""
    result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        update(Bill)
        .where(Bill.id == bill_id, Bill.status == "unpaid", Bill.is_current.is_(True))
        .values(
            status="paid",
            paid_at=paid_at,
            paid_amount=amount,
            paid_breakdown=breakdown,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def set_bills_receipt(session: AsyncSession, bill_ids: Sequence[str], ntpd: str) -> None:
    """Write the receipt number on the bills a payment settled."""
    await session.execute(
        update(Bill)
        .where(Bill.id.in_(list(bill_ids)))
        .values(receipt_ntpd=ntpd)
        .execution_options(synchronize_session=False)
    )


async def next_receipt_serial(session: AsyncSession, day: date) -> int:
    """Take the next NTPD serial of a day, without gaps.

    One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` on the day's counter row: on
    PostgreSQL it locks the row until the confirming transaction ends (a rolled-back confirmation
    gives its number back); on SQLite the write transaction is exclusive.
    """
    insert = _insert(session)
    stmt = (
        insert(ReceiptCounter)
        .values(day=day, last_number=1)
        .on_conflict_do_update(
            index_elements=[ReceiptCounter.day],
            set_={"last_number": ReceiptCounter.last_number + 1},
        )
        .returning(ReceiptCounter.last_number)
    )
    return int((await session.execute(stmt)).scalar_one())


async def payment_of_code(session: AsyncSession, code_id: str) -> Payment | None:
    """The payment that settled a code, if any."""
    return (
        await session.execute(select(Payment).where(Payment.payment_code_id == code_id))
    ).scalar_one_or_none()


# --- receipts ---


async def receipt(session: AsyncSession, ntpd: str) -> Receipt | None:
    """A receipt by NTPD."""
    return await session.get(Receipt, ntpd)


async def receipts_of_owner(
    session: AsyncSession, *, owner_sub: str, before: str | None, limit: int
) -> list[Receipt]:
    """Receipts of the objects linked to an account, newest NTPD first (keyset: ``before``)."""
    linked = select(ObjectLink.nop).where(ObjectLink.owner_sub == owner_sub)
    paid = select(Bill.receipt_ntpd).where(
        Bill.nop.in_(linked), Bill.status == "paid", Bill.receipt_ntpd.is_not(None)
    )
    query = select(Receipt).where(Receipt.ntpd.in_(paid))
    if before is not None:
        query = query.where(Receipt.ntpd < before)
    rows = await session.execute(query.order_by(Receipt.ntpd.desc()).limit(limit))
    return list(rows.scalars())


async def receipt_by_code(session: AsyncSession, code: str) -> Receipt | None:
    """A receipt by its public verification code."""
    return (
        await session.execute(select(Receipt).where(Receipt.verification_code == code))
    ).scalar_one_or_none()


async def payment(session: AsyncSession, payment_id: str) -> Payment | None:
    """A payment by id."""
    return await session.get(Payment, payment_id)
