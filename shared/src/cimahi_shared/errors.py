"""RFC 9457 problem details: one error shape for every API of the platform."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

logger = logging.getLogger("cimahi.errors")

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://api.cimahikota.go.id/problems/"


class ProblemError(Exception):
    """A domain error that becomes a problem+json response; services raise subclasses of it."""

    status: int = 400
    code: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra


class NotFound(ProblemError):
    status, code, title = 404, "not-found", "Not found"


class Conflict(ProblemError):
    status, code, title = 409, "conflict", "Conflict"


class Unauthorized(ProblemError):
    status, code, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="cimahi"'})
        super().__init__(detail, **kwargs)


class Forbidden(ProblemError):
    status, code, title = 403, "forbidden", "Not allowed"


class InvalidInput(ProblemError):
    status, code, title = 422, "validation-error", "The request has invalid fields"


class InvalidTransition(ProblemError):
    status, code, title = (
        409,
        "invalid-transition",
        "This action is not possible in the current state",
    )


class TooManyRequests(ProblemError):
    status, code, title = 429, "rate-limited", "Too many requests"


class ServiceUnavailable(ProblemError):
    status, code, title = 503, "unavailable", "Service temporarily unavailable"


def problem_body(
    *,
    status: int,
    title: str,
    code: str,
    detail: str | None = None,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> bytes:
    """Serialise a problem document."""
    body: dict[str, Any] = {"type": PROBLEM_BASE + code, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return orjson.dumps(body)


def problem_response(
    status: int,
    title: str,
    code: str,
    detail: str | None = None,
    *,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """A problem+json response."""
    body = problem_body(
        status=status,
        title=title,
        code=code,
        detail=detail,
        instance=instance,
        errors=errors,
        extra=extra,
    )
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Field errors in a client-friendly shape: which field, what is wrong."""
    out: list[dict[str, Any]] = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        msg = str(err.get("msg", "invalid"))
        if err.get("type") == "json_invalid":
            out.append(
                {
                    "field": "body",
                    "message": "malformed JSON: " + str(err.get("ctx", {}).get("error", msg)),
                }
            )
            continue
        out.append(
            {"field": _field_name(loc), "message": msg, "in": str(loc[0]) if loc else "body"}
        )
    return out


async def _problem_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(
        exc.status,
        exc.title,
        exc.code,
        exc.detail,
        instance=request.url.path,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra or None,
    )


async def _validation_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc)
    fields = ", ".join(sorted({e["field"] for e in errors}))
    return problem_response(
        422,
        "The request has invalid fields",
        "validation-error",
        f"Invalid: {fields}",
        instance=request.url.path,
        errors=errors,
    )


async def _http_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    titles = {404: "Not found", 405: "Method not allowed", 401: "Authentication required"}
    return problem_response(
        exc.status_code,
        titles.get(exc.status_code, "Error"),
        {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error"),
        str(exc.detail) if exc.detail else None,
        instance=request.url.path,
        headers=dict(exc.headers or {}),
    )


async def _unhandled_handler(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error", extra={"path": request.url.path})
    return problem_response(
        500,
        "Internal error",
        "internal-error",
        "An unexpected error occurred; it has been logged.",
        instance=request.url.path,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` a problem+json document (and never a stack trace)."""
    app.add_exception_handler(ProblemError, _problem_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(Exception, _unhandled_handler)
