"""LAKAMI settings (env prefix ``LAKAMI_``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from cimahi_shared.settings import ServiceSettings


class LakamiSettings(ServiceSettings):
    """Everything LAKAMI reads from its environment (``LAKAMI_DATABASE_URL``, ...)."""

    model_config = SettingsConfigDict(env_prefix="LAKAMI_", extra="ignore")

    service_name: str = "lakami"
    database_url: str = "sqlite+aiosqlite:///var/lakami.sqlite3"
