"""Taxpayer requests: keberatan (objection), pengurangan (reduction), mutasi (data change).

Statuses: ``submitted`` -> (verify, any officer of the area) ``verified`` -> (approve)
``approved``; ``submitted``/``resubmitted``/``verified`` -> ``returned`` (note: what to
correct) -> (the taxpayer resubmits) ``resubmitted``, or -> ``rejected`` (reason). The taxpayer
may cancel before a decision. Objections are decided (approved or rejected) by the head of
Bapenda. Approval changes the bill with a new version (``bills.versions.new_bill_version``, the
old kept) and, for mutasi, the object (a new object version and a ``tax_object_changes`` row);
a change of taxpayer removes the object's account link. Every step is a history row, a domain
event and a lifecycle event, in the transaction of the change. Bills already paid cannot be
objected to or reduced (409): refunds are out of scope.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_epbb.access_log import log_reads
from cimahi_epbb.auth import in_area, is_head, is_officer
from cimahi_epbb.bills.formula import ObjectFacts, rupiah
from cimahi_epbb.bills.versions import facts_of, new_bill_version
from cimahi_epbb.clock import Clock
from cimahi_epbb.events.requests import publish
from cimahi_epbb.models import (
    Bill,
    TaxObject,
    TaxObjectChange,
    TaxpayerRequest,
    TaxpayerRequestHistory,
)
from cimahi_epbb.requests import repository
from cimahi_epbb.requests.kinds import (
    APPROVE,
    BILL_REASON,
    CANCEL,
    DEADLINE_WORKING_DAYS,
    KEBERATAN,
    MUTASI,
    OPEN_STATUSES,
    PENGURANGAN,
    REJECT,
    RESUBMIT,
    RETURN,
    TITLE,
    VERIFY,
    Step,
)
from cimahi_epbb.requests.repository import ListFilter
from cimahi_epbb.requests.schemas import ApproveIn, RequestCreate, RequestResubmit
from cimahi_epbb.rules.schema import TaxYearRules
from cimahi_epbb.rules.service import rules_for
from cimahi_shared.auth import Principal
from cimahi_shared.calendar.workdays import WIB
from cimahi_shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from cimahi_shared.identifiers import format_nop, mask_nik
from cimahi_shared.pii import PiiCipher

TRACKING_PREFIX = "PBB-R"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PAID = "paid"
KIND_FIELDS = {
    KEBERATAN: (
        "tax_year",
        "reason",
        "claimed_land_area",
        "claimed_building_area",
        "claimed_land_class",
        "claimed_building_class",
    ),
    PENGURANGAN: ("tax_year", "reason", "ground", "requested_percent"),
    MUTASI: ("reason", "new_taxpayer", "object_changes"),
}
REQUIRED = {
    KEBERATAN: ("tax_year", "reason"),
    PENGURANGAN: ("tax_year", "reason", "ground", "requested_percent"),
    MUTASI: (),
}
_OBJECT_FIELDS = ("address", "land_area", "building_area", "building_class")
_TAXPAYER_FIELDS = ("taxpayer_name", "taxpayer_nik_masked", "taxpayer_address")


@dataclass(frozen=True, slots=True)
class Detail:
    """A request with its history (None in lists), as of ``now``."""

    request: TaxpayerRequest
    history: list[TaxpayerRequestHistory] | None
    now: datetime

    @property
    def overdue(self) -> bool:
        """Bapenda owes the next step and the deadline has passed."""
        request = self.request
        return (
            request.status in OPEN_STATUSES
            and request.due_at is not None
            and request.due_at < self.now
        )


def title_of(request: TaxpayerRequest) -> str:
    """``Keberatan PBB 2026 - 32.77.010.001.001-0001.0``."""
    year = f" {request.tax_year}" if request.tax_year else ""
    return f"{TITLE[request.kind]}{year} - {format_nop(request.nop)}"


def new_tracking_no(now: datetime) -> str:
    """``PBB-R<yymm>-<8 Crockford base32>``: unique city-wide, unguessable."""
    suffix = "".join(secrets.choice(_CROCKFORD) for _ in range(8))
    return f"{TRACKING_PREFIX}{now.astimezone(WIB):%y%m}-{suffix}"


def _error(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


# --- the taxpayer ---


async def submit(
    session: AsyncSession,
    *,
    principal: Principal,
    data: RequestCreate,
    clock: Clock,
    pii: PiiCipher,
) -> Detail:
    """Check and store a new request about an object linked to the caller; publish ``submitted``."""
    obj = await _linked_object(session, principal, data.nop)
    values = data.model_dump(exclude_none=True, exclude={"kind", "nop"})
    checked = await _check(session, kind=data.kind, values=values, obj=obj, clock=clock)
    await _refuse_duplicate(session, data.kind, obj.nop, checked.tax_year, None)
    nik = data.new_taxpayer.nik if data.new_taxpayer is not None else None
    now = clock.now
    for _ in range(5):
        request = TaxpayerRequest(
            id=str(ULID()),
            tracking_no=new_tracking_no(now),
            kind=data.kind,
            owner_sub=principal.sub,
            nop=obj.nop,
            tax_year=checked.tax_year,
            bill_id=checked.bill.id if checked.bill is not None else None,
            kelurahan_code=obj.kelurahan_code,
            fields=checked.fields,
            new_taxpayer_nik_encrypted=pii.encrypt(nik) if nik else None,
            new_taxpayer_nik_masked=mask_nik(nik) if nik else None,
            status="submitted",
            decision=None,
            outcome_bill_id=None,
            granted_reduction=None,
            sequence=1,
            submitted_at=now,
            updated_at=now,
            due_at=clock.due_at(checked.deadline_days),
            decided_at=None,
        )
        if await repository.insert_request(session, request):
            break
        # A concurrent submission about the same bill/object won (unique index): 409.
        await _refuse_duplicate(session, data.kind, obj.nop, checked.tax_year, None)
    else:  # pragma: no cover - 40 random bits per month
        raise RuntimeError("could not allocate a unique tracking number")
    _history(session, request, None, principal, None, now)
    await publish(
        session, request, verb="submitted", title=title_of(request), note=None, occurred_at=now
    )
    return await _detail(session, request, now)


async def resubmit(
    session: AsyncSession,
    *,
    principal: Principal,
    ref: str,
    data: RequestResubmit,
    clock: Clock,
    pii: PiiCipher,
) -> Detail:
    """The owner corrects a returned request; the fields given replace the old, the deadline restarts."""
    request = await _own(session, principal, ref)
    _require(request, RESUBMIT)
    obj = await _linked_object(session, principal, request.nop)
    given = data.model_dump(exclude_unset=True, exclude={"note"})
    given = {k: v for k, v in given.items() if v is not None}
    values: dict[str, Any] = {**request.fields, **given}
    if request.tax_year is not None and "tax_year" not in given:
        values["tax_year"] = request.tax_year
    checked = await _check(session, kind=request.kind, values=values, obj=obj, clock=clock)
    await _refuse_duplicate(session, request.kind, obj.nop, checked.tax_year, request.id)

    def correct() -> None:
        if data.new_taxpayer is not None:
            request.new_taxpayer_nik_encrypted = pii.encrypt(data.new_taxpayer.nik)
            request.new_taxpayer_nik_masked = mask_nik(data.new_taxpayer.nik)
        elif "new_taxpayer" not in checked.fields:
            request.new_taxpayer_nik_encrypted = None
            request.new_taxpayer_nik_masked = None
        request.fields = checked.fields
        request.tax_year = checked.tax_year
        request.bill_id = checked.bill.id if checked.bill is not None else None
        request.due_at = clock.due_at(checked.deadline_days)

    kind, request_id = request.kind, request.id  # a refused change expires the row's attributes
    if not await repository.change_unless_duplicate(session, correct):
        # A concurrent submission about the newly named bill won (unique index): 409.
        await _refuse_duplicate(session, kind, obj.nop, checked.tax_year, request_id)
        raise Conflict("Another request about this was submitted at the same time.")
    await _move(session, request, RESUBMIT, principal, data.note, clock.now)
    return await _detail(session, request, clock.now)


async def cancel(
    session: AsyncSession, *, principal: Principal, ref: str, note: str | None, clock: Clock
) -> Detail:
    """The owner withdraws the request (before a decision)."""
    request = await _own(session, principal, ref)
    _require(request, CANCEL)
    request.decided_at = clock.now
    await _move(session, request, CANCEL, principal, note, clock.now)
    return await _detail(session, request, clock.now)


# --- officers and the head of Bapenda ---


async def verify(
    session: AsyncSession, *, principal: Principal, ref: str, note: str | None, clock: Clock
) -> Detail:
    """An officer of the area finds the request complete."""
    request = await _in_area(session, principal, ref, for_update=True)
    await _move(session, request, VERIFY, principal, note, clock.now)
    return await _detail(session, request, clock.now)


async def return_for_correction(
    session: AsyncSession, *, principal: Principal, ref: str, note: str, clock: Clock
) -> Detail:
    """An officer of the area returns the request saying what to correct."""
    request = await _in_area(session, principal, ref, for_update=True)
    await _move(session, request, RETURN, principal, _required_note(note), clock.now)
    return await _detail(session, request, clock.now)


async def reject(
    session: AsyncSession, *, principal: Principal, ref: str, note: str, clock: Clock
) -> Detail:
    """Refuse the request with a reason (objections: the head only)."""
    request = await _in_area(session, principal, ref, for_update=True)
    _decider(principal, request)
    _require(request, REJECT)
    request.decided_at = clock.now
    await _move(session, request, REJECT, principal, _required_note(note), clock.now)
    return await _detail(session, request, clock.now)


async def approve(
    session: AsyncSession,
    *,
    principal: Principal,
    ref: str,
    data: ApproveIn,
    clock: Clock,
    pii: PiiCipher,
) -> Detail:
    """Grant the request: a new bill version (and, for mutasi, new object data)."""
    request = await _in_area(session, principal, ref, for_update=True)
    _decider(principal, request)
    _require(request, APPROVE)
    _check_decision_fields(request.kind, data)
    if request.kind == KEBERATAN:
        await _approve_objection(session, request, data, clock)
    elif request.kind == PENGURANGAN:
        await _approve_reduction(session, request, data, clock)
    else:
        await _approve_mutasi(session, request, principal, clock, pii)
    request.decided_at = clock.now
    await _move(session, request, APPROVE, principal, data.note, clock.now)
    return await _detail(session, request, clock.now)


# --- reads ---


async def read(
    session: AsyncSession, *, principal: Principal, ref: str, purpose: str, clock: Clock
) -> Detail:
    """One request: its owner, or an officer of its area / an admin (their read is logged)."""
    request = await repository.get_request(session, ref)
    if request is None or not _may_see(principal, request):
        raise NotFound(f"There is no request {ref}.")
    if principal.sub != request.owner_sub:
        log_reads(
            session,
            principal,
            resource="request",
            refs=[(request.nop, request.tracking_no)],
            action="read",
            purpose=purpose,
            now=clock.now,
        )
    return await _detail(session, request, clock.now)


async def list_for(
    session: AsyncSession,
    *,
    principal: Principal,
    flt: ListFilter,
    purpose: str,
    clock: Clock,
) -> tuple[list[Detail], int | None]:
    """The caller's requests (citizen) or their area's (officer, audit-logged)."""
    if principal.is_citizen:
        flt = replace(flt, owner_sub=principal.sub, area=None)
    elif not principal.is_admin:
        flt = replace(flt, owner_sub=None, area=principal.area or "-")
    flt = replace(flt, now=clock.now, due_soon_until=clock.due_soon_until())
    rows = await repository.list_requests(session, flt)
    more = len(rows) > flt.limit
    rows = rows[: flt.limit]
    log_reads(
        session,
        principal,
        resource="request",
        refs=[(row.nop, row.tracking_no) for row in rows],
        action="list",
        purpose=purpose,
        now=clock.now,
    )
    details = [Detail(row, None, clock.now) for row in rows]
    return details, flt.offset + flt.limit if more else None


# --- checks ---


@dataclass(frozen=True, slots=True)
class _Checked:
    fields: dict[str, Any]
    tax_year: int | None
    bill: Bill | None
    deadline_days: int


async def _check(
    session: AsyncSession,
    *,
    kind: str,
    values: dict[str, Any],
    obj: TaxObject,
    clock: Clock,
) -> _Checked:
    """The kind's fields as stored (no NIK), its bill and deadline; 422 names every wrong field."""
    errors = [
        _error(name, f"Not a field of a {kind} request.")
        for name in sorted(values)
        if name not in KIND_FIELDS[kind]
    ]
    errors += [
        _error(name, f"Required for a {kind} request.")
        for name in REQUIRED[kind]
        if values.get(name) is None or (isinstance(values[name], str) and not values[name].strip())
    ]
    fields = {k: v for k, v in values.items() if k in KIND_FIELDS[kind] and k != "tax_year"}
    tax_year: int | None = values.get("tax_year") if kind != MUTASI else None
    bill: Bill | None = None
    if not errors and tax_year is not None:
        bill = await repository.current_bill(session, obj.nop, tax_year)
        if bill is None:
            errors.append(_error("tax_year", f"This object has no bill of {tax_year}."))
        elif bill.status == PAID:
            raise Conflict(
                f"The {tax_year} bill is paid: it can no longer be objected to or reduced "
                "(refunds are not handled here)."
            )
    if kind == KEBERATAN and not errors and tax_year is not None and bill is not None:
        errors += _class_errors(
            (await rules_for(session, tax_year)).rules, values, prefix="claimed_"
        )
        assessed = bill.computation
        building_area = values.get("claimed_building_area", assessed.get("building_area") or 0)
        building_class = values.get("claimed_building_class") or assessed.get("building_class")
        if building_area > 0 and building_class is None:
            errors.append(_error("claimed_building_class", "A building needs its value class."))
    if kind == MUTASI and not errors:
        fields, more = await _check_mutasi(session, values, obj, clock)
        errors += more
    if errors:
        raise InvalidInput("The request has invalid fields.", errors=errors)
    if isinstance(fields.get("reason"), str):
        fields["reason"] = fields["reason"].strip()
    return _Checked(fields, tax_year, bill, DEADLINE_WORKING_DAYS[kind])


def _class_errors(
    rules: TaxYearRules, values: dict[str, Any], *, prefix: str
) -> list[dict[str, str]]:
    errors = []
    land = values.get(prefix + "land_class")
    if land is not None and land not in rules.land_classes:
        errors.append(_error(prefix + "land_class", f"Not a land class of {rules.tax_year}."))
    building = values.get(prefix + "building_class")
    if building is not None and building not in rules.building_classes:
        errors.append(
            _error(prefix + "building_class", f"Not a building class of {rules.tax_year}.")
        )
    return errors


async def _check_mutasi(
    session: AsyncSession, values: dict[str, Any], obj: TaxObject, clock: Clock
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    taxpayer = values.get("new_taxpayer")
    changes = values.get("object_changes")
    errors: list[dict[str, str]] = []
    if not taxpayer and not changes:
        errors.append(_error("object_changes", "Give a new taxpayer or new object data."))
    fields: dict[str, Any] = {}
    if values.get("reason"):
        fields["reason"] = values["reason"]
    if taxpayer:
        fields["new_taxpayer"] = {k: v for k, v in taxpayer.items() if k != "nik"}
    if changes:
        changes = {k: v for k, v in changes.items() if v is not None}
        if not changes:
            errors.append(_error("object_changes", "Give at least one field to change."))
        building_area = changes.get("building_area", obj.building_area)
        building_class = changes.get("building_class", obj.building_class)
        if building_area > 0 and building_class is None:
            errors.append(
                _error("object_changes.building_class", "A building needs its value class.")
            )
        if "building_class" in changes:
            try:
                rules = (await rules_for(session, clock.today.year)).rules
            except NotFound:
                rules = None
            if rules is not None and changes["building_class"] not in rules.building_classes:
                errors.append(
                    _error("object_changes.building_class", "Not a building class of the rules.")
                )
        fields["object_changes"] = changes
    return fields, errors


def _check_decision_fields(kind: str, data: ApproveIn) -> None:
    given = data.model_dump(exclude_none=True, exclude={"note"})
    allowed = {
        KEBERATAN: {
            "decided_land_area",
            "decided_building_area",
            "decided_land_class",
            "decided_building_class",
            "principal",
        },
        PENGURANGAN: {"decided_percent"},
        MUTASI: set(),
    }[kind]
    errors = [
        _error(k, f"Not part of a {kind} decision.") for k in sorted(given) if k not in allowed
    ]
    if kind == KEBERATAN and "principal" in given and len(given) > 1:
        errors.append(_error("principal", "Give either a principal or the decided areas/classes."))
    if errors:
        raise InvalidInput("The decision has invalid fields.", errors=errors)


# --- decisions ---


async def _current_bill(session: AsyncSession, request: TaxpayerRequest) -> Bill:
    assert request.tax_year is not None
    bill = await repository.current_bill(session, request.nop, request.tax_year)
    if bill is None:  # pragma: no cover - a bill version always stays current
        raise Conflict(f"The {request.tax_year} bill is gone.")
    if bill.status == PAID:
        raise Conflict(f"The {request.tax_year} bill was paid meanwhile; it cannot be changed.")
    return bill


async def _approve_objection(
    session: AsyncSession, request: TaxpayerRequest, data: ApproveIn, clock: Clock
) -> None:
    bill = await _current_bill(session, request)
    if data.principal is not None:
        successor = await new_bill_version(
            session,
            bill=bill,
            reason=BILL_REASON[KEBERATAN],
            request_id=request.id,
            now=clock.now,
            principal=data.principal,
        )
        basis: dict[str, Any] = {"explicit_principal": True}
    else:
        facts = _decided_facts(bill, request.fields, data)
        assert request.tax_year is not None
        values = {
            "decided_land_class": facts.land_class,
            "decided_building_class": facts.building_class,
        }
        rules = (await rules_for(session, request.tax_year)).rules
        errors = _class_errors(rules, values, prefix="decided_")
        if facts.building_area > 0 and facts.building_class is None:
            errors.append(_error("decided_building_class", "A building needs its value class."))
        if errors:
            raise InvalidInput("The decision has invalid fields.", errors=errors)
        successor = await new_bill_version(
            session,
            bill=bill,
            reason=BILL_REASON[KEBERATAN],
            request_id=request.id,
            now=clock.now,
            facts=facts,
        )
        basis = {
            "land_area": facts.land_area,
            "building_area": facts.building_area,
            "land_class": facts.land_class,
            "building_class": facts.building_class,
        }
    await _reapply_reduction(session, successor)
    request.outcome_bill_id = successor.id
    request.decision = {
        "previous_bill_id": bill.id,
        "previous_principal": bill.principal,
        "principal": successor.principal,
        **basis,
    }


async def _reapply_reduction(session: AsyncSession, bill: Bill) -> None:
    """A re-assessed bill keeps the granted reduction's percent, not its old amount."""
    if bill.granted_reduction == 0:
        return
    percent = await repository.granted_percent(session, bill.nop, bill.tax_year)
    if percent is not None:
        bill.granted_reduction = _percent_of(bill.principal, percent)


def _percent_of(principal: int, percent: int) -> int:
    return rupiah(Decimal(principal) * percent / Decimal(100))


def _decided_facts(bill: Bill, claimed: dict[str, Any], data: ApproveIn) -> ObjectFacts:
    """Decided values, else the claimed ones, else those the bill was assessed with."""
    assessed = bill.computation

    def pick(name: str) -> Any:
        decided = getattr(data, "decided_" + name)
        if decided is not None:
            return decided
        if claimed.get("claimed_" + name) is not None:
            return claimed["claimed_" + name]
        return assessed.get(name)

    building_area = int(pick("building_area") or 0)
    return ObjectFacts(
        land_area=int(pick("land_area")),
        building_area=building_area,
        land_class=str(pick("land_class")),
        building_class=pick("building_class") if building_area > 0 else None,
    )


async def _approve_reduction(
    session: AsyncSession, request: TaxpayerRequest, data: ApproveIn, clock: Clock
) -> None:
    bill = await _current_bill(session, request)
    percent = data.decided_percent or int(request.fields["requested_percent"])
    granted = _percent_of(bill.principal, percent)
    successor = await new_bill_version(
        session,
        bill=bill,
        reason=BILL_REASON[PENGURANGAN],
        request_id=request.id,
        now=clock.now,
        granted_reduction=granted,
    )
    request.outcome_bill_id = successor.id
    request.granted_reduction = granted
    request.decision = {
        "previous_bill_id": bill.id,
        "percent": percent,
        "principal": successor.principal,
        "granted_reduction": granted,
    }


async def _approve_mutasi(
    session: AsyncSession,
    request: TaxpayerRequest,
    principal: Principal,
    clock: Clock,
    pii: PiiCipher,
) -> None:
    obj = await repository.get_object(session, request.nop, for_update=True)
    if obj is None:  # pragma: no cover - objects are never deleted
        raise Conflict(f"Tax object {format_nop(request.nop)} is gone.")
    before = _snapshot(obj)
    changes: dict[str, Any] = request.fields.get("object_changes") or {}
    for name in _OBJECT_FIELDS:
        if name in changes:
            setattr(obj, name, changes[name])
    if obj.building_area == 0:
        obj.building_class = None
    taxpayer = request.fields.get("new_taxpayer")
    if taxpayer and request.new_taxpayer_nik_encrypted:
        nik = pii.decrypt(request.new_taxpayer_nik_encrypted)
        obj.taxpayer_name = taxpayer["name"]
        obj.taxpayer_nik_encrypted = pii.encrypt(nik)
        obj.taxpayer_nik_hash = pii.lookup_hash(nik)
        obj.taxpayer_nik_masked = mask_nik(nik)
        if taxpayer.get("address"):
            obj.taxpayer_address = taxpayer["address"]
    after = _snapshot(obj)
    changed = sorted(k for k in after if after[k] != before[k])
    if not changed:
        raise Conflict("The object already has this data; nothing would change.")
    obj.version += 1
    obj.updated_at = clock.now
    repository.add_object_change(
        session,
        TaxObjectChange(
            id=str(ULID()),
            nop=obj.nop,
            version=obj.version,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
            request_id=request.id,
            actor_sub=principal.sub,
            changed_at=clock.now,
        ),
    )
    if "taxpayer_nik_masked" in changed or "taxpayer_name" in changed:
        await repository.remove_link(session, obj.nop)
    reassess = any(name in changed for name in ("land_area", "building_area", "building_class"))
    successors = []
    for bill in await repository.current_unpaid_bills(session, obj.nop, clock.today.year):
        successors.append(
            await new_bill_version(
                session,
                bill=bill,
                reason=BILL_REASON[MUTASI],
                request_id=request.id,
                now=clock.now,
                facts=facts_of(obj) if reassess else None,
            )
        )
    for successor in successors:
        await _reapply_reduction(session, successor)
    request.outcome_bill_id = successors[-1].id if successors else None
    request.decision = {
        "changed_fields": changed,
        "object_version": obj.version,
        "bills": [
            {"bill_id": b.id, "tax_year": b.tax_year, "principal": b.principal} for b in successors
        ],
    }


def _snapshot(obj: TaxObject) -> dict[str, Any]:
    """The data a mutasi may change (NIK only masked)."""
    return {name: getattr(obj, name) for name in (*_OBJECT_FIELDS, *_TAXPAYER_FIELDS)}


# --- helpers ---


async def _linked_object(session: AsyncSession, principal: Principal, nop: str) -> TaxObject:
    owner = await repository.linked_owner(session, nop)
    obj = await repository.get_object(session, nop) if owner == principal.sub else None
    if obj is None or obj.status != "active":
        raise NotFound(f"No tax object {format_nop(nop)} is linked to your account.")
    return obj


async def _refuse_duplicate(
    session: AsyncSession, kind: str, nop: str, tax_year: int | None, exclude_id: str | None
) -> None:
    other = await repository.open_request_about(
        session, kind=kind, nop=nop, tax_year=tax_year, exclude_id=exclude_id
    )
    if other is not None:
        raise Conflict(f"Request {other.tracking_no} about this is still open.")


async def _own(session: AsyncSession, principal: Principal, ref: str) -> TaxpayerRequest:
    request = await repository.get_request(session, ref, for_update=True)
    if request is None or request.owner_sub != principal.sub:
        raise NotFound(f"There is no request {ref}.")
    return request


async def _in_area(
    session: AsyncSession, principal: Principal, ref: str, *, for_update: bool
) -> TaxpayerRequest:
    request = await repository.get_request(session, ref, for_update=for_update)
    if request is None or not in_area(principal, request.kelurahan_code):
        raise NotFound(f"There is no request {ref}.")
    return request


def _decider(principal: Principal, request: TaxpayerRequest) -> None:
    if request.kind == KEBERATAN and not is_head(principal):
        raise Forbidden("Objections are decided by the head of Bapenda.")


def _may_see(principal: Principal, request: TaxpayerRequest) -> bool:
    if principal.is_citizen:
        return principal.sub == request.owner_sub
    if principal.is_admin:
        return True
    return is_officer(principal) and in_area(principal, request.kelurahan_code)


def _required_note(note: str) -> str:
    if not note.strip():
        raise InvalidInput("A note is needed.", errors=[_error("note", "Must not be blank.")])
    return note.strip()


def _require(request: TaxpayerRequest, step: Step) -> None:
    if request.status not in step.sources:
        raise Conflict(f"A request that is {request.status} cannot be {step.target}.")


async def _move(
    session: AsyncSession,
    request: TaxpayerRequest,
    step: Step,
    principal: Principal,
    note: str | None,
    now: datetime,
) -> None:
    """Change the status, record the step, publish the domain and lifecycle events."""
    _require(request, step)
    previous = request.status
    request.status = step.target
    request.sequence += 1
    request.updated_at = now
    _history(session, request, previous, principal, note, now)
    await publish(
        session, request, verb=step.verb, title=title_of(request), note=note, occurred_at=now
    )


def _history(
    session: AsyncSession,
    request: TaxpayerRequest,
    previous: str | None,
    principal: Principal,
    note: str | None,
    now: datetime,
) -> None:
    repository.add_history(
        session,
        TaxpayerRequestHistory(
            request_id=request.id,
            sequence=request.sequence,
            from_status=previous,
            to_status=request.status,
            actor_sub=principal.sub,
            actor_role=principal.role,
            actor_name=principal.name,
            note=note,
            occurred_at=now,
        ),
    )


async def _detail(session: AsyncSession, request: TaxpayerRequest, now: datetime) -> Detail:
    await session.flush()
    return Detail(request, await repository.history_of(session, request.id), now)
