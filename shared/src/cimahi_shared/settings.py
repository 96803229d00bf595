"""Settings base: every member subclasses it with its own env prefix (``LAKAMI_``, ``GATEWAY_``)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Settings every deployable has; subclasses set ``model_config`` with their env prefix."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    service_name: str = "cimahi"
    environment: str = "development"
    database_url: str = "sqlite+aiosqlite:///var/cimahi.sqlite3"
    db_pool_size: int = 20
    nats_url: str = "nats://127.0.0.1:4222"
    nats_enabled: bool = True
    log_level: str = "INFO"
    log_json: bool = True
    # Where access tokens come from: the gateway's POLAKAMI issuer and its JWKS.
    token_issuer: str = "http://127.0.0.1:8000"
    token_audience: str = "cimahi-api"
    jwks_url: str = "http://127.0.0.1:8000/.well-known/jwks.json"
    # Personal data: key for encrypting NIK at rest and for its keyed lookup hash (base64, 32 bytes).
    pii_key: SecretStr = Field(default=SecretStr("ZGV2LW9ubHktcGlpLWtleS1jaGFuZ2UtbWUtMzJieXQ="))
    max_body_bytes: int = 1_048_576
    idempotency_ttl_seconds: int = 86_400
    outbox_poll_seconds: float = 0.5
