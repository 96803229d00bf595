"""Issuing documents: number, verification code, encrypted content, superseding older ones.

CONTRACT (used by applications/ at issuance): keep these signatures. Everything runs in the
caller's transaction (the issuance that changes the register) and never commits; nothing here
emits events (the applications work emits ``dilandacinta.document.issued``).

Numbers are per kind and year of issue (WIB), gapless, printed ``3277-<KIND>-<YEAR>-<NNNNNN>``:
``3277`` is Kota Cimahi's region code, ``<KIND>`` the short code of :data:`NUMBER_CODES`
(``KK``, ``KTP``, ``KIA``, ``AKL``, ``AKM``, ``SKPWNI``, ``SKDWNI``, ``BIO``), then the year and
a six-digit serial: ``3277-KK-2026-000123``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from anyio import to_thread
from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_dilandacinta.access_log import access_entry, add_access_entries
from cimahi_dilandacinta.auth import in_area, is_officer
from cimahi_dilandacinta.documents import repository
from cimahi_dilandacinta.documents.pdf import DocumentSheet, render_document
from cimahi_dilandacinta.documents.schemas import DocumentPage, DocumentRead
from cimahi_dilandacinta.models import Document
from cimahi_shared.auth import Principal
from cimahi_shared.calendar.workdays import WIB
from cimahi_shared.db import utcnow
from cimahi_shared.documents.codes import new_code
from cimahi_shared.documents.masking import mask_name
from cimahi_shared.errors import InvalidInput, NotFound
from cimahi_shared.identifiers import mask_nik
from cimahi_shared.pii import PiiCipher

# Document kinds (Document.kind) and their printed titles.
KINDS: dict[str, str] = {
    "kk": "Kartu Keluarga",
    "ktp_el": "Kartu Tanda Penduduk Elektronik",
    "kia": "Kartu Identitas Anak",
    "akta_kelahiran": "Kutipan Akta Kelahiran",
    "akta_kematian": "Kutipan Akta Kematian",
    "skpwni": "Surat Keterangan Pindah WNI",
    "kedatangan": "Surat Keterangan Kedatangan WNI",
    "biodata": "Biodata Penduduk WNI",
}
# The kind's code inside the document number.
NUMBER_CODES: dict[str, str] = {
    "kk": "KK",
    "ktp_el": "KTP",
    "kia": "KIA",
    "akta_kelahiran": "AKL",
    "akta_kematian": "AKM",
    "skpwni": "SKPWNI",
    "kedatangan": "SKDWNI",
    "biodata": "BIO",
}
CITY_CODE = "3277"
ACTIVE, SUPERSEDED, REVOKED = "active", "superseded", "revoked"
PUBLIC_PATH = "/v1/public/documents/"
ACCESS_PURPOSE = "Pelayanan administrasi kependudukan (UU 24/2013): dokumen kependudukan"


@dataclass(frozen=True)
class DocumentDraft:
    """What an issuance prints: the holder, the lines of the document, the people it lists.

    ``lines`` are (label, value) pairs printed in order; ``members`` (for a KK) are rows of the
    family table. Raw NIKs may appear in ``lines``/``members`` (the document is the holder's own);
    they are encrypted at rest with the rest of the content. Member rows are printed with the
    columns of their keys, in the order of ``documents.pdf.MEMBER_COLUMNS`` (``full_name``,
    ``nik``, ``sex``, ``birth_place``, ``birth_date``, ``religion``, ``occupation``,
    ``relationship``, ...); other keys follow, labelled by their name.
    """

    kind: str
    holder_name: str
    holder_nik: str | None
    kelurahan_code: str
    lines: list[tuple[str, str]]
    members: list[dict[str, Any]] = field(default_factory=list)
    person_id: str | None = None
    family_id: str | None = None
    owner_sub: str | None = None
    application_id: str | None = None


@dataclass(frozen=True)
class DocumentContent:
    """What a document prints, decrypted from ``Document.content_encrypted``."""

    holder_name: str
    holder_nik: str | None
    lines: list[tuple[str, str]]
    members: list[dict[str, Any]]


def format_number(kind: str, year: int, serial: int) -> str:
    """``3277-KK-2026-000123``."""
    return f"{CITY_CODE}-{NUMBER_CODES[kind]}-{year}-{serial:06d}"


def wib_date(moment: datetime) -> date:
    """The calendar date in Cimahi (WIB) of a moment."""
    return moment.astimezone(WIB).date()


def encode_content(draft: DocumentDraft) -> str:
    """The printed content as JSON (dates and other values as text)."""
    content = {
        "holder_name": draft.holder_name,
        "holder_nik": draft.holder_nik,
        "lines": [[label, value] for label, value in draft.lines],
        "members": draft.members,
    }
    return json.dumps(content, ensure_ascii=False, default=str)


def decode_content(document: Document, pii: PiiCipher) -> DocumentContent:
    """The decrypted content of a document."""
    raw = json.loads(pii.decrypt(document.content_encrypted))
    return DocumentContent(
        holder_name=raw["holder_name"],
        holder_nik=raw.get("holder_nik"),
        lines=[(str(label), str(value)) for label, value in raw.get("lines", [])],
        members=list(raw.get("members", [])),
    )


async def issue_document(
    session: AsyncSession,
    draft: DocumentDraft,
    *,
    signer: Principal,
    signer_title: str,
    pii: PiiCipher,
    now: datetime,
    supersedes: list[str] | None = None,
) -> Document:
    """Number and store a document (status ``active``); ``supersedes`` (document ids) become
    ``superseded`` by it. Returns the new row (flushed)."""
    if draft.kind not in KINDS:
        raise ValueError(f"unknown document kind {draft.kind!r}")
    issued_on = wib_date(now)
    serial = await repository.next_number(session, kind=draft.kind, year=issued_on.year)
    document = Document(
        id=str(ULID()),
        number=format_number(draft.kind, issued_on.year, serial),
        kind=draft.kind,
        application_id=draft.application_id,
        owner_sub=draft.owner_sub,
        person_id=draft.person_id,
        family_id=draft.family_id,
        holder_name_masked=mask_name(draft.holder_name)[:100],
        holder_nik_masked=mask_nik(draft.holder_nik) if draft.holder_nik else None,
        kelurahan_code=draft.kelurahan_code,
        content_encrypted=pii.encrypt(encode_content(draft)),
        verification_code=new_code(),
        status=ACTIVE,
        superseded_by_id=None,
        issued_on=issued_on,
        issued_at=now,
        signer_sub=signer.sub,
        signer_name=(signer.name or signer.sub)[:100],
        signer_title=signer_title[:120],
        status_changed_at=None,
    )
    repository.add_document(session, document)
    await session.flush()
    if supersedes:
        await repository.mark_superseded(
            session, Document.id.in_(supersedes), by_document_id=document.id, now=now
        )
    return document


async def supersede_for_family(
    session: AsyncSession, *, family_id: str, kind: str, by_document_id: str | None, now: datetime
) -> int:
    """Mark the active documents of ``kind`` for a family superseded (e.g. its old KK)."""
    return await repository.mark_superseded(
        session,
        Document.family_id == family_id,
        Document.kind == kind,
        by_document_id=by_document_id,
        now=now,
    )


async def supersede_for_person(
    session: AsyncSession,
    *,
    person_id: str,
    kinds: list[str],
    by_document_id: str | None,
    now: datetime,
) -> int:
    """Mark a person's active documents of ``kinds`` superseded (e.g. the old KTP-el)."""
    if not kinds:
        return 0
    return await repository.mark_superseded(
        session,
        Document.person_id == person_id,
        Document.kind.in_(kinds),
        by_document_id=by_document_id,
        now=now,
    )


# --- reads by the holder and the officers of the area ------------------------------------------


def verification_url(code: str, *, base_url: str) -> str:
    """The public URL that checks a document (printed on it, and in its QR code)."""
    return base_url.rstrip("/") + PUBLIC_PATH + code


def may_see(principal: Principal, document: Document) -> bool:
    """The holder (owner_sub), officers whose area covers its kelurahan, and admins."""
    if principal.is_citizen:
        return document.owner_sub is not None and document.owner_sub == principal.sub
    if is_officer(principal):
        return in_area(principal, document.kelurahan_code)
    return principal.is_admin


def audit_reads(
    session: AsyncSession, *, principal: Principal, documents: list[Document], action: str
) -> None:
    """Log officers' and admins' reads of documents (UU PDP: who read whose data, why)."""
    if principal.is_citizen or not documents:
        return
    now = utcnow()
    add_access_entries(
        session,
        (
            access_entry(
                principal,
                person_id=document.person_id,
                owner_sub=document.owner_sub,
                resource="document",
                resource_ref=document.id,
                action=action,
                purpose=ACCESS_PURPOSE,
                now=now,
            )
            for document in documents
        ),
    )


def _read(document: Document, *, base_url: str) -> DocumentRead:
    return DocumentRead.of(
        document,
        title=KINDS.get(document.kind, document.kind),
        verification_url=verification_url(document.verification_code, base_url=base_url),
    )


def _cursor_id(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        return str(ULID.from_str(cursor))
    except ValueError:
        raise InvalidInput(
            "The cursor is not valid.",
            errors=[{"field": "cursor", "message": "not a cursor of this list", "in": "query"}],
        ) from None


async def list_documents(
    session: AsyncSession, *, principal: Principal, cursor: str | None, limit: int, base_url: str
) -> DocumentPage:
    """A citizen's own documents; an officer's: those of their area; an admin's: all."""
    before_id = _cursor_id(cursor)
    if principal.is_citizen:
        owner_sub, area = principal.sub, None
    elif is_officer(principal):
        if not principal.area:
            return DocumentPage(items=[], next_cursor=None)
        owner_sub, area = None, principal.area
    else:
        owner_sub, area = None, None
    rows = list(
        await repository.list_documents(
            session, owner_sub=owner_sub, area=area, before_id=before_id, limit=limit + 1
        )
    )
    page = rows[:limit]
    audit_reads(session, principal=principal, documents=page, action="list")
    return DocumentPage(
        items=[_read(document, base_url=base_url) for document in page],
        next_cursor=page[-1].id if len(rows) > limit else None,
    )


async def _visible(session: AsyncSession, principal: Principal, document_id: str) -> Document:
    document = await repository.get_document(session, document_id)
    if document is None or not may_see(principal, document):
        raise NotFound(f"There is no document {document_id}.")
    return document


async def read_document(
    session: AsyncSession, *, principal: Principal, document_id: str, base_url: str
) -> DocumentRead:
    """One document's metadata (masked), for whoever may see it; others get 404."""
    document = await _visible(session, principal, document_id)
    audit_reads(session, principal=principal, documents=[document], action="read")
    return _read(document, base_url=base_url)


async def document_pdf(
    session: AsyncSession, *, principal: Principal, document_id: str, pii: PiiCipher, base_url: str
) -> tuple[bytes, str]:
    """The document as PDF bytes and a file name; officers' and admins' downloads are logged.

    A superseded or revoked document can still be downloaded (the holder's record); its QR code
    then answers that it is no longer valid.
    """
    document = await _visible(session, principal, document_id)
    content = decode_content(document, pii)
    sheet = DocumentSheet(
        title=KINDS.get(document.kind, document.kind),
        number=document.number,
        lines=content.lines,
        members=content.members,
        issued_on=document.issued_on,
        signer_title=document.signer_title,
        signer_name=document.signer_name,
        verification_code=document.verification_code,
        verification_url=verification_url(document.verification_code, base_url=base_url),
    )
    audit_reads(session, principal=principal, documents=[document], action="download")
    pdf = await to_thread.run_sync(render_document, sheet)  # tens of ms of CPU: off the loop
    return pdf, f"{document.number}.pdf"
