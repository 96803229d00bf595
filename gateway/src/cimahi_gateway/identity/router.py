"""POLAKAMI's HTTP surface: OpenID discovery, JWKS, token, authorize, userinfo, revoke, register."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from cimahi_gateway.identity import oauth, pages, proofing, service
from cimahi_gateway.identity.schemas import (
    AccountRead,
    CitizenRegistration,
    OAuthErrorBody,
    OfficerCreate,
    TokenResponse,
    UserInfo,
)
from cimahi_gateway.identity.service import IdentityState
from cimahi_gateway.problems import problem
from cimahi_shared.app import RuntimeDep, SessionDep
from cimahi_shared.auth import CurrentPrincipal, Principal
from cimahi_shared.errors import Forbidden, TooManyRequests

router = APIRouter(tags=["identity (POLAKAMI)"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
OAUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": OAuthErrorBody, "description": "OAuth error (RFC 6749 section 5.2)"},
    401: {"model": OAuthErrorBody, "description": "Client authentication failed"},
    429: {"description": "Too many failed logins (problem+json, Retry-After)"},
}
OptionalForm = Annotated[str | None, Form()]
OptionalQuery = Annotated[str | None, Query()]


def get_identity(runtime: RuntimeDep) -> IdentityState:
    """The running identity provider."""
    return service.identity_state(runtime)


IdentityDep = Annotated[IdentityState, Depends(get_identity)]


async def require_admin(principal: CurrentPrincipal) -> Principal:
    """A platform administrator."""
    if not principal.is_admin:
        raise Forbidden("Only platform administrators can do this.")
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _oauth_error(exc: oauth.OAuthError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status, headers={**NO_STORE, **exc.headers})


def _url(state: IdentityState, path: str) -> str:
    return state.settings.public_url.rstrip("/") + path


@router.get("/.well-known/openid-configuration")
async def openid_configuration(state: IdentityDep) -> JSONResponse:
    """OpenID Connect discovery document of POLAKAMI."""
    document = {
        "issuer": state.settings.token_issuer,
        "authorization_endpoint": _url(state, "/oauth/authorize"),
        "token_endpoint": _url(state, "/oauth/token"),
        "userinfo_endpoint": _url(state, "/oauth/userinfo"),
        "jwks_uri": _url(state, "/.well-known/jwks.json"),
        "revocation_endpoint": _url(state, "/oauth/revoke"),
        "scopes_supported": list(oauth.USER_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(oauth.GRANT_TYPES),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "token_endpoint_auth_methods_supported": [
            "none",
            "client_secret_basic",
            "client_secret_post",
        ],
        "revocation_endpoint_auth_methods_supported": [
            "none",
            "client_secret_basic",
            "client_secret_post",
        ],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "name",
            "preferred_username",
            "email",
            "phone_number",
            "role",
            "agency",
            "area",
            "position",
            "nik_masked",
        ],
        "authorization_response_iss_parameter_supported": True,
    }
    return JSONResponse(document, headers={"Cache-Control": "public, max-age=300"})


@router.get("/.well-known/jwks.json")
async def jwks(state: IdentityDep) -> JSONResponse:
    """The public keys that verify POLAKAMI's tokens (JWK Set)."""
    return JSONResponse(state.keyring.jwks(), headers={"Cache-Control": "public, max-age=300"})


@router.post("/oauth/token", response_model=TokenResponse, responses=OAUTH_ERRORS)
async def token(
    request: Request,
    session: SessionDep,
    state: IdentityDep,
    grant_type: OptionalForm = None,
    scope: OptionalForm = None,
    username: OptionalForm = None,
    password: OptionalForm = None,
    code: OptionalForm = None,
    redirect_uri: OptionalForm = None,
    code_verifier: OptionalForm = None,
    refresh_token: OptionalForm = None,
    client_id: OptionalForm = None,
    client_secret: OptionalForm = None,
) -> Response:
    """Issue tokens: password, authorization_code (PKCE), refresh_token, client_credentials."""
    form = oauth.TokenRequest(
        grant_type=grant_type,
        scope=scope,
        username=username,
        password=password,
        code=code,
        redirect_uri=redirect_uri,
        code_verifier=code_verifier,
        refresh_token=refresh_token,
    )
    try:
        presented = oauth.presented_client(
            request.headers.get("authorization"), client_id, client_secret
        )
        result = await oauth.exchange(
            session, state=state, form=form, presented=presented, address=_address(request)
        )
    except oauth.OAuthError as exc:
        # Returned, not raised: the session commits a burnt code or a revoked token family.
        return _oauth_error(exc)
    return JSONResponse(result.model_dump(exclude_none=True), headers=NO_STORE)


@router.post("/oauth/revoke", responses=OAUTH_ERRORS)
async def revoke(
    request: Request,
    session: SessionDep,
    state: IdentityDep,
    token: OptionalForm = None,
    token_type_hint: OptionalForm = None,
    client_id: OptionalForm = None,
    client_secret: OptionalForm = None,
) -> Response:
    """Revoke a refresh token and every token rotated from the same login (RFC 7009)."""
    del token_type_hint  # only refresh tokens can be revoked; the hint changes nothing
    try:
        presented = oauth.presented_client(
            request.headers.get("authorization"), client_id, client_secret
        )
        await oauth.revoke(session, state=state, presented=presented, token=token)
    except oauth.OAuthError as exc:
        return _oauth_error(exc)
    return Response(status_code=200, headers=NO_STORE)


_HTML = {"text/html": {"schema": {"type": "string"}}}
_REDIRECT: dict[str, Any] = {
    "description": "Back to the client's redirect URI (a code, or an OAuth error), in Location",
    "headers": {"Location": {"schema": {"type": "string"}, "required": True}},
}
AUTHORIZE_FORM: dict[int | str, dict[str, Any]] = {
    303: _REDIRECT,
    400: {"description": "An invalid client or redirect URI: an error page", "content": _HTML},
}
AUTHORIZE_LOGIN: dict[int | str, dict[str, Any]] = {
    **AUTHORIZE_FORM,
    429: {"description": "Too many failed logins: the form again, Retry-After", "content": _HTML},
}


def _authorize_params(**params: str | None) -> dict[str, str]:
    return {k: v for k, v in params.items() if v is not None}


@router.get("/oauth/authorize", response_class=HTMLResponse, responses=AUTHORIZE_FORM)
async def authorize_form(
    state: IdentityDep,
    response_type: OptionalQuery = None,
    client_id: OptionalQuery = None,
    redirect_uri: OptionalQuery = None,
    scope: OptionalQuery = None,
    state_: Annotated[str | None, Query(alias="state")] = None,
    code_challenge: OptionalQuery = None,
    code_challenge_method: OptionalQuery = None,
    nonce: OptionalQuery = None,
) -> Response:
    """Show the login form of an authorization request (response_type=code, PKCE S256)."""
    params = _authorize_params(
        response_type=response_type,
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=scope,
        state=state_,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        nonce=nonce,
    )
    try:
        request = oauth.validate_authorize(state.settings, params)
    except oauth.AuthorizePageError as exc:
        return HTMLResponse(pages.error_page(exc.detail or ""), 400, headers=pages.SECURITY_HEADERS)
    except oauth.AuthorizeRedirectError as exc:
        return RedirectResponse(exc.location, status_code=303, headers=pages.SECURITY_HEADERS)
    html = pages.login_page(
        action="/oauth/authorize", fields=request.hidden_fields(), client_id=request.client_id
    )
    return HTMLResponse(html, headers=pages.SECURITY_HEADERS)


@router.post("/oauth/authorize", response_class=HTMLResponse, responses=AUTHORIZE_LOGIN)
async def authorize_login(
    request: Request,
    session: SessionDep,
    state: IdentityDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    response_type: OptionalForm = None,
    client_id: OptionalForm = None,
    redirect_uri: OptionalForm = None,
    scope: OptionalForm = None,
    state_: Annotated[str | None, Form(alias="state")] = None,
    code_challenge: OptionalForm = None,
    code_challenge_method: OptionalForm = None,
    nonce: OptionalForm = None,
) -> Response:
    """Check the login and redirect back to the client with a single-use code and the state."""
    params = _authorize_params(
        response_type=response_type,
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=scope,
        state=state_,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        nonce=nonce,
    )
    try:
        authz = oauth.validate_authorize(state.settings, params)
    except oauth.AuthorizePageError as exc:
        return HTMLResponse(pages.error_page(exc.detail or ""), 400, headers=pages.SECURITY_HEADERS)
    except oauth.AuthorizeRedirectError as exc:
        return RedirectResponse(exc.location, status_code=303, headers=pages.SECURITY_HEADERS)

    def form_again(error: str, status: int, headers: dict[str, str] | None = None) -> Response:
        html = pages.login_page(
            action="/oauth/authorize",
            fields=authz.hidden_fields(),
            client_id=authz.client_id,
            username=username,
            error=error,
        )
        return HTMLResponse(html, status, headers={**pages.SECURITY_HEADERS, **(headers or {})})

    try:
        user = await oauth.authenticate_user(
            session,
            pii=state.pii,
            limiter=state.limiter,
            identifier=username,
            password=password,
            address=_address(request),
        )
    except TooManyRequests as exc:
        return form_again("Terlalu banyak percobaan gagal. Coba lagi nanti.", 429, exc.headers)
    if user is None:
        return form_again("NIK/nama pengguna atau kata sandi salah.", 200)
    location = await oauth.issue_code(session, state=state, request=authz, user=user)
    return RedirectResponse(location, status_code=303, headers=pages.SECURITY_HEADERS)


@router.get("/oauth/userinfo", response_model=UserInfo, response_model_exclude_none=True)
async def userinfo(
    principal: CurrentPrincipal, session: SessionDep, runtime: RuntimeDep
) -> UserInfo:
    """OpenID Connect UserInfo: who the bearer token belongs to (NIK masked, citizens only)."""
    return await service.user_info(session, principal=principal, pii=runtime.pii)


@router.get("/api/v1/me", response_model=UserInfo, response_model_exclude_none=True)
async def me(principal: CurrentPrincipal, session: SessionDep, runtime: RuntimeDep) -> UserInfo:
    """The calling account (the same claims as the OpenID UserInfo endpoint)."""
    return await service.user_info(session, principal=principal, pii=runtime.pii)


async def register_proofing(
    state: IdentityDep, runtime: RuntimeDep
) -> proofing.RegisterProofing | None:
    """The population-register check of registrations, when DILANDACINTA is configured."""
    return proofing.for_gateway(state, runtime.http)


ProofingDep = Annotated[proofing.RegisterProofing | None, Depends(register_proofing)]
REGISTER_ERRORS: dict[int | str, dict[str, Any]] = {
    409: {"description": "An account with these details already exists"},
    422: {"description": "Invalid fields, or no match in the population register"},
    429: {"description": "Too many attempts for this NIK (problem+json, Retry-After)"},
    503: {"description": "The population register cannot be checked right now"},
}


@router.post(
    "/api/v1/auth/register", response_model=AccountRead, status_code=201, responses=REGISTER_ERRORS
)
async def register(
    data: CitizenRegistration, session: SessionDep, runtime: RuntimeDep, proof: ProofingDep
) -> AccountRead:
    """Register a citizen account; when configured, it must match the population register."""
    user = await service.register_citizen(session, data=data, pii=runtime.pii, proof=proof)
    return service.account_read(user, runtime.pii)


@router.post(
    "/api/v1/admin/officers",
    response_model=AccountRead,
    status_code=201,
    responses={409: problem("An account with this username already exists")},
)
async def create_officer(
    data: OfficerCreate, admin: AdminDep, session: SessionDep, runtime: RuntimeDep
) -> AccountRead:
    """Create an officer account (administrators only): agency, area and optional position."""
    del admin
    user = await service.create_officer(
        session,
        username=data.username,
        password=data.password.get_secret_value(),
        full_name=data.full_name,
        agency=data.agency,
        area=data.area,
        position=data.position,
    )
    return service.account_read(user, runtime.pii)
