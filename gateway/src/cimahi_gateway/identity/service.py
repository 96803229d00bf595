"""POLAKAMI's rules for accounts: citizen registration, officers, admins, machine clients, demo data.

Services never commit: the request's session (or the CLI) does. The OAuth/OIDC flows are in
``oauth``; this module also starts the identity part of the gateway (``on_start``/``on_stop``).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.identity import external, repository
from cimahi_gateway.identity.keys import KeyRing, load_keyring
from cimahi_gateway.identity.models import MachineClient, User
from cimahi_gateway.identity.passwords import hash_password
from cimahi_gateway.identity.ratelimit import LoginRateLimiter
from cimahi_gateway.identity.schemas import (
    PASSWORD_MAX,
    PASSWORD_MIN,
    AccountRead,
    CitizenRegistration,
    UserInfo,
)
from cimahi_shared import regions
from cimahi_shared.app import Runtime
from cimahi_shared.auth import Principal
from cimahi_shared.db import utcnow
from cimahi_shared.errors import Conflict, InvalidInput, ServiceUnavailable, Unauthorized
from cimahi_shared.identifiers import mask_nik
from cimahi_shared.pii import PiiCipher

STATE_KEY = "identity"
CLIENT_SECRET_PREFIX = "cimahi_cs_"
DEMO_PASSWORD = "Cimahi-Demo-2026"
_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{2,63}$")
_AGENCY = re.compile(r"^[a-z][a-z0-9-]{1,31}$")
_CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
_SCOPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._/-]{0,99}$")
_POSITION = re.compile(r"^[a-z][a-z0-9_-]{1,31}$")
# The whole city as an officer's area (city-wide agencies such as Disdukcapil).
CITY_AREA = regions.CITY_CODE
# Client ids the gateway uses for its own calls to services: never registrable by an admin.
RESERVED_CLIENT_IDS = frozenset({"gateway"})


# --- the running identity provider ---


@dataclass
class IdentityState:
    """What POLAKAMI holds while the gateway runs (kept in ``runtime.extras``)."""

    settings: GatewaySettings
    pii: PiiCipher
    keyring: KeyRing
    limiter: LoginRateLimiter
    background: set[asyncio.Task[None]] = field(default_factory=set)


def gateway_settings(runtime: Runtime) -> GatewaySettings:
    """The runtime's settings as the gateway's own."""
    settings = runtime.settings
    if not isinstance(settings, GatewaySettings):
        raise TypeError("the identity provider needs GatewaySettings")
    return settings


def identity_state(runtime: Runtime) -> IdentityState:
    """The started identity provider (503 before ``on_start`` ran)."""
    state = runtime.extras.get(STATE_KEY)
    if not isinstance(state, IdentityState):
        raise ServiceUnavailable("The identity provider is starting.")
    return state


async def on_start(runtime: Runtime) -> None:
    """Load (or create) the signing keys, trust them locally, and discover external issuers."""
    settings = gateway_settings(runtime)
    async with runtime.session_factory() as session:
        keyring = await load_keyring(
            session, pii=runtime.pii, retention_seconds=settings.signing_key_retention_seconds
        )
        await session.commit()
    runtime.verifier.set_local_keys(settings.token_issuer, keyring.jwks())
    state = IdentityState(
        settings=settings,
        pii=runtime.pii,
        keyring=keyring,
        limiter=LoginRateLimiter(
            max_per_account=settings.login_max_attempts_per_account,
            max_per_address=settings.login_max_attempts_per_address,
            window_seconds=settings.login_window_seconds,
        ),
    )
    runtime.extras[STATE_KEY] = state
    if settings.external_issuers:
        failed = await external.register_issuers(
            runtime.http,
            runtime.verifier,
            settings.external_issuers,
            audience=settings.token_audience,
        )
        if failed:
            task = asyncio.create_task(
                external.retry_until_registered(
                    runtime.http,
                    runtime.verifier,
                    failed,
                    audience=settings.token_audience,
                    delay=settings.external_issuer_retry_seconds,
                ),
                name="identity-external-issuers",
            )
            state.background.add(task)
            task.add_done_callback(state.background.discard)


async def on_stop(runtime: Runtime) -> None:
    """Stop the background discovery retries."""
    state = runtime.extras.get(STATE_KEY)
    if isinstance(state, IdentityState):
        for task in list(state.background):
            task.cancel()
        await asyncio.gather(*state.background, return_exceptions=True)


# --- regions ---


def area_codes() -> frozenset[str]:
    """Every area an officer may work in: the city, its kecamatan and kelurahan codes."""
    return regions.area_codes()


# --- accounts ---


def _field_error(name: str, message: str) -> dict[str, str]:
    return {"field": name, "message": message, "in": "body"}


def account_read(user: User, pii: PiiCipher) -> AccountRead:
    """An account as its owner may see it (identifiers masked)."""
    return AccountRead(
        id=user.id,
        role=user.role,  # type: ignore[arg-type]
        full_name=user.full_name,
        nik_masked=mask_nik(pii.decrypt(user.nik_encrypted)) if user.nik_encrypted else None,
        no_kk_masked=mask_nik(pii.decrypt(user.no_kk_encrypted)) if user.no_kk_encrypted else None,
        email=user.email,
        phone=user.phone,
        username=user.username,
        agency=user.agency,
        area=user.area,
        position=user.position,
        identity_verified=user.identity_verified_at is not None,
        created_at=user.created_at,
    )


async def _insert_unique(session: AsyncSession, user: User) -> User:
    try:
        return await repository.add_user(session, user)
    except IntegrityError as exc:
        # A concurrent registration won the race for one of the unique identifiers.
        raise Conflict("An account with these details already exists.") from exc


# Checks a registration against the population register (see ``proofing``): returns on a
# match, raises a problem otherwise. Called with the registration and the new account's id.
IdentityProof = Callable[[CitizenRegistration, str], Awaitable[None]]


async def register_citizen(
    session: AsyncSession,
    *,
    data: CitizenRegistration,
    pii: PiiCipher,
    proof: IdentityProof | None = None,
    user_id: str | None = None,
) -> User:
    """Create a citizen account; 409 (without saying which detail) when one already exists.

    With ``proof`` the details must match the population register and the account is
    identity-verified; without it the birth date must at least agree with the NIK. ``user_id``
    fixes the account's subject (the demo citizens'); a new ULID otherwise.
    """
    if data.email is None and data.phone is None:
        message = "give an email address or a phone number (or both)"
        raise InvalidInput(
            "An email address or a phone number is required.",
            errors=[_field_error("email", message), _field_error("phone", message)],
        )
    if proof is None and not data.birth_date_matches_nik():
        raise InvalidInput(
            "Invalid: birth_date",
            errors=[
                _field_error("birth_date", "birth date does not match the date encoded in the NIK")
            ],
        )
    nik_hash = pii.lookup_hash(data.nik)
    if await repository.account_exists(
        session, nik_hash=nik_hash, email=data.email, phone=data.phone
    ):
        raise Conflict("An account with these details already exists.")
    user_id = user_id or str(ULID())
    verified_at = None
    if proof is not None:
        await proof(data, user_id)
        verified_at = utcnow()
    user = User(
        id=user_id,
        role="citizen",
        full_name=data.full_name,
        email=data.email,
        phone=data.phone,
        nik_hash=nik_hash,
        nik_encrypted=pii.encrypt(data.nik),
        no_kk_hash=pii.lookup_hash(data.no_kk),
        no_kk_encrypted=pii.encrypt(data.no_kk),
        birth_date=data.birth_date,
        password_hash=await hash_password(data.password.get_secret_value()),
        identity_verified_at=verified_at,
        created_at=utcnow(),
    )
    return await _insert_unique(session, user)


def _check_staff_fields(*, username: str, password: str, full_name: str) -> list[dict[str, str]]:
    errors = []
    if not _USERNAME.fullmatch(username):
        errors.append(
            _field_error(
                "username",
                "3-64 characters: lowercase letters, digits, '.', '_' or '-', starting with a letter",
            )
        )
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        errors.append(
            _field_error("password", f"must be {PASSWORD_MIN}-{PASSWORD_MAX} characters long")
        )
    if not 2 <= len(full_name.strip()) <= 200:
        errors.append(_field_error("full_name", "must be 2-200 characters long"))
    return errors


async def _create_staff(
    session: AsyncSession,
    *,
    role: str,
    username: str,
    password: str,
    full_name: str,
    agency: str | None,
    area: str | None,
    errors: list[dict[str, str]],
    position: str | None = None,
) -> User:
    username = username.strip().lower()
    errors = _check_staff_fields(username=username, password=password, full_name=full_name) + errors
    if errors:
        raise InvalidInput("The account has invalid fields.", errors=errors)
    if await repository.account_exists(session, username=username):
        raise Conflict("An account with this username already exists.")
    user = User(
        id=str(ULID()),
        role=role,
        full_name=full_name.strip(),
        username=username,
        agency=agency,
        area=area,
        position=position,
        password_hash=await hash_password(password),
        created_at=utcnow(),
    )
    return await _insert_unique(session, user)


async def create_officer(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    full_name: str,
    agency: str,
    area: str,
    position: str | None = None,
    pii: PiiCipher | None = None,
) -> User:
    """Create an officer of ``agency`` working in the city, a kecamatan or a kelurahan (``area``).

    ``position`` is the officer's position within the agency (``"head"`` for the head of office);
    it travels in the access token. ``pii`` is accepted for symmetry with the other account
    functions; officers carry no NIK.
    """
    del pii
    agency, area = agency.strip().lower(), area.strip()
    position = (position or "").strip().lower() or None
    errors = []
    if not _AGENCY.fullmatch(agency):
        errors.append(_field_error("agency", "an agency code such as 'lakami'"))
    if area not in area_codes():
        errors.append(
            _field_error(
                "area",
                "the city (32.77), a kecamatan (32.77.01) or a kelurahan (32.77.01.1001) code"
                " of Kota Cimahi",
            )
        )
    if position is not None and not _POSITION.fullmatch(position):
        errors.append(
            _field_error("position", "2-32 lowercase letters, digits, '_' or '-', e.g. 'head'")
        )
    return await _create_staff(
        session,
        role="officer",
        username=username,
        password=password,
        full_name=full_name,
        agency=agency,
        area=area,
        position=position,
        errors=errors,
    )


async def create_admin(
    session: AsyncSession, *, username: str, password: str, full_name: str
) -> User:
    """Create a platform administrator."""
    return await _create_staff(
        session,
        role="admin",
        username=username,
        password=password,
        full_name=full_name,
        agency=None,
        area=None,
        errors=[],
    )


def hash_client_secret(secret: str) -> str:
    """Client secrets are 256-bit random, so a plain SHA-256 is a sufficient one-way hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_client_secret() -> str:
    """A fresh 256-bit client secret: shown to its owner once, stored only as its hash."""
    return CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)


async def create_client(
    session: AsyncSession, *, client_id: str, name: str, scopes: list[str]
) -> tuple[MachineClient, str]:
    """Create a machine client; returns it with its secret, which is shown only this once."""
    client_id = client_id.strip().lower()
    cleaned = sorted({s.strip() for s in scopes if s.strip()})
    errors = []
    if not _CLIENT_ID.fullmatch(client_id):
        errors.append(_field_error("client_id", "3-64 lowercase letters, digits, '.', '_' or '-'"))
    elif client_id in RESERVED_CLIENT_IDS:
        errors.append(_field_error("client_id", "reserved for the gateway's own calls"))
    if not 1 <= len(name.strip()) <= 200:
        errors.append(_field_error("name", "must be 1-200 characters long"))
    if not cleaned or not all(_SCOPE.fullmatch(s) for s in cleaned):
        errors.append(_field_error("scopes", "at least one scope such as 'requests:read'"))
    if errors:
        raise InvalidInput("The client has invalid fields.", errors=errors)
    if await repository.find_client(session, client_id) is not None:
        raise Conflict("A client with this id already exists.")
    secret = new_client_secret()
    client = MachineClient(
        id=str(ULID()),
        client_id=client_id,
        name=name.strip(),
        secret_hash=hash_client_secret(secret),
        scopes=" ".join(cleaned),
        created_at=utcnow(),
    )
    try:
        await repository.add_client(session, client)
    except IntegrityError as exc:
        raise Conflict("A client with this id already exists.") from exc
    return client, secret


# --- demo data ---


@dataclass(frozen=True)
class DemoLogin:
    """A demo account as the local runner prints it."""

    role: str
    username: str
    password: str
    description: str


DEMO_CITIZEN_SUBS = {
    "ani.lestari@example.com": "01JDEM0000000000000000ANA1",
    "budi.santoso@example.com": "01JDEM0000000000000000BVD1",
}
"""The demo citizens' fixed account subjects (valid ULIDs), by login."""


@dataclass(frozen=True)
class _DemoCitizen:
    nik: str
    no_kk: str
    full_name: str
    birth_date: date
    email: str
    phone: str
    description: str
    # The account's subject, fixed so that services' demo seeds can give the demo citizens their
    # data without asking the gateway (e.g. SIPINTER's demo businesses, cimahi_sipinter.demo, which
    # repeats these values). Only on a fresh platform: an existing account keeps its subject.
    sub: str


# Synthetic NIKs: Cimahi Selatan (3277 01) and Cimahi Utara (3277 03); Ani's day is 12 + 40.
_DEMO_CITIZENS = (
    _DemoCitizen(
        nik="3277015205900001",
        no_kk="3277011203150004",
        full_name="Ani Lestari",
        birth_date=date(1990, 5, 12),
        email="ani.lestari@example.com",
        phone="+6281200000001",
        description="citizen, kelurahan Melong (NIK 3277015205900001 also works)",
        sub=DEMO_CITIZEN_SUBS["ani.lestari@example.com"],
    ),
    _DemoCitizen(
        nik="3277030308850002",
        no_kk="3277032005100007",
        full_name="Budi Santoso",
        birth_date=date(1985, 8, 3),
        email="budi.santoso@example.com",
        phone="+6281200000002",
        description="citizen, kelurahan Cibabat (NIK 3277030308850002 also works)",
        sub=DEMO_CITIZEN_SUBS["budi.santoso@example.com"],
    ),
)


@dataclass(frozen=True)
class _DemoOfficer:
    username: str
    full_name: str
    agency: str
    area: str
    description: str
    position: str | None = None


_DEMO_OFFICERS = (
    _DemoOfficer(
        "petugas.melong",
        "Petugas Kelurahan Melong",
        "lakami",
        "32.77.01.1001",
        "LAKAMI officer, kelurahan Melong",
    ),
    _DemoOfficer(
        "petugas.cibabat",
        "Petugas Kelurahan Cibabat",
        "lakami",
        "32.77.03.1002",
        "LAKAMI officer, kelurahan Cibabat",
    ),
    # The kecamatan of Melong: approves letters that need the Camat after the kelurahan.
    _DemoOfficer(
        "petugas.kec.cimahiselatan",
        "Petugas Kecamatan Cimahi Selatan",
        "lakami",
        "32.77.01",
        "LAKAMI officer, kecamatan Cimahi Selatan (second level of two-level letters)",
    ),
    # Disdukcapil works city-wide: its officer verifies and processes, its head signs.
    _DemoOfficer(
        "petugas.disdukcapil",
        "Petugas Disdukcapil",
        "dilandacinta",
        CITY_AREA,
        "DILANDACINTA officer, the whole city (verifies and processes applications)",
    ),
    _DemoOfficer(
        "kadis.disdukcapil",
        "Kepala Disdukcapil",
        "dilandacinta",
        CITY_AREA,
        "DILANDACINTA head of Dinas, the whole city (signs documents)",
        position="head",
    ),
    # Bapenda (property tax, E-PBB) works city-wide: its officer reads objects and bills and
    # verifies taxpayer requests; its head (Kepala Badan) decides objections.
    _DemoOfficer(
        "petugas.bapenda",
        "Petugas Bapenda",
        "epbb",
        CITY_AREA,
        "E-PBB (Bapenda) officer, the whole city (tax objects, bills, taxpayer requests)",
    ),
    _DemoOfficer(
        "kaban.bapenda",
        "Kepala Bapenda",
        "epbb",
        CITY_AREA,
        "E-PBB head of Bapenda, the whole city (decides objections)",
        position="head",
    ),
    # DPMPTSP (business licensing, SIPINTER) works city-wide: its front office checks submitted
    # files, its verifier (assigned by the head) verifies, surveys and recommends, its head
    # (Kepala Dinas) assigns verifiers and signs permits.
    _DemoOfficer(
        "petugas.dpmptsp",
        "Petugas Front Office DPMPTSP",
        "sipinter",
        CITY_AREA,
        "SIPINTER (DPMPTSP) front office, the whole city (administrative check)",
    ),
    _DemoOfficer(
        "verifikator.dpmptsp",
        "Verifikator DPMPTSP",
        "sipinter",
        CITY_AREA,
        "SIPINTER verifier, the whole city (technical verification, site survey, recommendation)",
        position="verifier",
    ),
    _DemoOfficer(
        "kepala.dpmptsp",
        "Kepala DPMPTSP",
        "sipinter",
        CITY_AREA,
        "SIPINTER head of DPMPTSP, the whole city (assigns verifiers, signs permits)",
        position="head",
    ),
)

DEMO_LOGINS: tuple[DemoLogin, ...] = (
    *(DemoLogin("citizen", c.email, DEMO_PASSWORD, c.description) for c in _DEMO_CITIZENS),
    *(DemoLogin("officer", o.username, DEMO_PASSWORD, o.description) for o in _DEMO_OFFICERS),
    DemoLogin("admin", "admin", DEMO_PASSWORD, "platform administrator"),
)


@dataclass(frozen=True)
class DemoClient:
    """A demo machine client (client_credentials) with a fixed development secret."""

    client_id: str
    secret: str
    name: str
    scopes: tuple[str, ...]
    description: str


# The simulated payment channels of E-PBB (its demo channels carry the same client ids). The
# secrets are fixed so the README's walkthrough works on every machine: development only.
DEMO_CLIENTS: tuple[DemoClient, ...] = (
    DemoClient(
        "bank-bjb-demo",
        CLIENT_SECRET_PREFIX + "demo-bank-bjb-2026",
        "Bank BJB (demo payment channel)",
        ("epbb:channel",),
        "E-PBB channel 'bjb' (bank)",
    ),
    DemoClient(
        "qris-demo",
        CLIENT_SECRET_PREFIX + "demo-qris-2026",
        "QRIS (demo payment channel)",
        ("epbb:channel",),
        "E-PBB channel 'qris' (QRIS)",
    ),
    DemoClient(
        "pos-demo",
        CLIENT_SECRET_PREFIX + "demo-pos-2026",
        "Pos Indonesia (demo payment channel)",
        ("epbb:channel",),
        "E-PBB channel 'pos' (post office)",
    ),
)


def demo_citizen_registrations() -> list[CitizenRegistration]:
    """The demo citizens as registrations (what proofing checks against the register)."""
    return [
        CitizenRegistration.model_validate(
            {
                "nik": c.nik,
                "no_kk": c.no_kk,
                "full_name": c.full_name,
                "birth_date": c.birth_date,
                "email": c.email,
                "phone": c.phone,
                "password": DEMO_PASSWORD,
            }
        )
        for c in _DEMO_CITIZENS
    ]


async def ensure_demo_clients(session: AsyncSession) -> list[MachineClient]:
    """Create the demo machine clients that do not exist yet, with their fixed secrets (idempotent)."""
    clients: list[MachineClient] = []
    for demo in DEMO_CLIENTS:
        client = await repository.find_client(session, demo.client_id)
        if client is None:
            client = await repository.add_client(
                session,
                MachineClient(
                    id=str(ULID()),
                    client_id=demo.client_id,
                    name=demo.name,
                    secret_hash=hash_client_secret(demo.secret),
                    scopes=" ".join(sorted(demo.scopes)),
                    created_at=utcnow(),
                ),
            )
        clients.append(client)
    return clients


async def ensure_demo_users(session: AsyncSession, pii: PiiCipher) -> list[User]:
    """Create the demo accounts (and demo machine clients) that do not exist yet; returns the accounts.

    The demo machine clients (:data:`DEMO_CLIENTS`) come with the accounts so that every seed
    (``cimahi seed``, ``python -m cimahi_gateway seed``) creates them.
    """
    await ensure_demo_clients(session)
    users: list[User] = []
    for citizen, data in zip(_DEMO_CITIZENS, demo_citizen_registrations(), strict=True):
        existing = await repository.find_user_by_nik_hash(session, pii.lookup_hash(data.nik))
        if existing is None:
            existing = await register_citizen(session, data=data, pii=pii, user_id=citizen.sub)
        users.append(existing)
    for o in _DEMO_OFFICERS:
        officer = await repository.find_user_by_username(session, o.username)
        if officer is None:
            officer = await create_officer(
                session,
                username=o.username,
                password=DEMO_PASSWORD,
                full_name=o.full_name,
                agency=o.agency,
                area=o.area,
                position=o.position,
            )
        users.append(officer)
    admin = await repository.find_user_by_username(session, "admin")
    if admin is None:
        admin = await create_admin(
            session, username="admin", password=DEMO_PASSWORD, full_name="Admin POLAKAMI"
        )
    users.append(admin)
    return users


# --- who is calling ---


async def user_info(session: AsyncSession, *, principal: Principal, pii: PiiCipher) -> UserInfo:
    """The caller's claims: from the account when it is ours, else from the (external) token."""
    if principal.role == "client":
        return UserInfo(
            sub=principal.sub,
            role="client",
            name=principal.name,
            client_id=principal.client_id,
            scope=" ".join(sorted(principal.scopes)),
        )
    user = await repository.get_user(session, principal.sub)
    if user is not None and not user.is_active:
        raise Unauthorized("This account is disabled.")
    if user is None:
        # A token of a trusted external issuer: its subject has no account here.
        return UserInfo(
            sub=principal.sub,
            role=principal.role,
            name=principal.name,
            agency=principal.agency,
            area=principal.area,
            position=principal.position,
        )
    nik_masked = None
    if user.role == "citizen" and user.nik_encrypted:
        nik_masked = mask_nik(pii.decrypt(user.nik_encrypted))
    return UserInfo(
        sub=user.id,
        name=user.full_name,
        role=user.role,
        agency=user.agency,
        area=user.area,
        position=user.position,
        preferred_username=user.username,
        email=user.email,
        phone_number=user.phone,
        nik_masked=nik_masked,
    )
