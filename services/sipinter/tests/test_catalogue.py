"""The permit catalogue: the data holds together, and it is published without a login."""

from __future__ import annotations

import httpx
import pytest

from cimahi_sipinter.catalogue.schemas import Levy
from cimahi_sipinter.catalogue.standards import CATALOGUE, TIER_STAGES, permit_type, stages_for
from services.sipinter.tests.conftest import problem

REQUIRED = {
    "PBG",
    "SLF",
    "SIP_DOKTER",
    "SIP_BIDAN",
    "SIP_PERAWAT",
    "SIPA_APOTEKER",
    "IZIN_KLINIK",
    "IZIN_APOTEK",
    "REKLAME",
    "TDUP",
}


def test_the_catalogue_has_every_permit_the_issue_names() -> None:
    assert REQUIRED <= set(CATALOGUE)


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_each_permit_type_is_consistent(code: str) -> None:
    t = CATALOGUE[code]
    assert t.code == code
    assert t.stages == stages_for(t.tier, t.levy)
    if t.tier in ("medium_high", "high"):
        assert t.stages[0] == "administrative_check"
        assert t.stages[-1] == "signature"
        assert ("levy_payment" in t.stages) == (t.levy.basis != "none")
        assert t.site_survey == ("required" if t.tier == "high" else "optional")
    else:  # issued without a head's signature, and without a levy or a survey
        assert t.stages == TIER_STAGES[t.tier]
        assert t.levy.basis == "none"
        assert t.site_survey == "none"
    assert t.requirements, "a service standard lists its requirements"
    assert len({r.code for r in t.requirements}) == len(t.requirements)
    assert t.time_limit_working_days > 0
    assert t.needs_confirmation  # until DPMPTSP confirms the values


def test_building_permits_need_their_prerequisites() -> None:
    pbg = {r.code: r.kind for r in CATALOGUE["PBG"].requirements}
    assert pbg["kkpr"] == "prerequisite_permit"
    slf = {r.code: r.kind for r in CATALOGUE["SLF"].requirements}
    assert slf["pbg"] == "prerequisite_permit"


def test_tiers_go_through_more_stages_as_the_risk_grows() -> None:
    assert TIER_STAGES["low"] == ()  # the NIB is the permit
    assert TIER_STAGES["medium_low"] == ("administrative_check",)
    assert "technical_verification" in TIER_STAGES["medium_high"]
    assert "site_survey" in TIER_STAGES["high"]


def test_every_tier_has_a_permit_type() -> None:
    assert {t.tier for t in CATALOGUE.values()} == set(TIER_STAGES)


def test_the_clinic_permit_has_a_levy() -> None:
    assert "levy_payment" in CATALOGUE["IZIN_KLINIK"].stages


def test_levies_are_whole_rupiah() -> None:
    assert Levy().amount(area_m2=100) == 0
    assert Levy(basis="flat", rate=150_000).amount() == 150_000
    per_m2 = Levy(basis="per_m2", rate=10_000, minimum=250_000)
    assert per_m2.amount(area_m2=120) == 1_200_000
    assert per_m2.amount(area_m2=10) == 250_000  # the minimum
    yearly = Levy(basis="per_m2_per_year", rate=25_000, minimum=100_000)
    assert yearly.amount(area_m2=8, years=2) == 400_000
    assert isinstance(CATALOGUE["PBG"].levy.amount(area_m2=37), int)


def test_lookup_is_case_insensitive() -> None:
    assert permit_type("sip_dokter") is CATALOGUE["SIP_DOKTER"]
    assert permit_type("NOPE") is None


async def test_the_catalogue_is_public(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/public/permit-types")
    assert response.status_code == 200, response.text
    listed = {t["code"]: t for t in response.json()}
    assert REQUIRED <= set(listed)
    assert listed["PBG"]["has_levy"] is True
    assert listed["SIP_DOKTER"]["has_levy"] is False


async def test_a_permit_type_is_published_as_a_service_standard(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/public/permit-types/izin_klinik")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == "IZIN_KLINIK"
    assert body["tier"] == "high"
    assert body["time_limit_working_days"] == 30
    assert body["product"]
    assert {"kkpr", "pbg", "slf"} <= {r["code"] for r in body["requirements"]}
    assert body["stages"][0] == "administrative_check"
    assert body["levy"]["basis"] == "flat"
    assert body["site_survey"] == "required"


async def test_an_unknown_permit_type_is_a_404_problem(client: httpx.AsyncClient) -> None:
    problem(await client.get("/v1/public/permit-types/NOPE"), 404)
