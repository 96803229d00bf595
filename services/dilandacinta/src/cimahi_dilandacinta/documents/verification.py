"""The public check of a document by its verification code: active, superseded or revoked
(masked facts only); a code no document carries is "not genuine".

The HTML page is the shared frame of the city's public checks (``cimahi_shared.documents.page``).
"""

from __future__ import annotations

from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_dilandacinta.documents import repository
from cimahi_dilandacinta.documents.schemas import DocumentStatus, DocumentVerificationRead
from cimahi_dilandacinta.documents.service import KINDS, wib_date
from cimahi_dilandacinta.models import Document
from cimahi_shared.documents.codes import normalise
from cimahi_shared.documents.page import facts_list, verification_page
from cimahi_shared.documents.pdf import indonesian_date
from cimahi_shared.errors import NotFound

NOT_GENUINE = "not_genuine"
_SITE = "Verifikasi Dokumen Disdukcapil Kota Cimahi"
_HEADINGS = {
    DocumentStatus.ACTIVE: "Dokumen asli dan berlaku",
    DocumentStatus.SUPERSEDED: "Dokumen asli, tetapi sudah diganti - tidak berlaku lagi",
    DocumentStatus.REVOKED: "Dokumen telah dicabut - tidak berlaku",
}
_TONES = {
    DocumentStatus.ACTIVE: "ok",
    DocumentStatus.SUPERSEDED: "bad",
    DocumentStatus.REVOKED: "bad",
}


class NotGenuine(NotFound):
    """No document was issued with this code (also the answer for a code that cannot be one)."""

    code, title = "document-not-genuine", "Tidak terdaftar / not genuine"


async def verify_code(session: AsyncSession, *, typed: str) -> DocumentVerificationRead:
    """The masked public facts of the document with this code (typed or scanned), else 404."""
    code = normalise(typed)
    document = await repository.find_by_code(session, code) if code is not None else None
    if document is None:
        raise NotGenuine(
            "Dokumen tidak terdaftar: no document was issued with this verification code, "
            "so a paper carrying it is not genuine.",
            result=NOT_GENUINE,
        )
    return _public_facts(document)


def _message(status: DocumentStatus, changed: str | None) -> str:
    if status is DocumentStatus.ACTIVE:
        return "Dokumen ini asli dan berlaku: diterbitkan oleh Disdukcapil Kota Cimahi."
    if status is DocumentStatus.SUPERSEDED:
        return (
            "Dokumen ini pernah diterbitkan oleh Disdukcapil Kota Cimahi, tetapi sudah diganti "
            f"dengan dokumen yang lebih baru{' pada ' + changed if changed else ''} "
            "dan tidak berlaku lagi."
        )
    return (
        "Dokumen ini pernah diterbitkan oleh Disdukcapil Kota Cimahi, tetapi telah dicabut"
        f"{' pada ' + changed if changed else ''} dan tidak berlaku lagi."
    )


def _public_facts(document: Document) -> DocumentVerificationRead:
    status = DocumentStatus(document.status)
    changed_on = (
        wib_date(document.status_changed_at)
        if status is not DocumentStatus.ACTIVE and document.status_changed_at is not None
        else None
    )
    return DocumentVerificationRead(
        status=status,
        valid=status is DocumentStatus.ACTIVE,
        message=_message(status, indonesian_date(changed_on) if changed_on else None),
        verification_code=document.verification_code,
        kind=document.kind,
        title=KINDS.get(document.kind, document.kind),
        number=document.number,
        holder_name=document.holder_name_masked,
        holder_nik=document.holder_nik_masked,
        issued_on=document.issued_on,
        signer_title=document.signer_title,
        status_changed_on=changed_on,
    )


def document_page(facts: DocumentVerificationRead) -> str:
    """The page for a known code."""
    rows = [
        ("Kode verifikasi", facts.verification_code),
        ("Jenis dokumen", facts.title),
        ("Nomor dokumen", facts.number),
        ("Tanggal terbit", indonesian_date(facts.issued_on)),
        ("Ditandatangani oleh", facts.signer_title),
        ("Nama pemegang", facts.holder_name),
    ]
    if facts.holder_nik:
        rows.append(("NIK pemegang", facts.holder_nik))
    if facts.status_changed_on is not None:
        label = (
            "Tanggal diganti" if facts.status is DocumentStatus.SUPERSEDED else "Tanggal dicabut"
        )
        rows.append((label, indonesian_date(facts.status_changed_on)))
    body = (
        f"<p>{escape(facts.message)}</p>\n"
        "<p>Cocokkan data berikut dengan dokumen yang Anda terima. Nama dan NIK disamarkan "
        "untuk melindungi data pribadi pemegang dokumen.</p>\n"
        + facts_list(rows, code_label="Kode verifikasi")
    )
    return verification_page(
        site=_SITE,
        heading=_HEADINGS[facts.status],
        status_class=f"{facts.status.value} {_TONES[facts.status]}",
        body=body,
    )


def not_genuine_page() -> str:
    """The page for a code no document was issued with."""
    body = (
        "<p>Tidak ada dokumen yang diterbitkan dengan kode ini: dokumen tersebut tidak terdaftar "
        "dan <strong>tidak asli</strong>. Periksa kembali kode yang diketik (12 karakter, "
        "misalnya <code>7K3M-Q9XD-2HVB</code>).</p>\n"
    )
    return verification_page(
        site=_SITE,
        heading="Dokumen tidak terdaftar - tidak asli",
        status_class=f"{NOT_GENUINE} unknown",
        body=body,
    )
