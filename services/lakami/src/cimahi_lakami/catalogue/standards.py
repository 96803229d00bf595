"""The letter types LAKAMI offers, as data: synced into ``letter_types`` by ``python -m cimahi_lakami seed``.

Time limits and archive classification codes are the kelurahan's published practice as far as it
is known; they are data, not rules in code - change them here (and re-seed), not in the service.
"""

from __future__ import annotations

from cimahi_lakami.catalogue.schemas import FieldSpec, LetterTypeRead, Requirement

COMPLAINTS = (
    "Pengaduan: loket pengaduan kelurahan atau Mall Pelayanan Publik Kota Cimahi, "
    "dan SP4N-LAPOR! (www.lapor.go.id)."
)
PROCEDURE = [
    "Warga mengajukan permohonan dengan surat pengantar RT/RW dan dokumen persyaratan.",
    "Petugas kelurahan memverifikasi data dan dokumen (atau mengembalikan untuk diperbaiki).",
    "Petugas memproses surat.",
    "Lurah (atau pejabat yang ditunjuk) menandatangani; surat diberi nomor.",
]
ID_DOCUMENTS = [
    Requirement(code="cover_letter", name="Surat pengantar RT/RW"),
    Requirement(code="ktp", name="KTP-el pemohon"),
    Requirement(code="kk", name="Kartu Keluarga"),
]

STANDARDS: tuple[LetterTypeRead, ...] = (
    LetterTypeRead(
        code="domisili",
        short_name="SKD",
        name="Surat Keterangan Domisili",
        description="Menerangkan bahwa pemohon bertempat tinggal di wilayah kelurahan.",
        classification_code="470",
        requirements=[
            *ID_DOCUMENTS,
            Requirement(
                code="domicile_statement",
                name="Surat pernyataan domisili",
                required=False,
                note="Bagi pemohon dengan KTP-el di luar Kota Cimahi",
            ),
        ],
        fields=[
            FieldSpec(code="address", label="Alamat domisili", type="text", max_length=300),
            FieldSpec(
                code="resident_since", label="Berdomisili sejak", type="date", not_in_future=True
            ),
        ],
        procedure=PROCEDURE,
        needs_kecamatan=False,
        time_limit_working_days=1,
        fee_idr=0,
        product="Surat Keterangan Domisili yang ditandatangani Lurah",
        complaints_channel=COMPLAINTS,
    ),
    LetterTypeRead(
        code="sktm",
        short_name="SKTM",
        name="Surat Keterangan Tidak Mampu (Umum)",
        description="Menerangkan bahwa keluarga pemohon tergolong tidak mampu, untuk keperluan umum.",
        classification_code="460",
        requirements=[
            *ID_DOCUMENTS,
            Requirement(code="poverty_statement", name="Surat pernyataan tidak mampu bermeterai"),
            Requirement(
                code="social_aid_card", name="Kartu bantuan sosial (KIS/KKS/PKH)", required=False
            ),
        ],
        fields=[
            FieldSpec(
                code="sktm_purpose",
                label="Keperluan SKTM",
                type="string",
                max_length=200,
                description="Untuk apa SKTM digunakan, mis. keringanan biaya",
            ),
            FieldSpec(
                code="household_members",
                label="Jumlah anggota keluarga",
                type="number",
                required=False,
                minimum=1,
                maximum=30,
            ),
            FieldSpec(
                code="monthly_income_idr",
                label="Penghasilan keluarga per bulan (Rp)",
                type="number",
                required=False,
                minimum=0,
            ),
        ],
        procedure=PROCEDURE,
        needs_kecamatan=False,
        time_limit_working_days=2,
        fee_idr=0,
        product="Surat Keterangan Tidak Mampu yang ditandatangani Lurah",
        complaints_channel=COMPLAINTS,
    ),
    LetterTypeRead(
        code="usaha",
        short_name="SKU",
        name="Surat Keterangan Usaha",
        description="Menerangkan bahwa pemohon menjalankan usaha di wilayah kelurahan.",
        classification_code="503",
        requirements=[
            *ID_DOCUMENTS,
            Requirement(code="business_photo", name="Foto tempat usaha", required=False),
            Requirement(code="nib", name="Nomor Induk Berusaha (NIB)", required=False),
        ],
        fields=[
            FieldSpec(code="business_name", label="Nama usaha", type="string", max_length=150),
            FieldSpec(
                code="business_type",
                label="Jenis usaha",
                type="string",
                max_length=100,
                description="Mis. warung makan, konveksi, bengkel",
            ),
            FieldSpec(code="business_address", label="Alamat usaha", type="text", max_length=300),
            FieldSpec(
                code="business_since",
                label="Usaha berjalan sejak",
                type="date",
                required=False,
                not_in_future=True,
            ),
        ],
        procedure=PROCEDURE,
        needs_kecamatan=True,
        time_limit_working_days=3,
        fee_idr=0,
        product="Surat Keterangan Usaha yang ditandatangani Lurah (dan Camat bila diperlukan)",
        complaints_channel=COMPLAINTS,
    ),
    LetterTypeRead(
        code="skck",
        short_name="SKCK",
        name="Surat Pengantar SKCK",
        description="Pengantar dari kelurahan untuk permohonan SKCK ke Polsek/Polres.",
        classification_code="331",
        requirements=[
            *ID_DOCUMENTS,
            Requirement(code="photo_4x6", name="Pas foto 4x6 berlatar merah"),
        ],
        fields=[
            FieldSpec(
                code="skck_purpose",
                label="Keperluan SKCK",
                type="string",
                max_length=200,
                description="Mis. melamar pekerjaan",
            ),
        ],
        procedure=PROCEDURE,
        needs_kecamatan=False,
        time_limit_working_days=1,
        fee_idr=0,
        product="Surat Pengantar SKCK yang ditandatangani Lurah",
        complaints_channel=COMPLAINTS,
    ),
)
