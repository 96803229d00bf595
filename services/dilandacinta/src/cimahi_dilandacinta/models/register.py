"""The population register: persons and families (Kartu Keluarga).

Identifiers are personal data: NIK and No. KK are stored encrypted, looked up by a keyed hash and
shown masked. A person belongs to at most one active family at a time (``family_id``); a new KK
supersedes the old one (``status`` / ``superseded_by_id``) and its members move to the new one.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cimahi_dilandacinta.db import Base
from cimahi_shared.db import UTCDateTime


class Family(Base):
    """A family card (KK): its number, address and head; members are persons with its id."""

    __tablename__ = "families"
    __table_args__ = (Index("ix_families_kelurahan_code_id", "kelurahan_code", "id"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="ULID")
    no_kk_hash: Mapped[str] = mapped_column(String(64), unique=True)
    no_kk_encrypted: Mapped[str] = mapped_column(Text)
    no_kk_masked: Mapped[str] = mapped_column(String(16))
    head_person_id: Mapped[str | None] = mapped_column(
        String(26), comment="The head of the family (a person of this family)"
    )
    address: Mapped[str] = mapped_column(String(200))
    rt: Mapped[str] = mapped_column(String(3))
    rw: Mapped[str] = mapped_column(String(3))
    kelurahan_code: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(
        String(16), comment="active | superseded | dissolved (all members gone)"
    )
    superseded_by_id: Mapped[str | None] = mapped_column(String(26))
    issued_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Person(Base):
    """A resident (or former resident) of Kota Cimahi."""

    __tablename__ = "persons"
    __table_args__ = (
        Index("ix_persons_family_id", "family_id"),
        Index("ix_persons_kelurahan_code_id", "kelurahan_code", "id"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, comment="ULID")
    nik_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nik_encrypted: Mapped[str] = mapped_column(Text)
    nik_masked: Mapped[str] = mapped_column(String(16))
    family_id: Mapped[str | None] = mapped_column(
        ForeignKey("families.id"), comment="Current family card (none after moving out)"
    )
    relationship_to_head: Mapped[str] = mapped_column(
        String(24),
        comment="kepala_keluarga | istri | suami | anak | menantu | cucu | orang_tua | ...",
    )
    full_name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(
        String(100), comment="Normalised name for identity matching (casefold, single spaces)"
    )
    birth_place: Mapped[str] = mapped_column(String(60))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1), comment="L (laki-laki) | P (perempuan)")
    religion: Mapped[str] = mapped_column(String(20))
    marital_status: Mapped[str] = mapped_column(
        String(20), comment="belum_kawin | kawin | cerai_hidup | cerai_mati"
    )
    occupation: Mapped[str] = mapped_column(String(60))
    father_name: Mapped[str | None] = mapped_column(String(100))
    mother_name: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200))
    rt: Mapped[str] = mapped_column(String(3))
    rw: Mapped[str] = mapped_column(String(3))
    kelurahan_code: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), comment="alive | deceased | moved_out")
    died_on: Mapped[date | None] = mapped_column(Date)
    moved_out_on: Mapped[date | None] = mapped_column(Date)
    moved_to: Mapped[str | None] = mapped_column(String(200), comment="Destination when moved out")
    account_sub: Mapped[str | None] = mapped_column(
        String(64), unique=True, comment="The city login bound to this person by identity proofing"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NikSerial(Base):
    """Last NIK serial used per region and birth-date segment (``PPKKCC`` + ``DDMMYY``)."""

    __tablename__ = "nik_serials"

    prefix: Mapped[str] = mapped_column(String(12), primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer)


class KkSerial(Base):
    """Last family-card serial used per region and issue-date segment."""

    __tablename__ = "kk_serials"

    prefix: Mapped[str] = mapped_column(String(12), primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer)
