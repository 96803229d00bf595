"""E-PBB settings (env prefix ``EPBB_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cimahi_shared.settings import ServiceSettings


class EpbbSettings(ServiceSettings):
    """Everything E-PBB reads from its environment (``EPBB_DATABASE_URL``, ...)."""

    model_config = SettingsConfigDict(env_prefix="EPBB_", extra="ignore")

    service_name: str = "epbb"
    database_url: str = "sqlite+aiosqlite:///var/epbb.sqlite3"

    # --- tax-year rules ---
    # A directory of <year>.json rule files replacing the packaged ones (cimahi_epbb/rules/data);
    # empty: the packaged rules. Rules are loaded into the database (versioned) by `seed`/`rules load`.
    rules_dir: str = ""

    # --- NOP: the city's own kecamatan codes (not public; configuration, see docs/epbb.md) ---
    # NOP kecamatan code (3 digits) -> region kecamatan code.
    nop_kecamatan_codes: dict[str, str] = Field(
        default_factory=lambda: {"010": "32.77.01", "020": "32.77.02", "030": "32.77.03"}
    )

    # --- demo data (`seed`, development only) ---
    demo_objects: int = 120_000
    demo_seed: int = 3277
    demo_tax_years: list[int] = Field(default_factory=lambda: [2025, 2026])

    # --- payments ---
    # How long a payment code (virtual account number / QRIS payload) stays valid at most; it
    # always expires earlier when the amount would change (end of the day in WIB).
    payment_code_ttl_minutes: int = 24 * 60
    # Signed callbacks: accepted clock skew of webhook-timestamp, in seconds (replays are refused).
    callback_tolerance_seconds: int = 300
    # Scope a payment channel's machine token must carry (inquiry and payment).
    channel_scope: str = "epbb:channel"

    # --- public inquiry (no login) ---
    # Public bill inquiries per client address and minute, per process (beyond: 429).
    public_inquiry_per_minute: int = Field(default=30, ge=1)

    # --- taxpayer requests ---
    due_soon_working_days: int = 2
    # Linking a tax object to a citizen's account by NOP + NIK: attempts per account and window.
    claim_max_attempts: int = 10
    claim_window_seconds: int = 900

    # --- receipts ---
    # Where the public reaches E-PBB (the gateway's /api/epbb): printed on receipts and in their QR
    # codes as <public_base_url>/v1/public/receipts/<verification code>.
    public_base_url: str = "http://127.0.0.1:8000/api/epbb"
    receipt_signer_title: str = "Badan Pendapatan Daerah Kota Cimahi"
