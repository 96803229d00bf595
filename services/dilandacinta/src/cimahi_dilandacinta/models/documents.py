"""Issued population documents (KK, KTP-el, KIA, akta, SKPWNI, ...) and their number counters.

``content_encrypted`` holds what is printed on the document (JSON, encrypted at rest: it names
people and their NIKs); public verification shows only the masked columns.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cimahi_dilandacinta.db import Base
from cimahi_shared.db import UTCDateTime


class Document(Base):
    """One issued document; ``status`` is active until superseded (a newer one) or revoked."""

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_owner_sub_id", "owner_sub", "id"),
        Index("ix_documents_person_id", "person_id"),
        Index("ix_documents_family_id", "family_id"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="ULID")
    number: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(
        String(24), comment="kk | ktp_el | kia | akta_kelahiran | akta_kematian | skpwni | ..."
    )
    application_id: Mapped[str | None] = mapped_column(String(26), unique=True)
    owner_sub: Mapped[str | None] = mapped_column(String(64), comment="Who may download it")
    person_id: Mapped[str | None] = mapped_column(String(26), comment="Whom it is about")
    family_id: Mapped[str | None] = mapped_column(String(26), comment="The family card it is")
    holder_name_masked: Mapped[str] = mapped_column(String(100))
    holder_nik_masked: Mapped[str | None] = mapped_column(String(16))
    kelurahan_code: Mapped[str] = mapped_column(String(16))
    content_encrypted: Mapped[str] = mapped_column(Text)
    verification_code: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(16), comment="active | superseded | revoked")
    superseded_by_id: Mapped[str | None] = mapped_column(String(26))
    issued_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signer_sub: Mapped[str] = mapped_column(String(64))
    signer_name: Mapped[str] = mapped_column(String(100))
    signer_title: Mapped[str] = mapped_column(String(120))
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DocumentNumberCounter(Base):
    """Last number issued per document kind and year; bumped in the issuing transaction."""

    __tablename__ = "document_number_counters"

    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)
