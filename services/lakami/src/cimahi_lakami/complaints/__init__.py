"""Citizen complaints (pengaduan/aspirasi) with SP4N-LAPOR! deadlines."""
