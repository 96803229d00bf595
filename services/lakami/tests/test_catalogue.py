"""The public catalogue of letter types (service standards), its typed fields and its sync."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import select

from cimahi_lakami.catalogue.schemas import FieldSpec, LetterTypeRead, Requirement
from cimahi_lakami.catalogue.service import check_fields, publish_standards
from cimahi_lakami.catalogue.standards import STANDARDS
from cimahi_lakami.cli import seed_catalogue
from cimahi_lakami.config import LakamiSettings
from cimahi_lakami.models import LetterType
from cimahi_shared.app import Runtime
from services.lakami.tests.conftest import Tokens, error_fields, letter_body, problem

DOC = Path(__file__).resolve().parents[3] / "docs" / "lakami-catalogue.md"
ISSUE_TYPES = {
    "domisili",
    "domisili_usaha",
    "usaha",
    "kelahiran",
    "kematian",
    "pindah",
    "belum_menikah",
    "janda_duda",
    "belum_punya_rumah",
    "domisili_haji",
    "skck",
    "izin_keramaian",
    "sktm",
    "sktm_pendidikan",
    "sktm_rumah_sakit",
    "sktm_pengadilan",
    "sktm_pln",
    "ahli_waris",
}
KECAMATAN_TYPES = {
    "domisili_usaha",
    "usaha",
    "pindah",
    "domisili_haji",
    "izin_keramaian",
    "ahli_waris",
}

WIB = timezone(timedelta(hours=7))


def today() -> date:
    """Today in Cimahi: the service checks dates against the WIB calendar day."""
    return datetime.now(WIB).date()


def days(n: int) -> str:
    return (today() + timedelta(days=n)).isoformat()


def runtime(app: FastAPI) -> Runtime:
    rt: Runtime = app.state.runtime
    return rt


async def post_request(
    client: httpx.AsyncClient, tokens: Tokens, letter_type: str, fields: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        "/v1/letter-requests",
        json=letter_body(letter_type=letter_type, fields=fields),
        headers=tokens.citizen(),
    )


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()["fields"]
    return body


KELAHIRAN = {
    "child_name": "Raka Pratama",
    "child_sex": "Laki-laki",
    "birth_place": "RSUD Cibabat",
    "birth_date": days(-10),
    "birth_time": "7:05",
    "birth_order": 2.0,
    "father_name": "Dedi Pratama",
    "mother_name": "Rina Marlina",
    "reporter_relationship": "Ibu",
}
IZIN_KERAMAIAN = {
    "event_name": "Hajatan pernikahan Sinta dan Bayu",
    "event_kind": "Hajatan pernikahan/khitanan",
    "event_start_date": days(20),
    "event_end_date": days(21),
    "start_time": "08:00",
    "end_time": "22:00",
    "venue": "Lapangan RW 07, Jl. Melong Asih",
    "expected_attendance": 300,
    "uses_sound_system": True,
    "closes_road": False,
}
SKTM_PLN = {
    "pln_service": "Subsidi listrik",
    "pln_customer_id": "532100123456",
    "power_va": "900 VA",
    "household_members": 5,
}
HEIRS = [
    {"name": "Siti Aminah", "relationship": "Istri", "birth_date": "1965-04-02"},
    {"name": "Asep Saepudin", "relationship": "Anak"},
]
AHLI_WARIS = {
    "deceased_name": "H. Ujang Saepuloh",
    "date_of_death": days(-40),
    "deceased_address": "Jl. Melong Asih No. 12, RT 003 RW 007",
    "heirs": HEIRS,
}


AHLI_WARIS_SPECS = [
    spec.model_dump(mode="json") for s in STANDARDS if s.code == "ahli_waris" for spec in s.fields
]


class TestPublishedCatalogue:
    async def test_every_type_of_the_issue_is_published_with_its_standard(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/v1/public/letter-types")
        assert response.status_code == 200
        types = {t["code"]: t for t in response.json()}
        assert types.keys() == ISSUE_TYPES
        for code, standard in types.items():
            codes = [r["code"] for r in standard["requirements"]]
            assert len(codes) == len(set(codes)), code
            assert {"cover_letter", "ktp"} <= set(codes), code
            for requirement in standard["requirements"]:
                assert re.fullmatch(r"[a-z][a-z0-9_]{1,39}", requirement["code"])
                assert requirement["name"]
                assert isinstance(requirement["required"], bool)
            assert standard["fields"], code
            assert standard["fee_idr"] == 0
            assert 1 <= standard["time_limit_working_days"] <= 5
            assert standard["product"]
            assert standard["classification_code"]
            assert "LAPOR" in standard["complaints_channel"]
            assert standard["needs_kecamatan"] is (code in KECAMATAN_TYPES), code
            procedure = " ".join(standard["procedure"])
            assert ("Camat" in procedure) is (code in KECAMATAN_TYPES), code

    async def test_one_type_shows_the_same_standard_as_the_list(
        self, client: httpx.AsyncClient
    ) -> None:
        listed = {t["code"]: t for t in (await client.get("/v1/public/letter-types")).json()}
        for code in ("kelahiran", "ahli_waris", "izin_keramaian", "sktm_pln"):
            response = await client.get(f"/v1/public/letter-types/{code}")
            assert response.status_code == 200
            assert response.json() == listed[code]

    async def test_the_list_field_publishes_the_fields_of_each_entry(
        self, client: httpx.AsyncClient
    ) -> None:
        standard = (await client.get("/v1/public/letter-types/ahli_waris")).json()
        heirs = next(f for f in standard["fields"] if f["code"] == "heirs")
        assert heirs["type"] == "list"
        assert heirs["min_items"] == 1
        assert heirs["max_items"] == 30
        items = {f["code"]: f for f in heirs["item_fields"]}
        assert items.keys() == {"name", "relationship", "birth_date"}
        assert items["relationship"]["type"] == "singlevaluelist"
        assert "Istri" in items["relationship"]["choices"]

    async def test_existing_codes_and_field_codes_are_unchanged(
        self, client: httpx.AsyncClient
    ) -> None:
        expected = {
            "domisili": {"address", "resident_since"},
            "sktm": {"sktm_purpose", "household_members", "monthly_income_idr"},
            "usaha": {"business_name", "business_type", "business_address", "business_since"},
            "skck": {"skck_purpose"},
        }
        for code, fields in expected.items():
            standard = (await client.get(f"/v1/public/letter-types/{code}")).json()
            assert {f["code"] for f in standard["fields"]} == fields
        sktm = (await client.get("/v1/public/letter-types/sktm")).json()
        assert sktm["short_name"] == "SKTM"

    async def test_unknown_letter_type_is_a_404_problem(self, client: httpx.AsyncClient) -> None:
        problem(await client.get("/v1/public/letter-types/surat-sakti"), 404)

    def test_a_requirement_code_names_the_same_document_in_every_type(self) -> None:
        names: dict[str, set[str]] = {}
        for standard in STANDARDS:
            for requirement in standard.requirements:
                names.setdefault(requirement.code, set()).add(requirement.name)
        assert {code: n for code, n in names.items() if len(n) > 1} == {}
        assert sum(1 for s in STANDARDS for r in s.requirements if r.code == "ktp") == 18

    def test_no_field_asks_for_a_nik(self) -> None:
        def specs(fields: list[FieldSpec]) -> list[FieldSpec]:
            return [f for spec in fields for f in (spec, *specs(spec.item_fields or []))]

        for standard in STANDARDS:
            for spec in specs(standard.fields):
                assert "nik" not in spec.code.split("_"), (standard.code, spec.code)
                assert "NIK" not in spec.label, (standard.code, spec.code)

    def test_the_catalogue_document_lists_every_type_and_requirement(self) -> None:
        rows = doc_rows("Letter types")
        assert rows.keys() == ISSUE_TYPES
        for standard in STANDARDS:
            cells = rows[standard.code]
            assert cells[1] == standard.name
            assert cells[2] == ("ya" if standard.needs_kecamatan else "tidak")
            assert cells[3] == str(standard.time_limit_working_days)
            assert cells[4] == f"`{standard.classification_code}`"
            assert cells[5] == marked(standard.requirements)

    def test_the_catalogue_document_lists_every_field(self) -> None:
        rows = doc_rows("Fields per type")
        assert rows.keys() == ISSUE_TYPES
        for standard in STANDARDS:
            top_level = re.sub(r"\{[^}]*\}", "", rows[standard.code][1])
            assert re.findall(r"`[a-z0-9_]+\*?`", top_level) == marked(standard.fields).split(
                ", "
            ), standard.code
        documents = doc_rows("Documents")
        for standard in STANDARDS:
            for requirement in standard.requirements:
                assert documents[requirement.code][1] == requirement.name


def doc_rows(section: str) -> dict[str, list[str]]:
    """The table rows of one ``## section`` of the catalogue page, by their first cell's code."""
    text = DOC.read_text(encoding="utf-8").split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.split("|")[1:-1]]
            rows[cells[0].strip("`")] = cells
    return rows


def marked(items: Sequence[Requirement | FieldSpec]) -> str:
    """Codes as the page writes them: `code*` when required."""
    return ", ".join(f"`{item.code}{'*' if item.required else ''}`" for item in items)


class TestFieldKinds:
    """Each kind of field, through a real submission."""

    async def test_kelahiran_time_integer_and_date_are_normalised(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        fields = created(await post_request(client, tokens, "kelahiran", KELAHIRAN))
        assert fields["birth_time"] == "07:05"
        assert fields["birth_order"] == 2
        assert isinstance(fields["birth_order"], int)
        assert fields["birth_date"] == days(-10)

    async def test_kelahiran_bad_values_are_named(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        bad = {
            **KELAHIRAN,
            "birth_time": "25:00",
            "birth_date": days(3),
            "child_sex": "L",
            "birth_order": 1.5,
            "child_nik": "3277010101200001",
        }
        del bad["mother_name"]
        response = await post_request(client, tokens, "kelahiran", bad)
        assert error_fields(response) == {
            "fields.birth_time",
            "fields.birth_date",
            "fields.child_sex",
            "fields.birth_order",
            "fields.child_nik",
            "fields.mother_name",
        }

    async def test_izin_keramaian_booleans_times_and_event_dates(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        fields = created(await post_request(client, tokens, "izin_keramaian", IZIN_KERAMAIAN))
        assert fields["uses_sound_system"] is True
        assert fields["closes_road"] is False
        assert fields["start_time"] == "08:00"
        one_day = {**IZIN_KERAMAIAN, "event_start_date": days(0)}
        del one_day["event_end_date"]
        assert "event_end_date" not in created(
            await post_request(client, tokens, "izin_keramaian", one_day)
        )

    async def test_izin_keramaian_bad_values_are_named(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        past = {
            **IZIN_KERAMAIAN,
            "event_start_date": days(-2),
            "uses_sound_system": "ya",
            "expected_attendance": 0,
            "start_time": "8 pagi",
        }
        del past["closes_road"]
        response = await post_request(client, tokens, "izin_keramaian", past)
        body = problem(response, 422)
        assert {e["field"] for e in body["errors"]} == {
            "fields.event_start_date",
            "fields.uses_sound_system",
            "fields.expected_attendance",
            "fields.start_time",
            "fields.closes_road",
        }
        messages = {e["field"]: e["message"] for e in body["errors"]}
        assert "past" in messages["fields.event_start_date"]
        ends_first = {**IZIN_KERAMAIAN, "event_end_date": days(19)}
        response = await post_request(client, tokens, "izin_keramaian", ends_first)
        assert error_fields(response) == {"fields.event_end_date"}

    async def test_sktm_pln_customer_id_follows_its_pattern(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        fields = created(await post_request(client, tokens, "sktm_pln", SKTM_PLN))
        assert fields["pln_customer_id"] == "532100123456"
        new_connection = {"pln_service": "Pasang baru"}
        assert created(await post_request(client, tokens, "sktm_pln", new_connection)) == {
            "pln_service": "Pasang baru"
        }
        for customer_id in ("12345", "53210012345X", "5321001234567", 532100123456):
            response = await post_request(
                client, tokens, "sktm_pln", {**SKTM_PLN, "pln_customer_id": customer_id}
            )
            assert error_fields(response) == {"fields.pln_customer_id"}, customer_id
        response = await post_request(
            client,
            tokens,
            "sktm_pln",
            {**SKTM_PLN, "power_va": "5500 VA", "household_members": 2.5},
        )
        assert error_fields(response) == {"fields.power_va", "fields.household_members"}

    async def test_kematian_date_of_death_not_before_birth(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        fields = {
            "deceased_name": "Enok Suhaenah",
            "deceased_sex": "Perempuan",
            "deceased_birth_date": "1950-01-01",
            "date_of_death": days(-1),
            "place_of_death": "Rumah, Jl. Melong Asih No. 12",
            "cause_of_death": "Sakit biasa/tua",
            "reporter_relationship": "Anak",
        }
        assert created(await post_request(client, tokens, "kematian", fields))
        swapped = {**fields, "date_of_death": "1949-12-31"}
        response = await post_request(client, tokens, "kematian", swapped)
        assert error_fields(response) == {"fields.date_of_death"}

    async def test_ahli_waris_heirs_must_be_a_list(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        response = await post_request(
            client, tokens, "ahli_waris", {**AHLI_WARIS, "heirs": "Siti Aminah (istri)"}
        )
        assert error_fields(response) == {"fields.heirs"}
        missing = {k: v for k, v in AHLI_WARIS.items() if k != "heirs"}
        assert error_fields(await post_request(client, tokens, "ahli_waris", missing)) == {
            "fields.heirs"
        }

    async def test_ahli_waris_with_its_heirs_is_accepted(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        fields = created(await post_request(client, tokens, "ahli_waris", AHLI_WARIS))
        assert fields["heirs"] == HEIRS

    async def test_ahli_waris_bad_heirs_are_named_by_index(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        heirs = [
            HEIRS[0],
            {"name": " ", "relationship": "Tetangga"},
            {"name": "Asep", "relationship": "Anak", "nik": "3277010101800001"},
        ]
        response = await post_request(client, tokens, "ahli_waris", {**AHLI_WARIS, "heirs": heirs})
        assert error_fields(response) == {
            "fields.heirs[1].name",
            "fields.heirs[1].relationship",
            "fields.heirs[2].nik",
        }


class TestCheckFields:
    """The checker itself, for what the HTTP schema cannot carry yet (lists)."""

    def test_heirs_are_checked_entry_by_entry(self) -> None:
        clean, errors = check_fields(AHLI_WARIS_SPECS, AHLI_WARIS, today=today())
        assert errors == []
        assert clean["heirs"] == HEIRS
        heirs = [
            {"name": "  Siti   Aminah ", "relationship": "Istri", "birth_date": days(5)},
            {"name": "", "relationship": "Tetangga"},
            "Asep",
            {"name": "Asep", "relationship": "Anak", "nik": "3277010101800001"},
        ]
        clean, errors = check_fields(
            AHLI_WARIS_SPECS, {**AHLI_WARIS, "heirs": heirs}, today=today()
        )
        assert [e["field"] for e in errors] == [
            "fields.heirs[0].birth_date",
            "fields.heirs[1].name",
            "fields.heirs[1].relationship",
            "fields.heirs[2]",
            "fields.heirs[3].nik",
        ]

    def test_list_sizes_are_bounded(self) -> None:
        for heirs in ([], [HEIRS[0]] * 31):
            _, errors = check_fields(
                AHLI_WARIS_SPECS, {**AHLI_WARIS, "heirs": heirs}, today=today()
            )
            assert [e["field"] for e in errors] == ["fields.heirs"]

    def test_an_entry_is_normalised(self) -> None:
        heirs = [{"name": "  Siti   Aminah ", "relationship": "Istri"}]
        clean, errors = check_fields(
            AHLI_WARIS_SPECS, {**AHLI_WARIS, "heirs": heirs}, today=today()
        )
        assert errors == []
        assert clean["heirs"] == [{"name": "Siti Aminah", "relationship": "Istri"}]


class TestFieldSpecRules:
    """Catalogue data that cannot be checked is refused when the module loads."""

    @pytest.mark.parametrize(
        "spec",
        [
            {"code": "a_b", "label": "x", "type": "string"},
            {"code": "a_b", "label": "x", "type": "string", "max_length": 5, "choices": ["a"]},
            {"code": "a_b", "label": "x", "type": "singlevaluelist"},
            {
                "code": "a_b",
                "label": "x",
                "type": "date",
                "not_in_past": True,
                "not_in_future": True,
            },
            {"code": "a_b", "label": "x", "type": "time", "not_in_past": True},
            {"code": "a_b", "label": "x", "type": "boolean", "minimum": 0},
            {"code": "a_b", "label": "x", "type": "list", "max_items": 3},
            {
                "code": "a_b",
                "label": "x",
                "type": "list",
                "item_fields": [{"code": "name", "label": "n", "type": "string", "max_length": 9}],
            },
            {
                "code": "a_b",
                "label": "x",
                "type": "list",
                "max_items": 3,
                "item_fields": [
                    {
                        "code": "inner",
                        "label": "n",
                        "type": "list",
                        "max_items": 2,
                        "item_fields": [{"code": "ok", "label": "o", "type": "boolean"}],
                    }
                ],
            },
            {"code": "a_b", "label": "x", "type": "string", "max_length": 5, "pattern": "("},
        ],
    )
    def test_inconsistent_field_specs_are_refused(self, spec: dict[str, Any]) -> None:
        with pytest.raises(ValidationError):
            FieldSpec.model_validate(spec)

    def test_a_letter_type_refuses_repeated_codes_and_unknown_date_references(self) -> None:
        base = STANDARDS[0].model_dump()
        ktp = Requirement(code="ktp", name="KTP-el pemohon")
        with pytest.raises(ValidationError, match="requirement codes repeat"):
            LetterTypeRead.model_validate({**base, "requirements": [ktp, ktp]})
        dated = FieldSpec(code="until", label="u", type="date", not_before="since")
        with pytest.raises(ValidationError, match="not_before names no date field"):
            LetterTypeRead.model_validate({**base, "fields": [dated]})


class TestCatalogueSync:
    async def rows(self, app: FastAPI) -> dict[str, LetterType]:
        async with runtime(app).session_factory() as session:
            result = await session.scalars(select(LetterType))
            return {row.code: row for row in result}

    async def test_rerunning_the_seed_writes_nothing(
        self, app: FastAPI, settings: LakamiSettings
    ) -> None:
        before = await self.rows(app)
        assert await seed_catalogue(settings.database_url) == len(STANDARDS)
        async with runtime(app).session_factory() as session, session.begin():
            outcome = await publish_standards(session, standards=STANDARDS)
        assert outcome.created == outcome.updated == outcome.withdrawn == []
        assert sorted(outcome.unchanged) == sorted(ISSUE_TYPES)
        after = await self.rows(app)
        assert {c: r.updated_at for c, r in after.items()} == {
            c: r.updated_at for c, r in before.items()
        }

    async def test_changed_types_are_updated_and_removed_ones_withdrawn_keeping_requests(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        citizen = tokens.citizen()
        skck = await client.post(
            "/v1/letter-requests",
            json=letter_body(letter_type="skck", fields={"skck_purpose": "Melamar pekerjaan"}),
            headers=citizen,
        )
        assert skck.status_code == 201, skck.text
        tracking_no = skck.json()["tracking_no"]
        slower = STANDARDS[0].model_copy(update={"time_limit_working_days": 2})
        extra = STANDARDS[0].model_copy(update={"code": "domisili_uji", "name": "Uji"})
        changed = (slower, extra, *(s for s in STANDARDS[1:] if s.code != "skck"))

        async with runtime(app).session_factory() as session, session.begin():
            outcome = await publish_standards(session, standards=changed)
        assert outcome.created == ["domisili_uji"]
        assert outcome.updated == ["domisili"]
        assert outcome.withdrawn == ["skck"]

        problem(await client.get("/v1/public/letter-types/skck"), 404)
        listed = {t["code"]: t for t in (await client.get("/v1/public/letter-types")).json()}
        assert "skck" not in listed
        assert listed["domisili"]["time_limit_working_days"] == 2
        assert listed["domisili_uji"]["name"] == "Uji"
        kept = await client.get(f"/v1/letter-requests/{tracking_no}", headers=citizen)
        assert kept.status_code == 200
        assert kept.json()["letter_name"] == "Surat Pengantar SKCK"
        refused = await client.post(
            "/v1/letter-requests",
            json=letter_body(letter_type="skck", fields={"skck_purpose": "Melamar pekerjaan"}),
            headers=citizen,
        )
        assert error_fields(refused) == {"letter_type"}

        async with runtime(app).session_factory() as session, session.begin():
            restored = await publish_standards(session, standards=STANDARDS)
        assert sorted(restored.updated) == ["domisili", "skck"]
        assert restored.withdrawn == ["domisili_uji"]
        rows = await self.rows(app)
        assert rows["skck"].active
        assert not rows["domisili_uji"].active
        assert rows["domisili"].time_limit_working_days == 1
