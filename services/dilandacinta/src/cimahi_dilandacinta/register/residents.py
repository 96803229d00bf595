"""Loading persons with known identifiers into the register (demo data, tests, benchmarks).

Idempotent by NIK: a person already in the register is skipped. An unknown No. KK becomes a new
family card at the first resident's address; a known one is joined. Rows go in with multi-row
inserts, and the NIK / No. KK serial counters are raised past the loaded numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_dilandacinta.models import KkSerial, NikSerial
from cimahi_dilandacinta.register import repository
from cimahi_dilandacinta.register.names import name_key
from cimahi_dilandacinta.register.numbers import raise_serials
from cimahi_shared.db import utcnow
from cimahi_shared.identifiers import mask_nik, validate_nik, validate_no_kk
from cimahi_shared.pii import PiiCipher

HEAD = "kepala_keluarga"
ALIVE, DECEASED, MOVED_OUT = "alive", "deceased", "moved_out"


@dataclass(frozen=True, slots=True)
class Resident:
    """A person to load, with the family card (No. KK) they belong to."""

    nik: str
    no_kk: str
    full_name: str
    birth_date: date
    sex: str  # "L" | "P"
    kelurahan_code: str  # 32.77.01.1001
    relationship_to_head: str = HEAD
    birth_place: str = "Cimahi"
    religion: str = "Islam"
    marital_status: str = "belum_kawin"
    occupation: str = "Karyawan Swasta"
    father_name: str | None = None
    mother_name: str | None = None
    address: str = "Jl. Gatot Subroto No. 1"
    rt: str = "001"
    rw: str = "001"
    status: str = ALIVE  # alive | deceased | moved_out
    died_on: date | None = None
    moved_out_on: date | None = None
    moved_to: str | None = None
    kk_issued_on: date | None = None  # default: the date in the No. KK


def _kk_issue_date(no_kk: str) -> date:
    day, month, year2 = int(no_kk[6:8]), int(no_kk[8:10]), int(no_kk[10:12])
    try:
        return date(2000 + year2, month, day)
    except ValueError:
        return date(2000, 1, 1)


def _family_row(resident: Resident, pii: PiiCipher, family_id: str) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": family_id,
        "no_kk_hash": pii.lookup_hash(resident.no_kk),
        "no_kk_encrypted": pii.encrypt(resident.no_kk),
        "no_kk_masked": mask_nik(resident.no_kk),
        "head_person_id": None,
        "address": resident.address,
        "rt": resident.rt,
        "rw": resident.rw,
        "kelurahan_code": resident.kelurahan_code,
        "status": "active",
        "superseded_by_id": None,
        "issued_on": resident.kk_issued_on or _kk_issue_date(resident.no_kk),
        "created_at": now,
        "updated_at": now,
    }


def _person_row(
    resident: Resident, pii: PiiCipher, *, person_id: str, family_id: str | None
) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": person_id,
        "nik_hash": pii.lookup_hash(resident.nik),
        "nik_encrypted": pii.encrypt(resident.nik),
        "nik_masked": mask_nik(resident.nik),
        "family_id": None if resident.status == MOVED_OUT else family_id,
        "relationship_to_head": resident.relationship_to_head,
        "full_name": resident.full_name,
        "name_key": name_key(resident.full_name),
        "birth_place": resident.birth_place,
        "birth_date": resident.birth_date,
        "sex": resident.sex,
        "religion": resident.religion,
        "marital_status": resident.marital_status,
        "occupation": resident.occupation,
        "father_name": resident.father_name,
        "mother_name": resident.mother_name,
        "address": resident.address,
        "rt": resident.rt,
        "rw": resident.rw,
        "kelurahan_code": resident.kelurahan_code,
        "status": resident.status,
        "died_on": resident.died_on,
        "moved_out_on": resident.moved_out_on,
        "moved_to": resident.moved_to,
        "account_sub": None,
        "created_at": now,
        "updated_at": now,
    }


def _max_serials(numbers: Sequence[str]) -> dict[str, int]:
    serials: dict[str, int] = {}
    for number in numbers:
        prefix, serial = number[:12], int(number[12:])
        serials[prefix] = max(serial, serials.get(prefix, 0))
    return serials


async def load_residents(
    session: AsyncSession, pii: PiiCipher, residents: Sequence[Resident]
) -> int:
    """Add the residents not yet in the register (in the caller's transaction); how many."""
    for resident in residents:
        validate_nik(resident.nik)
        validate_no_kk(resident.no_kk)
    unique = list({r.nik: r for r in residents}.values())
    known = await repository.existing_nik_hashes(session, [pii.lookup_hash(r.nik) for r in unique])
    new = [r for r in unique if pii.lookup_hash(r.nik) not in known]
    if not new:
        return 0
    families = await repository.families_by_kk_hashes(
        session, sorted({pii.lookup_hash(r.no_kk) for r in new})
    )
    family_ids = {h: f.id for h, f in families.items()}
    person_ids = [str(ULID()) for _ in new]
    heads: dict[str, str] = {}  # No. KK hash -> the head's person id
    for resident, person_id in zip(new, person_ids, strict=True):
        if resident.relationship_to_head == HEAD and resident.status != MOVED_OUT:
            heads.setdefault(pii.lookup_hash(resident.no_kk), person_id)
    family_rows: list[dict[str, Any]] = []
    for resident in new:
        kk_hash = pii.lookup_hash(resident.no_kk)
        if kk_hash not in family_ids:
            family_ids[kk_hash] = str(ULID())
            row = _family_row(resident, pii, family_ids[kk_hash])
            family_rows.append({**row, "head_person_id": heads.get(kk_hash)})
    person_rows = [
        _person_row(
            resident,
            pii,
            person_id=person_id,
            family_id=family_ids[pii.lookup_hash(resident.no_kk)],
        )
        for resident, person_id in zip(new, person_ids, strict=True)
    ]
    await repository.insert_families(session, family_rows)
    await repository.insert_persons(session, person_rows)
    headless = {families[h].id: p for h, p in heads.items() if h in families}
    await repository.set_family_heads(session, headless)
    await raise_serials(session, NikSerial, _max_serials([r.nik for r in new]))
    await raise_serials(session, KkSerial, _max_serials(sorted({r.no_kk for r in new})))
    return len(new)
