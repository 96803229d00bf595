"""Direct NATS access for an integrator: its account in the server configuration (deploy/nats).

An integrator reads live events straight from NATS in an account of its own that *imports* the
subjects its ``allowed_events`` allow from the SERVICES account (which exports ``cimahi.>``).
The account has no JetStream, so ``$JS.API.>`` does not exist for it; its user may subscribe
only to those subjects and publish nothing. Durable replay is what webhooks and the SSE stream
are for. This module turns an :class:`Integrator` row into that account's configuration block,
which the operator appends to ``deploy/nats/integrators.conf`` (``cimahi nats-account``).

Patterns over event keys ``<agency>.<entity>.<verb>`` (:mod:`.scopes`) become subjects
``cimahi.<agency>.<entity>.<verb>.v<N>``: a pattern without ``>`` gets one more ``*`` for the
version (``epbb.payment.*`` -> ``cimahi.epbb.payment.*.*``), one ending in ``>`` keeps it
(``dilandacinta.>`` -> ``cimahi.dilandacinta.>``).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_gateway.integrations.models import Integrator
from cimahi_gateway.integrations.scopes import is_pattern
from cimahi_shared.errors import Conflict, InvalidInput, NotFound

SUBJECT_ROOT = "cimahi"
SERVICES_ACCOUNT = "SERVICES"
# The platform-internal lifecycle events (scopes.INTERNAL_NAMES) stay out even under `<agency>.>`.
INTERNAL_DENY = json.dumps("cimahi.*.request.>")
PASSWORD_VARIABLE_PREFIX = "CIMAHI_NATS_PASSWORD_"
# The SERVICES account's users (deploy/nats/accounts.conf); NATS user names are server-wide.
SERVICE_USERS = frozenset({"gateway", "lakami", "dilandacinta", "epbb", "sipinter"})


def subject_for(pattern: str) -> str:
    """The NATS subject (with wildcards) carrying the events whose keys match ``pattern``."""
    if not is_pattern(pattern):
        raise ValueError(f"not an event pattern: {pattern!r}")
    suffix = "" if pattern.endswith(".>") else ".*"
    return f"{SUBJECT_ROOT}.{pattern}{suffix}"


def covers(general: str, specific: str) -> bool:
    """Whether every subject that ``specific`` matches is matched by ``general`` too."""
    want, have = general.split("."), specific.split(".")
    for i, part in enumerate(want):
        if part == ">":
            return len(have) > i
        if i >= len(have) or have[i] == ">":
            return False
        if part != "*" and part != have[i]:
            return False
    return len(want) == len(have)


def subjects_for(patterns: Iterable[str]) -> list[str]:
    """The subjects of ``patterns``, sorted, without any that another one already covers.

    Overlapping imports would deliver an event once per import; keeping only the widest
    subjects delivers each event once.
    """
    subjects = sorted({subject_for(p) for p in patterns})
    return [s for s in subjects if not any(o != s and covers(o, s) for o in subjects)]


def account_name(integrator: Integrator) -> str:
    """The integrator's NATS account: by its id (unique, and safe in any configuration key)."""
    return f"INTEGRATOR_{integrator.id}"


def password_variable(integrator: Integrator) -> str:
    """The environment variable of nats-server that holds the integrator's NATS password."""
    return f"{PASSWORD_VARIABLE_PREFIX}INTEGRATOR_{integrator.id}"


def new_password() -> str:
    """A random NATS password that nats-server reads verbatim from an environment variable.

    nats-server parses a variable's value as a configuration value: one starting with ``-`` or
    a digit, or reading ``true``, is not taken as a string. A letter followed by hex digits is.
    """
    return "p" + secrets.token_hex(24)


def account_config(integrator: Integrator) -> str:
    """The integrator's account block for ``integrators.conf`` (inside ``accounts { }``).

    Raises ``InvalidInput`` when it is allowed no events (NATS would read an empty allow list
    as no restriction) or a malformed pattern and ``Conflict`` when its client id is a service's NATS user.
    """
    patterns = [str(p) for p in integrator.allowed_events]
    if not all(is_pattern(p) for p in patterns):
        raise InvalidInput(
            "The integrator's allowed events are not all event patterns.",
            errors=[
                {"field": "allowed_events", "message": "each must be a pattern like epbb.payment.*"}
            ],
        )
    subjects = subjects_for(patterns)
    if not subjects:
        raise InvalidInput(
            "The integrator is allowed no events.",
            errors=[{"field": "allowed_events", "message": "must not be empty for NATS access"}],
        )
    if integrator.client_id in SERVICE_USERS:
        raise Conflict(f"The client id {integrator.client_id!r} is a service's NATS user.")
    quoted = [json.dumps(s) for s in subjects]
    imports = "\n".join(
        f"    {{ stream: {{ account: {SERVICES_ACCOUNT}, subject: {s} }} }}" for s in quoted
    )
    return "\n".join(
        [
            f"# Integrator {_comment(integrator.name)} (client_id {integrator.client_id})",
            f"# allowed_events: {_comment(', '.join(patterns))}",
            f"# generated by: cimahi nats-account {integrator.client_id}",
            f"{json.dumps(account_name(integrator))}: {{",
            "  users: [",
            "    {",
            f"      user: {json.dumps(integrator.client_id)}",
            f"      password: ${password_variable(integrator)}",
            "      permissions: {",
            '        publish: { deny: [">"] }',
            f"        subscribe: {{ allow: [{', '.join(quoted)}], deny: [{INTERNAL_DENY}] }}",
            "      }",
            "    }",
            "  ]",
            "  imports: [",
            imports,
            "  ]",
            "}",
            "",
        ]
    )


def _comment(text: str) -> str:
    """``text`` on one line (it goes into a configuration comment)."""
    return " ".join(text.split())


async def active_integrator(session: AsyncSession, client_id: str) -> Integrator:
    """The integrator whose machine client is ``client_id`` (NotFound; Conflict when revoked)."""
    query = select(Integrator).where(Integrator.client_id == client_id)
    integrator = (await session.execute(query)).scalar_one_or_none()
    if integrator is None:
        raise NotFound(f"No integrator has the client id {client_id!r}.")
    if integrator.revoked_at is not None:
        raise Conflict("The integrator is revoked: remove its account from integrators.conf.")
    return integrator
