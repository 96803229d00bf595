"""The permit catalogue as data: the service standard of every permit type DPMPTSP handles.

Tiers follow OSS-RBA (PP 28/2025): low = NIB only; medium-low = NIB + standard certificate by
self-declaration; medium-high = NIB + standard certificate verified by the government;
high = NIB + permit. Which stages each tier goes through is ``TIER_STAGES``; a permit type with a
levy adds the ``levy_payment`` stage before the signature.

Time limits, levies, validity periods and requirement lists are this project's reading of
national rules and other cities' published standards: every entry has ``needs_confirmation``
set until DPMPTSP Kota Cimahi confirms it (docs/sipinter.md lists what to confirm).
"""

from __future__ import annotations

from cimahi_sipinter.catalogue.schemas import Levy, PermitType, Requirement, Stage, Tier

TIER_STAGES: dict[Tier, tuple[Stage, ...]] = {
    # NIB only: the registration itself is the permit; issued on submission, checked afterwards
    # by supervision (pengawasan), not before.
    "low": (),
    # Self-declared standard: an officer checks the file is complete, then the certificate is
    # issued electronically (no head's signature).
    "medium_low": ("administrative_check",),
    # Verified standard: an assigned officer verifies the standard (a site survey when the type
    # requires one or the officer asks for it) and recommends; the head signs.
    "medium_high": (
        "administrative_check",
        "technical_verification",
        "site_survey",
        "recommendation",
        "signature",
    ),
    # Permit: as medium-high; the types of this tier require the site survey.
    "high": (
        "administrative_check",
        "technical_verification",
        "site_survey",
        "recommendation",
        "signature",
    ),
}


def stages_for(tier: Tier, levy: Levy) -> tuple[Stage, ...]:
    """The stages of a tier, with ``levy_payment`` before the signature when a levy applies."""
    stages = TIER_STAGES[tier]
    if levy.basis == "none" or "signature" not in stages:
        return stages
    return (*stages[:-1], "levy_payment", stages[-1])


def _doc(code: str, name: str, *, mandatory: bool = True) -> Requirement:
    return Requirement(code=code, name=name, kind="document", mandatory=mandatory)


def _holds(code: str, name: str) -> Requirement:
    return Requirement(code=code, name=name, kind="prerequisite_permit")


KTP = _doc("ktp", "Identity card (KTP) of the applicant")
NIB = _holds("nib", "NIB of the business (OSS)")
KKPR = _holds("kkpr", "Spatial suitability (KKPR / PKKPR)")
PHOTO = _doc("photo", "Recent photograph 4x6")


def _health_worker(code: str, name: str, name_id: str, profession: str, body: str) -> PermitType:
    """A practice permit of a health worker (one place of practice per permit)."""
    levy = Levy()
    return PermitType(
        code=code,
        name=name,
        name_id=name_id,
        sector="health",
        tier="high",
        requirements=(
            KTP,
            _doc("str", f"Registration certificate (STR) of the {profession}"),
            _doc("recommendation", f"Recommendation of the professional organisation ({body})"),
            _doc("practice_place", "Statement of the place of practice (from its head)"),
            _doc("health_certificate", "Physical and mental health certificate"),
            PHOTO,
        ),
        stages=stages_for("high", levy),  # the place of practice is surveyed
        time_limit_working_days=14,
        levy=levy,
        validity_years=5,
        product=f"Surat Izin Praktik ({name_id})",
        legal_basis=("UU 17/2023 Kesehatan", "PP 28/2024"),
    )


def _catalogue() -> dict[str, PermitType]:
    pbg_levy = Levy(
        basis="per_m2",
        rate=10_000,
        minimum=250_000,
        legal_basis="UU 1/2022 HKPD; Perda Kota Cimahi on retribusi (to confirm)",
        note="Placeholder: the Perda formula uses the building's index x area x unit price.",
    )
    reklame_levy = Levy(
        basis="per_m2_per_year",
        rate=25_000,
        minimum=100_000,
        legal_basis="Perda Kota Cimahi on retribusi (to confirm)",
        note="Placeholder rate per m2 of display area per year; the advertisement tax is separate.",
    )
    clinic_levy = Levy(
        basis="flat",
        rate=1_500_000,
        legal_basis="Perda Kota Cimahi on retribusi (to confirm)",
        note=(
            "Placeholder: a flat fee for the technical inspection of the clinic; whether Cimahi "
            "charges one under UU 1/2022 HKPD must be confirmed."
        ),
    )
    none = Levy()
    types = [
        PermitType(
            code="UMK_RENDAH",
            name="Low-risk micro business registration",
            name_id="Pendaftaran Usaha Mikro Risiko Rendah",
            sector="trade",
            tier="low",
            requirements=(
                NIB,
                _doc(
                    "k3l_statement",
                    "Self-statement on health, safety and environment (pernyataan mandiri K3L)",
                ),
            ),
            stages=stages_for("low", none),
            time_limit_working_days=1,
            levy=none,
            validity_years=None,
            site_survey="none",
            product="Tanda Daftar Usaha Mikro (NIB berlaku sebagai perizinan berusaha)",
            legal_basis=("PP 28/2025", "PP 7/2021 UMKM"),
        ),
        PermitType(
            code="PBG",
            name="Building approval",
            name_id="Persetujuan Bangunan Gedung",
            sector="building",
            tier="high",
            requirements=(
                KTP,
                KKPR,
                _holds("environmental_approval", "Environmental approval (SPPL / UKL-UPL / AMDAL)"),
                _doc("land_title", "Proof of land rights (certificate or equivalent)"),
                _doc("architectural_drawings", "Architectural drawings"),
                _doc("structural_drawings", "Structural drawings and calculations"),
                _doc("utility_drawings", "Utility (MEP) drawings"),
            ),
            stages=stages_for("high", pbg_levy),
            time_limit_working_days=28,
            levy=pbg_levy,
            validity_years=None,
            product="Persetujuan Bangunan Gedung (PBG)",
            legal_basis=("PP 16/2021 Bangunan Gedung", "UU 1/2022 HKPD"),
        ),
        PermitType(
            code="SLF",
            name="Certificate of fitness for use",
            name_id="Sertifikat Laik Fungsi",
            sector="building",
            tier="high",
            requirements=(
                KTP,
                _holds("pbg", "Building approval (PBG) of the building"),
                _doc("inspection_report", "Fitness inspection report (by a registered assessor)"),
                _doc("as_built_drawings", "As-built drawings"),
            ),
            stages=stages_for("high", none),
            time_limit_working_days=10,
            levy=none,
            validity_years=5,
            product="Sertifikat Laik Fungsi (SLF)",
            legal_basis=("PP 16/2021 Bangunan Gedung",),
        ),
        _health_worker("SIP_DOKTER", "Doctor's practice permit", "SIP Dokter", "doctor", "IDI"),
        _health_worker("SIP_BIDAN", "Midwife's practice permit", "SIP Bidan", "midwife", "IBI"),
        _health_worker("SIP_PERAWAT", "Nurse's practice permit", "SIP Perawat", "nurse", "PPNI"),
        _health_worker(
            "SIPA_APOTEKER", "Pharmacist's practice permit", "SIPA Apoteker", "pharmacist", "IAI"
        ),
        PermitType(
            code="IZIN_KLINIK",
            name="Clinic operating permit",
            name_id="Izin Operasional Klinik",
            sector="health",
            tier="high",
            requirements=(
                KTP,
                NIB,
                KKPR,
                _holds("pbg", "Building approval (PBG)"),
                _holds("slf", "Certificate of fitness for use (SLF)"),
                _doc("staff_list", "List of health workers with their STR and SIP"),
                _doc("equipment_list", "List of medical equipment"),
                _doc("self_assessment", "Self-assessment of the clinic standard"),
            ),
            stages=stages_for("high", clinic_levy),
            time_limit_working_days=30,
            levy=clinic_levy,
            validity_years=5,
            product="Izin Operasional Klinik",
            legal_basis=("Permenkes 14/2021", "PP 28/2025"),
        ),
        PermitType(
            code="IZIN_APOTEK",
            name="Pharmacy permit",
            name_id="Izin Apotek",
            sector="health",
            tier="medium_high",
            requirements=(
                KTP,
                NIB,
                KKPR,
                _holds("sipa", "Practice permit (SIPA) of the responsible pharmacist"),
                _doc("floor_plan", "Floor plan and location map"),
                _doc("equipment_list", "List of facilities and equipment"),
            ),
            stages=stages_for("medium_high", none),
            time_limit_working_days=14,
            levy=none,
            validity_years=5,
            site_survey="optional",
            product="Sertifikat Standar Apotek",
            legal_basis=("Permenkes 14/2021", "PP 28/2025"),
        ),
        PermitType(
            code="REKLAME",
            name="Billboard permit",
            name_id="Izin Penyelenggaraan Reklame",
            sector="advertising",
            tier="medium_high",
            requirements=(
                KTP,
                _doc("design", "Design of the billboard with dimensions"),
                _doc("site_photo", "Photograph and map of the location"),
                _doc("land_owner_consent", "Consent of the owner of the land or building"),
                _doc("construction_statement", "Construction safety statement (large boards)"),
            ),
            stages=stages_for("medium_high", reklame_levy),
            time_limit_working_days=7,
            levy=reklame_levy,
            validity_years=1,
            site_survey="optional",
            product="Izin Penyelenggaraan Reklame",
            legal_basis=("UU 1/2022 HKPD", "Perda Kota Cimahi on reklame (to confirm)"),
        ),
        PermitType(
            code="TDUP",
            name="Tourism business registration",
            name_id="Tanda Daftar Usaha Pariwisata",
            sector="tourism",
            tier="medium_low",
            requirements=(
                KTP,
                NIB,
                _doc(
                    "self_declaration", "Self-declaration of compliance with the business standard"
                ),
                _doc("business_photo", "Photographs of the place of business"),
            ),
            stages=stages_for("medium_low", none),
            time_limit_working_days=3,
            levy=none,
            validity_years=None,
            site_survey="none",
            product="Sertifikat Standar Usaha Pariwisata (self-declared)",
            legal_basis=("UU 10/2009 Kepariwisataan", "PP 28/2025"),
        ),
    ]
    return {t.code: t for t in types}


CATALOGUE: dict[str, PermitType] = _catalogue()
"""Every permit type by code."""


def permit_type(code: str) -> PermitType | None:
    """A permit type by its code (case-insensitive), or None."""
    return CATALOGUE.get(code.upper())
