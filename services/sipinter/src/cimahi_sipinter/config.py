"""SIPINTER settings (env prefix ``SIPINTER_``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from cimahi_shared.app import Runtime, RuntimeDep
from cimahi_shared.settings import ServiceSettings


class SipinterSettings(ServiceSettings):
    """Everything SIPINTER reads from its environment (``SIPINTER_DATABASE_URL``, ...)."""

    model_config = SettingsConfigDict(env_prefix="SIPINTER_", extra="ignore")

    service_name: str = "sipinter"
    database_url: str = "sqlite+aiosqlite:///var/sipinter.sqlite3"

    # --- deadlines ---
    # Working days before an application's deadline when it counts as "due soon" (amber).
    due_soon_working_days: int = 2
    # Fiktif positif (UU 30/2014 art. 53 as amended by UU 6/2023; PP 28/2025): an application not
    # decided within its time limit is granted by law. When on, the deadline sweep flags it and
    # alerts the head of office with a `sipinter.application.deemed_approved` event.
    deemed_approval_enabled: bool = True
    # How often the service's own sweep runs (deadlines passed, permits about to expire); 0: never
    # (run `python -m cimahi_sipinter sweep` from a scheduler instead).
    sweep_interval_seconds: float = Field(default=300.0, ge=0)
    # Days before a permit's last valid day when a `sipinter.permit.expiring` event is emitted
    # (one event per permit and number of days).
    expiry_reminder_days: list[int] = Field(default_factory=lambda: [90, 30, 7])

    # --- levy (retribusi) payments ---
    # Payment channels allowed to confirm levy payments, each with its Standard Webhooks secret(s)
    # (`whsec_...`; two during a rotation). JSON in the environment:
    # SIPINTER_LEVY_CHANNELS='{"bank-bjb": ["whsec_..."]}'. Empty: no channel can confirm.
    levy_channels: dict[str, list[SecretStr]] = Field(default_factory=dict)
    # Accepted clock skew of a callback's webhook-timestamp, in seconds.
    callback_tolerance_seconds: int = 300
    # Working days the applicant has to pay a levy once it is set.
    levy_payment_working_days: int = 10

    # --- permits ---
    # Where the public reaches SIPINTER (the gateway's /api/sipinter): printed on permits and in
    # their QR codes as <public_base_url>/v1/public/permits/<verification code>.
    public_base_url: str = "http://127.0.0.1:8000/api/sipinter"
    head_title: str = "Kepala Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu Kota Cimahi"
    public_verification_per_minute: int = Field(default=60, ge=1)  # per client address

    # --- uploads ---
    upload_dir: str = "var/sipinter-uploads"
    upload_max_bytes: int = 5 * 1024 * 1024
    upload_max_image_pixels: int = 40_000_000


def settings_of(runtime: Runtime) -> SipinterSettings:
    """SIPINTER's settings, as the running service holds them."""
    settings = runtime.settings
    if not isinstance(settings, SipinterSettings):  # pragma: no cover - wiring error
        raise TypeError("the runtime does not hold SipinterSettings")
    return settings


async def _settings_dependency(runtime: RuntimeDep) -> SipinterSettings:
    return settings_of(runtime)


SettingsDep = Annotated[SipinterSettings, Depends(_settings_dependency)]
"""SIPINTER's settings as a FastAPI dependency."""
