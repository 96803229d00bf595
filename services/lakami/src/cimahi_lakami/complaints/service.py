"""The rules of complaints: who may see and do what, the status chain, deadlines and events.

Every function works inside the caller's transaction and never commits: the change, its history
row, its access-log rows and its outbox events are committed together or not at all. "Now" and
the working-day calendar come in a ``Deadlines`` (injectable in tests).

Who sees what:

* the author (the citizen who filed it) sees everything, including their own identity;
* LAKAMI officers of the complaint's kelurahan - or of its kecamatan when their ``area`` is a
  kecamatan code - see and act on it, but never the author of an anonymous complaint;
* the identity role (``LAKAMI_COMPLAINT_IDENTITY_ROLE``, ``admin``) sees everything;
* anyone else logged in sees a public complaint without personal data (no author, no photos,
  no citizen notes), and a private one not at all: the same 404 as a missing complaint.

Officers' and admins' full reads are written to the access log (``access_audit``).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_lakami.auth import is_lakami_officer
from cimahi_lakami.complaints import repository
from cimahi_lakami.complaints.categories import Category, find_category
from cimahi_lakami.complaints.deadlines import Deadlines
from cimahi_lakami.complaints.schemas import ComplaintCreate
from cimahi_lakami.complaints.workflow import (
    STEPS,
    Action,
    ComplaintStatus,
    next_actions,
    unified_status,
)
from cimahi_lakami.events.complaints import publish_complaint_change
from cimahi_lakami.models import AccessAudit, Complaint, ComplaintHistory, Open311ApiKey
from cimahi_lakami.uploads.schemas import AttachmentRef
from cimahi_lakami.uploads.service import COMPLAINT as UPLOAD_KIND_COMPLAINT
from cimahi_lakami.uploads.service import attach
from cimahi_shared.auth import Principal
from cimahi_shared.calendar import WIB
from cimahi_shared.context import request_id_var
from cimahi_shared.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from cimahi_shared.regions import find_kelurahan

TRACKING_PREFIX = "ADU-"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
ACCESS_PURPOSE = "complaint handling"
OPEN311_OWNER_PREFIX = "open311:"
#: Photos of one complaint (at filing and added later together), and the types they may have.
MAX_PHOTOS = 5
PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})
PHOTOS_FIELD = "photo_upload_ids"


@dataclass(frozen=True, slots=True)
class View:
    """What a caller may see of a complaint and whether they may act on it as its officer."""

    full: bool  # private parts: photos, citizen notes, next actions
    show_author: bool  # the author's subject, name and contact
    owner: bool
    officer: bool


# --- access ----------------------------------------------------------------------------------


def view_of(principal: Principal, complaint: Complaint, deadlines: Deadlines) -> View | None:
    """The caller's view of a complaint, or None when they may not see it at all."""
    if principal.is_admin or principal.role == deadlines.identity_role:
        return View(full=True, show_author=True, owner=False, officer=False)
    if principal.is_citizen and principal.sub == complaint.owner_sub:
        return View(full=True, show_author=True, owner=True, officer=False)
    if is_lakami_officer(principal) and principal.area in (
        complaint.kelurahan_code,
        complaint.kecamatan_code,
    ):
        return View(full=True, show_author=not complaint.anonymous, owner=False, officer=True)
    if complaint.public:
        return View(full=False, show_author=False, owner=False, officer=False)
    return None


def _visible_or_404(
    principal: Principal, complaint: Complaint | None, tracking_no: str, deadlines: Deadlines
) -> tuple[Complaint, View]:
    view = view_of(principal, complaint, deadlines) if complaint is not None else None
    if complaint is None or view is None:
        raise NotFound(f"There is no complaint {tracking_no}.")
    return complaint, view


def _audit(
    session: AsyncSession,
    *,
    principal: Principal,
    complaints: Sequence[Complaint],
    action: str,
    now: datetime,
) -> None:
    """Log officers' and admins' reads of complaints (UU PDP: who read whose data, why)."""
    if principal.is_citizen or not complaints:
        return
    session.add_all(
        [
            AccessAudit(
                id=str(ULID()),
                actor_sub=principal.sub,
                actor_role=principal.role,
                actor_agency=principal.agency,
                actor_area=principal.area,
                owner_sub=complaint.owner_sub,
                tracking_no=complaint.tracking_no,
                action=action,
                purpose=ACCESS_PURPOSE,
                http_request_id=request_id_var.get(),
                occurred_at=now,
            )
            for complaint in complaints
        ]
    )


# --- reading ---------------------------------------------------------------------------------


async def get_complaint(
    session: AsyncSession, *, principal: Principal, tracking_no: str, deadlines: Deadlines
) -> tuple[Complaint, View]:
    """A complaint with its history and the caller's view of it (404 when not visible)."""
    found = await repository.get_complaint(session, tracking_no, with_history=True)
    complaint, view = _visible_or_404(principal, found, tracking_no, deadlines)
    if view.full and not view.owner:
        _audit(
            session, principal=principal, complaints=[complaint], action="read", now=deadlines.now
        )
    return complaint, view


async def list_complaints(
    session: AsyncSession,
    *,
    principal: Principal,
    deadlines: Deadlines,
    limit: int,
    cursor: str | None,
    status: ComplaintStatus | None,
    due: str | None,
) -> tuple[Sequence[Complaint], str | None]:
    """Citizens their own complaints, officers their area's, admins all; ``due`` filters deadlines.

    ``due=overdue``: the current deadline (verification or answer) has passed; ``due=soon``: it
    passes within ``LAKAMI_COMPLAINT_DUE_SOON_WORKING_DAYS`` working days and has not passed yet.
    """
    owner_sub: str | None = None
    area: str | None = None
    if principal.is_admin:
        pass
    elif is_lakami_officer(principal):
        if not principal.area:
            raise Forbidden("Your account has no kelurahan or kecamatan assigned.")
        area = principal.area
    elif principal.is_citizen:
        owner_sub = principal.sub
    else:
        raise Forbidden("Complaints are not available to your role.")
    due_before = due_after = None
    if due == "overdue":
        due_before = deadlines.now
    elif due == "soon":
        due_before, due_after = deadlines.due_soon_until(), deadlines.now
    rows = await repository.list_complaints(
        session,
        owner_sub=owner_sub,
        area=area,
        status=status.value if status is not None else None,
        due_before=due_before,
        due_after=due_after,
        before_id=_decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    page = rows[:limit]
    next_cursor = _encode_cursor(page[-1].id) if len(rows) > limit else None
    _audit(session, principal=principal, complaints=page, action="list", now=deadlines.now)
    return page, next_cursor


def _encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII text
        value = ""
    if not _ULID.fullmatch(value):
        raise InvalidInput(
            "The cursor is not valid.",
            errors=[
                {"field": "cursor", "message": "Use next_cursor of a previous page.", "in": "query"}
            ],
        )
    return value


# --- filing ----------------------------------------------------------------------------------


async def file_complaint(
    session: AsyncSession, *, principal: Principal, data: ComplaintCreate, deadlines: Deadlines
) -> Complaint:
    """A citizen files a complaint (status ``submitted``)."""
    category = find_category(data.category)
    if category is None:  # pragma: no cover - the schema checks the category
        raise InvalidInput("Invalid: category", errors=[_field_error("category", "Unknown.")])
    photo_ids = list(data.photo_upload_ids)
    await _check_photos(session, principal=principal, upload_ids=photo_ids, already=0)
    complaint = await _create(
        session,
        category=category,
        title=data.title,
        description=data.description,
        kelurahan_code=data.kelurahan_code,
        lat=data.location.lat if data.location else None,
        lon=data.location.long if data.location else None,
        address=data.address,
        photo_upload_ids=photo_ids,
        media_url=None,
        attributes={},
        anonymous=data.anonymous,
        public=data.public,
        channel="web",
        owner_sub=principal.sub,
        author_name=principal.name,
        author_contact=data.contact,
        actor_role=principal.role,
        deadlines=deadlines,
    )
    await _attach_photos(session, principal=principal, complaint=complaint, upload_ids=photo_ids)
    return complaint


async def file_open311(
    session: AsyncSession,
    *,
    key: Open311ApiKey,
    category: Category,
    kelurahan_code: str,
    description: str,
    lat: float | None,
    lon: float | None,
    address: str | None,
    media_url: str | None,
    attributes: dict[str, str],
    public: bool,
    author_name: str | None,
    author_contact: str | None,
    deadlines: Deadlines,
) -> Complaint:
    """An Open311 client files a complaint: owned by the client, the author anonymous."""
    title = description.splitlines()[0][:150] if len(description) >= 5 else category.name
    return await _create(
        session,
        category=category,
        title=title if len(title) >= 5 else category.name,
        description=description,
        kelurahan_code=kelurahan_code,
        lat=lat,
        lon=lon,
        address=address,
        photo_upload_ids=[],
        media_url=media_url,
        attributes=attributes,
        anonymous=True,
        public=public,
        channel="open311",
        owner_sub=OPEN311_OWNER_PREFIX + key.id,
        author_name=author_name,
        author_contact=author_contact,
        actor_role="client",
        deadlines=deadlines,
    )


async def _create(
    session: AsyncSession,
    *,
    category: Category,
    title: str,
    description: str,
    kelurahan_code: str,
    lat: float | None,
    lon: float | None,
    address: str | None,
    photo_upload_ids: list[str],
    media_url: str | None,
    attributes: dict[str, str],
    anonymous: bool,
    public: bool,
    channel: str,
    owner_sub: str,
    author_name: str | None,
    author_contact: str | None,
    actor_role: str,
    deadlines: Deadlines,
) -> Complaint:
    kelurahan = find_kelurahan(kelurahan_code)
    if kelurahan is None:  # pragma: no cover - callers check the code
        raise InvalidInput("Invalid: kelurahan_code")
    now = deadlines.now
    complaint = Complaint(
        id=str(ULID()),
        category_code=category.code,
        complaint_type=category.complaint_type.value,
        title=title,
        description=description,
        kelurahan_code=kelurahan.code,
        kecamatan_code=kelurahan.kecamatan_code,
        lat=lat,
        lon=lon,
        address=address,
        photo_upload_ids=photo_upload_ids,
        media_url=media_url,
        attributes=attributes,
        anonymous=anonymous,
        public=public,
        channel=channel,
        owner_sub=owner_sub,
        author_name=author_name,
        author_contact=author_contact,
        status=ComplaintStatus.SUBMITTED.value,
        sequence=1,
        submitted_at=now,
        updated_at=now,
        verify_due_at=deadlines.verify_due(now),
        answer_due_at=deadlines.answer_due(now, category.complaint_type),
    )
    for _ in range(5):
        complaint.tracking_no = new_tracking_no(now)
        if await repository.insert_complaint(session, complaint):
            break
    else:  # pragma: no cover - 40 random bits per month make this practically impossible
        raise RuntimeError("could not allocate a unique tracking number")
    await _record(
        session,
        complaint=complaint,
        action=Action.SUBMIT,
        previous=None,
        actor_sub=owner_sub,
        actor_role=actor_role,
        note=None,
        now=now,
    )
    await repository.load_history(session, complaint)
    return complaint


async def _check_photos(
    session: AsyncSession, *, principal: Principal, upload_ids: Sequence[str], already: int
) -> None:
    """422 naming ``photo_upload_ids[i]`` unless each is an unattached JPEG/PNG of the caller.

    ``already``: photos the complaint has; together they may be at most ``MAX_PHOTOS``.
    """
    errors: list[dict[str, Any]] = []
    if already + len(upload_ids) > MAX_PHOTOS:
        errors.append(
            _field_error(
                PHOTOS_FIELD,
                f"At most {MAX_PHOTOS} photos per complaint ({already} attached already).",
            )
        )
    found = await repository.get_uploads(session, upload_ids)
    seen: set[str] = set()
    for i, upload_id in enumerate(upload_ids):
        upload = found.get(upload_id)
        message: str | None = None
        if upload_id in seen:
            message = "The same upload is listed twice."
        elif upload is None or upload.owner_sub != principal.sub:
            message = "No upload of yours has this id (upload the photo first: POST /v1/uploads)."
        elif upload.attached_kind is not None:
            message = "This upload is attached to another request already."
        elif upload.content_type not in PHOTO_TYPES:
            message = "Not a photo: attach JPEG or PNG images only."
        seen.add(upload_id)
        if message is not None:
            errors.append(_field_error(f"{PHOTOS_FIELD}[{i}]", message))
    if errors:
        raise InvalidInput(
            "Invalid: " + ", ".join(sorted({e["field"] for e in errors})), errors=errors
        )


async def _attach_photos(
    session: AsyncSession, *, principal: Principal, complaint: Complaint, upload_ids: Sequence[str]
) -> None:
    """Attach checked photos to the complaint (its kelurahan's officers may then read them)."""
    if not upload_ids:
        return
    await attach(
        session,
        principal=principal,
        refs=[_photo_ref(upload_id) for upload_id in upload_ids],
        kind=UPLOAD_KIND_COMPLAINT,
        target_id=complaint.id,
        target_ref=complaint.tracking_no,
        kelurahan_code=complaint.kelurahan_code,
        field=PHOTOS_FIELD,
    )


def _photo_ref(upload_id: str) -> AttachmentRef:
    # A photo fulfils no catalogue requirement: ``requirement`` stays empty (NULL on the upload),
    # which AttachmentRef's validation (made for letters) would not let through.
    values: dict[str, Any] = {"requirement": None, "upload_id": upload_id}
    return AttachmentRef.model_construct(**values)


def new_tracking_no(now: datetime) -> str:
    """A city-wide unique, unguessable tracking number: ``ADU-<yymm>-<8 Crockford base32>``."""
    suffix = "".join(secrets.choice(_CROCKFORD) for _ in range(8))
    return f"{TRACKING_PREFIX}{now.astimezone(WIB):%y%m}-{suffix}"


def _field_error(field: str, message: str) -> dict[str, Any]:
    return {"field": field, "message": message, "in": "body"}


# --- acting ----------------------------------------------------------------------------------


async def act_as_officer(
    session: AsyncSession,
    *,
    principal: Principal,
    tracking_no: str,
    action: Action,
    note: str | None,
    responsible_agency: str | None,
    deadlines: Deadlines,
) -> tuple[Complaint, View]:
    """verify / forward / answer / not_authority / close / archive by an officer of the area."""
    if STEPS[action].actor != "officer":
        raise ValueError(f"{action.value} is not an officer action")
    if not is_lakami_officer(principal):
        raise Forbidden("Only LAKAMI officers of the kelurahan can do this.")
    complaint, view = await _load_for_change(session, principal, tracking_no, deadlines)
    if not view.officer:
        raise Forbidden("Only LAKAMI officers of the complaint's kelurahan can do this.")
    note = _require_note(action, note)
    previous = _transition(complaint, action)
    now = deadlines.now
    if action is Action.VERIFY:
        complaint.verified_at = now
    elif action is Action.FORWARD:
        complaint.responsible_agency = responsible_agency
    elif action is Action.ANSWER:
        complaint.answer, complaint.answered_at = note, now
    elif action is Action.NOT_AUTHORITY:
        complaint.responsible_agency = responsible_agency
        complaint.answer, complaint.answered_at = note, now
    elif action in (Action.CLOSE, Action.ARCHIVE):
        complaint.closed_at = now
    await _record(
        session,
        complaint=complaint,
        action=action,
        previous=previous,
        actor_sub=principal.sub,
        actor_role=principal.role,
        note=note,
        now=now,
    )
    await repository.load_history(session, complaint)
    _audit(session, principal=principal, complaints=[complaint], action=action.value, now=now)
    return complaint, view


async def add_info(
    session: AsyncSession,
    *,
    principal: Principal,
    tracking_no: str,
    note: str,
    photo_upload_ids: list[str],
    deadlines: Deadlines,
) -> tuple[Complaint, View]:
    """The author adds information while the complaint is open (the status stays)."""
    complaint, view = await _load_for_owner(session, principal, tracking_no, deadlines)
    _ensure_possible(complaint, Action.ADD_INFO)
    if photo_upload_ids:
        already = len(complaint.photo_upload_ids)
        await _check_photos(
            session, principal=principal, upload_ids=photo_upload_ids, already=already
        )
        await _attach_photos(
            session, principal=principal, complaint=complaint, upload_ids=photo_upload_ids
        )
        complaint.photo_upload_ids = [*complaint.photo_upload_ids, *photo_upload_ids]
    await _record(
        session,
        complaint=complaint,
        action=Action.ADD_INFO,
        previous=complaint.status,
        actor_sub=principal.sub,
        actor_role=principal.role,
        note=note,
        now=deadlines.now,
        public_note=False,
    )
    await repository.load_history(session, complaint)
    return complaint, view


async def rate(
    session: AsyncSession,
    *,
    principal: Principal,
    tracking_no: str,
    rating: int,
    comment: str | None,
    deadlines: Deadlines,
) -> tuple[Complaint, View]:
    """The author rates the answer, once."""
    complaint, view = await _load_for_owner(session, principal, tracking_no, deadlines)
    _ensure_possible(complaint, Action.RATE)
    if complaint.rating is not None:
        raise Conflict("The answer to this complaint has already been rated.")
    complaint.rating, complaint.rating_comment = rating, comment or None
    await _record(
        session,
        complaint=complaint,
        action=Action.RATE,
        previous=complaint.status,
        actor_sub=principal.sub,
        actor_role=principal.role,
        note=f"rating {rating}",
        now=deadlines.now,
        public_note=False,
    )
    await repository.load_history(session, complaint)
    return complaint, view


async def reopen(
    session: AsyncSession,
    *,
    principal: Principal,
    tracking_no: str,
    note: str | None,
    deadlines: Deadlines,
) -> tuple[Complaint, View]:
    """The author reopens an answered or closed complaint within the window (answered again)."""
    complaint, view = await _load_for_owner(session, principal, tracking_no, deadlines)
    note = _require_note(Action.REOPEN, note)
    _ensure_possible(complaint, Action.REOPEN)
    until = reopen_until(complaint, deadlines)
    if until is None or deadlines.now > until:
        raise Conflict(
            "The time to reopen this complaint has passed; file a new complaint.",
            reopen_until=until.isoformat() if until else None,
        )
    previous = _transition(complaint, Action.REOPEN)
    now = deadlines.now
    complaint.answered_at = complaint.closed_at = None
    complaint.answer_due_at = deadlines.answer_due(now, complaint.complaint_type)
    await _record(
        session,
        complaint=complaint,
        action=Action.REOPEN,
        previous=previous,
        actor_sub=principal.sub,
        actor_role=principal.role,
        note=note,
        now=now,
        public_note=False,
    )
    await repository.load_history(session, complaint)
    return complaint, view


def reopen_until(complaint: Complaint, deadlines: Deadlines) -> datetime | None:
    """End of the reopening window: working days after the answer or the closing, if any."""
    moments = [m for m in (complaint.answered_at, complaint.closed_at) if m is not None]
    return deadlines.reopen_until(max(moments)) if moments else None


async def _load_for_change(
    session: AsyncSession, principal: Principal, tracking_no: str, deadlines: Deadlines
) -> tuple[Complaint, View]:
    """The complaint, row-locked until the transaction ends, if the caller may see it."""
    found = await repository.get_complaint(session, tracking_no, for_update=True)
    return _visible_or_404(principal, found, tracking_no, deadlines)


async def _load_for_owner(
    session: AsyncSession, principal: Principal, tracking_no: str, deadlines: Deadlines
) -> tuple[Complaint, View]:
    if not principal.is_citizen:
        raise Forbidden("Only the citizen who filed the complaint can do this.")
    complaint, view = await _load_for_change(session, principal, tracking_no, deadlines)
    if not view.owner:
        raise Forbidden("Only the citizen who filed the complaint can do this.")
    return complaint, view


def _require_note(action: Action, note: str | None) -> str | None:
    if STEPS[action].note_required and not note:
        raise InvalidInput(
            f"A note is required to {action.value.replace('_', ' ')} a complaint.",
            errors=[_field_error("note", "Say why, so the other side knows what happened.")],
        )
    return note or None


def _ensure_possible(complaint: Complaint, action: Action) -> None:
    """409 when ``action`` is impossible in the complaint's status."""
    current = ComplaintStatus(complaint.status)
    if current not in STEPS[action].allowed_from:
        raise InvalidTransition(
            f"A complaint in status '{current.value}' cannot be {STEPS[action].verb}.",
            current_status=current.value,
            allowed_actions=[a.value for a in next_actions(current)],
        )


def _transition(complaint: Complaint, action: Action) -> str:
    """Move the complaint along the chain (409 when impossible); return the previous status."""
    _ensure_possible(complaint, action)
    previous = complaint.status
    target = STEPS[action].target
    if target is not None:
        complaint.status = target.value
    return previous


async def _record(
    session: AsyncSession,
    *,
    complaint: Complaint,
    action: Action,
    previous: str | None,
    actor_sub: str,
    actor_role: str,
    note: str | None,
    now: datetime,
    public_note: bool = True,
) -> None:
    """History row and events of one change (``public_note``: the note may go into events)."""
    if previous is not None:
        complaint.sequence += 1
    complaint.updated_at = now
    repository.add_history(
        session,
        ComplaintHistory(
            id=str(ULID()),
            complaint_id=complaint.id,
            sequence=complaint.sequence,
            action=action.value,
            from_status=previous,
            to_status=complaint.status,
            actor_sub=actor_sub,
            actor_role=actor_role,
            note=note,
            occurred_at=now,
        ),
    )
    category = find_category(complaint.category_code)
    await publish_complaint_change(
        session,
        complaint=complaint,
        title=category.name if category else complaint.category_code,
        verb=STEPS[action].verb,
        previous_status=previous,
        status=unified_status(complaint.status),
        actor_role=actor_role,
        note=note if public_note else None,
        occurred_at=now,
    )


# --- Open311 API keys ------------------------------------------------------------------------


def hash_api_key(raw: str) -> str:
    """SHA-256 of an API key (keys are long random strings: no salt or slow hash needed)."""
    return hashlib.sha256(raw.encode()).hexdigest()


async def create_api_key(
    session: AsyncSession, *, name: str, created_by: str, now: datetime, raw: str | None = None
) -> tuple[Open311ApiKey, str]:
    """A new API key (returned once, stored hashed); 409 when the name is taken."""
    raw = raw or "o311_" + secrets.token_urlsafe(32)
    key = Open311ApiKey(
        id=str(ULID()),
        name=name,
        key_hash=hash_api_key(raw),
        key_prefix=raw[:12],
        created_by=created_by,
        created_at=now,
        revoked_at=None,
    )
    if not await repository.insert_api_key(session, key):
        raise Conflict(f"An API key named {name!r} exists already.")
    return key, raw


async def find_api_key(session: AsyncSession, raw: str) -> Open311ApiKey | None:
    """The active key for a raw API key, or None."""
    return await repository.find_api_key(session, hash_api_key(raw))


async def list_api_keys(session: AsyncSession) -> Sequence[Open311ApiKey]:
    """Every API key, revoked ones too (only hashes are stored: no secret can be listed)."""
    return await repository.list_api_keys(session)


async def revoke_api_key(session: AsyncSession, *, key_id: str, now: datetime) -> Open311ApiKey:
    """Revoke a key for good (404 when unknown); revoking it again changes nothing."""
    key = await repository.get_api_key(session, key_id, for_update=True) if key_id else None
    if key is None:
        raise NotFound(f"There is no Open311 API key {key_id}.")
    if key.revoked_at is None:
        key.revoked_at = now
        await session.flush()
    return key
