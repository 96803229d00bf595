"""The document services DILANDACINTA offers, as data: the published service standards.

Every service is free (UU 24/2013 as amended by UU 24/2013, Pasal 79A). Forms follow
Permendagri 109/2019: F-1.01 biodata keluarga, F-1.02 pendaftaran peristiwa kependudukan,
F-1.03 pendaftaran perpindahan penduduk, F-1.06 pernyataan perubahan elemen data,
F-2.01 pelaporan pencatatan sipil. Time limits are working days from submission to issuance,
counted on the city's calendar (restarted when a returned application is resubmitted): one day
for what the Dinas office issues directly (KTP-el, KIA, KK replacement, akta kematian), three
for new family cards, moving and birth certificates (checks with the kelurahan), five for data
changes (documents checked against the originals). Applications filed through a kelurahan may
take up to 14 working days in the regulation; this catalogue uses the office limits. The
values are data for the Dinas to confirm: change them here.

Who is named how (``ServiceStandard.subject`` / ``people``): ``subject_nik`` is a member of
the applicant's family (the deceased, the card holder); ``people`` lists NIKs (and, for
newcomers, their data) of the others concerned. NIKs never go into ``fields``.
"""

from __future__ import annotations

from cimahi_dilandacinta.catalogue.schemas import FieldSpec, Requirement, ServiceStandard

OFFICE = "Kantor Dinas Kependudukan dan Pencatatan Sipil Kota Cimahi (atau daring)"

# --- requirements (one code per document across all services) ---
F101 = Requirement(code="formulir_f101", label="Formulir F-1.01 (biodata keluarga)")
F102 = Requirement(code="formulir_f102", label="Formulir F-1.02 (pendaftaran peristiwa)")
F103 = Requirement(code="formulir_f103", label="Formulir F-1.03 (perpindahan penduduk)")
F106 = Requirement(code="formulir_f106", label="Formulir F-1.06 (perubahan elemen data)")
F201 = Requirement(code="formulir_f201", label="Formulir F-2.01 (pelaporan pencatatan sipil)")
KK_LAMA = Requirement(code="kk_lama", label="Kartu Keluarga lama")
KK_RUSAK = Requirement(code="kk_rusak", label="Kartu Keluarga yang rusak", required=False)
KTP_RUSAK = Requirement(code="ktp_rusak", label="KTP-el yang rusak", required=False)
POLICE_REPORT = Requirement(
    code="surat_kehilangan", label="Surat keterangan kehilangan dari kepolisian", required=False
)
MARRIAGE = Requirement(code="surat_nikah", label="Buku nikah / akta perkawinan")
MARRIAGE_OPTIONAL = Requirement(
    code="surat_nikah", label="Buku nikah / akta perkawinan orang tua", required=False
)
BIRTH_NOTE = Requirement(
    code="surat_keterangan_lahir", label="Surat keterangan lahir (rumah sakit/bidan/kelurahan)"
)
DEATH_NOTE = Requirement(
    code="surat_kematian", label="Surat keterangan kematian (rumah sakit/kelurahan)"
)
SKPWNI = Requirement(code="skpwni_asal", label="SKPWNI dari daerah asal")
BIRTH_CERTIFICATE = Requirement(code="akta_kelahiran", label="Akta kelahiran anak")
PHOTO = Requirement(code="pas_foto", label="Pas foto anak (usia 5 tahun ke atas)", required=False)
WITNESSES = Requirement(code="ktp_saksi", label="KTP-el dua orang saksi", required=False)
EVIDENCE = Requirement(
    code="dokumen_pendukung",
    label="Dokumen otentik pendukung perubahan (ijazah, akta, putusan pengadilan, ...)",
)

# --- fields used by several services ---
RT = FieldSpec(code="rt", label="RT", type="string", max_length=3, pattern=r"\d{3}")
RW = FieldSpec(code="rw", label="RW", type="string", max_length=3, pattern=r"\d{3}")
ADDRESS = FieldSpec(code="address", label="Alamat (jalan, nomor)", type="string", max_length=200)
KELURAHAN = FieldSpec(code="kelurahan_code", label="Kelurahan", type="kelurahan")
NEW_ADDRESS = [ADDRESS, RT, RW, KELURAHAN]
OPTIONAL_ADDRESS = [f.model_copy(update={"required": False}) for f in NEW_ADDRESS]
SEX = ["L", "P"]
# As the register writes them (SIAK labels).
RELIGIONS = ["Islam", "Kristen", "Katolik", "Hindu", "Buddha", "Khonghucu", "Kepercayaan"]
MARITAL = ["belum_kawin", "kawin", "cerai_hidup", "cerai_mati"]


def _steps(*middle: str) -> list[str]:
    return [
        "Warga mengajukan permohonan dengan formulir dan dokumen persyaratan (unggahan).",
        "Petugas Disdukcapil memverifikasi: diterima, dikembalikan untuk diperbaiki, atau "
        "ditolak dengan daftar kekurangan.",
        *middle,
        "Petugas memproses data dan dokumen.",
        "Kepala Dinas menandatangani secara elektronik; dokumen terbit dengan nomor dan kode QR.",
    ]


def _kk(code: str, name: str, description: str, **values: object) -> ServiceStandard:
    return ServiceStandard.model_validate(
        {
            "code": code,
            "name": name,
            "description": description,
            "form_code": "F-1.01",
            "document_kind": "kk",
            "procedure": _steps(),
            "handled_at": OFFICE,
            **values,
        }
    )


def _card(code: str, name: str, description: str, **values: object) -> ServiceStandard:
    return ServiceStandard.model_validate(
        {
            "code": code,
            "name": name,
            "description": description,
            "form_code": "F-1.02",
            "subject": "family_member",
            "time_limit_working_days": 1,
            "procedure": _steps(),
            "handled_at": OFFICE,
            **values,
        }
    )


KK_NEW = _kk(
    "kk_new",
    "Penerbitan Kartu Keluarga baru",
    "Membentuk keluarga baru (misalnya setelah menikah): pemohon menjadi kepala keluarga, "
    "anggota yang disebut di 'people' pindah dari KK lamanya ke KK baru di alamat baru.",
    requirements=[F101, MARRIAGE, KK_LAMA],
    fields=[
        FieldSpec(code="reason", label="Alasan", type="enum", choices=["perkawinan", "lainnya"]),
        *NEW_ADDRESS,
    ],
    subject="none",
    people="new_card_members",
    time_limit_working_days=3,
)
KK_CHANGE = _kk(
    "kk_change",
    "Perubahan Kartu Keluarga",
    "KK baru dengan nomor baru menggantikan KK lama karena perubahan alamat dalam Kota Cimahi, "
    "kepala keluarga (subject_nik: anggota yang menjadi kepala keluarga) atau data anggota.",
    requirements=[F101, KK_LAMA],
    fields=[
        FieldSpec(
            code="reason",
            label="Alasan perubahan",
            type="enum",
            choices=["perubahan_alamat", "perubahan_kepala_keluarga", "perubahan_data_anggota"],
        ),
        *OPTIONAL_ADDRESS,
    ],
    subject="family_member_optional",
    time_limit_working_days=1,
)
KK_REPLACEMENT = _kk(
    "kk_replacement",
    "Penggantian Kartu Keluarga hilang/rusak",
    "Cetak ulang KK yang hilang atau rusak (nomor KK tetap; dokumen lama tidak berlaku).",
    requirements=[F101, POLICE_REPORT, KK_RUSAK],
    fields=[FieldSpec(code="reason", label="Alasan", type="enum", choices=["hilang", "rusak"])],
    subject="none",
    time_limit_working_days=1,
)
KK_SPLIT = _kk(
    "kk_split",
    "Pisah Kartu Keluarga",
    "Pemohon dan anggota keluarga yang disebut di 'people' keluar dari KK dan membentuk KK "
    "baru di alamat baru; sisa keluarga mendapat KK baru.",
    requirements=[F101, KK_LAMA],
    fields=NEW_ADDRESS,
    subject="none",
    people="new_card_members",
    time_limit_working_days=3,
)
KTP_RECORDING = _card(
    "ktp_recording",
    "Perekaman dan penerbitan KTP-el",
    "KTP-el pertama bagi penduduk berusia 17 tahun atau sudah/pernah kawin (subject_nik).",
    requirements=[F102, KK_LAMA],
    fields=[],
    document_kind="ktp_el",
)
KTP_REPLACEMENT = _card(
    "ktp_replacement",
    "Penggantian KTP-el hilang/rusak",
    "KTP-el baru menggantikan yang hilang atau rusak (subject_nik).",
    requirements=[F102, POLICE_REPORT, KTP_RUSAK],
    fields=[FieldSpec(code="reason", label="Alasan", type="enum", choices=["hilang", "rusak"])],
    document_kind="ktp_el",
)
KTP_CHANGE = _card(
    "ktp_change",
    "Penerbitan KTP-el karena perubahan data",
    "KTP-el baru setelah perubahan data (alamat, status perkawinan, pekerjaan, ...).",
    requirements=[F102, KK_LAMA],
    fields=[
        FieldSpec(code="changed_data", label="Data yang berubah", type="string", max_length=200)
    ],
    document_kind="ktp_el",
)
KIA = _card(
    "kia",
    "Kartu Identitas Anak (KIA)",
    "KIA bagi anak di bawah 17 tahun yang belum kawin (subject_nik).",
    requirements=[F102, BIRTH_CERTIFICATE, PHOTO],
    fields=[],
    document_kind="kia",
)
AKTA_KELAHIRAN = ServiceStandard(
    code="akta_kelahiran",
    name="Akta kelahiran",
    description="Pencatatan kelahiran: anak ditambahkan ke KK pemohon dengan NIK baru; KK baru "
    "terbit. Pelaporan lebih dari 60 hari setelah kelahiran memerlukan keputusan Kepala Dinas.",
    form_code="F-2.01",
    document_kind="akta_kelahiran",
    requirements=[F201, BIRTH_NOTE, MARRIAGE_OPTIONAL, KK_LAMA, WITNESSES],
    fields=[
        FieldSpec(code="child_name", label="Nama anak", type="string", max_length=100),
        FieldSpec(code="birth_date", label="Tanggal lahir", type="date", not_in_future=True),
        FieldSpec(code="birth_place", label="Tempat lahir", type="string", max_length=60),
        FieldSpec(code="sex", label="Jenis kelamin", type="enum", choices=SEX),
        FieldSpec(code="religion", label="Agama", type="enum", choices=RELIGIONS),
        FieldSpec(code="father_name", label="Nama ayah", type="string", max_length=100),
        FieldSpec(code="mother_name", label="Nama ibu", type="string", max_length=100),
    ],
    subject="none",
    time_limit_working_days=3,
    procedure=_steps("Pelaporan terlambat (lebih dari 60 hari): Kepala Dinas memutuskan."),
    handled_at=OFFICE,
)
AKTA_KEMATIAN = ServiceStandard(
    code="akta_kematian",
    name="Akta kematian",
    description="Pencatatan kematian anggota keluarga (subject_nik): penduduk dicatat meninggal "
    "dan keluar dari KK; KK baru terbit bagi keluarga yang ditinggalkan.",
    form_code="F-2.01",
    document_kind="akta_kematian",
    requirements=[F201, DEATH_NOTE, KK_LAMA],
    fields=[
        FieldSpec(code="died_on", label="Tanggal kematian", type="date", not_in_future=True),
        FieldSpec(code="place_of_death", label="Tempat kematian", type="string", max_length=100),
        FieldSpec(
            code="cause", label="Sebab kematian", type="string", max_length=100, required=False
        ),
    ],
    subject="family_member",
    time_limit_working_days=1,
    procedure=_steps(),
    handled_at=OFFICE,
)
PINDAH_KELUAR = ServiceStandard(
    code="pindah_keluar",
    name="Surat keterangan pindah keluar (SKPWNI)",
    description="Anggota keluarga yang disebut di 'people' pindah ke luar Kota Cimahi; sisa "
    "keluarga mendapat KK baru (atau KK dinyatakan tidak berlaku bila semua pindah).",
    form_code="F-1.03",
    document_kind="skpwni",
    requirements=[F103, KK_LAMA],
    fields=[
        FieldSpec(code="destination_address", label="Alamat tujuan", type="string", max_length=200),
        FieldSpec(
            code="destination_region", label="Kabupaten/kota tujuan", type="string", max_length=60
        ),
        FieldSpec(
            code="reason",
            label="Alasan pindah",
            type="enum",
            choices=["pekerjaan", "pendidikan", "keluarga", "perumahan", "kesehatan", "lainnya"],
        ),
        FieldSpec(code="moving_on", label="Tanggal pindah", type="date"),
    ],
    subject="none",
    people="family_members",
    time_limit_working_days=1,
    procedure=_steps(),
    handled_at=OFFICE,
)
PINDAH_DATANG = ServiceStandard(
    code="pindah_datang",
    name="Surat keterangan kedatangan (pindah datang)",
    description="Penduduk dari luar Kota Cimahi (dengan SKPWNI daerah asal) terdaftar dengan NIK "
    "yang sama dalam KK baru di alamat Cimahi. 'people' memuat setiap orang yang datang "
    "(pemohon termasuk, sebagai kepala keluarga).",
    form_code="F-1.03",
    document_kind="kedatangan",
    requirements=[F103, SKPWNI],
    fields=[
        *NEW_ADDRESS,
        FieldSpec(code="origin_region", label="Kabupaten/kota asal", type="string", max_length=60),
        FieldSpec(code="skpwni_number", label="Nomor SKPWNI", type="string", max_length=60),
    ],
    subject="none",
    people="newcomers",
    time_limit_working_days=3,
    procedure=_steps(),
    handled_at=OFFICE,
)
BIODATA_CHANGE = ServiceStandard(
    code="biodata_change",
    name="Perubahan biodata penduduk",
    description="Pembetulan atau perubahan satu elemen data penduduk (subject_nik) berdasarkan "
    "dokumen otentik.",
    form_code="F-1.06",
    document_kind="biodata",
    requirements=[F106, EVIDENCE, KK_LAMA],
    fields=[
        FieldSpec(
            code="element",
            label="Elemen data",
            type="enum",
            choices=[
                "full_name",
                "birth_place",
                "religion",
                "marital_status",
                "occupation",
                "father_name",
                "mother_name",
            ],
        ),
        FieldSpec(code="new_value", label="Nilai baru", type="string", max_length=100),
    ],
    subject="family_member",
    time_limit_working_days=5,
    procedure=_steps(),
    handled_at=OFFICE,
)

STANDARDS: dict[str, ServiceStandard] = {
    s.code: s
    for s in (
        KK_NEW,
        KK_CHANGE,
        KK_REPLACEMENT,
        KK_SPLIT,
        KTP_RECORDING,
        KTP_REPLACEMENT,
        KTP_CHANGE,
        KIA,
        AKTA_KELAHIRAN,
        AKTA_KEMATIAN,
        PINDAH_KELUAR,
        PINDAH_DATANG,
        BIODATA_CHANGE,
    )
}
BIODATA_CHOICES = {"religion": RELIGIONS, "marital_status": MARITAL}
