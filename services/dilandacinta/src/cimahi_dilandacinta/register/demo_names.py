"""Word lists for the synthetic demo population of Kota Cimahi (no real persons)."""

from __future__ import annotations

MALE_GIVEN = (
    "Asep", "Dedi", "Ujang", "Agus", "Cecep", "Dadang", "Budi", "Rudi", "Hendra", "Iwan",
    "Yayan", "Dede", "Entis", "Ade", "Deden", "Eka", "Gilang", "Rizki", "Fajar", "Ilham",
    "Yusuf", "Ahmad", "Muhammad", "Dimas", "Bayu", "Rahmat", "Taufik", "Wawan", "Acep", "Ridwan",
    "Irfan", "Jajang", "Kurniawan", "Lukman", "Nandang", "Odih", "Rahmat", "Sandi", "Tatang",
    "Ujang", "Wahyu", "Yogi", "Zaenal", "Aditya", "Arif", "Galih", "Hadi", "Engkus", "Maman",
)  # fmt: skip
MALE_SECOND = (
    "Saepudin", "Supriadi", "Hidayat", "Kurniawan", "Permana", "Sopian", "Suherman", "Gunawan",
    "Setiawan", "Nugraha", "Ramdani", "Firmansyah", "Hermawan", "Suryana", "Mulyana",
    "Rohendi", "Sutisna", "Kusnadi", "Wijaya", "Pratama", "Maulana", "Saputra", "Rukmana",
    "Sumarna", "Hakim", "Fauzi", "Kosasih", "Santoso", "Sobari", "Somantri",
)  # fmt: skip
FEMALE_GIVEN = (
    "Siti", "Neng", "Euis", "Ani", "Rina", "Dewi", "Lilis", "Yanti", "Nining", "Tati",
    "Ratna", "Rini", "Sri", "Nur", "Wulan", "Intan", "Putri", "Ayu", "Fitri", "Nurul",
    "Dian", "Eneng", "Imas", "Iis", "Ai", "Cucu", "Elis", "Heni", "Lina", "Nia",
    "Popon", "Resti", "Santi", "Tina", "Uum", "Yuli", "Anisa", "Salsabila", "Aulia", "Nabila",
)  # fmt: skip
FEMALE_SECOND = (
    "Aminah", "Rahayu", "Lestari", "Nurhayati", "Kurniasih", "Marlina", "Wulandari", "Susanti",
    "Rosita", "Handayani", "Komalasari", "Maryani", "Nuraeni", "Sumiati", "Yuliani",
    "Fitriani", "Sartika", "Mulyani", "Rohmah", "Permatasari", "Oktaviani", "Rahmawati",
    "Setiawati", "Herawati", "Juariah", "Kartika", "Pertiwi", "Saadah", "Suryani", "Anggraeni",
)  # fmt: skip
CHILD_MALE_GIVEN = (
    "Rafi", "Alif", "Fadil", "Raka", "Daffa", "Arkan", "Naufal", "Rizky", "Fathan", "Azka",
    "Haikal", "Kenzie", "Abizar", "Rayyan", "Zidan",
)  # fmt: skip
CHILD_FEMALE_GIVEN = (
    "Aisyah", "Khanza", "Nadia", "Alya", "Keisha", "Zahra", "Syifa", "Naura", "Azzahra",
    "Kirana", "Adinda", "Hana", "Shakila", "Cantika", "Raisa",
)  # fmt: skip

# Dukcapil-style occupations (a small selection) with the share of working adults.
OCCUPATIONS = (
    ("Karyawan Swasta", 30), ("Wiraswasta", 18), ("Buruh Harian Lepas", 10),
    ("Pedagang", 8), ("Pegawai Negeri Sipil", 6), ("Tentara Nasional Indonesia", 4),
    ("Guru", 4), ("Karyawan BUMN", 3), ("Sopir", 3), ("Perawat", 2), ("Buruh Pabrik", 6),
    ("Kepolisian RI", 1), ("Dosen", 1), ("Tukang Jahit", 2),
)  # fmt: skip
RELIGIONS = (
    ("Islam", 930), ("Kristen", 40), ("Katolik", 20), ("Buddha", 6), ("Hindu", 2),
    ("Konghucu", 2),
)  # fmt: skip
BIRTH_PLACES = (
    ("Cimahi", 45), ("Bandung", 25), ("Garut", 5), ("Tasikmalaya", 4), ("Sumedang", 3),
    ("Cianjur", 4), ("Ciamis", 3), ("Kuningan", 2), ("Jakarta", 3), ("Purwakarta", 2),
    ("Subang", 2), ("Sukabumi", 2),
)  # fmt: skip
# Where an adult born elsewhere was first registered (their NIK keeps that region).
OTHER_NIK_REGIONS = {
    "Bandung": "327301", "Garut": "320501", "Tasikmalaya": "327801", "Sumedang": "321101",
    "Cianjur": "320301", "Ciamis": "320701", "Kuningan": "320801", "Jakarta": "317101",
    "Purwakarta": "321401", "Subang": "321301", "Sukabumi": "327201",
}  # fmt: skip

STREETS = {
    "32.77.01.1001": ("Jl. Melong Raya", "Jl. Melong Asih", "Jl. Sadarmanah", "Gg. Melong Cijerah"),
    "32.77.01.1002": ("Jl. Cibeureum", "Jl. Kebon Kopi", "Jl. Sukarasa", "Gg. Sukamaju"),
    "32.77.01.1003": ("Jl. Mahar Martanegara", "Jl. Cigugur Girang", "Jl. Utama", "Gg. Ciawitali"),
    "32.77.01.1004": ("Jl. Leuwigajah", "Jl. Kerkof", "Jl. Cisangkan", "Jl. Industri"),
    "32.77.01.1005": ("Jl. Cibeber", "Jl. Pojok", "Jl. Pesantren", "Gg. Cibeber Hilir"),
    "32.77.02.1001": ("Jl. Baros", "Jl. Sriwijaya", "Jl. Jend. H. Amir Machmud", "Gg. Baros Tengah"),
    "32.77.02.1002": ("Jl. Cigugur Tengah", "Jl. Kolonel Masturi", "Jl. Sukagalih", "Gg. Rahayu"),
    "32.77.02.1003": ("Jl. Karangmekar", "Jl. Encep Kartawiria", "Jl. Pasar Antri", "Gg. Mekar Sari"),
    "32.77.02.1004": ("Jl. Setiamanah", "Jl. Kamarung", "Jl. Raden Demang Hardjakusumah"),
    "32.77.02.1005": ("Jl. Padasuka", "Jl. Sangkuriang", "Jl. Gatot Subroto", "Gg. Padasuka Indah"),
    "32.77.02.1006": ("Jl. Jend. Sudirman", "Jl. Stasiun", "Jl. Gandawijaya", "Jl. Dustira"),
    "32.77.03.1001": ("Jl. Pasirkaliki", "Jl. Sukaraja", "Jl. Kihapit", "Gg. Pasir Honje"),
    "32.77.03.1002": ("Jl. Cibabat", "Jl. Daeng Muhammad Ardiwinata", "Jl. Pacinan", "Jl. Rancabali"),
    "32.77.03.1003": ("Jl. Citeureup", "Jl. Cihanjuang", "Jl. Kolonel Masturi Atas", "Gg. Ciuyah"),
    "32.77.03.1004": ("Jl. Cipageran", "Jl. Cisasawi", "Jl. Sirnagalih", "Gg. Tanjakan"),
}  # fmt: skip
MOVED_TO = ("Kota Bandung", "Kabupaten Bandung Barat", "Kota Bekasi", "Kabupaten Garut")
