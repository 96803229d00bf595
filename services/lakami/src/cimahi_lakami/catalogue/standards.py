"""The letter types LAKAMI offers, as data: synced into ``letter_types`` by ``python -m cimahi_lakami seed``.

Each type is a published service standard (PermenPANRB 15/2014): requirements, procedure, time
limit, fee, product, complaints channel. The archive classification codes follow the
three-digit scheme kelurahan letters carry (Permendagri 78/2012, revised by Permendagri
83/2022): 331 ketertiban, 451 agama, 460 sosial, 470 kependudukan, 474.x pencatatan sipil,
475 pindah, 503 perizinan, 593 pertanahan/waris. The codes, the time limits and which types
need the kecamatan are data for the city (Bagian Organisasi, arsip daerah) to confirm, not
rules in code: change them here and re-seed. docs/lakami-catalogue.md lists them.

Fields never ask for a third party's NIK (fields are stored unencrypted): names,
relationships and dates identify other people.
"""

from __future__ import annotations

from cimahi_lakami.catalogue.schemas import FieldSpec, LetterTypeRead, Requirement

COMPLAINTS = (
    "Pengaduan: loket pengaduan kelurahan atau Mall Pelayanan Publik Kota Cimahi, "
    "dan SP4N-LAPOR! (www.lapor.go.id)."
)
_SUBMIT = "Warga mengajukan permohonan dengan surat pengantar RT/RW dan dokumen persyaratan."
_KELURAHAN_STEPS = [
    "Petugas kelurahan memverifikasi data dan dokumen (atau mengembalikan untuk diperbaiki).",
    "Petugas kelurahan memproses surat.",
]
_ISSUE = "Surat terbit secara elektronik dengan nomor dan kode QR untuk verifikasi keasliannya."


def _procedure(*, kecamatan: bool, after: tuple[str, ...] = ()) -> list[str]:
    """The steps of a letter: kelurahan only, or kelurahan then kecamatan."""
    if not kecamatan:
        signing = [
            "Lurah (atau pejabat yang ditunjuk) menandatangani; surat diberi nomor.",
        ]
    else:
        signing = [
            "Lurah (atau pejabat yang ditunjuk) menyetujui; permohonan diteruskan ke kecamatan.",
            "Petugas kecamatan memverifikasi (atau mengembalikan untuk diperbaiki) "
            "dan memproses surat.",
            "Camat (atau pejabat yang ditunjuk) menandatangani; surat diberi nomor.",
        ]
    return [_SUBMIT, *_KELURAHAN_STEPS, *signing, _ISSUE, *after]


# Documents: one code per document across all types (uploads name these codes).
COVER_LETTER = Requirement(code="cover_letter", name="Surat pengantar RT/RW")
KTP = Requirement(code="ktp", name="KTP-el pemohon")
KK = Requirement(code="kk", name="Kartu Keluarga")
ID_DOCUMENTS = [COVER_LETTER, KTP, KK]
POVERTY_STATEMENT = Requirement(
    code="poverty_statement", name="Surat pernyataan tidak mampu bermeterai"
)
SOCIAL_AID_CARD = Requirement(
    code="social_aid_card", name="Kartu bantuan sosial (KIS/KKS/PKH)", required=False
)
SKTM_DOCUMENTS = [*ID_DOCUMENTS, POVERTY_STATEMENT, SOCIAL_AID_CARD]
MARRIAGE_CERTIFICATE = Requirement(
    code="marriage_certificate", name="Buku nikah atau akta perkawinan", required=False
)
WITNESS_KTP = Requirement(
    code="witness_ktp",
    name="KTP-el dua orang saksi",
    required=False,
    note="Saksi yang mengetahui peristiwa",
)
PHOTO_3X4 = Requirement(code="photo_3x4", name="Pas foto 3x4", required=False)
BUSINESS_PHOTO = Requirement(code="business_photo", name="Foto tempat usaha", required=False)
NIB = Requirement(code="nib", name="Nomor Induk Berusaha (NIB)", required=False)

# Choice lists shared by several types.
SEX = ["Laki-laki", "Perempuan"]
RELATIVE = [
    "Diri sendiri",
    "Suami/istri",
    "Anak",
    "Orang tua",
    "Saudara kandung",
    "Cucu",
    "Kakek/nenek",
    "Lainnya",
]
REPORTER = ["Suami/istri", "Anak", "Orang tua", "Saudara kandung", "Kakek/nenek", "Lainnya"]


def _household_fields() -> list[FieldSpec]:
    """The optional household facts every SKTM may carry."""
    return [
        FieldSpec(
            code="household_members",
            label="Jumlah anggota keluarga",
            type="integer",
            required=False,
            minimum=1,
            maximum=30,
        ),
        FieldSpec(
            code="monthly_income_idr",
            label="Penghasilan keluarga per bulan (Rp)",
            type="integer",
            required=False,
            minimum=0,
        ),
    ]


def _sktm(
    *,
    code: str,
    short_name: str,
    name: str,
    description: str,
    extra_requirements: tuple[Requirement, ...] = (),
    fields: list[FieldSpec],
    time_limit: int,
    product: str,
) -> LetterTypeRead:
    """An SKTM variant: same documents and standard, its own institution fields."""
    return LetterTypeRead(
        code=code,
        short_name=short_name,
        name=name,
        description=description,
        classification_code="460",
        requirements=[*SKTM_DOCUMENTS, *extra_requirements],
        fields=[*fields, *_household_fields()],
        procedure=_procedure(kecamatan=False),
        needs_kecamatan=False,
        time_limit_working_days=time_limit,
        fee_idr=0,
        product=product,
        complaints_channel=COMPLAINTS,
    )


DOMISILI = LetterTypeRead(
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
    procedure=_procedure(kecamatan=False),
    needs_kecamatan=False,
    time_limit_working_days=1,
    fee_idr=0,
    product="Surat Keterangan Domisili yang ditandatangani Lurah",
    complaints_channel=COMPLAINTS,
)

DOMISILI_USAHA = LetterTypeRead(
    code="domisili_usaha",
    short_name="SKDP",
    name="Surat Keterangan Domisili Perusahaan",
    description=(
        "Menerangkan bahwa perusahaan atau badan usaha berkedudukan di wilayah kelurahan, "
        "mis. untuk perbankan, tender, atau perizinan."
    ),
    classification_code="503",
    requirements=[
        COVER_LETTER,
        Requirement(code="ktp", name="KTP-el pemohon", note="Penanggung jawab perusahaan"),
        Requirement(
            code="company_deed",
            name="Akta pendirian dan pengesahan badan hukum (AHU) beserta perubahannya",
        ),
        Requirement(code="company_npwp", name="NPWP perusahaan"),
        Requirement(
            code="premises_proof",
            name="Bukti penguasaan tempat usaha (sertifikat, AJB, atau perjanjian sewa)",
        ),
        Requirement(
            code="pbb_receipt",
            name="Bukti lunas PBB tahun berjalan atas tempat usaha",
            required=False,
        ),
        BUSINESS_PHOTO,
        NIB,
    ],
    fields=[
        FieldSpec(code="company_name", label="Nama perusahaan", type="string", max_length=150),
        FieldSpec(
            code="legal_form",
            label="Bentuk badan usaha",
            type="singlevaluelist",
            choices=[
                "PT",
                "PT Perorangan",
                "CV",
                "Firma",
                "Koperasi",
                "Yayasan",
                "Perkumpulan",
                "Lainnya",
            ],
        ),
        FieldSpec(
            code="business_field",
            label="Bidang usaha",
            type="string",
            max_length=150,
            description="Kegiatan usaha utama, mis. perdagangan eceran pakaian",
        ),
        FieldSpec(
            code="company_address", label="Alamat kedudukan perusahaan", type="text", max_length=300
        ),
        FieldSpec(
            code="applicant_position",
            label="Jabatan pemohon di perusahaan",
            type="string",
            max_length=100,
            description="Mis. Direktur, Persero Pengurus, Ketua",
        ),
        FieldSpec(
            code="deed_number",
            label="Nomor akta pendirian",
            type="string",
            required=False,
            max_length=60,
        ),
        FieldSpec(
            code="employees",
            label="Jumlah karyawan",
            type="integer",
            required=False,
            minimum=0,
            maximum=100_000,
        ),
        FieldSpec(
            code="operating_since",
            label="Beroperasi sejak",
            type="date",
            required=False,
            not_in_future=True,
        ),
    ],
    procedure=_procedure(kecamatan=True),
    needs_kecamatan=True,
    time_limit_working_days=3,
    fee_idr=0,
    product="Surat Keterangan Domisili Perusahaan yang ditandatangani Camat",
    complaints_channel=COMPLAINTS,
)

USAHA = LetterTypeRead(
    code="usaha",
    short_name="SKU",
    name="Surat Keterangan Usaha",
    description="Menerangkan bahwa pemohon menjalankan usaha di wilayah kelurahan.",
    classification_code="503",
    requirements=[*ID_DOCUMENTS, BUSINESS_PHOTO, NIB],
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
    procedure=_procedure(kecamatan=True),
    needs_kecamatan=True,
    time_limit_working_days=3,
    fee_idr=0,
    product="Surat Keterangan Usaha yang ditandatangani Camat",
    complaints_channel=COMPLAINTS,
)

KELAHIRAN = LetterTypeRead(
    code="kelahiran",
    short_name="SKL",
    name="Surat Keterangan Kelahiran",
    description=(
        "Menerangkan kelahiran seorang anak dari warga kelurahan, sebagai dasar pengurusan "
        "akta kelahiran di Disdukcapil."
    ),
    classification_code="474.1",
    requirements=[
        COVER_LETTER,
        Requirement(code="ktp", name="KTP-el pemohon", note="Pelapor (ayah, ibu, atau keluarga)"),
        Requirement(code="kk", name="Kartu Keluarga", note="Kartu Keluarga orang tua"),
        Requirement(
            code="birth_medical_note",
            name="Surat keterangan lahir dari rumah sakit, puskesmas, klinik, atau bidan",
            required=False,
            note="Bila tidak ada: surat pernyataan tanggung jawab mutlak (SPTJM) kelahiran",
        ),
        Requirement(code="parents_ktp", name="KTP-el ayah dan ibu"),
        MARRIAGE_CERTIFICATE,
        WITNESS_KTP,
    ],
    fields=[
        FieldSpec(code="child_name", label="Nama anak", type="string", max_length=100),
        FieldSpec(
            code="child_sex", label="Jenis kelamin anak", type="singlevaluelist", choices=SEX
        ),
        FieldSpec(
            code="birth_place",
            label="Tempat lahir",
            type="string",
            max_length=100,
            description="Kota/kabupaten, atau nama fasilitas kesehatan",
        ),
        FieldSpec(code="birth_date", label="Tanggal lahir", type="date", not_in_future=True),
        FieldSpec(code="birth_time", label="Pukul lahir", type="time", required=False),
        FieldSpec(
            code="birth_order",
            label="Anak ke-",
            type="integer",
            required=False,
            minimum=1,
            maximum=20,
        ),
        FieldSpec(
            code="birth_attendant",
            label="Penolong kelahiran",
            type="singlevaluelist",
            required=False,
            choices=["Dokter", "Bidan/perawat", "Dukun", "Lainnya"],
        ),
        FieldSpec(
            code="father_name", label="Nama ayah", type="string", required=False, max_length=100
        ),
        FieldSpec(code="mother_name", label="Nama ibu", type="string", max_length=100),
        FieldSpec(
            code="reporter_relationship",
            label="Hubungan pelapor dengan anak",
            type="singlevaluelist",
            choices=["Ayah", "Ibu", "Kakek/nenek", "Saudara", "Lainnya"],
        ),
    ],
    procedure=_procedure(
        kecamatan=False,
        after=("Pemohon mengurus akta kelahiran di Disdukcapil dengan surat keterangan ini.",),
    ),
    needs_kecamatan=False,
    time_limit_working_days=1,
    fee_idr=0,
    product="Surat Keterangan Kelahiran yang ditandatangani Lurah",
    complaints_channel=COMPLAINTS,
)

KEMATIAN = LetterTypeRead(
    code="kematian",
    short_name="SKK",
    name="Surat Keterangan Kematian",
    description=(
        "Menerangkan kematian seorang warga kelurahan, sebagai dasar pengurusan akta kematian "
        "di Disdukcapil."
    ),
    classification_code="474.3",
    requirements=[
        COVER_LETTER,
        Requirement(code="ktp", name="KTP-el pemohon", note="Pelapor"),
        Requirement(code="kk", name="Kartu Keluarga", note="Kartu Keluarga almarhum/almarhumah"),
        Requirement(
            code="deceased_ktp",
            name="KTP-el almarhum/almarhumah",
            required=False,
            note="Bila ada",
        ),
        Requirement(
            code="medical_death_note",
            name="Surat keterangan kematian dari rumah sakit, puskesmas, atau dokter",
            required=False,
            note="Bila meninggal di fasilitas kesehatan",
        ),
        WITNESS_KTP,
    ],
    fields=[
        FieldSpec(
            code="deceased_name", label="Nama almarhum/almarhumah", type="string", max_length=100
        ),
        FieldSpec(
            code="deceased_sex",
            label="Jenis kelamin almarhum/almarhumah",
            type="singlevaluelist",
            choices=SEX,
        ),
        FieldSpec(
            code="deceased_birth_date",
            label="Tanggal lahir almarhum/almarhumah",
            type="date",
            required=False,
            not_in_future=True,
        ),
        FieldSpec(
            code="date_of_death",
            label="Tanggal meninggal",
            type="date",
            not_in_future=True,
            not_before="deceased_birth_date",
        ),
        FieldSpec(code="time_of_death", label="Pukul meninggal", type="time", required=False),
        FieldSpec(
            code="place_of_death",
            label="Tempat meninggal",
            type="string",
            max_length=150,
            description="Mis. rumah (alamat), RSUD Cibabat",
        ),
        FieldSpec(
            code="cause_of_death",
            label="Sebab kematian",
            type="singlevaluelist",
            choices=[
                "Sakit biasa/tua",
                "Wabah penyakit",
                "Kecelakaan",
                "Kriminalitas",
                "Bunuh diri",
                "Lainnya",
            ],
            description="Kategori seperti pada formulir pelaporan kematian; bukan diagnosis",
        ),
        FieldSpec(
            code="death_certified_by",
            label="Yang menerangkan kematian",
            type="singlevaluelist",
            required=False,
            choices=["Dokter", "Tenaga kesehatan", "Kepolisian", "Lainnya"],
        ),
        FieldSpec(
            code="burial_place",
            label="Tempat pemakaman",
            type="string",
            required=False,
            max_length=150,
        ),
        FieldSpec(
            code="reporter_relationship",
            label="Hubungan pelapor dengan almarhum/almarhumah",
            type="singlevaluelist",
            choices=REPORTER,
        ),
    ],
    procedure=_procedure(
        kecamatan=False,
        after=("Pemohon mengurus akta kematian di Disdukcapil dengan surat keterangan ini.",),
    ),
    needs_kecamatan=False,
    time_limit_working_days=1,
    fee_idr=0,
    product="Surat Keterangan Kematian yang ditandatangani Lurah",
    complaints_channel=COMPLAINTS,
)

PINDAH = LetterTypeRead(
    code="pindah",
    short_name="SPP",
    name="Surat Pengantar Pindah",
    description=(
        "Pengantar kelurahan dan kecamatan bagi warga yang pindah domisili, untuk penerbitan "
        "Surat Keterangan Pindah (SKPWNI) oleh Disdukcapil."
    ),
    classification_code="475",
    requirements=[
        *ID_DOCUMENTS,
        Requirement(
            code="family_ktp",
            name="KTP-el anggota keluarga yang ikut pindah",
            required=False,
            note="Bila ada anggota keluarga yang ikut pindah",
        ),
    ],
    fields=[
        FieldSpec(code="destination_address", label="Alamat tujuan", type="text", max_length=300),
        FieldSpec(
            code="destination_kelurahan",
            label="Desa/kelurahan tujuan",
            type="string",
            max_length=100,
        ),
        FieldSpec(
            code="destination_kecamatan", label="Kecamatan tujuan", type="string", max_length=100
        ),
        FieldSpec(
            code="destination_city", label="Kabupaten/kota tujuan", type="string", max_length=100
        ),
        FieldSpec(
            code="destination_province", label="Provinsi tujuan", type="string", max_length=100
        ),
        FieldSpec(
            code="move_scope",
            label="Klasifikasi pindah",
            type="singlevaluelist",
            choices=[
                "Dalam satu kelurahan",
                "Antar kelurahan",
                "Antar kecamatan",
                "Antar kabupaten/kota",
                "Antar provinsi",
            ],
        ),
        FieldSpec(
            code="move_reason",
            label="Alasan pindah",
            type="singlevaluelist",
            choices=[
                "Pekerjaan",
                "Pendidikan",
                "Keamanan",
                "Kesehatan",
                "Perumahan",
                "Keluarga",
                "Lainnya",
            ],
        ),
        FieldSpec(
            code="move_type",
            label="Jenis kepindahan",
            type="singlevaluelist",
            choices=[
                "Kepala keluarga",
                "Kepala keluarga dan seluruh anggota keluarga",
                "Kepala keluarga dan sebagian anggota keluarga",
                "Anggota keluarga",
            ],
        ),
        FieldSpec(
            code="members_moving",
            label="Jumlah anggota keluarga yang pindah",
            type="integer",
            minimum=1,
            maximum=30,
            description="Termasuk pemohon",
        ),
    ],
    procedure=_procedure(
        kecamatan=True,
        after=("Pemohon mengurus Surat Keterangan Pindah (SKPWNI) di Disdukcapil.",),
    ),
    needs_kecamatan=True,
    time_limit_working_days=3,
    fee_idr=0,
    product="Surat Pengantar Pindah yang ditandatangani Camat",
    complaints_channel=COMPLAINTS,
)

BELUM_MENIKAH = LetterTypeRead(
    code="belum_menikah",
    short_name="SKBM",
    name="Surat Keterangan Belum Menikah",
    description="Menerangkan bahwa pemohon belum pernah menikah.",
    classification_code="474.2",
    requirements=[
        *ID_DOCUMENTS,
        Requirement(
            code="single_statement",
            name="Surat pernyataan belum pernah menikah bermeterai",
            note="Diketahui dua orang saksi",
        ),
        PHOTO_3X4,
    ],
    fields=[
        FieldSpec(code="occupation", label="Pekerjaan", type="string", max_length=100),
        FieldSpec(
            code="intended_use",
            label="Digunakan untuk",
            type="singlevaluelist",
            choices=[
                "Persyaratan pernikahan",
                "Lamaran pekerjaan",
                "Pendidikan/beasiswa",
                "Lainnya",
            ],
        ),
    ],
    procedure=_procedure(kecamatan=False),
    needs_kecamatan=False,
    time_limit_working_days=1,
    fee_idr=0,
    product="Surat Keterangan Belum Menikah yang ditandatangani Lurah",
    complaints_channel=COMPLAINTS,
)

JANDA_DUDA = LetterTypeRead(
    code="janda_duda",
    short_name="SKJD",
    name="Surat Keterangan Janda/Duda",
    description="Menerangkan bahwa pemohon berstatus janda atau duda dan belum menikah lagi.",
    classification_code="474.4",
    requirements=[
        *ID_DOCUMENTS,
        Requirement(
            code="divorce_certificate",
            name="Akta cerai atau putusan pengadilan",
            required=False,
            note="Untuk cerai hidup",
        ),
        Requirement(
            code="spouse_death_certificate",
            name="Akta kematian suami/istri",
            required=False,
            note="Untuk cerai mati",
        ),
        MARRIAGE_CERTIFICATE,
    ],
    fields=[
        FieldSpec(
            code="marital_status",
            label="Status",
            type="singlevaluelist",
            choices=["Janda", "Duda"],
        ),
        FieldSpec(
            code="separation_cause",
            label="Sebab",
            type="singlevaluelist",
            choices=["Cerai hidup", "Cerai mati"],
        ),
        FieldSpec(
            code="former_spouse_name",
            label="Nama mantan suami/istri",
            type="string",
            max_length=100,
        ),
        FieldSpec(
            code="separation_date",
            label="Tanggal perceraian atau wafatnya suami/istri",
            type="date",
            not_in_future=True,
        ),
        FieldSpec(
            code="document_number",
            label="Nomor akta cerai/akta kematian",
            type="string",
            required=False,
            max_length=100,
        ),
    ],
    procedure=_procedure(kecamatan=False),
    needs_kecamatan=False,
    time_limit_working_days=1,
    fee_idr=0,
    product="Surat Keterangan Janda/Duda yang ditandatangani Lurah",
    complaints_channel=COMPLAINTS,
)

BELUM_PUNYA_RUMAH = LetterTypeRead(
    code="belum_punya_rumah",
    short_name="SKBMR",
    name="Surat Keterangan Belum Memiliki Rumah",
    description=(
        "Menerangkan bahwa pemohon belum memiliki rumah, mis. untuk KPR bersubsidi atau "
        "bantuan perumahan."
    ),
    classification_code="470",
    requirements=[
        *ID_DOCUMENTS,
        Requirement(
            code="no_house_statement",
            name="Surat pernyataan belum memiliki rumah bermeterai",
        ),
        Requirement(
            code="spouse_ktp",
            name="KTP-el suami/istri",
            required=False,
            note="Bagi pemohon yang sudah menikah",
        ),
        MARRIAGE_CERTIFICATE,
    ],
    fields=[
        FieldSpec(
            code="current_housing",
            label="Status tempat tinggal sekarang",
            type="singlevaluelist",
            choices=[
                "Menumpang orang tua/keluarga",
                "Sewa/kontrak",
                "Kos",
                "Rumah dinas",
                "Lainnya",
            ],
        ),
        FieldSpec(
            code="intended_use",
            label="Digunakan untuk",
            type="singlevaluelist",
            choices=[
                "KPR bersubsidi (FLPP)",
                "KPR nonsubsidi",
                "Bantuan perumahan pemerintah",
                "Lainnya",
            ],
        ),
        FieldSpec(
            code="bank_or_developer",
            label="Bank atau pengembang tujuan",
            type="string",
            required=False,
            max_length=150,
        ),
    ],
    procedure=_procedure(kecamatan=False),
    needs_kecamatan=False,
    time_limit_working_days=2,
    fee_idr=0,
    product="Surat Keterangan Belum Memiliki Rumah yang ditandatangani Lurah",
    complaints_channel=COMPLAINTS,
)

DOMISILI_HAJI = LetterTypeRead(
    code="domisili_haji",
    short_name="SKDH",
    name="Surat Keterangan Domisili untuk Pendaftaran Haji",
    description=(
        "Menerangkan domisili pemohon di Kota Cimahi untuk pendaftaran haji di Kantor "
        "Kementerian Agama Kota Cimahi."
    ),
    classification_code="451",
    requirements=[
        *ID_DOCUMENTS,
        Requirement(
            code="hajj_deposit_receipt",
            name="Bukti setoran awal BPIH",
            required=False,
            note="Bila sudah menyetor ke bank penerima setoran",
        ),
        PHOTO_3X4,
    ],
    fields=[
        FieldSpec(code="address", label="Alamat domisili", type="text", max_length=300),
        FieldSpec(
            code="resident_since", label="Berdomisili sejak", type="date", not_in_future=True
        ),
        FieldSpec(
            code="hajj_type",
            label="Jenis haji",
            type="singlevaluelist",
            choices=["Haji reguler", "Haji khusus"],
        ),
        FieldSpec(
            code="portion_number",
            label="Nomor porsi haji",
            type="string",
            required=False,
            max_length=10,
            pattern=r"[0-9]{10}",
            description="10 digit, bila sudah terdaftar",
        ),
    ],
    procedure=_procedure(kecamatan=True),
    needs_kecamatan=True,
    time_limit_working_days=3,
    fee_idr=0,
    product="Surat Keterangan Domisili untuk Pendaftaran Haji yang ditandatangani Camat",
    complaints_channel=COMPLAINTS,
)

SKCK = LetterTypeRead(
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
    procedure=_procedure(
        kecamatan=False,
        after=("Pemohon membawa surat pengantar ke Polsek/Polres untuk permohonan SKCK.",),
    ),
    needs_kecamatan=False,
    time_limit_working_days=1,
    fee_idr=0,
    product="Surat Pengantar SKCK yang ditandatangani Lurah",
    complaints_channel=COMPLAINTS,
)

IZIN_KERAMAIAN = LetterTypeRead(
    code="izin_keramaian",
    short_name="SPIK",
    name="Surat Pengantar Izin Keramaian",
    description=(
        "Pengantar kelurahan dan rekomendasi kecamatan untuk izin keramaian dari Polsek/Polres "
        "(hajatan, pertunjukan, kegiatan yang mengundang massa). Ajukan paling lambat 14 hari "
        "sebelum acara."
    ),
    classification_code="331",
    requirements=[
        COVER_LETTER,
        KTP,
        Requirement(code="event_schedule", name="Susunan acara"),
        Requirement(
            code="neighbour_consent",
            name="Surat pernyataan tidak keberatan dari warga sekitar",
        ),
        Requirement(
            code="venue_permission",
            name="Izin dari pemilik atau pengelola tempat acara",
            required=False,
            note="Bila acara tidak di tempat milik pemohon",
        ),
    ],
    fields=[
        FieldSpec(code="event_name", label="Nama acara", type="string", max_length=150),
        FieldSpec(
            code="event_kind",
            label="Jenis acara",
            type="singlevaluelist",
            choices=[
                "Hajatan pernikahan/khitanan",
                "Kegiatan keagamaan",
                "Pertunjukan seni/hiburan",
                "Olahraga",
                "Kegiatan sosial/kemasyarakatan",
                "Lainnya",
            ],
        ),
        FieldSpec(
            code="event_start_date", label="Tanggal mulai acara", type="date", not_in_past=True
        ),
        FieldSpec(
            code="event_end_date",
            label="Tanggal selesai acara",
            type="date",
            required=False,
            not_in_past=True,
            not_before="event_start_date",
            description="Kosongkan bila acara satu hari",
        ),
        FieldSpec(code="start_time", label="Pukul mulai", type="time"),
        FieldSpec(code="end_time", label="Pukul selesai", type="time"),
        FieldSpec(code="venue", label="Tempat/alamat acara", type="text", max_length=300),
        FieldSpec(
            code="expected_attendance",
            label="Perkiraan jumlah hadirin",
            type="integer",
            minimum=1,
            maximum=100_000,
        ),
        FieldSpec(
            code="organizer",
            label="Penyelenggara",
            type="string",
            required=False,
            max_length=150,
            description="Bila atas nama organisasi atau panitia",
        ),
        FieldSpec(
            code="entertainment",
            label="Hiburan",
            type="string",
            required=False,
            max_length=200,
            description="Mis. organ tunggal, wayang golek",
        ),
        FieldSpec(code="uses_sound_system", label="Memakai pengeras suara", type="boolean"),
        FieldSpec(
            code="closes_road",
            label="Menutup jalan umum",
            type="boolean",
            description="Bila ya, penutupan jalan juga perlu izin Dishub/Polres",
        ),
    ],
    procedure=_procedure(
        kecamatan=True,
        after=("Pemohon mengajukan izin keramaian ke Polsek/Polres dengan surat ini.",),
    ),
    needs_kecamatan=True,
    time_limit_working_days=3,
    fee_idr=0,
    product="Surat Pengantar Izin Keramaian dengan rekomendasi Camat",
    complaints_channel=COMPLAINTS,
)

SKTM = _sktm(
    code="sktm",
    short_name="SKTM",
    name="Surat Keterangan Tidak Mampu (Umum)",
    description="Menerangkan bahwa keluarga pemohon tergolong tidak mampu, untuk keperluan umum.",
    fields=[
        FieldSpec(
            code="sktm_purpose",
            label="Keperluan SKTM",
            type="string",
            max_length=200,
            description="Untuk apa SKTM digunakan, mis. keringanan biaya",
        ),
    ],
    time_limit=2,
    product="Surat Keterangan Tidak Mampu yang ditandatangani Lurah",
)

SKTM_PENDIDIKAN = _sktm(
    code="sktm_pendidikan",
    short_name="SKTM Pendidikan",
    name="Surat Keterangan Tidak Mampu untuk Pendidikan",
    description=(
        "Menerangkan bahwa keluarga pemohon tergolong tidak mampu, untuk keringanan biaya "
        "sekolah/kuliah, beasiswa, atau penerimaan peserta didik jalur afirmasi."
    ),
    extra_requirements=(
        Requirement(
            code="student_card",
            name="Kartu pelajar/mahasiswa atau surat keterangan aktif dari sekolah",
            required=False,
        ),
    ),
    fields=[
        FieldSpec(
            code="student_name", label="Nama pelajar/mahasiswa", type="string", max_length=100
        ),
        FieldSpec(
            code="student_relationship",
            label="Hubungan pelajar dengan pemohon",
            type="singlevaluelist",
            choices=RELATIVE,
        ),
        FieldSpec(
            code="school_name", label="Nama sekolah/perguruan tinggi", type="string", max_length=150
        ),
        FieldSpec(
            code="education_level",
            label="Jenjang pendidikan",
            type="singlevaluelist",
            choices=["PAUD/TK", "SD/MI", "SMP/MTs", "SMA/MA", "SMK", "Perguruan tinggi", "Lainnya"],
        ),
        FieldSpec(
            code="grade",
            label="Kelas/semester",
            type="string",
            required=False,
            max_length=30,
        ),
    ],
    time_limit=2,
    product="Surat Keterangan Tidak Mampu untuk Pendidikan yang ditandatangani Lurah",
)

SKTM_RUMAH_SAKIT = _sktm(
    code="sktm_rumah_sakit",
    short_name="SKTM RS",
    name="Surat Keterangan Tidak Mampu untuk Rumah Sakit",
    description=(
        "Menerangkan bahwa keluarga pasien tergolong tidak mampu, untuk keringanan biaya "
        "perawatan. Diagnosis tidak dicatat."
    ),
    extra_requirements=(
        Requirement(
            code="hospital_note",
            name="Surat keterangan dirawat atau rujukan dari rumah sakit/puskesmas",
            required=False,
        ),
    ),
    fields=[
        FieldSpec(code="patient_name", label="Nama pasien", type="string", max_length=100),
        FieldSpec(
            code="patient_relationship",
            label="Hubungan pasien dengan pemohon",
            type="singlevaluelist",
            choices=RELATIVE,
        ),
        FieldSpec(
            code="hospital_name",
            label="Nama rumah sakit",
            type="string",
            max_length=150,
            description="Mis. RSUD Cibabat",
        ),
        FieldSpec(
            code="care_type",
            label="Jenis perawatan",
            type="singlevaluelist",
            choices=["Rawat inap", "Rawat jalan", "Gawat darurat", "Persalinan"],
        ),
        FieldSpec(
            code="admission_date",
            label="Tanggal masuk/rencana perawatan",
            type="date",
            required=False,
        ),
    ],
    time_limit=1,
    product="Surat Keterangan Tidak Mampu untuk Rumah Sakit yang ditandatangani Lurah",
)

SKTM_PENGADILAN = _sktm(
    code="sktm_pengadilan",
    short_name="SKTM Pengadilan",
    name="Surat Keterangan Tidak Mampu untuk Berperkara di Pengadilan",
    description=(
        "Menerangkan bahwa pemohon tergolong tidak mampu, untuk pembebasan biaya perkara "
        "(prodeo) atau bantuan hukum."
    ),
    fields=[
        FieldSpec(
            code="court_name",
            label="Nama pengadilan",
            type="string",
            max_length=150,
            description="Mis. Pengadilan Agama Cimahi",
        ),
        FieldSpec(
            code="case_type",
            label="Jenis perkara",
            type="singlevaluelist",
            choices=[
                "Perceraian",
                "Isbat nikah",
                "Dispensasi kawin",
                "Waris",
                "Perdata lainnya",
                "Pidana (bantuan hukum)",
                "Lainnya",
            ],
        ),
        FieldSpec(
            code="case_number",
            label="Nomor perkara",
            type="string",
            required=False,
            max_length=60,
            description="Bila perkara sudah terdaftar",
        ),
    ],
    time_limit=2,
    product="Surat Keterangan Tidak Mampu untuk Berperkara yang ditandatangani Lurah",
)

SKTM_PLN = _sktm(
    code="sktm_pln",
    short_name="SKTM PLN",
    name="Surat Keterangan Tidak Mampu untuk PLN",
    description=(
        "Menerangkan bahwa keluarga pemohon tergolong tidak mampu, untuk keringanan atau "
        "bantuan listrik PLN."
    ),
    extra_requirements=(
        Requirement(
            code="electricity_bill",
            name="Rekening atau struk listrik terakhir",
            required=False,
            note="Bila sudah menjadi pelanggan PLN",
        ),
    ),
    fields=[
        FieldSpec(
            code="pln_service",
            label="Layanan PLN",
            type="singlevaluelist",
            choices=["Keringanan tagihan", "Subsidi listrik", "Pasang baru", "Tambah daya"],
        ),
        FieldSpec(
            code="pln_customer_id",
            label="ID pelanggan PLN",
            type="string",
            required=False,
            max_length=12,
            pattern=r"[0-9]{12}",
            description="12 digit, tertera pada rekening/struk; kosongkan untuk pasang baru",
        ),
        FieldSpec(
            code="pln_customer_name",
            label="Nama pelanggan pada rekening PLN",
            type="string",
            required=False,
            max_length=100,
        ),
        FieldSpec(
            code="power_va",
            label="Daya terpasang",
            type="singlevaluelist",
            required=False,
            choices=["450 VA", "900 VA", "1300 VA", "2200 VA", "Lainnya"],
        ),
    ],
    time_limit=2,
    product="Surat Keterangan Tidak Mampu untuk PLN yang ditandatangani Lurah",
)

AHLI_WARIS = LetterTypeRead(
    code="ahli_waris",
    short_name="SKAW",
    name="Surat Keterangan Ahli Waris",
    description=(
        "Menerangkan para ahli waris dari warga yang meninggal dunia, disaksikan Lurah dan "
        "dikuatkan Camat, mis. untuk balik nama sertifikat atau pencairan tabungan."
    ),
    classification_code="593",
    requirements=[
        *ID_DOCUMENTS,
        Requirement(code="death_certificate", name="Akta kematian pewaris"),
        Requirement(
            code="heirs_statement",
            name="Surat pernyataan ahli waris bermeterai",
            note="Ditandatangani seluruh ahli waris dan dua orang saksi",
        ),
        Requirement(code="heirs_ktp", name="KTP-el seluruh ahli waris"),
        Requirement(code="heirs_kk", name="Kartu Keluarga para ahli waris"),
        Requirement(
            code="marriage_certificate",
            name="Buku nikah atau akta perkawinan",
            note="Perkawinan pewaris",
        ),
        Requirement(
            code="heirs_birth_certificates",
            name="Akta kelahiran para ahli waris",
            required=False,
            note="Untuk ahli waris anak",
        ),
        Requirement(
            code="estate_documents",
            name="Dokumen harta peninggalan (mis. sertifikat, buku tabungan)",
            required=False,
        ),
    ],
    fields=[
        FieldSpec(code="deceased_name", label="Nama pewaris", type="string", max_length=100),
        FieldSpec(code="date_of_death", label="Tanggal meninggal", type="date", not_in_future=True),
        FieldSpec(
            code="place_of_death",
            label="Tempat meninggal",
            type="string",
            required=False,
            max_length=150,
        ),
        FieldSpec(
            code="deceased_address",
            label="Alamat terakhir pewaris",
            type="text",
            max_length=300,
        ),
        FieldSpec(
            code="death_certificate_number",
            label="Nomor akta kematian",
            type="string",
            required=False,
            max_length=60,
        ),
        FieldSpec(
            code="heirs",
            label="Ahli waris",
            type="list",
            min_items=1,
            max_items=30,
            description="Setiap ahli waris: nama, hubungan dengan pewaris, tanggal lahir",
            item_fields=[
                FieldSpec(code="name", label="Nama ahli waris", type="string", max_length=100),
                FieldSpec(
                    code="relationship",
                    label="Hubungan dengan pewaris",
                    type="singlevaluelist",
                    choices=[
                        "Suami",
                        "Istri",
                        "Anak",
                        "Ayah",
                        "Ibu",
                        "Saudara kandung",
                        "Cucu",
                        "Lainnya",
                    ],
                ),
                FieldSpec(
                    code="birth_date",
                    label="Tanggal lahir ahli waris",
                    type="date",
                    required=False,
                    not_in_future=True,
                ),
            ],
        ),
        FieldSpec(
            code="estate_use",
            label="Digunakan untuk",
            type="singlevaluelist",
            required=False,
            choices=[
                "Balik nama sertifikat tanah/bangunan",
                "Pencairan tabungan/deposito",
                "Pencairan pensiun/asuransi",
                "Lainnya",
            ],
        ),
    ],
    procedure=_procedure(kecamatan=True),
    needs_kecamatan=True,
    time_limit_working_days=5,
    fee_idr=0,
    product="Surat Keterangan Ahli Waris disaksikan Lurah dan dikuatkan Camat",
    complaints_channel=COMPLAINTS,
)

STANDARDS: tuple[LetterTypeRead, ...] = (
    DOMISILI,
    DOMISILI_USAHA,
    USAHA,
    KELAHIRAN,
    KEMATIAN,
    PINDAH,
    BELUM_MENIKAH,
    JANDA_DUDA,
    BELUM_PUNYA_RUMAH,
    DOMISILI_HAJI,
    SKCK,
    IZIN_KERAMAIAN,
    SKTM,
    SKTM_PENDIDIKAN,
    SKTM_RUMAH_SAKIT,
    SKTM_PENGADILAN,
    SKTM_PLN,
    AHLI_WARIS,
)
