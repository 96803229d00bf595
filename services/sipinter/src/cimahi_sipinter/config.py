"""SIPINTER settings (env prefix ``SIPINTER_``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from cimahi_shared.settings import ServiceSettings


class SipinterSettings(ServiceSettings):
    """Everything SIPINTER reads from its environment (``SIPINTER_DATABASE_URL``, ...)."""

    model_config = SettingsConfigDict(env_prefix="SIPINTER_", extra="ignore")

    service_name: str = "sipinter"
    database_url: str = "sqlite+aiosqlite:///var/sipinter.sqlite3"

    # Working days before an application's deadline when it counts as "due soon".
    due_soon_working_days: int = 2
    # Where the public reaches SIPINTER (the gateway's /api/sipinter): printed on permits and in
    # their QR codes as <public_base_url>/v1/public/permits/<verification code>.
    public_base_url: str = "http://127.0.0.1:8000/api/sipinter"
