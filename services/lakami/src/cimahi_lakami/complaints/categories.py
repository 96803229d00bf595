"""Complaint categories as data: their SP4N-LAPOR! type (and so their deadlines) and Open311 form.

The answer deadlines follow the national SP4N-LAPOR! rules (Permenpan RB 46/2020): verification
within 3 working days of filing; an answer within 5 working days for information requests and
complaints, 14 for disputes settled without a field check and 60 for those that need one. The
categories are data, not rules in code: change them here (``python -m cimahi_lakami seed`` prints
the Open311 key, the categories are read from this module at runtime).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from cimahi_shared.regions import kelurahan_by_code

VERIFY_WORKING_DAYS = 3


class ComplaintType(StrEnum):
    """The SP4N-LAPOR! type of a complaint, which fixes its answer deadline."""

    INFORMATION = "information"
    COMPLAINT = "complaint"
    DISPUTE = "dispute"
    DISPUTE_FIELD = "dispute_field"


ANSWER_WORKING_DAYS: dict[ComplaintType, int] = {
    ComplaintType.INFORMATION: 5,
    ComplaintType.COMPLAINT: 5,
    ComplaintType.DISPUTE: 14,
    ComplaintType.DISPUTE_FIELD: 60,
}


@dataclass(frozen=True, slots=True)
class Attribute:
    """One Open311 service attribute (a question the client answers as ``attribute[code]``)."""

    code: str
    datatype: str  # string | number | datetime | text | singlevaluelist | multivaluelist
    description: str
    required: bool = False
    datatype_description: str = ""
    values: tuple[tuple[str, str], ...] = ()  # (key, name)


@dataclass(frozen=True, slots=True)
class Category:
    """A complaint category: an Open311 service."""

    code: str
    name: str
    description: str
    group: str
    complaint_type: ComplaintType
    keywords: tuple[str, ...] = ()
    attributes: tuple[Attribute, ...] = field(default=())


def _kelurahan_values() -> tuple[tuple[str, str], ...]:
    return tuple(
        (kel.code, f"{kel.name} ({kel.kecamatan_name})")
        for kel in sorted(kelurahan_by_code().values(), key=lambda k: k.code)
    )


KELURAHAN_ATTRIBUTE = Attribute(
    code="kelurahan",
    datatype="singlevaluelist",
    description="Kelurahan tempat kejadian",
    required=True,
    datatype_description="Kode kelurahan Kota Cimahi",
    values=_kelurahan_values(),
)
VISIBILITY_ATTRIBUTE = Attribute(
    code="visibility",
    datatype="singlevaluelist",
    description="Tampilkan laporan untuk publik (tanpa data pribadi)?",
    datatype_description="public (bawaan) atau private",
    values=(("public", "Publik"), ("private", "Rahasia")),
)
COMMON_ATTRIBUTES = (KELURAHAN_ATTRIBUTE, VISIBILITY_ATTRIBUTE)

CATEGORIES: tuple[Category, ...] = (
    Category(
        code="jalan-drainase",
        name="Jalan, trotoar dan drainase",
        description="Jalan berlubang, trotoar rusak, saluran tersumbat atau banjir lingkungan.",
        group="Infrastruktur",
        complaint_type=ComplaintType.DISPUTE_FIELD,
        keywords=("jalan", "drainase", "banjir", "trotoar"),
        attributes=(
            *COMMON_ATTRIBUTES,
            Attribute(
                code="damage",
                datatype="singlevaluelist",
                description="Jenis kerusakan",
                values=(("pothole", "Lubang"), ("clogged", "Tersumbat"), ("flood", "Genangan")),
            ),
        ),
    ),
    Category(
        code="penerangan-jalan",
        name="Penerangan jalan umum",
        description="Lampu PJU mati atau rusak.",
        group="Infrastruktur",
        complaint_type=ComplaintType.COMPLAINT,
        keywords=("lampu", "PJU", "penerangan"),
        attributes=COMMON_ATTRIBUTES,
    ),
    Category(
        code="kebersihan",
        name="Sampah dan kebersihan",
        description="Sampah tidak terangkut, TPS liar, lingkungan kotor.",
        group="Lingkungan",
        complaint_type=ComplaintType.COMPLAINT,
        keywords=("sampah", "TPS", "kebersihan"),
        attributes=COMMON_ATTRIBUTES,
    ),
    Category(
        code="pelayanan-kelurahan",
        name="Pelayanan kelurahan",
        description="Pelayanan administrasi kelurahan yang lambat, tidak ramah atau dipungut biaya.",
        group="Pelayanan publik",
        complaint_type=ComplaintType.COMPLAINT,
        keywords=("pelayanan", "kelurahan", "pungli"),
        attributes=COMMON_ATTRIBUTES,
    ),
    Category(
        code="permintaan-informasi",
        name="Permintaan informasi",
        description="Pertanyaan tentang layanan, program atau kegiatan kelurahan.",
        group="Pelayanan publik",
        complaint_type=ComplaintType.INFORMATION,
        keywords=("informasi", "pertanyaan"),
        attributes=COMMON_ATTRIBUTES,
    ),
    Category(
        code="sengketa-lingkungan",
        name="Sengketa lingkungan",
        description="Perselisihan antarwarga (batas, bangunan, kebisingan) tanpa pemeriksaan lapangan.",
        group="Ketertiban",
        complaint_type=ComplaintType.DISPUTE,
        keywords=("sengketa", "tetangga", "ketertiban"),
        attributes=COMMON_ATTRIBUTES,
    ),
)

_BY_CODE = {category.code: category for category in CATEGORIES}


def find_category(code: str) -> Category | None:
    """The category with this code, or None."""
    return _BY_CODE.get(code)
