"""LAKAMI settings (env prefix ``LAKAMI_``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from cimahi_shared.settings import ServiceSettings


class LakamiSettings(ServiceSettings):
    """Everything LAKAMI reads from its environment (``LAKAMI_DATABASE_URL``, ...)."""

    model_config = SettingsConfigDict(env_prefix="LAKAMI_", extra="ignore")

    service_name: str = "lakami"
    database_url: str = "sqlite+aiosqlite:///var/lakami.sqlite3"
    # Letter requests whose deadline falls within this many working days are "due soon".
    letter_due_soon_working_days: int = 1
    # Complaints: the citizen may reopen an answered/closed complaint for this many working days.
    complaint_reopen_window_working_days: int = 10
    # Complaints whose deadline falls within this many working days are "due soon".
    complaint_due_soon_working_days: int = 1
    # Role that may see who filed an anonymous complaint (officers never do).
    complaint_identity_role: str = "admin"
    # Open311 requests are public unless the client sends attribute[visibility]=private.
    open311_default_public: bool = True
    # Uploads (requirement documents, complaint photos): where the files live, how big they may be.
    upload_dir: str = "var/lakami-uploads"
    upload_max_bytes: int = 5 * 1024 * 1024
    # Images larger than this many pixels are refused before decoding (decompression bombs).
    upload_max_image_pixels: int = 40_000_000
    # Where the public reaches LAKAMI (the gateway's /api/lakami): printed on letters and in their
    # QR codes as <public_base_url>/v1/public/letters/<verification code>.
    public_base_url: str = "http://127.0.0.1:8000/api/lakami"
