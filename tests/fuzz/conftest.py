"""Fuzzing every OpenAPI document with schemathesis (issue 9): the shared helpers.

A fuzz test module builds one service app in-process on a migrated SQLite database with local
signing keys (``migrated_sqlite``, ``start_app``), loads the schema the app serves at
``/openapi.json`` (``FuzzTarget``) and runs every operation with hypothesis-generated requests
(``FuzzTarget.fuzz``): each example is sent with one role's real token (anonymous, citizen,
officer of the agency and area, head, admin, machine client - ``role_headers``) and every
response must pass ``CHECKS``: no 5xx, the body matches its documented schema, the status code,
content type and headers are documented.

Operations are listed at collection time from the app's OpenAPI document alone
(``operation_labels``: the apps connect to nothing before their lifespan starts), so each
operation is its own test. schemathesis runs the app's lifespan on its own event-loop thread;
``FuzzTarget.close`` stops it.

Examples are few and derandomized (CI budget, reproducible runs): ``FUZZ_EXAMPLES`` raises
the count for a longer local run (``FUZZ_EXAMPLES=500 pytest tests/fuzz``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.python import asgi as schemathesis_asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cimahi_shared.testing.fixtures import migrated_copy
from cimahi_shared.testing.tokens import Tokens

CHECKS: list[Any] = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
]
"""Every check that applies to a single response."""

DEFAULT_EXAMPLES = 25

Headers = Callable[[], dict[str, str]]


def examples(default: int = DEFAULT_EXAMPLES) -> int:
    """Examples per operation: ``default`` unless the ``FUZZ_EXAMPLES`` variable says more."""
    return int(os.environ.get("FUZZ_EXAMPLES", default))


def migrated_sqlite(folder: Path, *, key: str, prepare: Callable[[str], None]) -> str:
    """A SQLite database in ``folder`` holding what ``prepare(url)`` writes (migrations, seeds).

    ``key`` names the session's template (``migrated_copy``): use the service tests' key when
    ``prepare`` is the same, so the template is built once per session.
    """
    return migrated_copy(f"sqlite+aiosqlite:///{folder / 'fuzz.sqlite3'}", key=key, prepare=prepare)


def start_app(app: Any, tokens: Tokens, issuer: str) -> Any:
    """Trust ``tokens``' signing key for ``issuer`` in the app (before its lifespan starts)."""
    app.state.runtime.verifier.set_local_keys(issuer, tokens.jwks)
    return app


def role_headers(
    tokens: Tokens,
    *,
    citizen_sub: str = "01JFUZZCITIZEN000000000000",
    officer_area: str | None = None,
    client_scope: str | None = None,
    extra: Mapping[str, Headers] | None = None,
) -> dict[str, Headers]:
    """Each role's request headers (a fresh token per request, so none expires in a long run).

    The citizen keeps one subject so the requests it made earlier are its own later.
    """
    roles: dict[str, Headers] = {
        "anonymous": dict,
        "citizen": lambda: tokens.citizen(citizen_sub),
        "officer": lambda: tokens.officer(officer_area),
        "head": lambda: tokens.head(officer_area),
        "admin": tokens.admin,
        "client": lambda: tokens.machine(scope=client_scope),
    }
    roles.update(extra or {})
    return roles


def operation_labels(openapi: dict[str, Any]) -> list[str]:
    """The labels (``"GET /path/{id}"``) of every operation of an OpenAPI document."""
    schema = schemathesis.openapi.from_dict(openapi)
    labels = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # a broken operation in the document: fail loudly
            raise result.err()
        labels.append(result.ok().label)
    return labels


@dataclass
class FuzzTarget:
    """An app with its served schema and the roles whose tokens the fuzzer sends."""

    app: Any
    roles: dict[str, Headers]
    path: str = "/openapi.json"
    schema: Any = field(init=False)

    def __post_init__(self) -> None:
        self.schema = schemathesis.openapi.from_asgi(self.path, self.app)

    def operation(self, label: str) -> Any:
        found = self.schema.find_operation_by_label(label)
        assert found is not None, f"{label} is not in the schema"
        return found

    def fuzz(
        self,
        label: str,
        *,
        max_examples: int | None = None,
        checks: Sequence[Any] = CHECKS,
        roles: Iterable[str] | None = None,
        headers: Mapping[str, str] | None = None,
        path_parameters: Mapping[str, str] | None = None,
    ) -> None:
        """Send generated requests to the operation ``label`` as each role; fail on any check.

        ``roles`` limits the roles (all by default); ``headers`` are added to every request;
        ``path_parameters`` pin path parameters (an existing resource's id, so the generated
        bodies and queries reach past the lookup).
        """
        operation = self.operation(label)
        names = sorted(roles if roles is not None else self.roles)
        checks = list(checks)
        extra = dict(headers or {})

        @settings(
            max_examples=max_examples or examples(),
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(), role=st.sampled_from(names))
        def run(case: Any, role: str) -> None:
            if path_parameters:
                case.path_parameters = {**(case.path_parameters or {}), **path_parameters}
            case.call_and_validate(headers={**extra, **self.roles[role]()}, checks=checks)

        run()

    def call(
        self,
        label: str,
        role: str,
        *,
        checks: Sequence[Any] = CHECKS,
        **case: Any,
    ) -> Any:
        """One explicit request (a found defect's regression test), validated by ``checks``.

        ``case`` holds the request's parts (``query=``, ``path_parameters=``, ``body=``,
        ``headers=``) as ``APIOperation.Case`` takes them; returns the response.
        """
        example = self.operation(label).Case(**case)
        return example.call_and_validate(headers=self.roles[role](), checks=list(checks))

    def close(self) -> None:
        """Stop the app's lifespan (schemathesis started it on its own event-loop thread)."""
        schemathesis_asgi.shutdown_lifespans()
