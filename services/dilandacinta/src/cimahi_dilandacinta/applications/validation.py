"""Checking a submission against the catalogue and the register.

Errors name the field (``type``, ``applicant``, ``subject_nik``, ``people[i].nik``,
``fields.<code>``, ``attachments.<code>``) but never reveal another person's data: a NIK that
is not an alive member of the applicant's family gets the same message whether it exists or not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_dilandacinta.applications.schemas import ApplicantIn, PersonIn
from cimahi_dilandacinta.catalogue.fields import check_fields
from cimahi_dilandacinta.catalogue.schemas import ServiceStandard
from cimahi_dilandacinta.catalogue.standards import BIODATA_CHOICES, STANDARDS
from cimahi_dilandacinta.models import Document, Family, Person
from cimahi_dilandacinta.register.effects import ADULT_AGE, age_on, person_by_nik
from cimahi_dilandacinta.register.names import name_key
from cimahi_shared.auth import Principal
from cimahi_shared.errors import InvalidInput
from cimahi_shared.identifiers import mask_nik
from cimahi_shared.pii import PiiCipher

NEWCOMER_FIELDS = (
    "full_name",
    "birth_place",
    "birth_date",
    "sex",
    "religion",
    "marital_status",
    "occupation",
    "relationship_to_head",
)
NOT_A_MEMBER = "Not an alive member of the applicant's family card."


@dataclass
class Checked:
    """A submission that passed: what the application row stores."""

    standard: ServiceStandard
    fields: dict[str, Any]
    applicant: Person | None
    family: Family | None
    subject: Person | None
    people: list[dict[str, Any]] = field(default_factory=list)
    kelurahan_code: str = ""
    needs_head_decision: bool = False

    def people_encrypted(self, pii: PiiCipher) -> str | None:
        """The listed people (NIKs, newcomers' data) as encrypted JSON."""
        return pii.encrypt(json.dumps(self.people, default=str)) if self.people else None

    def people_masked(self) -> list[str] | None:
        return [mask_nik(p["nik"]) for p in self.people] or None


def error(field_name: str, message: str) -> dict[str, str]:
    """One 422 entry."""
    return {"field": field_name, "message": message, "in": "body"}


def standard_of(code: str) -> ServiceStandard:
    """The service standard of a type code, or 422 naming ``type``."""
    standard = STANDARDS.get(code)
    if standard is None:
        raise InvalidInput(
            "Unknown service type.",
            errors=[error("type", "Not a service of the catalogue (GET /v1/public/services).")],
        )
    return standard


def check_type_fields(
    standard: ServiceStandard, values: dict[str, Any], *, today: date
) -> dict[str, Any]:
    """The normalised fields, or 422 naming ``fields.<code>``."""
    clean, errors = check_fields(standard.fields, values, today=today)
    if standard.code == "biodata_change" and not errors:
        choices = BIODATA_CHOICES.get(clean["element"])
        if choices is not None and clean["new_value"] not in choices:
            errors.append(error("fields.new_value", f"Must be one of: {', '.join(choices)}."))
    if errors:
        raise InvalidInput("Some fields are invalid.", errors=errors)
    return clean


def check_attachment_codes(standard: ServiceStandard, attachments: dict[str, list[str]]) -> None:
    """422 naming ``attachments.<code>`` for codes that are no requirement of the service."""
    codes = {r.code for r in standard.requirements}
    errors = [
        error(f"attachments.{code}", "Not a requirement of this service.")
        for code in attachments
        if code not in codes
    ]
    if errors:
        raise InvalidInput("Some attachments are invalid.", errors=errors)


async def check_submission(
    session: AsyncSession,
    *,
    principal: Principal,
    pii: PiiCipher,
    standard: ServiceStandard,
    fields: dict[str, Any],
    applicant: ApplicantIn,
    subject_nik: str | None,
    people: list[PersonIn],
    today: date,
    late_birth_days: int,
) -> Checked:
    """Everything a submission must satisfy in the register, or 422 naming the field."""
    checked = Checked(standard, fields, None, None, None)
    if standard.people == "newcomers":
        await _newcomers(session, pii, checked, applicant, people)
        checked.kelurahan_code = fields["kelurahan_code"]
        return checked
    checked.applicant, checked.family = await _applicant(session, pii, principal, applicant)
    checked.kelurahan_code = checked.family.kelurahan_code
    checked.subject = await _subject(session, pii, checked, subject_nik, today=today)
    await _listed_members(session, pii, checked, people)
    if standard.code == "akta_kelahiran":
        born = date.fromisoformat(fields["birth_date"])
        checked.needs_head_decision = (today - born).days > late_birth_days
    if standard.code == "akta_kematian" and checked.subject is checked.applicant:
        raise InvalidInput(
            "The applicant cannot be the deceased.",
            errors=[error("subject_nik", "Another family member reports a death.")],
        )
    if standard.code == "akta_kematian" and checked.subject is not None:
        if date.fromisoformat(fields["died_on"]) < checked.subject.birth_date:
            raise InvalidInput(
                "Invalid date of death.",
                errors=[error("fields.died_on", "Must not be before the birth date.")],
            )
    return checked


async def _applicant(
    session: AsyncSession, pii: PiiCipher, principal: Principal, data: ApplicantIn
) -> tuple[Person, Family]:
    refused = InvalidInput(
        "The applicant does not match the register.",
        errors=[
            error(
                "applicant",
                "NIK, No. KK and name do not match an alive resident of Kota Cimahi "
                "on that family card.",
            )
        ],
    )
    person = await person_by_nik(session, pii, data.nik)
    if person is None or person.status != "alive" or person.family_id is None or not data.no_kk:
        raise refused
    if person.account_sub is not None and person.account_sub != principal.sub:
        raise refused
    family = await session.get(Family, person.family_id)
    if (
        family is None
        or family.status != "active"
        or family.no_kk_hash != pii.lookup_hash(data.no_kk)
        or name_key(person.full_name) != name_key(data.name)
    ):
        raise refused
    return person, family


async def _member(
    session: AsyncSession, pii: PiiCipher, nik: str, family: Family | None
) -> Person | None:
    person = await person_by_nik(session, pii, nik)
    if person is None or person.status != "alive":
        return None
    if family is not None and person.family_id != family.id:
        return None
    return person


async def _subject(
    session: AsyncSession, pii: PiiCipher, checked: Checked, nik: str | None, *, today: date
) -> Person | None:
    rule = checked.standard.subject
    if rule == "none":
        if nik is not None:
            raise InvalidInput(
                "No subject here.",
                errors=[error("subject_nik", "This service names no other person.")],
            )
        return None
    if nik is None:
        if rule == "family_member_optional":
            return None
        raise InvalidInput(
            "The person concerned is missing.",
            errors=[error("subject_nik", "Give the NIK of the family member concerned.")],
        )
    person = await _member(session, pii, nik, checked.family)
    if person is None:
        raise InvalidInput("Unknown person.", errors=[error("subject_nik", NOT_A_MEMBER)])
    _check_age(checked.standard.code, person, today)
    if checked.standard.code == "ktp_recording" and await _has_active(session, person, "ktp_el"):
        message = "Already holds a KTP-el: apply for a replacement (ktp_replacement)."
        raise InvalidInput(message, errors=[error("subject_nik", message)])
    return person


async def _has_active(session: AsyncSession, person: Person, kind: str) -> bool:
    found = await session.scalar(
        select(Document.id)
        .where(Document.person_id == person.id, Document.kind == kind, Document.status == "active")
        .limit(1)
    )
    return found is not None


def _check_age(code: str, person: Person, today: date) -> None:
    age = age_on(person.birth_date, today)
    message = None
    if code == "ktp_recording" and age < ADULT_AGE and person.marital_status == "belum_kawin":
        message = "A KTP-el is for residents aged 17 or married."
    if code == "kia" and (age >= ADULT_AGE or person.marital_status != "belum_kawin"):
        message = "A KIA is for unmarried children under 17."
    if message:
        raise InvalidInput(message, errors=[error("subject_nik", message)])


async def _listed_members(
    session: AsyncSession, pii: PiiCipher, checked: Checked, people: list[PersonIn]
) -> None:
    rule = checked.standard.people
    if rule == "none":
        if people:
            raise InvalidInput(
                "No people here.", errors=[error("people", "This service lists no people.")]
            )
        return
    if rule == "family_members" and not people:
        raise InvalidInput(
            "Who moves?", errors=[error("people", "List the NIK of each person who moves.")]
        )
    family = checked.family if checked.standard.code != "kk_new" else None
    errors: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, entry in enumerate(people):
        person = await _member(session, pii, entry.nik, family)
        if person is None or entry.nik in seen:
            errors.append(error(f"people[{i}].nik", NOT_A_MEMBER if person is None else "Twice."))
            continue
        seen.add(entry.nik)
        if checked.applicant is not None and person.id == checked.applicant.id:
            if rule == "new_card_members":
                continue  # the applicant heads the new card anyway
        checked.people.append({"nik": entry.nik, "person_id": person.id})
    if errors:
        raise InvalidInput("Some listed people are invalid.", errors=errors)


async def _newcomers(
    session: AsyncSession,
    pii: PiiCipher,
    checked: Checked,
    applicant: ApplicantIn,
    people: list[PersonIn],
) -> None:
    """People moving in: full data each, not alive residents already, the applicant among them."""
    errors: list[dict[str, str]] = []
    niks = [p.nik for p in people]
    if applicant.nik not in niks:
        errors.append(error("people", "List every person moving in, the applicant included."))
    else:
        listed = people[niks.index(applicant.nik)].full_name or ""
        if name_key(listed) != name_key(applicant.name):
            errors.append(error("applicant", "The name differs from the applicant's in people."))
    for i, entry in enumerate(people):
        missing = [name for name in NEWCOMER_FIELDS if getattr(entry, name) is None]
        errors += [error(f"people[{i}].{name}", "Required for a newcomer.") for name in missing]
        if niks.index(entry.nik) != i:
            errors.append(error(f"people[{i}].nik", "Twice."))
        existing = await person_by_nik(session, pii, entry.nik)
        if existing is not None and existing.status == "alive":
            errors.append(error(f"people[{i}].nik", "Already a resident of Kota Cimahi."))
        if existing is not None and existing.status == "deceased":
            errors.append(error(f"people[{i}].nik", "Cannot be registered."))
    if errors:
        raise InvalidInput("Some people moving in are invalid.", errors=errors)
    checked.people = [p.model_dump(mode="json") for p in people]
