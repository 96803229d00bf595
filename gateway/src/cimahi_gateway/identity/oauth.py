"""The OAuth 2.0 / OpenID Connect flows of POLAKAMI: token grants, authorization codes, revocation.

Client kinds:
- first-party public clients (``settings.first_party_clients``: client id -> redirect URIs) use
  the password grant, authorization code + PKCE (S256) and refresh tokens;
- machine clients (database, secret) use client_credentials only.

Errors are ``OAuthError``s; the token endpoint turns them into RFC 6749 responses *without*
raising, so that their security side effects (a burnt code, a revoked token family) commit.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.identity import repository
from cimahi_gateway.identity.models import AuthorizationCode, MachineClient, RefreshToken, User
from cimahi_gateway.identity.passwords import hash_password, needs_rehash, verify_password
from cimahi_gateway.identity.ratelimit import LoginRateLimiter
from cimahi_gateway.identity.schemas import TokenResponse, normalize_email, normalize_phone
from cimahi_gateway.identity.service import IdentityState, hash_client_secret
from cimahi_shared.db import utcnow
from cimahi_shared.errors import ProblemError
from cimahi_shared.pii import PiiCipher

USER_SCOPES = ("openid", "profile", "email", "phone")
DEFAULT_USER_SCOPE = "openid profile"
GRANT_TYPES = ("authorization_code", "password", "refresh_token", "client_credentials")
REFRESH_TOKEN_PREFIX = "cimahi_rt_"
_PKCE_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_PKCE_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_NIK_LIKE = re.compile(r"^\d{16}$")
_PHONE_LIKE = re.compile(r"^\+?[\d\s\-().]{8,20}$")
STATE_MAX = 1024
NONCE_MAX = 255


class OAuthError(ProblemError):
    """An OAuth 2.0 error (RFC 6749 section 5.2): ``error`` code plus a description."""

    status, code, title = 400, "oauth-error", "OAuth request refused"

    def __init__(self, error: str, description: str, *, status: int = 400, **kwargs: Any) -> None:
        super().__init__(description, **kwargs)
        self.error = error
        self.status = status

    def body(self) -> dict[str, str]:
        """The RFC 6749 JSON body."""
        return {"error": self.error, "error_description": self.detail or self.error}


def _invalid_grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


def _sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _b64url_sha256(value: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(value.encode()).digest()).rstrip(b"=").decode()


# --- clients ---


@dataclass(frozen=True)
class PresentedClient:
    """The client credentials a request carried (header or body)."""

    client_id: str | None
    client_secret: str | None
    method: Literal["client_secret_basic", "client_secret_post", "none"]


@dataclass(frozen=True)
class Client:
    """An authenticated client."""

    client_id: str
    kind: Literal["first_party", "machine"]
    redirect_uris: tuple[str, ...] = ()
    scopes: frozenset[str] = frozenset()
    name: str | None = None


def presented_client(
    authorization: str | None, client_id: str | None, client_secret: str | None
) -> PresentedClient:
    """Read the client credentials: HTTP Basic (client_secret_basic) or the form body."""
    if authorization and authorization.lower().startswith("basic "):
        if client_secret is not None:
            raise OAuthError("invalid_request", "Use one client authentication method only.")
        try:
            raw = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise OAuthError(
                "invalid_client", "Malformed Basic credentials.", status=401, headers=_BASIC
            ) from exc
        basic_id, sep, basic_secret = raw.partition(":")
        if not sep:
            raise OAuthError(
                "invalid_client", "Malformed Basic credentials.", status=401, headers=_BASIC
            )
        basic_id, basic_secret = unquote_plus(basic_id), unquote_plus(basic_secret)
        if client_id is not None and client_id != basic_id:
            raise OAuthError("invalid_request", "client_id does not match the Basic credentials.")
        return PresentedClient(basic_id, basic_secret, "client_secret_basic")
    if client_secret is not None:
        return PresentedClient(client_id, client_secret, "client_secret_post")
    return PresentedClient(client_id, None, "none")


_BASIC = {"WWW-Authenticate": 'Basic realm="polakami"'}


async def authenticate_client(
    session: AsyncSession, *, settings: GatewaySettings, presented: PresentedClient
) -> Client:
    """A first-party public client by id, or a machine client by id and secret."""
    headers = _BASIC if presented.method == "client_secret_basic" else None
    failure = OAuthError(
        "invalid_client", "Client authentication failed.", status=401, headers=headers
    )
    if not presented.client_id:
        raise failure
    if presented.client_secret is None:
        uris = settings.first_party_clients.get(presented.client_id)
        if uris is None:
            raise failure
        return Client(presented.client_id, "first_party", redirect_uris=tuple(uris))
    machine = await repository.find_client(session, presented.client_id)
    if machine is None or machine.revoked_at is not None:
        hash_client_secret(presented.client_secret)  # same work either way
        raise failure
    if not hmac.compare_digest(machine.secret_hash, hash_client_secret(presented.client_secret)):
        raise failure
    return _machine(machine)


def _machine(machine: MachineClient) -> Client:
    return Client(machine.client_id, "machine", scopes=machine.scope_set, name=machine.name)


# --- users ---


async def find_login(session: AsyncSession, *, pii: PiiCipher, identifier: str) -> User | None:
    """The account a login name points at: NIK, email, phone number or officer username."""
    value = identifier.strip()
    if _NIK_LIKE.fullmatch(value):
        return await repository.find_user_by_nik_hash(session, pii.lookup_hash(value))
    if "@" in value:
        return await repository.find_user_by_email(session, normalize_email(value))
    if _PHONE_LIKE.fullmatch(value):
        return await repository.find_user_by_phone(session, normalize_phone(value))
    return await repository.find_user_by_username(session, value.lower())


async def authenticate_user(
    session: AsyncSession,
    *,
    pii: PiiCipher,
    limiter: LoginRateLimiter,
    identifier: str,
    password: str,
    address: str,
) -> User | None:
    """The account when the password is right; None otherwise (unknown or wrong alike).

    Raises 429 when the account or the client address has too many recent failures.
    """
    user = await find_login(session, pii=pii, identifier=identifier)
    # Unknown names are limited too, keyed by a hash so raw NIKs do not sit in memory.
    account = user.id if user is not None else "?" + _sha256_hex(identifier.strip().lower())
    limiter.check(account=account, address=address)
    password_hash = user.password_hash if user is not None and user.is_active else None
    ok = await verify_password(password_hash, password)
    if not ok or user is None:
        limiter.failed(account=account, address=address)
        return None
    limiter.succeeded(account=account)
    if needs_rehash(user.password_hash):
        await repository.set_password_hash(
            session, user_id=user.id, password_hash=await hash_password(password)
        )
    return user


# --- scopes ---


def parse_user_scope(scope: str | None) -> str:
    """The scopes a user token may carry (unknown scopes are refused)."""
    requested = (scope or DEFAULT_USER_SCOPE).split()
    unknown = sorted(set(requested) - set(USER_SCOPES))
    if unknown:
        raise OAuthError("invalid_scope", f"Unknown scope: {' '.join(unknown)}.")
    return " ".join(s for s in USER_SCOPES if s in requested)


# --- tokens ---


def _access_claims(
    settings: GatewaySettings,
    *,
    sub: str,
    role: str,
    name: str | None,
    scope: str,
    client_id: str,
    agency: str | None = None,
    area: str | None = None,
    position: str | None = None,
    now: datetime,
    ttl_seconds: int | None = None,
) -> dict[str, Any]:
    iat = int(now.timestamp())
    ttl = settings.access_token_ttl_seconds if ttl_seconds is None else ttl_seconds
    claims: dict[str, Any] = {
        "iss": settings.token_issuer,
        "aud": settings.token_audience,
        "sub": sub,
        "role": role,
        "name": name,
        "scope": scope,
        "client_id": client_id,
        "typ": "access",
        "iat": iat,
        "exp": iat + ttl,
        "jti": str(ULID()),
    }
    if agency is not None:
        claims["agency"] = agency
    if area is not None:
        claims["area"] = area
    if position is not None:
        claims["position"] = position
    return claims


def gateway_client_token(
    state: IdentityState, *, client_id: str, scope: str, ttl_seconds: int = 60
) -> str:
    """A short-lived access token of the gateway's own machine client, for its calls to services.

    Signed with the gateway's keys like any client_credentials token, so services verify it
    with the JWKS they already trust: there is no client secret to configure.
    """
    claims = _access_claims(
        state.settings,
        sub=client_id,
        role="client",
        name="API gateway",
        scope=scope,
        client_id=client_id,
        now=utcnow(),
        ttl_seconds=ttl_seconds,
    )
    return state.keyring.sign(claims, typ="at+jwt")


def _id_token(
    state: IdentityState,
    *,
    user: User,
    client_id: str,
    scope: str,
    auth_time: datetime,
    nonce: str | None,
    now: datetime,
) -> str:
    settings = state.settings
    iat = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": settings.token_issuer,
        "sub": user.id,
        "aud": client_id,
        "azp": client_id,
        "iat": iat,
        "exp": iat + settings.access_token_ttl_seconds,
        "auth_time": int(auth_time.timestamp()),
        "role": user.role,
    }
    if nonce:
        claims["nonce"] = nonce
    granted = scope.split()
    if "profile" in granted:
        claims["name"] = user.full_name
        if user.username:
            claims["preferred_username"] = user.username
    if "email" in granted and user.email:
        claims["email"] = user.email
    if "phone" in granted and user.phone:
        claims["phone_number"] = user.phone
    return state.keyring.sign(claims)


async def _user_tokens(
    session: AsyncSession,
    state: IdentityState,
    *,
    user: User,
    client_id: str,
    scope: str,
    family_id: str,
    auth_time: datetime,
    nonce: str | None = None,
) -> TokenResponse:
    """Access token, a new refresh token in ``family_id`` and (with ``openid``) an ID token."""
    settings = state.settings
    now = utcnow()
    access = state.keyring.sign(
        _access_claims(
            settings,
            sub=user.id,
            role=user.role,
            name=user.full_name,
            scope=scope,
            client_id=client_id,
            agency=user.agency if user.role == "officer" else None,
            area=user.area if user.role == "officer" else None,
            position=user.position if user.role == "officer" else None,
            now=now,
        ),
        typ="at+jwt",
    )
    refresh = REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(32)
    await repository.add_refresh_token(
        session,
        RefreshToken(
            id=str(ULID()),
            token_hash=_sha256_hex(refresh),
            family_id=family_id,
            user_id=user.id,
            client_id=client_id,
            scope=scope,
            auth_time=auth_time,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.refresh_token_ttl_seconds),
        ),
    )
    id_token = None
    if "openid" in scope.split():
        id_token = _id_token(
            state,
            user=user,
            client_id=client_id,
            scope=scope,
            auth_time=auth_time,
            nonce=nonce,
            now=now,
        )
    return TokenResponse(
        access_token=access,
        expires_in=settings.access_token_ttl_seconds,
        scope=scope,
        refresh_token=refresh,
        id_token=id_token,
    )


@dataclass(frozen=True)
class TokenRequest:
    """The form parameters of ``POST /oauth/token``."""

    grant_type: str | None = None
    scope: str | None = None
    username: str | None = None
    password: str | None = None
    code: str | None = None
    redirect_uri: str | None = None
    code_verifier: str | None = None
    refresh_token: str | None = None


async def exchange(
    session: AsyncSession,
    *,
    state: IdentityState,
    form: TokenRequest,
    presented: PresentedClient,
    address: str,
) -> TokenResponse:
    """Run one token grant for an authenticated client."""
    if not form.grant_type:
        raise OAuthError("invalid_request", "grant_type is required.")
    if form.grant_type not in GRANT_TYPES:
        raise OAuthError("unsupported_grant_type", f"Unsupported grant_type {form.grant_type!r}.")
    client = await authenticate_client(session, settings=state.settings, presented=presented)
    if form.grant_type == "client_credentials":
        return _client_credentials(state, client=client, scope=form.scope)
    if client.kind != "first_party":
        raise OAuthError("unauthorized_client", "This client may only use client_credentials.")
    if form.grant_type == "password":
        return await _password_grant(session, state, client=client, form=form, address=address)
    if form.grant_type == "authorization_code":
        return await _authorization_code_grant(session, state, client=client, form=form)
    return await _refresh_grant(session, state, client=client, form=form)


def _client_credentials(
    state: IdentityState, *, client: Client, scope: str | None
) -> TokenResponse:
    if client.kind != "machine":
        raise OAuthError("unauthorized_client", "client_credentials needs a machine client.")
    requested = set(scope.split()) if scope else set(client.scopes)
    if not requested <= client.scopes:
        raise OAuthError(
            "invalid_scope",
            f"Scope not allowed for this client: {' '.join(sorted(requested - client.scopes))}.",
        )
    granted = " ".join(sorted(requested))
    settings = state.settings
    access = state.keyring.sign(
        _access_claims(
            settings,
            sub=client.client_id,
            role="client",
            name=client.name,
            scope=granted,
            client_id=client.client_id,
            now=utcnow(),
        ),
        typ="at+jwt",
    )
    return TokenResponse(
        access_token=access, expires_in=settings.access_token_ttl_seconds, scope=granted
    )


async def _password_grant(
    session: AsyncSession, state: IdentityState, *, client: Client, form: TokenRequest, address: str
) -> TokenResponse:
    if not form.username or form.password is None:
        raise OAuthError("invalid_request", "username and password are required.")
    scope = parse_user_scope(form.scope)
    user = await authenticate_user(
        session,
        pii=state.pii,
        limiter=state.limiter,
        identifier=form.username,
        password=form.password,
        address=address,
    )
    if user is None:
        raise _invalid_grant("The username or password is incorrect.")
    return await _user_tokens(
        session,
        state,
        user=user,
        client_id=client.client_id,
        scope=scope,
        family_id=str(ULID()),
        auth_time=utcnow(),
    )


def pkce_matches(verifier: str, challenge: str) -> bool:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) == challenge."""
    if not _PKCE_VERIFIER.fullmatch(verifier):
        return False
    return hmac.compare_digest(_b64url_sha256(verifier), challenge)


async def _authorization_code_grant(
    session: AsyncSession, state: IdentityState, *, client: Client, form: TokenRequest
) -> TokenResponse:
    if not form.code or not form.redirect_uri or not form.code_verifier:
        raise OAuthError("invalid_request", "code, redirect_uri and code_verifier are required.")
    code_hash = _sha256_hex(form.code)
    row = await repository.get_authorization_code(session, code_hash)
    if row is None:
        raise _invalid_grant("The authorization code is invalid.")
    now = utcnow()
    if not await repository.mark_code_used(session, code_hash=code_hash, at=now):
        # A replayed code: whoever redeemed it first may be an attacker, so revoke what it gave.
        await repository.revoke_refresh_family(session, family_id=row.family_id, at=now)
        raise _invalid_grant("The authorization code has already been used.")
    if row.client_id != client.client_id or row.redirect_uri != form.redirect_uri:
        raise _invalid_grant("The authorization code was issued to another client or redirect_uri.")
    if row.expires_at <= now:
        raise _invalid_grant("The authorization code has expired.")
    if not pkce_matches(form.code_verifier, row.code_challenge):
        raise _invalid_grant("The code_verifier does not match the code_challenge.")
    user = await repository.get_user(session, row.user_id)
    if user is None or not user.is_active:
        raise _invalid_grant("The account is not available.")
    return await _user_tokens(
        session,
        state,
        user=user,
        client_id=client.client_id,
        scope=row.scope,
        family_id=row.family_id,
        auth_time=row.auth_time,
        nonce=row.nonce,
    )


async def _refresh_grant(
    session: AsyncSession, state: IdentityState, *, client: Client, form: TokenRequest
) -> TokenResponse:
    if not form.refresh_token:
        raise OAuthError("invalid_request", "refresh_token is required.")
    row = await repository.find_refresh_token(session, _sha256_hex(form.refresh_token))
    if row is None or row.client_id != client.client_id:
        raise _invalid_grant("The refresh token is invalid.")
    now = utcnow()
    if row.revoked_at is not None:
        raise _invalid_grant("The refresh token has been revoked.")
    if row.used_at is not None or not await repository.mark_refresh_token_used(
        session, token_id=row.id, at=now
    ):
        # Reuse of a rotated token means it leaked: end the whole login (RFC 9700, 4.14.2).
        await repository.revoke_refresh_family(session, family_id=row.family_id, at=now)
        raise _invalid_grant("The refresh token has already been used; the session is revoked.")
    if row.expires_at <= now:
        raise _invalid_grant("The refresh token has expired.")
    scope = row.scope
    if form.scope:
        narrower = set(form.scope.split())
        if not narrower <= set(row.scope.split()):
            raise OAuthError("invalid_scope", "A refresh cannot widen the granted scope.")
        scope = " ".join(s for s in USER_SCOPES if s in narrower)
    user = await repository.get_user(session, row.user_id)
    if user is None or not user.is_active:
        raise _invalid_grant("The account is not available.")
    return await _user_tokens(
        session,
        state,
        user=user,
        client_id=client.client_id,
        scope=scope,
        family_id=row.family_id,
        auth_time=row.auth_time,
    )


async def revoke(
    session: AsyncSession, *, state: IdentityState, presented: PresentedClient, token: str | None
) -> None:
    """RFC 7009: revoke a refresh token (and its family); unknown tokens are not an error."""
    client = await authenticate_client(session, settings=state.settings, presented=presented)
    if not token:
        raise OAuthError("invalid_request", "token is required.")
    row = await repository.find_refresh_token(session, _sha256_hex(token))
    if row is not None and row.client_id == client.client_id:
        await repository.revoke_refresh_family(session, family_id=row.family_id, at=utcnow())


# --- authorization endpoint ---


class AuthorizePageError(ProblemError):
    """An authorization request that must not redirect (unknown client or redirect URI)."""

    status, code, title = 400, "invalid-authorization-request", "Invalid authorization request"


class AuthorizeRedirectError(ProblemError):
    """An authorization error reported to the client by redirecting (RFC 6749 4.1.2.1)."""

    status, code, title = 303, "authorization-error", "Authorization refused"

    def __init__(self, location: str, error: str, description: str) -> None:
        super().__init__(description)
        self.location = location
        self.error = error


@dataclass(frozen=True)
class AuthorizeRequest:
    """A validated authorization request (response_type=code with PKCE S256)."""

    client_id: str
    redirect_uri: str
    scope: str
    state: str
    code_challenge: str
    nonce: str | None = None

    def hidden_fields(self) -> dict[str, str]:
        """The parameters the login form carries back."""
        fields = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "state": self.state,
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256",
        }
        if self.nonce:
            fields["nonce"] = self.nonce
        return fields


def with_query(uri: str, params: dict[str, str]) -> str:
    """``uri`` with ``params`` added to its query string."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def validate_authorize(settings: GatewaySettings, params: dict[str, str]) -> AuthorizeRequest:
    """Check an authorization request; errors either stay on our page or redirect to the client."""
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    uris = settings.first_party_clients.get(client_id)
    if uris is None:
        raise AuthorizePageError("Unknown client_id.")
    if redirect_uri not in uris:
        raise AuthorizePageError("The redirect_uri is not registered for this client.")
    state = params.get("state", "")

    def refuse(error: str, description: str) -> AuthorizeRedirectError:
        reply = {"error": error, "error_description": description, "iss": settings.token_issuer}
        if state and len(state) <= STATE_MAX:
            reply["state"] = state
        return AuthorizeRedirectError(with_query(redirect_uri, reply), error, description)

    if params.get("response_type") != "code":
        raise refuse("unsupported_response_type", "Only response_type=code is supported.")
    if not state or len(state) > STATE_MAX:
        raise refuse("invalid_request", f"state is required (at most {STATE_MAX} characters).")
    if params.get("code_challenge_method") != "S256":
        raise refuse("invalid_request", "PKCE with code_challenge_method=S256 is required.")
    challenge = params.get("code_challenge", "")
    if not _PKCE_CHALLENGE.fullmatch(challenge):
        raise refuse("invalid_request", "code_challenge must be a base64url SHA-256 (43 chars).")
    nonce = params.get("nonce") or None
    if nonce is not None and len(nonce) > NONCE_MAX:
        raise refuse("invalid_request", f"nonce must be at most {NONCE_MAX} characters.")
    try:
        scope = parse_user_scope(params.get("scope") or None)
    except OAuthError as exc:
        raise refuse("invalid_scope", exc.detail or "invalid scope") from exc
    return AuthorizeRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=scope,
        state=state,
        code_challenge=challenge,
        nonce=nonce,
    )


async def issue_code(
    session: AsyncSession, *, state: IdentityState, request: AuthorizeRequest, user: User
) -> str:
    """Store a fresh single-use code for ``user`` and return the redirect location."""
    code = secrets.token_urlsafe(32)
    now = utcnow()
    await repository.add_authorization_code(
        session,
        AuthorizationCode(
            code_hash=_sha256_hex(code),
            client_id=request.client_id,
            redirect_uri=request.redirect_uri,
            user_id=user.id,
            scope=request.scope,
            code_challenge=request.code_challenge,
            nonce=request.nonce,
            family_id=str(ULID()),
            auth_time=now,
            expires_at=now + timedelta(seconds=state.settings.auth_code_ttl_seconds),
        ),
    )
    return with_query(
        request.redirect_uri,
        {"code": code, "state": request.state, "iss": state.settings.token_issuer},
    )
