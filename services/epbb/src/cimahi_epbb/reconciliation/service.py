"""Daily reconciliation of a channel: E-PBB's confirmed payments versus the channel's file.

``POST /v1/admin/reconciliations?channel=bjb&day=2026-06-01`` with a ``text/csv`` body (UTF-8,
a header line naming the columns ``channel_reference,ntpd,amount,paid_at`` in any order, one
payment per line; ``ntpd`` may be empty, ``amount`` whole rupiah, ``paid_at`` ISO 8601, WIB
when it has no offset; at most ``MAX_ROWS`` lines). Our side is the channel's payments whose
settlement day (``paid_at`` in WIB) is ``day``; a reference of the file confirmed on another
day is still found. The report: matched count and amount, and the differences:

* ``missing_here``: in the file, no such payment here (the channel took money we did not record);
* ``missing_in_channel``: confirmed here, absent from the file;
* ``amount_differs``: both have it, with different amounts;
* ``duplicate_in_file``: a reference the file lists again (the later lines).

A malformed file is a 422 naming the line and column; nothing is stored. Admins and Bapenda
officers of the whole city (area ``32.77``) may reconcile.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_epbb.auth import is_officer
from cimahi_epbb.models import Reconciliation
from cimahi_epbb.payments import repository as payments
from cimahi_epbb.reconciliation import repository
from cimahi_epbb.reconciliation.schemas import Difference, DifferenceKind, ReconciliationRead
from cimahi_shared.auth import Principal
from cimahi_shared.calendar.workdays import WIB
from cimahi_shared.errors import Forbidden, InvalidInput, NotFound
from cimahi_shared.regions import CITY_CODE

COLUMNS = ("channel_reference", "ntpd", "amount", "paid_at")
MAX_ROWS = 20_000
MAX_ERRORS = 20
DIFFERENCE_COLUMNS = ("kind", "channel_reference", "ntpd", "ours", "theirs", "line")


class ReconciliationNotFound(NotFound):
    code, title = "reconciliation-not-found", "No such reconciliation"


class InvalidSettlementFile(InvalidInput):
    code, title = "invalid-settlement-file", "The settlement file is not valid CSV of payments"


def may_reconcile(principal: Principal) -> bool:
    """Admins and Bapenda officers working for the whole city."""
    return principal.is_admin or (is_officer(principal) and principal.area == CITY_CODE)


def require_reconciler(principal: Principal) -> None:
    """Refuse anyone who may not reconcile (403)."""
    if not may_reconcile(principal):
        raise Forbidden("Only admins and city-wide Bapenda officers reconcile payments.")


@dataclass(frozen=True, slots=True)
class SettlementRow:
    """One line of a channel's settlement file."""

    line: int
    channel_reference: str
    ntpd: str | None
    amount: int
    paid_at: datetime


def _paid_at(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=WIB)


def parse_settlement(raw: bytes) -> list[SettlementRow]:
    """The rows of a settlement file, or a 422 naming each bad line and column."""

    def bad(errors: list[dict[str, Any]]) -> InvalidSettlementFile:
        where = "; ".join(f"line {e['line']} {e['field']}: {e['message']}" for e in errors[:3])
        return InvalidSettlementFile(f"Invalid settlement file: {where}", errors=errors)

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise bad([{"field": "body", "line": 1, "message": "not UTF-8 text"}]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise bad(
            [{"field": "body", "line": 1, "message": "empty file: header required"}]
        ) from None
    except csv.Error as exc:
        raise bad([{"field": "body", "line": 1, "message": str(exc)}]) from None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise bad(
            [{"field": c, "line": 1, "message": "column missing from the header"} for c in missing]
        )
    index = {c: header.index(c) for c in COLUMNS}
    rows: list[SettlementRow] = []
    errors: list[dict[str, Any]] = []
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            if len(rows) >= MAX_ROWS:
                raise bad(
                    [{"field": "body", "line": line, "message": f"more than {MAX_ROWS} rows"}]
                )
            if len(fields) != len(header):
                errors.append(
                    {
                        "field": "body",
                        "line": line,
                        "message": f"{len(fields)} columns, expected {len(header)}",
                    }
                )
                continue
            value = {c: fields[i].strip() for c, i in index.items()}
            row_errors = []
            if not value["channel_reference"] or len(value["channel_reference"]) > 64:
                row_errors.append(
                    {"field": "channel_reference", "line": line, "message": "1 to 64 characters"}
                )
            amount = int(value["amount"]) if value["amount"].isdigit() else 0
            if amount <= 0:
                row_errors.append(
                    {"field": "amount", "line": line, "message": "whole rupiah above 0"}
                )
            try:
                paid_at = _paid_at(value["paid_at"])
            except ValueError:
                row_errors.append(
                    {"field": "paid_at", "line": line, "message": "ISO 8601 date-time"}
                )
            if row_errors:
                errors.extend(row_errors)
            else:
                rows.append(
                    SettlementRow(
                        line, value["channel_reference"], value["ntpd"] or None, amount, paid_at
                    )
                )
            if len(errors) >= MAX_ERRORS:
                break
    except csv.Error as exc:
        errors.append({"field": "body", "line": reader.line_num, "message": str(exc)})
    if errors:
        raise bad(errors[:MAX_ERRORS])
    return rows


def compare(
    rows: list[SettlementRow], ours_of_day: list[Any], ours_by_ref: dict[str, Any]
) -> tuple[int, int, list[Difference]]:
    """Matched count, matched amount and the differences of a file against our payments."""
    matched_count = matched_amount = 0
    differences: list[Difference] = []
    seen: set[str] = set()
    for row in rows:
        ref = row.channel_reference
        ours = ours_by_ref.get(ref)
        if ref in seen:
            differences.append(
                Difference(
                    kind=DifferenceKind.DUPLICATE_IN_FILE,
                    channel_reference=ref,
                    ntpd=ours.receipt_ntpd if ours is not None else row.ntpd,
                    ours=ours.amount if ours is not None else None,
                    theirs=row.amount,
                    line=row.line,
                )
            )
            continue
        seen.add(ref)
        if ours is None:
            differences.append(
                Difference(
                    kind=DifferenceKind.MISSING_HERE,
                    channel_reference=ref,
                    ntpd=row.ntpd,
                    ours=None,
                    theirs=row.amount,
                    line=row.line,
                )
            )
        elif ours.amount != row.amount:
            differences.append(
                Difference(
                    kind=DifferenceKind.AMOUNT_DIFFERS,
                    channel_reference=ref,
                    ntpd=ours.receipt_ntpd,
                    ours=ours.amount,
                    theirs=row.amount,
                    line=row.line,
                )
            )
        else:
            matched_count += 1
            matched_amount += ours.amount
    for payment in ours_of_day:
        if payment.channel_reference not in seen:
            differences.append(
                Difference(
                    kind=DifferenceKind.MISSING_IN_CHANNEL,
                    channel_reference=payment.channel_reference,
                    ntpd=payment.receipt_ntpd,
                    ours=payment.amount,
                    theirs=None,
                    line=None,
                )
            )
    return matched_count, matched_amount, differences


def reconciliation_read(item: Reconciliation) -> ReconciliationRead:
    """A stored report as shown."""
    differences = [Difference.model_validate(d) for d in item.differences]
    return ReconciliationRead(
        id=item.id,
        channel=item.channel_code,
        day=item.day,
        file_sha256=item.file_sha256,
        matched_count=item.matched_count,
        matched_amount=item.matched_amount,
        difference_count=len(differences),
        differences=differences,
        created_by=item.created_by,
        created_at=item.created_at,
    )


async def reconcile(
    session: AsyncSession,
    *,
    principal: Principal,
    channel: str,
    day: date,
    raw: bytes,
    now: datetime,
) -> ReconciliationRead:
    """Compare a channel's settlement file of ``day`` with our payments and store the report."""
    require_reconciler(principal)
    if await payments.get_channel(session, channel) is None:
        raise InvalidInput(
            f"No payment channel {channel!r}.",
            errors=[{"field": "channel", "message": "unknown channel"}],
        )
    rows = parse_settlement(raw)
    ours_of_day = await repository.payments_on(session, channel=channel, day=day)
    by_ref = {p.channel_reference: p for p in ours_of_day}
    others = [r.channel_reference for r in rows if r.channel_reference not in by_ref]
    if others:
        by_ref.update(
            await repository.payments_by_reference(session, channel=channel, references=others)
        )
    matched_count, matched_amount, differences = compare(rows, ours_of_day, by_ref)
    item = Reconciliation(
        id=str(ULID()),
        channel_code=channel,
        day=day,
        file_sha256=hashlib.sha256(raw).hexdigest(),
        matched_count=matched_count,
        matched_amount=matched_amount,
        differences=[d.model_dump(mode="json") for d in differences],
        created_by=principal.sub,
        created_at=now,
    )
    repository.add(session, item)
    await session.flush()
    return reconciliation_read(item)


async def get_reconciliation(
    session: AsyncSession, *, principal: Principal, reconciliation_id: str
) -> ReconciliationRead:
    """A stored report."""
    require_reconciler(principal)
    item = await repository.get(session, reconciliation_id)
    if item is None:
        raise ReconciliationNotFound(f"No reconciliation {reconciliation_id}.")
    return reconciliation_read(item)


def differences_csv(report: ReconciliationRead) -> str:
    """The differences of a report as CSV (header + one line each)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DIFFERENCE_COLUMNS)
    for d in report.differences:
        writer.writerow(
            [
                d.kind.value,
                d.channel_reference,
                d.ntpd or "",
                "" if d.ours is None else d.ours,
                "" if d.theirs is None else d.theirs,
                "" if d.line is None else d.line,
            ]
        )
    return out.getvalue()
