"""Identity proofing of citizen registrations against DILANDACINTA's population register.

The gateway asks ``POST <dilandacinta_url>/internal/v1/identity/match`` whether NIK + No. KK +
name + birth date are one person of the register; the answer is only "match" or "no match".
The call carries a short-lived access token the gateway signs for itself (client ``gateway``,
scope ``dilandacinta:identity.match``): there is no secret to configure.

What the citizen sees: no match -> 422 naming no single field (the register's data stays
secret); the register is down, slow or broken -> 503 and no account; the register rate-limits
-> 429 with its Retry-After. Nothing here logs a NIK, a No. KK, a name or a birth date.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from cimahi_gateway.identity import oauth
from cimahi_gateway.identity.schemas import CitizenRegistration
from cimahi_gateway.identity.service import IdentityState
from cimahi_shared.context import request_id_var
from cimahi_shared.errors import InvalidInput, ServiceUnavailable, TooManyRequests

logger = logging.getLogger("cimahi.gateway.proofing")

MATCH_PATH = "/internal/v1/identity/match"
MATCH_SCOPE = "dilandacinta:identity.match"
GATEWAY_CLIENT_ID = "gateway"
DEFAULT_RETRY_AFTER = "60"

MISMATCH_MESSAGE = (
    "Data tidak cocok dengan data kependudukan. Periksa kembali NIK, No. KK, nama lengkap dan "
    "tanggal lahir sesuai Kartu Keluarga. / The details do not match the population register: "
    "check the NIK, No. KK, full name and birth date as written on the family card."
)
UNAVAILABLE_MESSAGE = (
    "Verifikasi data kependudukan sedang tidak tersedia; coba lagi nanti. / The population "
    "register cannot be checked right now; please try again later."
)


class IdentityMismatch(InvalidInput):
    """The registration does not match the population register (no field is named)."""

    code = "identity-mismatch"
    title = "The details do not match the population register"

    def __init__(self) -> None:
        super().__init__(
            MISMATCH_MESSAGE,
            errors=[{"field": "identity", "message": MISMATCH_MESSAGE, "in": "body"}],
        )


class RegisterUnavailable(ServiceUnavailable):
    """DILANDACINTA could not answer (down, slow, an error, or it refused the gateway)."""

    def __init__(self) -> None:
        super().__init__(UNAVAILABLE_MESSAGE, headers={"Retry-After": "30"})


@dataclass(frozen=True)
class RegisterProofing:
    """Asks the population register whether a registration is a real resident.

    ``sign_token`` returns a fresh access token of the gateway's own machine client.
    """

    http: httpx.AsyncClient
    base_url: str
    sign_token: Callable[[], str]
    timeout_seconds: float

    async def __call__(self, data: CitizenRegistration, account_sub: str) -> None:
        """Return when the register matches; raise a problem otherwise (see the module doc)."""
        response = await self._ask(data, account_sub)
        if response.status_code == 200:
            if _is_match(response):
                return
            logger.info("registration refused: no match in the population register")
            raise IdentityMismatch()
        if response.status_code == 429:
            retry_after = response.headers.get("retry-after", "")
            if not retry_after.isdigit():
                retry_after = DEFAULT_RETRY_AFTER
            raise TooManyRequests(
                "Terlalu banyak percobaan pendaftaran; coba lagi nanti. / Too many registration "
                "attempts; please try again later.",
                headers={"Retry-After": retry_after},
            )
        if response.status_code == 422:
            # Our schema is looser than the register's for some field: it cannot be a resident.
            logger.warning(
                "identity match refused the registration as malformed",
                extra={"fields": _error_fields(response)},
            )
            raise IdentityMismatch()
        logger.error("identity match failed", extra={"upstream_status": response.status_code})
        raise RegisterUnavailable()

    async def _ask(self, data: CitizenRegistration, account_sub: str) -> httpx.Response:
        body = {
            "nik": data.nik,
            "no_kk": data.no_kk,
            "full_name": data.full_name,
            "birth_date": data.birth_date.isoformat(),
            "account_sub": account_sub,
        }
        headers = {"Authorization": "Bearer " + self.sign_token()}
        request_id = request_id_var.get()
        if request_id:
            headers["X-Request-ID"] = request_id
        timeout = httpx.Timeout(self.timeout_seconds, connect=min(1.0, self.timeout_seconds))
        try:
            return await self.http.post(
                self.base_url.rstrip("/") + MATCH_PATH, json=body, headers=headers, timeout=timeout
            )
        except httpx.HTTPError as exc:
            # The exception text holds only the URL; never the body.
            logger.error("identity match unreachable", extra={"error": type(exc).__name__})
            raise RegisterUnavailable() from exc


def _is_match(response: httpx.Response) -> bool:
    try:
        answer: Any = response.json()
    except ValueError as exc:
        logger.error("identity match answered something that is not JSON")
        raise RegisterUnavailable() from exc
    if not isinstance(answer, dict) or not isinstance(answer.get("match"), bool):
        logger.error("identity match answered without a boolean 'match'")
        raise RegisterUnavailable()
    return bool(answer["match"])


def _error_fields(response: httpx.Response) -> list[str]:
    try:
        errors = response.json().get("errors") or []
        return sorted({str(e.get("field")) for e in errors if isinstance(e, dict)})
    except (ValueError, AttributeError):
        return []


def for_gateway(state: IdentityState, http: httpx.AsyncClient) -> RegisterProofing | None:
    """The register check as the gateway runs it (its own client token); None when unconfigured."""
    settings = state.settings
    if not settings.dilandacinta_url:
        return None
    return RegisterProofing(
        http=http,
        base_url=settings.dilandacinta_url,
        sign_token=lambda: oauth.gateway_client_token(
            state, client_id=GATEWAY_CLIENT_ID, scope=MATCH_SCOPE
        ),
        timeout_seconds=settings.dilandacinta_timeout_seconds,
    )
