"""Assertions on RFC 9457 problem answers, for the services' tests."""

from __future__ import annotations

from typing import Any

import httpx


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert an ``application/problem+json`` answer of ``status`` and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def error_fields(response: httpx.Response) -> set[str]:
    """The fields a 422 problem names."""
    return {e["field"] for e in problem(response, 422)["errors"]}
