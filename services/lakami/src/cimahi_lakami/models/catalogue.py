"""The catalogue of letter types: each row is a published service standard (PermenPANRB 15/2014)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cimahi_lakami.db import Base
from cimahi_shared.db import UTCDateTime, utcnow


class LetterType(Base):
    """A kind of surat keterangan/pengantar the kelurahan issues, with its service standard."""

    __tablename__ = "letter_types"

    code: Mapped[str] = mapped_column(
        String(40), primary_key=True, comment="Public code, e.g. domisili"
    )
    short_name: Mapped[str] = mapped_column(String(20), comment="Abbreviation, e.g. SKD")
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    classification_code: Mapped[str] = mapped_column(
        String(10), comment="Archive classification code that opens the letter number"
    )
    requirements: Mapped[list[dict[str, Any]]] = mapped_column(JSON, comment="Documents to bring")
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, comment="Type-specific typed fields")
    procedure: Mapped[list[str]] = mapped_column(JSON)
    needs_kecamatan: Mapped[bool] = mapped_column(Boolean, default=False)
    time_limit_working_days: Mapped[int] = mapped_column(Integer)
    fee_idr: Mapped[int] = mapped_column(Integer, default=0)
    product: Mapped[str] = mapped_column(String(300))
    complaints_channel: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
