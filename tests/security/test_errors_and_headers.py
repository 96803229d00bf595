"""OWASP API8 (security misconfiguration): errors tell nothing internal; the gateway's headers.

Malformed JSON, wrong content types, bodies over the limit, unknown routes, wrong methods and
hostile path parameters sent to every service and to the gateway: each answer is problem+json
with a 4xx status and no stack trace, file path, SQL or library name in it.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.security.inprocess import APPS, running

# A JSON-body operation each app offers (the citizen's submission; the gateway's registration).
POSTS = {
    "lakami": "/v1/letter-requests",
    "dilandacinta": "/v1/applications",
    "epbb": "/v1/requests",
    "sipinter": "/v1/applications",
    "gateway": "/api/v1/auth/register",
}
# An operation with a path parameter.
ITEMS = {
    "lakami": "/v1/letter-requests/{}",
    "dilandacinta": "/v1/applications/{}",
    "epbb": "/v1/requests/{}",
    "sipinter": "/v1/applications/{}",
    "gateway": "/api/v1/requests/{}",
}
LEAKS = re.compile(
    r"Traceback|File \"|/work/|site-packages|\.py\b|sqlalchemy|sqlite|psycopg|asyncpg"
    r"|SELECT |INSERT |UPDATE |pydantic_core|starlette|uvicorn|Exception\b",
    re.IGNORECASE,
)
HOSTILE_IDS = ["%00", "..%2F..%2Fetc%2Fpasswd", "' OR 1=1 --", "x" * 5000, "%F0%9F%92%A9", "-1"]


def _assert_clean_problem(response: httpx.Response, context: str) -> None:
    assert 400 <= response.status_code < 500, f"{context}: {response.status_code} {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json"), context
    body = response.json()
    assert body["status"] == response.status_code, context
    leak = LEAKS.search(response.text)
    assert leak is None, f"{context}: {leak.group(0) if leak else ''} in {response.text}"


@pytest.mark.parametrize("name", APPS)
async def test_errors_are_problems_without_internal_details(name: str, tmp_path: Path) -> None:
    async with running(name, tmp_path) as app:
        auth = app.tokens.citizen()
        post = POSTS[name]
        cases: list[tuple[str, str, str, dict[str, str], bytes | None]] = [
            ("malformed json", "POST", post, {"content-type": "application/json"}, b'{"a": '),
            ("json array", "POST", post, {"content-type": "application/json"}, b"[1, 2"),
            ("not utf-8", "POST", post, {"content-type": "application/json"}, b'{"\xff\xfe": 1}'),
            ("deep nesting", "POST", post, {"content-type": "application/json"}, b"[" * 5000),
            ("xml", "POST", post, {"content-type": "application/xml"}, b"<a>1</a>"),
            ("form", "POST", post, {"content-type": "application/x-www-form-urlencoded"}, b"a=1"),
            ("no content type", "POST", post, {}, b'{"a": 1}'),
            ("too large", "POST", post, {"content-type": "application/json"}, b" " * 2_000_000),
            ("unknown route", "GET", "/v1/no-such-thing/at-all", {}, None),
            ("wrong method", "PUT", post, {"content-type": "application/json"}, b"{}"),
        ]
        cases += [
            (f"hostile id {hostile[:12]!r}", "GET", ITEMS[name].format(hostile), {}, None)
            for hostile in HOSTILE_IDS
        ]
        for label, method, path, headers, body in cases:
            response = await app.client.request(
                method, path, headers={**auth, **headers}, content=body
            )
            _assert_clean_problem(response, f"{name} {label} {method} {path[:60]}")
            if label == "too large":
                assert response.status_code == 413, response.text


PORTAL = "http://127.0.0.1:8000"
GATEWAY_ANSWERS = [
    ("GET", "/healthz"),
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/api/v1/requests"),  # 401 from the gateway's own API
    ("GET", "/api/lakami/v1/letter-requests"),  # 401 at the proxy door
    ("GET", "/no-such-page"),
    ("GET", "/oauth/authorize?client_id=cimahi-web"),  # an HTML or problem answer
]


async def test_every_gateway_answer_carries_the_security_headers(tmp_path: Path) -> None:
    async with running("gateway", tmp_path) as gateway:
        for method, path in GATEWAY_ANSWERS:
            response = await gateway.client.request(method, path)
            headers = response.headers
            assert headers["x-content-type-options"] == "nosniff", path
            assert headers["referrer-policy"] == "no-referrer", path
            assert headers["x-frame-options"] == "DENY", path
            assert "frame-ancestors 'none'" in headers["content-security-policy"], path
            assert "strict-transport-security" not in headers, path  # http: not configured
            assert "access-control-allow-origin" not in headers, path  # no Origin sent


async def test_hsts_when_the_public_url_is_https(tmp_path: Path) -> None:
    async with running("gateway", tmp_path, public_url="https://layanan.cimahikota.go.id") as gw:
        response = await gw.client.get("/healthz")
        assert response.headers["strict-transport-security"] == "max-age=31536000"


async def test_cors_allows_only_the_portal_by_default(tmp_path: Path) -> None:
    async with running("gateway", tmp_path) as gateway:
        preflight = {"Access-Control-Request-Method": "POST"}
        allowed = await gateway.client.options(
            "/api/v1/requests", headers={"Origin": PORTAL, **preflight}
        )
        assert allowed.status_code == 204
        assert allowed.headers["access-control-allow-origin"] == PORTAL
        assert "access-control-allow-credentials" not in allowed.headers
        evil = await gateway.client.options(
            "/api/lakami/v1/letter-requests",
            headers={"Origin": "https://evil.example", **preflight},
        )
        assert evil.status_code == 403
        assert not any(h.startswith("access-control-") for h in evil.headers)
        for origin, expected in ((PORTAL, PORTAL), ("https://evil.example", None)):
            for path in ("/api/v1/requests", "/api/lakami/v1/letter-requests"):
                response = await gateway.client.get(path, headers={"Origin": origin})
                assert response.headers.get("access-control-allow-origin") == expected, path
                assert "access-control-allow-credentials" not in response.headers
                assert "Origin" in response.headers["vary"]


async def test_cors_origins_are_configurable_and_never_a_wildcard(tmp_path: Path) -> None:
    origins = ["https://portal.cimahikota.go.id", "*"]
    async with running("gateway", tmp_path, cors_origins=origins) as gateway:
        for origin, expected in (
            ("https://portal.cimahikota.go.id", "https://portal.cimahikota.go.id"),
            (PORTAL, None),
            ("https://anything.example", None),
        ):
            response = await gateway.client.get("/healthz", headers={"Origin": origin})
            assert response.headers.get("access-control-allow-origin") == expected, origin
