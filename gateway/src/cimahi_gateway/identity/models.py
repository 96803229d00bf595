"""POLAKAMI's tables: accounts, machine clients, signing keys, authorization codes, refresh tokens.

Personal identifiers (NIK, No. KK) are stored only encrypted, next to a keyed hash for look-ups.
Secrets (passwords, client secrets, codes, refresh tokens) are stored only as hashes.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cimahi_gateway.db import Base
from cimahi_shared.db import UTCDateTime, utcnow

ULID_LEN = 26
HASH_LEN = 64  # hex SHA-256 / HMAC-SHA256
ROLE_MAX = 16
USERNAME_MAX = 64
EMAIL_MAX = 254
PHONE_MAX = 20
AGENCY_MAX = 32
AREA_MAX = 32
POSITION_MAX = 32
CLIENT_ID_MAX = 64


class User(Base):
    """An account: a citizen (logs in with NIK, email or phone) or an officer/admin (username)."""

    __tablename__ = "identity_users"

    id: Mapped[str] = mapped_column(String(ULID_LEN), primary_key=True)
    role: Mapped[str] = mapped_column(String(ROLE_MAX))  # citizen | officer | admin
    full_name: Mapped[str] = mapped_column(String(200))
    username: Mapped[str | None] = mapped_column(String(USERNAME_MAX), unique=True)
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX), unique=True)
    phone: Mapped[str | None] = mapped_column(String(PHONE_MAX), unique=True)
    nik_hash: Mapped[str | None] = mapped_column(String(HASH_LEN), unique=True)
    nik_encrypted: Mapped[str | None] = mapped_column(Text)
    no_kk_hash: Mapped[str | None] = mapped_column(String(HASH_LEN), index=True)
    no_kk_encrypted: Mapped[str | None] = mapped_column(Text)
    birth_date: Mapped[date | None] = mapped_column(Date)
    agency: Mapped[str | None] = mapped_column(String(AGENCY_MAX))
    area: Mapped[str | None] = mapped_column(String(AREA_MAX))
    # An officer's position within the agency, e.g. "head" (signs documents); None for staff.
    position: Mapped[str | None] = mapped_column(String(POSITION_MAX))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Set once the NIK + No. KK + name + birth date matched the population register (DILANDACINTA).
    identity_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MachineClient(Base):
    """A machine client (client_credentials): its secret is stored only as a SHA-256 hash."""

    __tablename__ = "identity_clients"

    id: Mapped[str] = mapped_column(String(ULID_LEN), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(CLIENT_ID_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(HASH_LEN))
    scopes: Mapped[str] = mapped_column(Text)  # space separated
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def scope_set(self) -> frozenset[str]:
        """The scopes this client may ask for."""
        return frozenset(self.scopes.split())


class SigningKey(Base):
    """An Ed25519 token-signing key; the private key is encrypted with the PII cipher."""

    __tablename__ = "identity_signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)  # RFC 7638 thumbprint
    alg: Mapped[str] = mapped_column(String(16))
    public_jwk: Mapped[str] = mapped_column(Text)  # JSON
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # active | retired
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A retired key stays in the JWKS until the tokens it signed have expired.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuthorizationCode(Base):
    """A single-use authorization code (stored hashed), bound to client, redirect URI and PKCE."""

    __tablename__ = "identity_authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(HASH_LEN), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(CLIENT_ID_MAX))
    redirect_uri: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str] = mapped_column(
        String(ULID_LEN), ForeignKey("identity_users.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String(128))
    nonce: Mapped[str | None] = mapped_column(String(255))
    # The refresh-token family issued for this code: revoked if the code is presented again.
    family_id: Mapped[str] = mapped_column(String(ULID_LEN))
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RefreshToken(Base):
    """A rotating refresh token (stored hashed); every rotation stays in the same family."""

    __tablename__ = "identity_refresh_tokens"

    id: Mapped[str] = mapped_column(String(ULID_LEN), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(HASH_LEN), unique=True)
    family_id: Mapped[str] = mapped_column(String(ULID_LEN))
    user_id: Mapped[str] = mapped_column(
        String(ULID_LEN), ForeignKey("identity_users.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[str] = mapped_column(String(CLIENT_ID_MAX))
    scope: Mapped[str] = mapped_column(Text)
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # rotated
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


Index("ix_identity_refresh_tokens_family", RefreshToken.family_id)
Index("ix_identity_authorization_codes_expires", AuthorizationCode.expires_at)
