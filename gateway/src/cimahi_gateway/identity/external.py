"""External OpenID providers whose access tokens the gateway also accepts (by discovery URL)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import httpx

from cimahi_shared.auth import TokenVerifier, TrustedIssuer

logger = logging.getLogger("cimahi.identity.external")
DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
MAX_RETRY_SECONDS = 600.0


class DiscoveryError(Exception):
    """The discovery document could not be fetched or is not acceptable."""


async def discover(http: httpx.AsyncClient, url: str, *, audience: str) -> TrustedIssuer:
    """Fetch a discovery document and describe its issuer (OIDC Discovery 1.0, section 4)."""
    try:
        response = await http.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise DiscoveryError(f"cannot fetch {url}: {exc}") from exc
    if not isinstance(document, dict):
        raise DiscoveryError(f"{url} is not a JSON object")
    issuer, jwks_uri = document.get("issuer"), document.get("jwks_uri")
    if not isinstance(issuer, str) or not isinstance(jwks_uri, str) or not issuer or not jwks_uri:
        raise DiscoveryError(f"{url} lacks issuer or jwks_uri")
    # The issuer must be the URL the document was fetched from (section 4.3): otherwise one
    # provider could claim another's issuer.
    if url.endswith(DISCOVERY_SUFFIX) and issuer.rstrip("/") != url[
        : -len(DISCOVERY_SUFFIX)
    ].rstrip("/"):
        raise DiscoveryError(f"{url} names issuer {issuer!r}, which does not match its URL")
    if not jwks_uri.startswith(("https://", "http://")):
        raise DiscoveryError(f"{url} has a jwks_uri that is not an HTTP URL")
    return TrustedIssuer(issuer=issuer, jwks_url=jwks_uri, audience=audience)


async def register_issuers(
    http: httpx.AsyncClient, verifier: TokenVerifier, urls: Sequence[str], *, audience: str
) -> list[str]:
    """Trust every issuer that can be discovered now; returns the URLs that failed."""
    failed: list[str] = []
    for url in urls:
        try:
            trusted = await discover(http, url, audience=audience)
        except DiscoveryError as exc:
            logger.warning("external issuer not available yet, will retry: %s", exc)
            failed.append(url)
            continue
        verifier.issuers[trusted.issuer] = trusted
        logger.info("external issuer trusted: %s", trusted.issuer)
    return failed


async def retry_until_registered(
    http: httpx.AsyncClient,
    verifier: TokenVerifier,
    urls: Sequence[str],
    *,
    audience: str,
    delay: float,
) -> None:
    """Keep retrying the failed discoveries with doubling delays until all are trusted."""
    pending = list(urls)
    while pending and not http.is_closed:
        await asyncio.sleep(delay)
        if http.is_closed:
            return
        pending = await register_issuers(http, verifier, pending, audience=audience)
        delay = min(delay * 2, MAX_RETRY_SECONDS)
