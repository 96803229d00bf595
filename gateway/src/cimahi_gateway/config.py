"""Gateway settings (env prefix ``GATEWAY_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cimahi_shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    """Everything the gateway reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    database_url: str = "sqlite+aiosqlite:///var/gateway.sqlite3"
    public_url: str = "http://127.0.0.1:8000"
    # Browser origins allowed to call the API cross-origin (CORS); empty = public_url's origin only.
    # Never "*": answers name the caller's origin, and never allow credentials (bearer tokens).
    cors_origins: list[str] = Field(default_factory=list)
    # Strict-Transport-Security max-age, sent only when public_url is https (0 = never).
    hsts_seconds: int = 31_536_000

    # --- identity (POLAKAMI) ---
    # token_issuer (from the base) is this gateway's issuer; jwks_url is unused: own keys are local.
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 86_400
    auth_code_ttl_seconds: int = 120
    login_max_attempts_per_account: int = 5
    login_max_attempts_per_address: int = 20
    login_window_seconds: int = 300
    # Extra OIDC issuers whose access tokens are accepted (e.g. the city's production POLAKAMI),
    # given by discovery URL: https://sso.example/realms/cimahi/.well-known/openid-configuration
    external_issuers: list[str] = Field(default_factory=list)
    # First-party public clients allowed to use the password grant / authorization code + PKCE.
    first_party_clients: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "cimahi-web": ["http://127.0.0.1:8000/callback"],
            "cimahi-mobile": ["id.go.cimahikota.app:/callback"],
        }
    )
    # Base URL of DILANDACINTA (e.g. http://127.0.0.1:8102): citizen registrations must then match
    # its population register (identity proofing); empty = not configured (unverified accounts).
    dilandacinta_url: str = ""
    # Seconds the registration waits for the register's answer (then 503, no account).
    dilandacinta_timeout_seconds: float = 3.0
    # Seconds before retrying an external issuer whose discovery failed (doubles up to 10 minutes).
    external_issuer_retry_seconds: float = 30.0
    # How long a retired signing key stays in the JWKS (must exceed the longest token lifetime).
    signing_key_retention_seconds: int = 86_400

    # --- routing ---
    # Agency code -> base URL of its service.
    upstreams: dict[str, str] = Field(default_factory=lambda: {"lakami": "http://127.0.0.1:8101"})
    upstream_connect_timeout: float = 2.0
    upstream_read_timeout: float = 30.0
    upstream_pool_size: int = 200
    # Idle pooled upstream connections are closed after this; keep it below the services' own
    # keep-alive timeout (uvicorn: 5 s) so the gateway never reuses a connection being closed.
    upstream_keepalive_seconds: float = 4.0
    breaker_failure_threshold: int = 5
    breaker_reset_seconds: float = 10.0
    rate_limit_per_minute: int = 600
    rate_limit_burst: int = 100
    # Rate-limit buckets kept in memory (one per caller); rate_limit_per_minute <= 0 disables limits.
    rate_limit_max_clients: int = 100_000
    # How long the gateway caches each service's rewritten /openapi.json.
    openapi_cache_seconds: float = 30.0

    # --- unified request status ---
    status_consumer_batch: int = 256
    # Time zone of the calendar dates in the status API's submitted_from / submitted_to filters.
    status_timezone: str = "Asia/Jakarta"

    # --- integrations (events for integrators) ---
    # Scope an integrator's machine client carries (its allowed event types are the integrator's).
    integrator_scope: str = "events:subscribe"
    # Webhook URLs resolving to loopback, private, link-local or otherwise internal addresses are
    # refused; true only for development and tests (receivers on 127.0.0.1).
    webhook_allow_private_targets: bool = False
    # Seconds before a delivery attempt without an answer counts as failed.
    webhook_timeout_seconds: float = 10.0
    # Delays before each retry (seconds; +-20% jitter): about three days in all, as Standard
    # Webhooks recommends. After the last one the delivery has failed for good.
    webhook_retry_schedule: list[float] = Field(
        default_factory=lambda: [
            5.0,
            300.0,
            1800.0,
            7200.0,
            18000.0,
            36000.0,
            36000.0,
            36000.0,
            36000.0,
            36000.0,
            36000.0,
            36000.0,
        ]
    )
    # An endpoint failing without a single success for this long is disabled.
    webhook_disable_after_seconds: float = 5 * 86_400
    # How long the previous signing secret keeps signing after a rotation.
    webhook_secret_overlap_seconds: int = 86_400
    # Deliveries attempted at once by one gateway process, and how often the queue is polled.
    webhook_concurrency: int = 16
    webhook_poll_seconds: float = 1.0
    # Server-Sent Events: comment line sent when idle, to keep proxies from closing the stream.
    sse_heartbeat_seconds: float = 15.0
    # Days an event stays in the gateway's event log (resumable stream, redelivery).
    event_log_retention_days: int = 14
    # NATS URL integrators connect to, as the AsyncAPI document names it (empty: nats_url).
    integrator_nats_url: str = ""
