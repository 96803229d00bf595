"""Issuing documents (the contract used by applications): numbers, content at rest, superseding."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from ulid import ULID

from cimahi_dilandacinta.documents.service import (
    DocumentDraft,
    decode_content,
    issue_document,
    supersede_for_family,
    supersede_for_person,
)
from cimahi_dilandacinta.models import Document, DocumentNumberCounter
from cimahi_shared.app import Runtime
from cimahi_shared.auth import Principal
from services.dilandacinta.tests.conftest import MELONG

NIK = "3277015205900001"
NO_KK = "3277011203150004"
NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
HEAD = Principal(
    sub="head-sub", role="officer", agency="dilandacinta", area="32.77", name="Drs. Asep Hidayat"
)
HEAD_TITLE = "Kepala Dinas Kependudukan dan Pencatatan Sipil Kota Cimahi"


def runtime(app: FastAPI) -> Runtime:
    rt: Runtime = app.state.runtime
    return rt


def draft(kind: str = "ktp_el", **overrides: Any) -> DocumentDraft:
    values: dict[str, Any] = {
        "kind": kind,
        "holder_name": "Ani Lestari",
        "holder_nik": NIK,
        "kelurahan_code": MELONG,
        "lines": [
            ("NIK", NIK),
            ("Nama", "Ani Lestari"),
            ("Tempat/Tgl Lahir", "Cimahi, 12-05-1990"),
        ],
        "person_id": str(ULID()),
        "owner_sub": str(ULID()),
        **overrides,
    }
    return DocumentDraft(**values)


async def issue(
    app: FastAPI,
    document_draft: DocumentDraft,
    *,
    now: datetime = NOW,
    supersedes: list[str] | None = None,
) -> Document:
    rt = runtime(app)
    async with rt.session_factory() as session, session.begin():
        return await issue_document(
            session,
            document_draft,
            signer=HEAD,
            signer_title=HEAD_TITLE,
            pii=rt.pii,
            now=now,
            supersedes=supersedes,
        )


async def reload(app: FastAPI, document_id: str) -> Document:
    async with runtime(app).session_factory() as session:
        document = await session.get(Document, document_id)
        assert document is not None
        return document


class TestIssueDocument:
    async def test_numbers_count_per_kind_and_year(self, app: FastAPI) -> None:
        first = await issue(app, draft("ktp_el"))
        second = await issue(app, draft("ktp_el"))
        card = await issue(app, draft("kk", family_id=str(ULID())))
        next_year = await issue(
            app, draft("ktp_el"), now=datetime(2026, 12, 31, 17, 30, tzinfo=UTC)
        )

        assert first.number == "3277-KTP-2026-000001"
        assert second.number == "3277-KTP-2026-000002"
        assert card.number == "3277-KK-2026-000001"
        # 00:30 WIB on 1 January 2027: the year of issue is Cimahi's.
        assert next_year.number == "3277-KTP-2027-000001"
        assert next_year.issued_on.isoformat() == "2027-01-01"

    async def test_stores_masked_facts_and_encrypted_content(self, app: FastAPI) -> None:
        members = [
            {"full_name": "Ani Lestari", "nik": NIK, "relationship": "Kepala Keluarga"},
            {"full_name": "Rudi Hartono", "nik": "3277010101880003", "relationship": "Suami"},
        ]
        issued = await issue(app, draft("kk", family_id=str(ULID()), members=members))

        stored = await reload(app, issued.id)
        assert stored.status == "active"
        assert stored.holder_name_masked == "A** L******"
        assert stored.holder_nik_masked == "3277********0001"
        assert stored.signer_sub == "head-sub"
        assert stored.signer_name == "Drs. Asep Hidayat"
        assert stored.signer_title == HEAD_TITLE
        assert stored.issued_at == NOW
        assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", stored.verification_code)
        assert NIK not in stored.content_encrypted
        assert "Ani" not in stored.content_encrypted
        content = decode_content(stored, runtime(app).pii)
        assert content.holder_nik == NIK
        assert content.lines[0] == ("NIK", NIK)
        assert content.members == members

    async def test_unknown_kind_is_a_programming_error(self, app: FastAPI) -> None:
        with pytest.raises(ValueError, match="unknown document kind"):
            await issue(app, draft("paspor"))

    async def test_a_rolled_back_issuance_gives_its_number_back(self, app: FastAPI) -> None:
        rt = runtime(app)
        async with rt.session_factory() as session:
            async with session.begin():
                await issue_document(
                    session, draft(), signer=HEAD, signer_title=HEAD_TITLE, pii=rt.pii, now=NOW
                )
                await session.rollback()

        assert (await issue(app, draft())).number == "3277-KTP-2026-000001"


class TestConcurrentNumbers:
    async def test_concurrent_issuances_take_every_number_once(self, app: FastAPI) -> None:
        issued = await asyncio.gather(*(issue(app, draft("kia")) for _ in range(12)))

        numbers = sorted(document.number for document in issued)
        assert numbers == [f"3277-KIA-2026-{n:06d}" for n in range(1, 13)]
        async with runtime(app).session_factory() as session:
            counter = await session.get(DocumentNumberCounter, ("kia", 2026))
            assert counter is not None
            assert counter.last_number == 12


class TestSuperseding:
    async def test_issue_supersedes_listed_documents(self, app: FastAPI) -> None:
        old = await issue(app, draft("ktp_el"))
        new = await issue(app, draft("ktp_el"), supersedes=[old.id], now=NOW.replace(hour=5))

        stored = await reload(app, old.id)
        assert stored.status == "superseded"
        assert stored.superseded_by_id == new.id
        assert stored.status_changed_at == NOW.replace(hour=5)
        assert (await reload(app, new.id)).status == "active"

    async def test_for_family_supersedes_the_old_kk_but_not_the_new_one(self, app: FastAPI) -> None:
        family_id = str(ULID())
        old = await issue(app, draft("kk", family_id=family_id))
        other_family = await issue(app, draft("kk", family_id=str(ULID())))
        new = await issue(app, draft("kk", family_id=family_id))

        async with runtime(app).session_factory() as session, session.begin():
            changed = await supersede_for_family(
                session, family_id=family_id, kind="kk", by_document_id=new.id, now=NOW
            )

        assert changed == 1
        assert (await reload(app, old.id)).status == "superseded"
        assert (await reload(app, old.id)).superseded_by_id == new.id
        assert (await reload(app, new.id)).status == "active"
        assert (await reload(app, other_family.id)).status == "active"

    async def test_for_person_supersedes_the_kinds_asked_for(self, app: FastAPI) -> None:
        person_id = str(ULID())
        ktp = await issue(app, draft("ktp_el", person_id=person_id))
        birth = await issue(app, draft("akta_kelahiran", person_id=person_id))

        async with runtime(app).session_factory() as session, session.begin():
            changed = await supersede_for_person(
                session, person_id=person_id, kinds=["ktp_el", "kia"], by_document_id=None, now=NOW
            )
            again = await supersede_for_person(
                session, person_id=person_id, kinds=["ktp_el"], by_document_id=None, now=NOW
            )

        assert (changed, again) == (1, 0)
        stored = await reload(app, ktp.id)
        assert stored.status == "superseded"
        assert stored.superseded_by_id is None
        assert (await reload(app, birth.id)).status == "active"
