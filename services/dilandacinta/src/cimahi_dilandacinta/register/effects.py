"""What issuing an application changes in the register, in the signing transaction.

:func:`apply_issuance` is called by the applications workflow when the head of Dinas signs; it
changes persons and families, issues the document(s) through ``documents.service`` and returns
the application's document with the domain events to enqueue. Nothing here commits.

Family card rules kept after every change: a card lists only alive members, has exactly one head
(``kepala_keluarga``), each alive resident is on exactly one active card, and a new card
(new No. KK) supersedes the old card row and its KK document.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_dilandacinta.documents.service import (
    DocumentDraft,
    issue_document,
    supersede_for_family,
    supersede_for_person,
)
from cimahi_dilandacinta.events.applications import DomainEvent
from cimahi_dilandacinta.models import Application, Document, Family, Person
from cimahi_dilandacinta.register.names import name_key
from cimahi_dilandacinta.register.numbers import next_nik, next_no_kk
from cimahi_shared.auth import Principal
from cimahi_shared.calendar.workdays import WIB
from cimahi_shared.errors import Conflict
from cimahi_shared.identifiers import mask_nik
from cimahi_shared.pii import PiiCipher
from cimahi_shared.regions import find_kelurahan

HEAD = "kepala_keluarga"


def kelurahan_label(code: str) -> str:
    """How a document prints a kelurahan: ``Baros, Kec. Cimahi Tengah`` (the code if unknown)."""
    kelurahan = find_kelurahan(code)
    return f"{kelurahan.name}, Kec. {kelurahan.kecamatan_name}" if kelurahan else code


def relationship_label(value: str) -> str:
    """How a document prints a relationship to the head: ``kepala_keluarga`` -> ``Kepala Keluarga``."""
    return value.replace("_", " ").title()


SPOUSES = ("istri", "suami")
ALIVE, DECEASED, MOVED_OUT = "alive", "deceased", "moved_out"
ADULT_AGE = 17


@dataclass
class Issuance:
    """The context of one signing and what it produced."""

    session: AsyncSession
    application: Application
    people: list[dict[str, Any]]
    signer: Principal
    signer_title: str
    pii: PiiCipher
    now: datetime
    document: Document | None = None
    events: list[DomainEvent] = field(default_factory=list)

    @property
    def today(self) -> date:
        return self.now.astimezone(WIB).date()

    @property
    def fields(self) -> dict[str, Any]:
        return self.application.fields

    def person_draft(
        self,
        kind: str,
        person: Person,
        *,
        nik: str,
        kelurahan_code: str,
        lines: list[tuple[str, str]],
    ) -> DocumentDraft:
        """A document held by one person (akta, KTP-el/KIA, biodata), owned by the applicant."""
        return DocumentDraft(
            kind=kind,
            holder_name=person.full_name,
            holder_nik=nik,
            kelurahan_code=kelurahan_code,
            lines=lines,
            person_id=person.id,
            owner_sub=self.application.owner_sub,
        )

    async def issue(
        self, draft: DocumentDraft, *, main: bool = False, supersedes: list[str] | None = None
    ) -> Document:
        """Issue a document (the application's own when ``main``) and note the event."""
        if main:
            draft = _with(draft, application_id=self.application.id)
        document = await issue_document(
            self.session,
            draft,
            signer=self.signer,
            signer_title=self.signer_title,
            pii=self.pii,
            now=self.now,
            supersedes=supersedes,
        )
        if main:
            self.document = document
        self.events.append(
            DomainEvent(
                "document.issued",
                document.id,
                {
                    "document_id": document.id,
                    "kind": document.kind,
                    "application_id": self.application.id if main else None,
                    "person_id": document.person_id,
                    "family_id": document.family_id,
                    "kelurahan_code": document.kelurahan_code,
                    "issued_on": document.issued_on.isoformat(),
                },
            )
        )
        return document


def _with(draft: DocumentDraft, **changes: Any) -> DocumentDraft:
    values = {**draft.__dict__, **changes}
    return DocumentDraft(**values)


def region_of(kelurahan_code: str) -> str:
    """``32.77.01.1001`` -> ``327701`` (province, city, kecamatan: the NIK/KK region)."""
    return "".join(kelurahan_code.split(".")[:3])


def age_on(birth_date: date, day: date) -> int:
    """Completed years on ``day``."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


# --- register reads ---


async def person_by_nik(session: AsyncSession, pii: PiiCipher, nik: str) -> Person | None:
    """The person with this NIK (any status), or None."""
    return await session.scalar(select(Person).where(Person.nik_hash == pii.lookup_hash(nik)))


async def family_members(session: AsyncSession, family_id: str) -> list[Person]:
    """Alive members of a family, eldest first."""
    rows = await session.scalars(
        select(Person)
        .where(Person.family_id == family_id, Person.status == ALIVE)
        .order_by(Person.birth_date, Person.id)
    )
    return list(rows)


async def active_cards(session: AsyncSession, family_ids: list[str]) -> list[str]:
    """Ids of the active KK documents of these family cards."""
    rows = await session.scalars(
        select(Document.id).where(
            Document.family_id.in_(family_ids), Document.kind == "kk", Document.status == "active"
        )
    )
    return list(rows)


CHANGED = (
    "The register changed since this application was checked ({what}); "
    "return it to the applicant for revision."
)


async def _person(session: AsyncSession, person_id: str | None) -> Person:
    """An alive person of the register, or 409 (died or moved since the submission)."""
    person = await session.get(Person, person_id) if person_id else None
    if person is None or person.status != ALIVE:
        raise Conflict(CHANGED.format(what="a person named is no longer a resident"))
    return person


async def _family(session: AsyncSession, family_id: str | None) -> Family:
    """The current card of a family: a superseded card leads to its successor; 409 when the
    family was dissolved since the submission."""
    family = await session.get(Family, family_id) if family_id else None
    for _ in range(100):
        if family is None or family.status != "superseded" or not family.superseded_by_id:
            break
        family = await session.get(Family, family.superseded_by_id)
    if family is None or family.status != "active":
        raise Conflict(CHANGED.format(what="the family card no longer exists"))
    return family


# --- family cards ---


@dataclass
class Address:
    """Where a family card is registered."""

    address: str
    rt: str
    rw: str
    kelurahan_code: str

    @classmethod
    def of(cls, family: Family) -> Address:
        return cls(family.address, family.rt, family.rw, family.kelurahan_code)

    def updated(self, fields: dict[str, Any]) -> Address:
        """This address with the application's ``address``/``rt``/``rw``/``kelurahan_code``."""
        return Address(
            fields.get("address") or self.address,
            fields.get("rt") or self.rt,
            fields.get("rw") or self.rw,
            fields.get("kelurahan_code") or self.kelurahan_code,
        )


def pick_head(members: Sequence[Person], *, previous_head_id: str | None, today: date) -> Person:
    """The head of a card: the previous head if still a member, else a spouse, else the eldest
    adult, else the eldest member."""
    by_id = {m.id: m for m in members}
    if previous_head_id in by_id:
        return by_id[previous_head_id]
    spouses = [m for m in members if m.relationship_to_head in SPOUSES]
    if spouses:
        return spouses[0]
    adults = [m for m in members if age_on(m.birth_date, today) >= ADULT_AGE]
    return (adults or list(members))[0]


async def issue_new_card(
    issuance: Issuance,
    *,
    old: Family | None,
    members: list[Person],
    head: Person,
    address: Address,
    main: bool = False,
) -> Family:
    """A new family card (new No. KK) for ``members`` at ``address``, superseding ``old``."""
    session, now = issuance.session, issuance.now
    no_kk = await next_no_kk(
        session, region=region_of(address.kelurahan_code), issued_on=issuance.today
    )
    family = Family(
        id=str(ULID()),
        no_kk_hash=issuance.pii.lookup_hash(no_kk),
        no_kk_encrypted=issuance.pii.encrypt(no_kk),
        no_kk_masked=mask_nik(no_kk),
        head_person_id=head.id,
        address=address.address,
        rt=address.rt,
        rw=address.rw,
        kelurahan_code=address.kelurahan_code,
        status="active",
        superseded_by_id=None,
        issued_on=issuance.today,
        created_at=now,
        updated_at=now,
    )
    session.add(family)
    await session.flush()
    _place(members, family=family, head=head, address=address, now=now)
    if old is not None and old.status == "active":
        old.status, old.superseded_by_id, old.updated_at = "superseded", family.id, now
    await _issue_card(issuance, family, members, no_kk=no_kk, old=old, main=main)
    return family


def _place(
    members: list[Person], *, family: Family, head: Person, address: Address, now: datetime
) -> None:
    for person in members:
        if person.id == head.id:
            person.relationship_to_head = HEAD
        elif person.relationship_to_head == HEAD:
            person.relationship_to_head = "famili_lain"
        person.family_id = family.id
        person.address, person.rt, person.rw = address.address, address.rt, address.rw
        person.kelurahan_code = address.kelurahan_code
        person.updated_at = now


async def _issue_card(
    issuance: Issuance,
    family: Family,
    members: list[Person],
    *,
    no_kk: str,
    old: Family | None,
    main: bool,
) -> Document:
    """The KK document of ``family`` (superseding the old card's KK documents)."""
    head = next(m for m in members if m.id == family.head_person_id)
    draft = DocumentDraft(
        kind="kk",
        holder_name=head.full_name,
        holder_nik=None,
        kelurahan_code=family.kelurahan_code,
        lines=[
            ("No. KK", no_kk),
            ("Nama Kepala Keluarga", head.full_name),
            ("Alamat", family.address),
            ("RT/RW", f"{family.rt}/{family.rw}"),
            ("Kelurahan", kelurahan_label(family.kelurahan_code)),
        ],
        members=[_member_row(issuance.pii, m) for m in members],
        family_id=family.id,
        owner_sub=issuance.application.owner_sub,
    )
    previous = await active_cards(issuance.session, [f.id for f in (old, family) if f])
    document = await issuance.issue(draft, main=main, supersedes=previous)
    issuance.events.append(
        DomainEvent(
            "family.card_issued",
            family.id,
            {
                "family_id": family.id,
                "previous_family_id": old.id if old is not None and old.id != family.id else None,
                "head_person_id": family.head_person_id,
                "member_person_ids": [m.id for m in members],
                "kelurahan_code": family.kelurahan_code,
                "issued_on": issuance.today.isoformat(),
            },
        )
    )
    return document


def _member_row(pii: PiiCipher, person: Person) -> dict[str, Any]:
    return {
        "full_name": person.full_name,
        "nik": pii.decrypt(person.nik_encrypted),
        "sex": person.sex,
        "birth_place": person.birth_place,
        "birth_date": person.birth_date.isoformat(),
        "religion": person.religion,
        "occupation": person.occupation,
        "relationship": relationship_label(person.relationship_to_head),
    }


async def reissue_or_dissolve(issuance: Issuance, family: Family, *, main: bool = False) -> None:
    """After members left (died, moved): a new card for who remains, or the card dissolved."""
    remaining = await family_members(issuance.session, family.id)
    if not remaining:
        family.status, family.updated_at = "dissolved", issuance.now
        await supersede_for_family(
            issuance.session, family_id=family.id, kind="kk", by_document_id=None, now=issuance.now
        )
        issuance.events.append(
            DomainEvent(
                "family.dissolved",
                family.id,
                {"family_id": family.id, "kelurahan_code": family.kelurahan_code},
            )
        )
        return
    head = pick_head(remaining, previous_head_id=family.head_person_id, today=issuance.today)
    await issue_new_card(
        issuance, old=family, members=remaining, head=head, address=Address.of(family), main=main
    )


# --- effects by service ---


async def _kk_change(issuance: Issuance) -> None:
    family = await _family(issuance.session, issuance.application.family_id)
    members = await family_members(issuance.session, family.id)
    head_id = issuance.application.subject_person_id or family.head_person_id
    head = pick_head(members, previous_head_id=head_id, today=issuance.today)
    address = Address.of(family).updated(issuance.fields)
    await issue_new_card(
        issuance, old=family, members=members, head=head, address=address, main=True
    )


async def _kk_replacement(issuance: Issuance) -> None:
    family = await _family(issuance.session, issuance.application.family_id)
    members = await family_members(issuance.session, family.id)
    no_kk = issuance.pii.decrypt(family.no_kk_encrypted)
    family.updated_at = issuance.now
    await _issue_card(issuance, family, members, no_kk=no_kk, old=family, main=True)


async def _kk_new_or_split(issuance: Issuance) -> None:
    """The applicant (head) and the listed members leave their cards for a new one."""
    session = issuance.session
    applicant = await _applicant(issuance)
    others = [await _person(session, p["person_id"]) for p in issuance.people]
    members = [applicant, *[p for p in others if p.id != applicant.id]]
    old_ids = {m.family_id for m in members if m.family_id}
    old_families = [await _family(session, fid) for fid in sorted(old_ids)]
    own = await _family(session, applicant.family_id)
    address = Address.of(own).updated(issuance.fields)
    await issue_new_card(
        issuance, old=None, members=members, head=applicant, address=address, main=True
    )
    for family in old_families:
        await reissue_or_dissolve(issuance, family)


async def _applicant(issuance: Issuance) -> Person:
    nik = issuance.pii.decrypt(issuance.application.applicant_nik_encrypted)
    person = await person_by_nik(issuance.session, issuance.pii, nik)
    if person is None or person.status != ALIVE or person.family_id is None:
        raise Conflict(CHANGED.format(what="the applicant is no longer a resident"))
    return person


async def _card_for_person(issuance: Issuance) -> None:
    """KTP-el or KIA of the subject, superseding their previous card of that kind."""
    person = await _person(issuance.session, issuance.application.subject_person_id)
    kind = "kia" if issuance.application.type_code == "kia" else "ktp_el"
    nik = issuance.pii.decrypt(person.nik_encrypted)
    draft = issuance.person_draft(
        kind,
        person,
        nik=nik,
        kelurahan_code=person.kelurahan_code,
        lines=_identity_lines(person, nik),
    )
    await supersede_for_person(
        issuance.session, person_id=person.id, kinds=[kind], by_document_id=None, now=issuance.now
    )
    await issuance.issue(draft, main=True)


def _identity_lines(person: Person, nik: str) -> list[tuple[str, str]]:
    return [
        ("NIK", nik),
        ("Nama", person.full_name),
        ("Tempat/Tgl Lahir", f"{person.birth_place}, {person.birth_date:%d-%m-%Y}"),
        ("Jenis Kelamin", person.sex),
        ("Alamat", f"{person.address} RT {person.rt}/RW {person.rw}"),
        ("Kelurahan", kelurahan_label(person.kelurahan_code)),
        ("Agama", person.religion),
        ("Status Perkawinan", person.marital_status),
        ("Pekerjaan", person.occupation),
    ]


async def _birth(issuance: Issuance) -> None:
    """A child joins the applicant's family with a new NIK; akta kelahiran and a new KK."""
    session, f = issuance.session, issuance.fields
    applicant = await _applicant(issuance)
    family = await _family(session, issuance.application.family_id)
    birth_date = date.fromisoformat(f["birth_date"])
    nik = await next_nik(
        session, region=region_of(family.kelurahan_code), birth_date=birth_date, sex=f["sex"]
    )
    child = _new_person(
        issuance,
        nik,
        {
            "full_name": f["child_name"],
            "birth_place": f["birth_place"],
            "birth_date": birth_date,
            "sex": f["sex"],
            "religion": f["religion"],
            "marital_status": "belum_kawin",
            "occupation": "Belum/Tidak Bekerja",
            "father_name": f["father_name"],
            "mother_name": f["mother_name"],
            "relationship_to_head": (
                "anak" if applicant.relationship_to_head in (HEAD, *SPOUSES) else "cucu"
            ),
        },
        family=family,
    )
    session.add(child)
    await session.flush()
    issuance.events.append(
        DomainEvent(
            "person.born",
            child.id,
            {
                "person_id": child.id,
                "family_id": family.id,
                "kelurahan_code": family.kelurahan_code,
                "birth_date": birth_date.isoformat(),
            },
        )
    )
    await issuance.issue(
        issuance.person_draft(
            "akta_kelahiran",
            child,
            nik=nik,
            kelurahan_code=family.kelurahan_code,
            lines=[
                ("NIK", nik),
                ("Nama", child.full_name),
                ("Tempat/Tgl Lahir", f"{child.birth_place}, {birth_date:%d-%m-%Y}"),
                ("Jenis Kelamin", child.sex),
                ("Nama Ayah", f["father_name"]),
                ("Nama Ibu", f["mother_name"]),
            ],
        ),
        main=True,
    )
    await reissue_or_dissolve(issuance, family)


def _new_person(
    issuance: Issuance, nik: str, data: dict[str, Any], *, family: Family | None
) -> Person:
    now = issuance.now
    return Person(
        id=str(ULID()),
        nik_hash=issuance.pii.lookup_hash(nik),
        nik_encrypted=issuance.pii.encrypt(nik),
        nik_masked=mask_nik(nik),
        family_id=family.id if family else None,
        relationship_to_head=data["relationship_to_head"],
        full_name=data["full_name"],
        name_key=name_key(data["full_name"]),
        birth_place=data["birth_place"],
        birth_date=data["birth_date"],
        sex=data["sex"],
        religion=data["religion"],
        marital_status=data["marital_status"],
        occupation=data["occupation"],
        father_name=data.get("father_name"),
        mother_name=data.get("mother_name"),
        address=family.address if family else "",
        rt=family.rt if family else "000",
        rw=family.rw if family else "000",
        kelurahan_code=family.kelurahan_code if family else "",
        status=ALIVE,
        died_on=None,
        moved_out_on=None,
        moved_to=None,
        account_sub=None,
        created_at=now,
        updated_at=now,
    )


async def _death(issuance: Issuance) -> None:
    """The subject is recorded deceased and leaves the card; akta kematian; a new KK."""
    session = issuance.session
    person = await _person(session, issuance.application.subject_person_id)
    family = await _family(session, person.family_id)
    died_on = date.fromisoformat(issuance.fields["died_on"])
    person.status, person.died_on, person.family_id = DECEASED, died_on, None
    person.updated_at = issuance.now
    issuance.events.append(
        DomainEvent(
            "person.deceased",
            person.id,
            {
                "person_id": person.id,
                "family_id": family.id,
                "kelurahan_code": family.kelurahan_code,
                "died_on": died_on.isoformat(),
            },
        )
    )
    nik = issuance.pii.decrypt(person.nik_encrypted)
    document = await issuance.issue(
        issuance.person_draft(
            "akta_kematian",
            person,
            nik=nik,
            kelurahan_code=family.kelurahan_code,
            lines=[
                ("NIK", nik),
                ("Nama", person.full_name),
                ("Tanggal Kematian", f"{died_on:%d-%m-%Y}"),
                ("Tempat Kematian", str(issuance.fields.get("place_of_death", ""))),
            ],
        ),
        main=True,
    )
    await supersede_for_person(
        session,
        person_id=person.id,
        kinds=["ktp_el", "kia"],
        by_document_id=document.id,
        now=issuance.now,
    )
    await reissue_or_dissolve(issuance, family)


async def _moving_out(issuance: Issuance) -> None:
    """The listed members move out of the city; SKPWNI; the rest get a new KK (or none)."""
    session, f = issuance.session, issuance.fields
    family = await _family(session, issuance.application.family_id)
    movers = [await _person(session, p["person_id"]) for p in issuance.people]
    # Members may have changed cards since the submission (a split): each card is re-issued.
    cards = [await _family(session, fid) for fid in sorted({m.family_id or "" for m in movers})]
    moving_on = date.fromisoformat(f["moving_on"])
    destination = f"{f['destination_address']}, {f['destination_region']}"[:200]
    for person in movers:
        left = person.family_id
        person.status, person.family_id = MOVED_OUT, None
        person.moved_out_on, person.moved_to = moving_on, destination
        person.updated_at = issuance.now
        issuance.events.append(
            DomainEvent(
                "person.moved_out",
                person.id,
                {
                    "person_id": person.id,
                    "family_id": left,
                    "kelurahan_code": family.kelurahan_code,
                    "moved_out_on": moving_on.isoformat(),
                },
            )
        )
    first = movers[0]
    await issuance.issue(
        DocumentDraft(
            kind="skpwni",
            holder_name=first.full_name,
            holder_nik=issuance.pii.decrypt(first.nik_encrypted),
            kelurahan_code=family.kelurahan_code,
            lines=[
                ("Alamat Asal", f"{family.address} RT {family.rt}/RW {family.rw}"),
                ("Kelurahan Asal", family.kelurahan_code),
                ("Alamat Tujuan", destination),
                ("Tanggal Pindah", f"{moving_on:%d-%m-%Y}"),
                ("Alasan", str(f.get("reason", ""))),
            ],
            members=[_member_row(issuance.pii, m) for m in movers],
            owner_sub=issuance.application.owner_sub,
        ),
        main=True,
    )
    for card in cards:
        await reissue_or_dissolve(issuance, card)


async def _moving_in(issuance: Issuance) -> None:
    """Newcomers (keeping their NIK) form a new family card at their Cimahi address."""
    f = issuance.fields
    address = Address(f["address"], f["rt"], f["rw"], f["kelurahan_code"])
    applicant_nik = issuance.pii.decrypt(issuance.application.applicant_nik_encrypted)
    members: list[Person] = []
    for data in issuance.people:
        members.append(await _arrive(issuance, data))
    head = next(
        (m for m in members if m.nik_hash == issuance.pii.lookup_hash(applicant_nik)), members[0]
    )
    family = await issue_new_card(issuance, old=None, members=members, head=head, address=address)
    issuance.application.family_id = family.id
    for person in members:
        issuance.events.append(
            DomainEvent(
                "person.moved_in",
                person.id,
                {
                    "person_id": person.id,
                    "family_id": family.id,
                    "kelurahan_code": family.kelurahan_code,
                    "moved_in_on": issuance.today.isoformat(),
                },
            )
        )
    await issuance.issue(
        DocumentDraft(
            kind="kedatangan",
            holder_name=head.full_name,
            holder_nik=applicant_nik,
            kelurahan_code=family.kelurahan_code,
            lines=[
                ("Daerah Asal", str(f.get("origin_region", ""))),
                ("Nomor SKPWNI", str(f.get("skpwni_number", ""))),
                ("Alamat Tujuan", f"{address.address} RT {address.rt}/RW {address.rw}"),
                ("Kelurahan", kelurahan_label(address.kelurahan_code)),
            ],
            members=[_member_row(issuance.pii, m) for m in members],
            family_id=family.id,
            owner_sub=issuance.application.owner_sub,
        ),
        main=True,
    )


async def _arrive(issuance: Issuance, data: dict[str, Any]) -> Person:
    """A newcomer: a former resident's record comes back to life, else a new record."""
    values = {**data, "birth_date": date.fromisoformat(data["birth_date"])}
    person = await person_by_nik(issuance.session, issuance.pii, data["nik"])
    if person is None:
        person = _new_person(issuance, data["nik"], values, family=None)
        issuance.session.add(person)
        await issuance.session.flush()
        return person
    for key in ("full_name", "birth_place", "sex", "religion", "marital_status", "occupation"):
        setattr(person, key, values[key])
    person.name_key = name_key(person.full_name)
    person.relationship_to_head = values["relationship_to_head"]
    person.status, person.moved_out_on, person.moved_to = ALIVE, None, None
    person.updated_at = issuance.now
    return person


async def _biodata(issuance: Issuance) -> None:
    """One element of the subject's data changes; a biodata document."""
    person = await _person(issuance.session, issuance.application.subject_person_id)
    element, value = issuance.fields["element"], issuance.fields["new_value"]
    setattr(person, element, value)
    if element == "full_name":
        person.name_key = name_key(value)
    person.updated_at = issuance.now
    issuance.events.append(
        DomainEvent(
            "person.updated",
            person.id,
            {"person_id": person.id, "kelurahan_code": person.kelurahan_code, "element": element},
        )
    )
    nik = issuance.pii.decrypt(person.nik_encrypted)
    await supersede_for_person(
        issuance.session,
        person_id=person.id,
        kinds=["biodata"],
        by_document_id=None,
        now=issuance.now,
    )
    await issuance.issue(
        issuance.person_draft(
            "biodata",
            person,
            nik=nik,
            kelurahan_code=person.kelurahan_code,
            lines=_identity_lines(person, nik),
        ),
        main=True,
    )


EFFECTS: dict[str, Callable[[Issuance], Awaitable[None]]] = {
    "kk_new": _kk_new_or_split,
    "kk_split": _kk_new_or_split,
    "kk_change": _kk_change,
    "kk_replacement": _kk_replacement,
    "ktp_recording": _card_for_person,
    "ktp_replacement": _card_for_person,
    "ktp_change": _card_for_person,
    "kia": _card_for_person,
    "akta_kelahiran": _birth,
    "akta_kematian": _death,
    "pindah_keluar": _moving_out,
    "pindah_datang": _moving_in,
    "biodata_change": _biodata,
}


async def apply_issuance(
    session: AsyncSession,
    application: Application,
    *,
    signer: Principal,
    signer_title: str,
    pii: PiiCipher,
    now: datetime,
) -> tuple[Document, list[DomainEvent]]:
    """Change the register for a signed application and issue its document(s).

    Returns the application's document and the domain events to enqueue (same transaction).
    """
    people: list[dict[str, Any]] = (
        json.loads(pii.decrypt(application.people_encrypted))
        if application.people_encrypted
        else []
    )
    issuance = Issuance(session, application, people, signer, signer_title, pii, now)
    await EFFECTS[application.type_code](issuance)
    await session.flush()
    if issuance.document is None:  # pragma: no cover - every effect issues one
        raise RuntimeError(f"{application.type_code}: no document issued")
    return issuance.document, issuance.events
