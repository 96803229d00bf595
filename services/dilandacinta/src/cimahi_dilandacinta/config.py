"""DILANDACINTA settings (env prefix ``DILANDACINTA_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cimahi_shared.settings import ServiceSettings


class DilandacintaSettings(ServiceSettings):
    """Everything DILANDACINTA reads from its environment (``DILANDACINTA_DATABASE_URL``, ...)."""

    model_config = SettingsConfigDict(env_prefix="DILANDACINTA_", extra="ignore")

    service_name: str = "dilandacinta"
    database_url: str = "sqlite+aiosqlite:///var/dilandacinta.sqlite3"

    # --- identity proofing (the gateway's registration asks the register) ---
    # Machine clients (token client_id) allowed to call the identity match endpoint.
    identity_match_clients: list[str] = Field(default_factory=lambda: ["gateway"])
    # Attempts per NIK and per calling client within the window (beyond: 429 with Retry-After).
    identity_match_max_per_nik: int = 5
    identity_match_max_per_client: int = 600
    identity_match_window_seconds: int = 900

    # --- demo data (`seed`, development only) ---
    demo_families: int = 1000
    demo_seed: int = 3277

    # --- applications ---
    # Applications whose deadline falls within this many working days are "due soon".
    due_soon_working_days: int = 1
    # A birth registered later than this many days after the birth needs the head's decision.
    late_birth_registration_days: int = 60

    # --- uploads ---
    upload_dir: str = "var/dilandacinta-uploads"
    upload_max_bytes: int = 5 * 1024 * 1024
    upload_max_image_pixels: int = 40_000_000

    # --- issued documents ---
    # Where the public reaches DILANDACINTA (the gateway's /api/dilandacinta): printed on documents
    # and in their QR codes as <public_base_url>/v1/public/documents/<verification code>.
    public_base_url: str = "http://127.0.0.1:8000/api/dilandacinta"
    head_title: str = "Kepala Dinas Kependudukan dan Pencatatan Sipil Kota Cimahi"
