"""Issuing documents: number, verification code, encrypted content, superseding older ones.

CONTRACT (used by applications/ at issuance; implemented by the documents work): keep these
signatures. Everything runs in the caller's transaction (the issuance that changes the register).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_dilandacinta.models import Document
from cimahi_shared.auth import Principal
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


@dataclass(frozen=True)
class DocumentDraft:
    """What an issuance prints: the holder, the lines of the document, the people it lists.

    ``lines`` are (label, value) pairs printed in order; ``members`` (for a KK) are rows of the
    family table. Raw NIKs may appear in ``lines``/``members`` (the document is the holder's own);
    they are encrypted at rest with the rest of the content.
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
    raise NotImplementedError


async def supersede_for_family(
    session: AsyncSession, *, family_id: str, kind: str, by_document_id: str | None, now: datetime
) -> int:
    """Mark the active documents of ``kind`` for a family superseded (e.g. its old KK)."""
    raise NotImplementedError


async def supersede_for_person(
    session: AsyncSession,
    *,
    person_id: str,
    kinds: list[str],
    by_document_id: str | None,
    now: datetime,
) -> int:
    """Mark a person's active documents of ``kinds`` superseded (e.g. the old KTP-el)."""
    raise NotImplementedError
