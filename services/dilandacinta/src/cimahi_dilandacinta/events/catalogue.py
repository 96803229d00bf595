"""DILANDACINTA's event catalogue: the register and document events, with their public schemas.

Other city systems and national platforms act on changes of the population register (a death
closes a tax account or a pension, a birth opens immunisation, a move changes a service area).
These events tell them *that* something happened to *which* register record, never who the
person is: a person or family is named only by its opaque register id (a ULID that is not the
NIK nor the No. KK), a place only by its kelurahan code, plus the dates of the event. Names,
NIKs, No. KKs, addresses, destinations and the values of changed data stay in the register; a
consumer entitled to them asks DILANDACINTA's API with the id (and that read is logged).

Every signed application also publishes the platform's ``request.lifecycle`` event (the
citizen's unified status). :data:`CATALOGUE` validates every payload before it is enqueued
(:mod:`cimahi_dilandacinta.events.applications`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cimahi_dilandacinta.auth import AGENCY
from cimahi_shared.events.catalogue import EventCatalogue, EventSpec

# Document kinds (``documents.service.KINDS``) and changeable biodata elements (the
# ``biodata_change`` standard's choices); tests keep these in step with their sources.
DocumentKind = Literal[
    "kk", "ktp_el", "kia", "akta_kelahiran", "akta_kematian", "skpwni", "kedatangan", "biodata"
]
BiodataElement = Literal[
    "full_name",
    "birth_place",
    "religion",
    "marital_status",
    "occupation",
    "father_name",
    "mother_name",
]

PERSON_ID = "Opaque register id of the person (a ULID, not the NIK)"
FAMILY_ID = "Opaque register id of the family card (a ULID, not the No. KK)"
KELURAHAN = "Kemendagri code of the kelurahan of the record, e.g. '32.77.01.1001'"
OCCURRED_AT = "When the change was signed (RFC 3339, UTC)"
WHY_PERSON_ID = (
    "pseudonymous register id of the person (not the NIK): how an entitled consumer links the "
    "event to its own record through DILANDACINTA's API"
)


class _RegisterEvent(BaseModel):
    """Fields every register event has: where and when (no personal data)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kelurahan_code: str = Field(description=KELURAHAN)
    occurred_at: datetime = Field(description=OCCURRED_AT)


class PersonBornV1(_RegisterEvent):
    """Data of ``person.born.v1``: a child was registered in a family (akta kelahiran signed)."""

    person_id: str = Field(description=PERSON_ID)
    family_id: str = Field(description=FAMILY_ID + " the child joined")
    birth_date: date = Field(description="Date of birth")


class PersonDeceasedV1(_RegisterEvent):
    """Data of ``person.deceased.v1``: a death was registered (akta kematian signed)."""

    person_id: str = Field(description=PERSON_ID)
    family_id: str = Field(description=FAMILY_ID + " the person was on")
    died_on: date = Field(description="Date of death")


class PersonMovedOutV1(_RegisterEvent):
    """Data of ``person.moved_out.v1``: a resident moved out of the city (SKPWNI signed)."""

    person_id: str = Field(description=PERSON_ID)
    family_id: str | None = Field(description=FAMILY_ID + " the person left")
    moved_out_on: date = Field(description="Date of the move")


class PersonMovedInV1(_RegisterEvent):
    """Data of ``person.moved_in.v1``: a newcomer was registered (kedatangan signed)."""

    person_id: str = Field(description=PERSON_ID)
    family_id: str = Field(description=FAMILY_ID + " the newcomer is on")
    moved_in_on: date = Field(description="Date of the registration in Cimahi (WIB)")


class PersonUpdatedV1(_RegisterEvent):
    """Data of ``person.updated.v1``: one element of a person's data changed (biodata signed)."""

    person_id: str = Field(description=PERSON_ID)
    element: BiodataElement = Field(
        description="Which element changed (never its value: read the register for that)"
    )


class FamilyCardIssuedV1(_RegisterEvent):
    """Data of ``family.card_issued.v1``: a family card (KK) was issued or re-issued."""

    family_id: str = Field(description=FAMILY_ID)
    previous_family_id: str | None = Field(
        description="The card this one supersedes, when the family got a new No. KK"
    )
    head_person_id: str = Field(description=PERSON_ID + ": the head of the family")
    member_person_ids: list[str] = Field(description="Opaque register ids of all members")
    issued_on: date = Field(description="Date of issue (WIB)")


class FamilyDissolvedV1(_RegisterEvent):
    """Data of ``family.dissolved.v1``: a family card lost its last member (died or moved)."""

    family_id: str = Field(description=FAMILY_ID)


class DocumentIssuedV1(_RegisterEvent):
    """Data of ``document.issued.v1``: an adminduk document was signed and issued."""

    document_id: str = Field(description="Opaque id of the document (its number and QR stay)")
    kind: DocumentKind = Field(description="Kind of document")
    application_id: str | None = Field(
        description="Opaque id of the application the document answers (null for a document "
        "issued as a consequence, e.g. the new KK after a death)"
    )
    person_id: str | None = Field(description=PERSON_ID + " holding it (personal documents)")
    family_id: str | None = Field(description=FAMILY_ID + " (for a KK)")
    issued_on: date = Field(description="Date of issue (WIB)")


def _person(name: str, summary: str, payload: type[BaseModel], **why: str) -> EventSpec:
    """A ``person.*`` spec: subject and ``person_id`` are the person's opaque id."""
    return EventSpec(
        name=name,
        summary=summary,
        payload=payload,
        subject="the person's opaque register id (same as person_id)",
        personal_data={"person_id": WHY_PERSON_ID, **why},
    )


CATALOGUE = EventCatalogue(
    AGENCY,
    [
        _person(
            "person.born",
            "A birth was registered: the child has a record and a family card.",
            PersonBornV1,
            birth_date="the date the event reports (immunisation, child benefits need it)",
        ),
        _person(
            "person.deceased",
            "A death was registered: the person's record is closed and their cards superseded.",
            PersonDeceasedV1,
            died_on="the date the event reports (pensions, taxes and benefits stop from it)",
        ),
        _person(
            "person.moved_out",
            "A resident moved out of Kota Cimahi.",
            PersonMovedOutV1,
        ),
        _person(
            "person.moved_in",
            "A newcomer was registered as a resident of Kota Cimahi.",
            PersonMovedInV1,
        ),
        _person(
            "person.updated",
            "One element of a person's register data changed (not its value).",
            PersonUpdatedV1,
            element="which element changed, so consumers re-read only what they keep; "
            "a change of religion or marital status is itself sensitive: subscribe only if needed",
        ),
        EventSpec(
            name="family.card_issued",
            summary="A family card (KK) was issued: new, re-issued or replacing another.",
            payload=FamilyCardIssuedV1,
            subject="the family card's opaque register id (same as family_id)",
            personal_data={
                "head_person_id": WHY_PERSON_ID,
                "member_person_ids": "pseudonymous register ids of the members (not NIKs): who "
                "is on the card now, which is the fact the event reports",
            },
        ),
        EventSpec(
            name="family.dissolved",
            summary="A family card was closed: no member is left on it.",
            payload=FamilyDissolvedV1,
            subject="the family card's opaque register id (same as family_id)",
        ),
        EventSpec(
            name="document.issued",
            summary="An adminduk document (KK, KTP-el, KIA, akta, surat pindah...) was issued.",
            payload=DocumentIssuedV1,
            subject="the document's opaque id (same as document_id)",
            personal_data={"person_id": WHY_PERSON_ID},
        ),
    ],
)
