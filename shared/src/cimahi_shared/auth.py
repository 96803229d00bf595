"""Access-token verification against the gateway's JWKS, and the caller as a ``Principal``.

Rules (RFC 8725): algorithms pinned, ``iss``/``aud``/``exp`` required and checked, keys looked up
only by ``kid`` in the trusted set, the JWKS re-fetched (rate-limited) on an unknown ``kid``.
Verified tokens are cached until they expire, so each token's signature is checked once.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Request
from jwt import PyJWK

from cimahi_shared.errors import Forbidden, ServiceUnavailable, Unauthorized

ALLOWED_ALGORITHMS = ("EdDSA", "ES256")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a citizen, an officer, an admin or a machine client."""

    sub: str
    role: str  # citizen | officer | admin | client
    agency: str | None = None
    area: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    client_id: str | None = None
    name: str | None = None
    expires_at: float = 0.0
    # An officer's position within the agency: "head" for the head of office (signs documents).
    position: str | None = None

    @property
    def is_citizen(self) -> bool:
        return self.role == "citizen"

    @property
    def is_officer(self) -> bool:
        return self.role == "officer"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        """Build from verified JWT claims."""
        scope = claims.get("scope", "")
        return cls(
            sub=str(claims["sub"]),
            role=str(claims.get("role", "citizen")),
            agency=claims.get("agency"),
            area=claims.get("area"),
            scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
            client_id=claims.get("client_id") or claims.get("azp"),
            name=claims.get("name"),
            expires_at=float(claims["exp"]),
            position=claims.get("position"),
        )


@dataclass(slots=True)
class TrustedIssuer:
    """An issuer whose tokens are accepted, with where its keys are published."""

    issuer: str
    jwks_url: str
    audience: str


class TokenVerifier:
    """Verifies access tokens from the trusted issuers; caches verified tokens until expiry."""

    def __init__(
        self,
        issuers: list[TrustedIssuer],
        *,
        http: httpx.AsyncClient | None = None,
        refetch_interval: float = 10.0,
        leeway: float = 5.0,
        cache_size: int = 100_000,
    ) -> None:
        self.issuers = {i.issuer: i for i in issuers}
        self._http = http
        self._keys: dict[str, dict[str, PyJWK]] = {}
        self._last_fetch: dict[str, float] = {}
        self._lock = asyncio.Lock()
        self.refetch_interval = refetch_interval
        self.leeway = leeway
        self._cache: dict[str, Principal] = {}
        self._cache_size = cache_size

    def set_local_keys(self, issuer: str, jwks: dict[str, Any]) -> None:
        """Install keys directly (the gateway trusts its own keys without an HTTP round trip)."""
        self._keys[issuer] = {k["kid"]: PyJWK.from_dict(k) for k in jwks.get("keys", [])}
        self._last_fetch[issuer] = time.monotonic()

    def cached(self, token: str) -> Principal | None:
        """A previously verified, unexpired token's principal (the fast path)."""
        principal = self._cache.get(token)
        if principal is not None and principal.expires_at > time.time():
            return principal
        return None

    async def verify(self, token: str) -> Principal:
        """Verify a token, raising ``Unauthorized`` (bad token) or ``ServiceUnavailable`` (no keys)."""
        principal = self.cached(token)
        if principal is not None:
            return principal
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise Unauthorized("The access token is malformed.") from exc
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise Unauthorized("The access token's algorithm is not accepted.")
        issuer = self.issuers.get(str(unverified.get("iss")))
        if issuer is None:
            raise Unauthorized("The access token's issuer is not trusted.")
        key = await self._key_for(issuer, str(header.get("kid", "")))
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                audience=issuer.audience,
                issuer=issuer.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The access token has expired.") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("The access token is invalid.") from exc
        # "Bearer" is how Keycloak-style external issuers (the city's POLAKAMI realm) mark access
        # tokens; their ID and refresh tokens ("ID", "Refresh") stay refused.
        if claims.get("typ", "access") not in ("access", "Bearer"):
            raise Unauthorized("Not an access token.")
        principal = Principal.from_claims(claims)
        if len(self._cache) >= self._cache_size:
            self._evict()
        self._cache[token] = principal
        return principal

    def _evict(self) -> None:
        now = time.time()
        for tok in [t for t, p in self._cache.items() if p.expires_at <= now]:
            del self._cache[tok]
        if len(self._cache) >= self._cache_size:
            self._cache.clear()

    async def _key_for(self, issuer: TrustedIssuer, kid: str) -> PyJWK:
        keys = self._keys.get(issuer.issuer, {})
        if kid in keys:
            return keys[kid]
        async with self._lock:
            keys = self._keys.get(issuer.issuer, {})
            if kid in keys:
                return keys[kid]
            last = self._last_fetch.get(issuer.issuer)
            if last is not None and time.monotonic() - last < self.refetch_interval:
                # Rate limit: an unknown kid must not make every request hit the JWKS endpoint.
                raise Unauthorized("The access token's key is unknown.")
            await self._fetch(issuer)
        keys = self._keys.get(issuer.issuer, {})
        if kid not in keys:
            raise Unauthorized("The access token's key is unknown.")
        return keys[kid]

    async def _fetch(self, issuer: TrustedIssuer) -> None:
        client = self._http or httpx.AsyncClient(timeout=3.0)
        try:
            response = await client.get(issuer.jwks_url)
            response.raise_for_status()
            jwks = response.json()
            if not isinstance(jwks, dict) or not isinstance(jwks.get("keys", []), list):
                raise ValueError("not a JWK set")
        except (httpx.HTTPError, ValueError) as exc:
            raise ServiceUnavailable(
                "The identity provider's keys cannot be fetched right now."
            ) from exc
        finally:
            if self._http is None:
                await client.aclose()
        keys: dict[str, PyJWK] = {}
        for k in jwks.get("keys", []):
            if isinstance(k, dict) and "kid" in k and k.get("use", "sig") == "sig":
                try:
                    keys[k["kid"]] = PyJWK.from_dict(k)
                except jwt.PyJWTError:
                    continue
        self._keys[issuer.issuer] = keys
        self._last_fetch[issuer.issuer] = time.monotonic()


def bearer_token(request: Request) -> str:
    """The bearer token of a request, or 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("A bearer access token is required.")
    return token.strip()


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the verified caller (the app keeps a ``TokenVerifier`` in ``state``)."""
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify(bearer_token(request))


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str) -> Any:
    """Dependency factory: the caller must have one of ``roles``."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise Forbidden("This action is not available to your role.")
        return principal

    return Depends(dependency)


HEAD_POSITION = "head"


def in_area(principal: Principal, region_code: str) -> bool:
    """Whether an officer's area (city, kecamatan or kelurahan code) covers a region code."""
    area = principal.area or ""
    if not area:
        return False
    return region_code == area or region_code.startswith(area + ".")


class AgencyRoles:
    """An agency service's role dependencies, with its own refusal messages.

    ``reader`` admits citizens, admins and this agency's officers (object-level rules apply in
    the service); ``officer`` admits only this agency's officers (other agencies' officers are
    strangers); ``citizen`` admits only citizens. Use them as ``Depends(roles.officer)``.
    ``is_head`` tells the head of the office (officer with position ``head``).
    """

    def __init__(self, agency: str, officer_label: str, reader_message: str) -> None:
        self.agency = agency
        self.officer_message = f"Only {officer_label} officers can do this."
        self.reader_message = reader_message

    def is_officer(self, principal: Principal) -> bool:
        """An officer of this agency."""
        return principal.is_officer and principal.agency == self.agency

    def is_head(self, principal: Principal) -> bool:
        """The head of this agency's office (signs and decides what only the head may)."""
        return self.is_officer(principal) and principal.position == HEAD_POSITION

    async def reader(self, principal: CurrentPrincipal) -> Principal:
        """A caller who may read this agency's records."""
        if principal.is_citizen or principal.is_admin or self.is_officer(principal):
            return principal
        raise Forbidden(self.reader_message)

    async def officer(self, principal: CurrentPrincipal) -> Principal:
        """An officer of this agency."""
        if not self.is_officer(principal):
            raise Forbidden(self.officer_message)
        return principal

    async def citizen(self, principal: CurrentPrincipal) -> Principal:
        """A citizen."""
        if not principal.is_citizen:
            raise Forbidden("Only citizens can do this.")
        return principal
