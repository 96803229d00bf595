"""Document applications: submission, reads, the citizen's and the officers' steps.

Statuses: ``submitted`` -> (verify) ``verified`` | ``returned`` | ``rejected``; a returned
application is ``resubmitted`` by the citizen (deadline restarts); a late birth registration
goes from verification to ``awaiting_decision`` and the head of Dinas approves (``processing``)
or rejects; (process) -> ``awaiting_signature``; (sign, head of Dinas) -> ``issued``, which
changes the register and issues the document in the same transaction. The citizen may cancel
before processing. Every step is a history row and a ``request.lifecycle.v1`` event.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_dilandacinta.access_log import access_entry, add_access_entries
from cimahi_dilandacinta.applications import repository
from cimahi_dilandacinta.applications.repository import OPEN_STATUSES, ListFilter
from cimahi_dilandacinta.applications.schemas import (
    ApplicationCreate,
    DecideIn,
    ResubmitIn,
    VerifyIn,
)
from cimahi_dilandacinta.applications.validation import (
    check_attachment_codes,
    check_submission,
    check_type_fields,
    error,
    standard_of,
)
from cimahi_dilandacinta.auth import in_area, is_head, is_officer
from cimahi_dilandacinta.clock import Clock
from cimahi_dilandacinta.config import DilandacintaSettings
from cimahi_dilandacinta.events.applications import publish_domain, publish_lifecycle
from cimahi_dilandacinta.models import Application, ApplicationHistory, Upload
from cimahi_dilandacinta.register.effects import apply_issuance
from cimahi_dilandacinta.uploads.service import attach_uploads, uploads_of
from cimahi_shared.auth import Principal
from cimahi_shared.calendar.workdays import WIB
from cimahi_shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from cimahi_shared.identifiers import mask_nik
from cimahi_shared.pii import PiiCipher

TRACKING_PREFIX = "DKC-"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DEFAULT_PURPOSE = "Pelayanan permohonan dokumen kependudukan"


@dataclass(frozen=True)
class Step:
    """A workflow step: the statuses it starts from, where it leads, who may take it."""

    action: str
    sources: tuple[str, ...]
    target: str


CANCEL = Step("cancel", ("submitted", "resubmitted", "returned", "verified"), "cancelled")
RESUBMIT = Step("resubmit", ("returned",), "resubmitted")
ACCEPT = Step("accept", ("submitted", "resubmitted"), "verified")
ACCEPT_LATE = Step("accept", ("submitted", "resubmitted"), "awaiting_decision")
RETURN = Step("return", ("submitted", "resubmitted"), "returned")
REJECT = Step("reject", ("submitted", "resubmitted"), "rejected")
APPROVE = Step("approve", ("awaiting_decision",), "processing")
DECLINE = Step("reject", ("awaiting_decision",), "rejected")
PROCESS = Step("process", ("verified", "processing"), "awaiting_signature")
SIGN = Step("sign", ("awaiting_signature",), "issued")


@dataclass
class Detail:
    """An application with its attachments, as of ``now``."""

    application: Application
    attachments: Sequence[Upload]
    now: datetime

    @property
    def overdue(self) -> bool:
        app = self.application
        return app.status in OPEN_STATUSES and app.due_at is not None and app.due_at < self.now


def new_tracking_no(now: datetime) -> str:
    """``DKC-<yymm>-<8 Crockford base32>``: unique city-wide, unguessable."""
    suffix = "".join(secrets.choice(_CROCKFORD) for _ in range(8))
    return f"{TRACKING_PREFIX}{now.astimezone(WIB):%y%m}-{suffix}"


def title_of(application: Application) -> str:
    """The service's name."""
    return standard_of(application.type_code).name


# --- citizen ---


async def submit(
    session: AsyncSession,
    *,
    principal: Principal,
    data: ApplicationCreate,
    clock: Clock,
    pii: PiiCipher,
    settings: DilandacintaSettings,
) -> Detail:
    """Check and store a new application, attach its uploads, publish ``submitted``."""
    standard = standard_of(data.type)
    fields = check_type_fields(standard, data.fields, today=clock.today)
    check_attachment_codes(standard, data.attachments)
    checked = await check_submission(
        session,
        principal=principal,
        pii=pii,
        standard=standard,
        fields=fields,
        applicant=data.applicant,
        subject_nik=data.subject_nik,
        people=data.people,
        today=clock.today,
        late_birth_days=settings.late_birth_registration_days,
    )
    now = clock.now
    for _ in range(5):
        application = Application(
            id=str(ULID()),
            tracking_no=new_tracking_no(now),
            type_code=standard.code,
            owner_sub=principal.sub,
            applicant_nik_encrypted=pii.encrypt(data.applicant.nik),
            applicant_nik_hash=pii.lookup_hash(data.applicant.nik),
            applicant_nik_masked=mask_nik(data.applicant.nik),
            applicant_name=data.applicant.name.strip(),
            subject_person_id=checked.subject.id if checked.subject else None,
            subject_nik_masked=checked.subject.nik_masked if checked.subject else None,
            family_id=checked.family.id if checked.family else None,
            people_encrypted=checked.people_encrypted(pii),
            people_masked=checked.people_masked(),
            kelurahan_code=checked.kelurahan_code,
            fields=checked.fields,
            status="submitted",
            needs_head_decision=checked.needs_head_decision,
            missing_items=None,
            sequence=1,
            submitted_at=now,
            updated_at=now,
            due_at=clock.due_at(standard.time_limit_working_days),
            decided_at=None,
            document_id=None,
        )
        if await repository.insert_application(session, application):
            break
    else:  # pragma: no cover - 40 random bits per month
        raise RuntimeError("could not allocate a unique tracking number")
    _history(session, application, "submit", None, principal, None, now)
    await _attach(session, principal, application, data.attachments, now)
    await publish_lifecycle(session, application, title=standard.name, note=None, occurred_at=now)
    return await _detail(session, application.tracking_no, now)


async def cancel(
    session: AsyncSession, *, principal: Principal, tracking_no: str, note: str | None, clock: Clock
) -> Detail:
    """The owner withdraws the application (before processing)."""
    application = await _own(session, principal, tracking_no)
    await _move(session, application, CANCEL, principal, note, clock.now)
    return await _detail(session, tracking_no, clock.now)


async def resubmit(
    session: AsyncSession,
    *,
    principal: Principal,
    tracking_no: str,
    data: ResubmitIn,
    clock: Clock,
    pii: PiiCipher,
    settings: DilandacintaSettings,
) -> Detail:
    """The owner corrects a returned application; the deadline restarts."""
    application = await _own(session, principal, tracking_no)
    _require(application, RESUBMIT)
    standard = standard_of(application.type_code)
    check_attachment_codes(standard, data.attachments)
    if data.fields is not None:
        fields = check_type_fields(standard, data.fields, today=clock.today)
        if standard.code == "akta_kelahiran":
            born = datetime.fromisoformat(fields["birth_date"]).date()
            late = (clock.today - born).days > settings.late_birth_registration_days
            application.needs_head_decision = late
        if standard.people == "newcomers":
            fields["kelurahan_code"] = application.kelurahan_code  # the area stays
        application.fields = fields
    application.due_at = clock.due_at(standard.time_limit_working_days)
    application.missing_items = None
    await _attach(session, principal, application, data.attachments, clock.now)
    await _move(session, application, RESUBMIT, principal, data.note, clock.now)
    return await _detail(session, tracking_no, clock.now)


# --- officers and the head of Dinas ---


async def verify(
    session: AsyncSession, *, principal: Principal, tracking_no: str, data: VerifyIn, clock: Clock
) -> Detail:
    """Accept, return (the citizen revises) or reject, naming the missing requirement codes."""
    application = await _in_area(session, principal, tracking_no, for_update=True)
    standard = standard_of(application.type_code)
    if data.outcome != "accept":
        _check_reasons(standard.requirements, data)
        application.missing_items = list(dict.fromkeys(data.missing_items)) or None
    if data.outcome == "accept":
        step = ACCEPT_LATE if application.needs_head_decision else ACCEPT
    else:
        step = RETURN if data.outcome == "return" else REJECT
    if step is REJECT:
        application.decided_at = clock.now
    await _move(session, application, step, principal, data.note, clock.now)
    return await _detail(session, tracking_no, clock.now)


def _check_reasons(requirements: Sequence[object], data: VerifyIn) -> None:
    codes = {getattr(r, "code", None) for r in requirements}
    errors = [
        error(f"missing_items[{i}]", "Not a requirement code of this service.")
        for i, code in enumerate(data.missing_items)
        if code not in codes
    ]
    if not (data.note or "").strip():
        errors.append(error("note", "Say what is wrong or missing."))
    if errors:
        raise InvalidInput("The reasons are incomplete.", errors=errors)


async def decide(
    session: AsyncSession, *, principal: Principal, tracking_no: str, data: DecideIn, clock: Clock
) -> Detail:
    """The head of Dinas decides a late birth registration."""
    application = await _in_area(session, principal, tracking_no, for_update=True)
    _head_only(principal)
    if data.outcome == "reject" and not (data.note or "").strip():
        raise InvalidInput("A reason is needed.", errors=[error("note", "Give the reason.")])
    step = APPROVE if data.outcome == "approve" else DECLINE
    application.decided_at = clock.now
    await _move(session, application, step, principal, data.note, clock.now)
    return await _detail(session, tracking_no, clock.now)


async def process(
    session: AsyncSession, *, principal: Principal, tracking_no: str, note: str | None, clock: Clock
) -> Detail:
    """The data is processed; the document waits for the head's signature."""
    application = await _in_area(session, principal, tracking_no, for_update=True)
    await _move(session, application, PROCESS, principal, note, clock.now)
    return await _detail(session, tracking_no, clock.now)


async def sign(
    session: AsyncSession,
    *,
    principal: Principal,
    tracking_no: str,
    note: str | None,
    clock: Clock,
    pii: PiiCipher,
    settings: DilandacintaSettings,
) -> Detail:
    """The head signs: the register changes and the document is issued, in this transaction."""
    application = await _in_area(session, principal, tracking_no, for_update=True)
    _head_only(principal)
    _require(application, SIGN)
    document, events = await apply_issuance(
        session,
        application,
        signer=principal,
        signer_title=settings.head_title,
        pii=pii,
        now=clock.now,
    )
    application.document_id = document.id
    application.decided_at = clock.now
    await _move(session, application, SIGN, principal, note, clock.now)
    await publish_domain(session, events, occurred_at=clock.now)
    return await _detail(session, tracking_no, clock.now)


def _head_only(principal: Principal) -> None:
    if not is_head(principal):
        raise Forbidden("Only the head of Disdukcapil can do this.")


# --- reads ---


async def read(
    session: AsyncSession,
    *,
    principal: Principal,
    tracking_no: str,
    purpose: str | None,
    clock: Clock,
) -> Detail:
    """One application: its owner, or an officer of its area (read audit-logged)."""
    application = await repository.get_by_tracking_no(session, tracking_no)
    if application is None or not _may_see(principal, application):
        raise NotFound(f"There is no application {tracking_no}.")
    if principal.sub != application.owner_sub:
        _audit(session, principal, application, "read", purpose, clock.now)
    return await _detail(session, tracking_no, clock.now)


async def list_for(
    session: AsyncSession,
    *,
    principal: Principal,
    flt: ListFilter,
    purpose: str | None,
    clock: Clock,
) -> tuple[list[Detail], int | None]:
    """The caller's applications (citizen) or their area's (officer, audit-logged)."""
    if principal.is_citizen:
        flt = ListFilter(**{**flt.__dict__, "owner_sub": principal.sub, "area": None})
    elif not principal.is_admin:
        flt = ListFilter(**{**flt.__dict__, "owner_sub": None, "area": principal.area})
    flt = ListFilter(**{**flt.__dict__, "now": clock.now, "due_soon_until": clock.due_soon_until()})
    rows = await repository.list_applications(session, flt)
    more = len(rows) > flt.limit
    rows = rows[: flt.limit]
    if not principal.is_citizen and rows:
        _audit(session, principal, None, "list", purpose, clock.now)
    details = [Detail(row, [], clock.now) for row in rows]
    return details, flt.offset + flt.limit if more else None


def _may_see(principal: Principal, application: Application) -> bool:
    if principal.is_citizen:
        return principal.sub == application.owner_sub
    if principal.is_admin:
        return True
    return is_officer(principal) and in_area(principal, application.kelurahan_code)


def _audit(
    session: AsyncSession,
    principal: Principal,
    application: Application | None,
    action: str,
    purpose: str | None,
    now: datetime,
) -> None:
    entry = access_entry(
        principal,
        person_id=application.subject_person_id if application else None,
        owner_sub=application.owner_sub if application else None,
        resource="application",
        resource_ref=application.tracking_no if application else None,
        action=action,
        purpose=(purpose or DEFAULT_PURPOSE)[:200],
        now=now,
    )
    add_access_entries(session, [entry])


# --- helpers ---


async def _own(session: AsyncSession, principal: Principal, tracking_no: str) -> Application:
    application = await repository.get_by_tracking_no(session, tracking_no, for_update=True)
    if application is None or application.owner_sub != principal.sub:
        raise NotFound(f"There is no application {tracking_no}.")
    return application


async def _in_area(
    session: AsyncSession, principal: Principal, tracking_no: str, *, for_update: bool
) -> Application:
    application = await repository.get_by_tracking_no(session, tracking_no, for_update=for_update)
    if application is None or not in_area(principal, application.kelurahan_code):
        raise NotFound(f"There is no application {tracking_no}.")
    return application


def _require(application: Application, step: Step) -> None:
    if application.status not in step.sources:
        raise Conflict(
            f"Cannot {step.action} an application that is {application.status}.",
        )


async def _move(
    session: AsyncSession,
    application: Application,
    step: Step,
    principal: Principal,
    note: str | None,
    now: datetime,
) -> None:
    """Change the status, record the step and publish the lifecycle event."""
    _require(application, step)
    previous = application.status
    application.status = step.target
    application.sequence += 1
    application.updated_at = now
    _history(session, application, step.action, previous, principal, note, now)
    await publish_lifecycle(
        session, application, title=title_of(application), note=note, occurred_at=now
    )


def _history(
    session: AsyncSession,
    application: Application,
    action: str,
    previous: str | None,
    principal: Principal,
    note: str | None,
    now: datetime,
) -> None:
    repository.add_history(
        session,
        ApplicationHistory(
            id=str(ULID()),
            application_id=application.id,
            sequence=application.sequence,
            action=action,
            from_status=previous,
            to_status=application.status,
            actor_sub=principal.sub,
            actor_role=principal.role,
            note=note,
            occurred_at=now,
        ),
    )


async def _attach(
    session: AsyncSession,
    principal: Principal,
    application: Application,
    attachments: dict[str, list[str]],
    now: datetime,
) -> None:
    if not attachments:
        return
    await attach_uploads(
        session,
        owner_sub=principal.sub,
        uploads=attachments,
        application_id=application.id,
        tracking_no=application.tracking_no,
        kelurahan_code=application.kelurahan_code,
        now=now,
    )


async def _detail(session: AsyncSession, tracking_no: str, now: datetime) -> Detail:
    await session.flush()
    application = await repository.get_by_tracking_no(session, tracking_no)
    if application is None:  # pragma: no cover - just written
        raise NotFound(f"There is no application {tracking_no}.")
    await session.refresh(application, attribute_names=["history"])
    return Detail(application, await uploads_of(session, application.id), now)
