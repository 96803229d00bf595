"""Make an app's OpenAPI document tell the truth about its error responses (issue 9's fuzzing).

FastAPI documents a route's 422 as ``application/json`` (``HTTPValidationError``), but every
error of the platform is ``application/problem+json`` (RFC 9457, ``cimahi_shared.errors``); and
it cannot know that a route behind the token dependency (``current_principal``) answers 401
without a valid token and 403 when the caller's role may not. ``document_problems(app)`` fixes
both in the generated document: each 422 becomes problem+json, each authenticated route lists
401 and 403 (unless it documents them itself).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from cimahi_shared.auth import current_principal
from cimahi_shared.errors import PROBLEM_JSON

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_AUTH_PROBLEMS: dict[str, dict[str, Any]] = {
    "401": {"description": "No valid access token", "content": {PROBLEM_JSON: {}}},
    "403": {"description": "Not allowed for the caller's role", "content": {PROBLEM_JSON: {}}},
}


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def requires_token(dependant: Dependant) -> bool:
    """Whether a route's dependencies include (at any depth) the verified caller."""
    return any(call is current_principal for call in _calls(dependant))


def token_operations(app: FastAPI) -> set[tuple[str, str]]:
    """(path, method) of every app route that needs an access token."""
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        dependant = getattr(context, "dependant", route.dependant)
        if requires_token(dependant):
            path = getattr(context, "path_format", route.path_format)
            found.update((path, method.lower()) for method in route.methods or ())
    return found


def fix_document(document: dict[str, Any], authenticated: set[tuple[str, str]]) -> None:
    """Rewrite ``document`` in place; ``authenticated`` holds (path, method) of token routes."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            invalid = responses.get("422")
            if invalid is not None and "application/json" in invalid.get("content", {}):
                responses["422"] = {
                    "description": invalid.get("description", "Invalid request"),
                    "content": {PROBLEM_JSON: {}},
                }
            if (path, method) in authenticated:
                for status, response in _AUTH_PROBLEMS.items():
                    responses.setdefault(status, dict(response))


def document_problems(app: FastAPI) -> FastAPI:
    """Have ``app.openapi()`` document problem+json 422s and the token routes' 401/403."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        fix_document(document, token_operations(app))
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
    return app


_NOT_FOUND: dict[str, Any] = {"description": "No such resource", "content": {PROBLEM_JSON: {}}}
_CONFLICT: dict[str, Any] = {
    "description": "Not allowed in the resource's current state",
    "content": {PROBLEM_JSON: {}},
}


def document_lookups(*routers: APIRouter, skip_prefixes: tuple[str, ...] = ()) -> None:
    """Document what the routes with path parameters answer beyond success.

    Each looks its resource up (404 problem+json when there is none); each POST to one is a
    workflow action that the resource's state may refuse (409). Call it on the routers before
    they are included in the app; routes under ``skip_prefixes`` document their own errors.
    """
    for route in (route for router in routers for route in router.routes):
        if not isinstance(route, APIRoute) or "{" not in route.path:
            continue
        if route.path.startswith(skip_prefixes):
            continue
        documented = {str(status) for status in route.responses}
        if "404" not in documented:
            route.responses[404] = _NOT_FOUND
        if "POST" in (route.methods or ()) and "409" not in documented:
            route.responses[409] = _CONFLICT
