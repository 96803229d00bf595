"""What the admin API of integrators reads and returns.

The shape of ``allowed_events`` is checked here (a list of 1-50 strings); whether each entry is a
pattern of a configured agency is checked by the service, which knows the settings, and is
reported as ``allowed_events[i]``.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cimahi_gateway.identity.schemas import normalize_email

MAX_PATTERNS = 50
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
_EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$"

Name = Field(min_length=1, max_length=200, description="The organisation, e.g. Bank BJB")
Email = Field(
    max_length=254, pattern=_EMAIL_PATTERN, description="Who to contact about this integration"
)
Patterns = Field(
    min_length=1,
    max_length=MAX_PATTERNS,
    description=(
        "Event keys or patterns it may receive, `<agency>.<entity>.<verb>` with `*` for one part "
        "and `>` (last) for the rest, e.g. `epbb.payment.*`, `sipinter.>`, `*.request.lifecycle`"
    ),
)


def _clean_name(value: str | None) -> str | None:
    """Names are stored trimmed; an all-blank name is refused."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


class IntegratorCreate(BaseModel):
    """``POST /api/v1/admin/integrators``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Name
    contact_email: str = Email
    allowed_events: list[str] = Patterns

    _name = field_validator("name")(_clean_name)

    @field_validator("contact_email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalize_email(value)


class IntegratorUpdate(BaseModel):
    """``PATCH /api/v1/admin/integrators/{id}``: only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    contact_email: str | None = Field(default=None, max_length=254, pattern=_EMAIL_PATTERN)
    allowed_events: list[str] | None = Field(default=None, min_length=1, max_length=MAX_PATTERNS)

    _name = field_validator("name")(_clean_name)

    @field_validator("contact_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else normalize_email(value)


class IntegratorRead(BaseModel):
    """An integrator as admins see it (never its secret)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    contact_email: str
    allowed_events: list[str]
    client_id: str = Field(description="Its machine client: use with client_credentials")
    created_at: datetime
    updated_at: datetime
    revoked_at: datetime | None


class IntegratorCreated(IntegratorRead):
    """A new integrator with its client secret, shown only in this response."""

    client_secret: str = Field(description="Shown once; store it now")


class ClientSecret(BaseModel):
    """A new client secret after a rotation, shown only in this response."""

    client_id: str
    client_secret: str = Field(description="Shown once; the previous secret no longer works")


class IntegratorPage(BaseModel):
    """One page of integrators, oldest first."""

    items: list[IntegratorRead]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )
