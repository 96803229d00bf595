"""The proxy through real HTTP: a client, the gateway under uvicorn, and a real upstream."""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

Gateway = Any
GatewayFactory = Callable[..., Any]
Upstream = Any
TokenFactory = Callable[..., str]
AuthFactory = Callable[..., dict[str, str]]

TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}")


def echoed_headers(response: httpx.Response) -> dict[str, list[str]]:
    """The headers the upstream received, by lower-case name."""
    out: dict[str, list[str]] = {}
    for name, value in response.json()["headers"]:
        out.setdefault(name, []).append(value)
    return out


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert "Traceback" not in response.text
    return problem


class TestForwarding:
    def test_method_path_query_body_and_status_are_forwarded(
        self, auth: AuthFactory, client: httpx.Client
    ) -> None:
        response = client.patch(
            "/api/lakami/v1/letter-requests/a%20b%2Fc",
            params={"page": "2", "q": "surat keterangan"},
            content=b'{"note": "tolong"}',
            headers={**auth(), "Content-Type": "application/json", "X-Custom": "yes"},
        )
        assert response.status_code == 200
        echoed = response.json()
        assert echoed["method"] == "PATCH"
        assert echoed["raw_path"] == "/v1/letter-requests/a%20b%2Fc"
        assert echoed["query"] == "page=2&q=surat+keterangan"
        assert echoed["body"] == '{"note": "tolong"}'
        headers = echoed_headers(response)
        assert headers["content-type"] == ["application/json"]
        assert headers["x-custom"] == ["yes"]
        assert response.headers["x-upstream"] == "echo"

    def test_authorization_header_is_forwarded_as_is(
        self, make_token: TokenFactory, client: httpx.Client
    ) -> None:
        token = make_token("citizen-b")
        response = client.get("/api/lakami/echo", headers={"Authorization": f"Bearer {token}"})
        assert echoed_headers(response)["authorization"] == [f"Bearer {token}"]

    @pytest.mark.parametrize("status", [201, 204, 404, 418, 500])
    def test_upstream_status_is_relayed(
        self, auth: AuthFactory, client: httpx.Client, status: int
    ) -> None:
        response = client.post(f"/api/lakami/status/{status}", headers=auth(), content=b"x")
        assert response.status_code == status

    def test_redirects_are_relayed_not_followed(
        self, auth: AuthFactory, client: httpx.Client
    ) -> None:
        response = client.get("/api/lakami/redirect", headers=auth())
        assert response.status_code == 302
        assert response.headers["location"] == "/elsewhere"

    def test_compressed_bodies_pass_through_untouched(
        self, auth: AuthFactory, upstream: Upstream, client: httpx.Client
    ) -> None:
        response = client.get("/api/lakami/gzip", headers={**auth(), "Accept-Encoding": "gzip"})
        assert response.headers["content-encoding"] == "gzip"
        assert response.content == upstream.gzipped_text

    def test_no_accept_encoding_or_user_agent_is_invented(
        self, make_token: TokenFactory, gateway: Gateway
    ) -> None:
        request = (
            f"GET /api/lakami/echo HTTP/1.1\r\nHost: gw.test\r\n"
            f"Authorization: Bearer {make_token()}\r\nConnection: close\r\n\r\n"
        ).encode()
        import socket

        with socket.create_connection(("127.0.0.1", gateway.server.port), timeout=5) as sock:
            sock.sendall(request)
            raw = b""
            while chunk := sock.recv(65536):
                raw += chunk
        _, _, body = raw.partition(b"\r\n\r\n")
        names = {name for name, _ in orjson.loads(body)["headers"]}
        assert not names & {"accept", "accept-encoding", "user-agent", "cookie"}

    def test_forwarded_headers_are_added(self, auth: AuthFactory, client: httpx.Client) -> None:
        response = client.get(
            "/api/lakami/echo", headers={**auth(), "X-Forwarded-For": "203.0.113.9"}
        )
        headers = echoed_headers(response)
        assert headers["x-forwarded-for"] == ["203.0.113.9, 127.0.0.1"]
        assert headers["x-forwarded-proto"] == ["http"]
        assert headers["x-forwarded-host"] == [client.base_url.netloc.decode()]
        assert headers["host"] != headers["x-forwarded-host"]

    def test_dot_segments_are_refused(self, gateway: Gateway) -> None:
        # httpx would normalise the path, so the request line is written by hand.
        import socket

        with socket.create_connection(("127.0.0.1", gateway.server.port), timeout=5) as sock:
            sock.sendall(
                b"GET /api/lakami/v1/public/../../admin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            raw = b""
            while chunk := sock.recv(65536):
                raw += chunk
        assert raw.startswith(b"HTTP/1.1 400")

    @pytest.mark.parametrize(
        "path",
        ["/api/lakami/internal/v1/identity/match", "/api/lakami//internal/anything"],
    )
    def test_services_internal_endpoints_are_not_reachable_from_outside(
        self, auth: AuthFactory, client: httpx.Client, path: str
    ) -> None:
        response = client.post(path, json={}, headers=auth())
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        # A path merely containing the word elsewhere still goes through.
        assert client.get("/api/lakami/echo/internal", headers=auth()).status_code == 200


class TestOwnRoutes:
    @pytest.mark.parametrize(
        "path", ["/api/v1/requests", "/oauth/token", "/api/unknown/x", "/healthz", "/api/lakami"]
    )
    def test_other_paths_go_to_the_inner_app(self, client: httpx.Client, path: str) -> None:
        response = client.get(path)
        assert response.json() == {"inner": True, "path": path}


class TestHopByHop:
    def test_hop_by_hop_request_headers_are_stripped(
        self, auth: AuthFactory, client: httpx.Client
    ) -> None:
        response = client.get(
            "/api/lakami/echo",
            headers={
                **auth(),
                "Connection": "keep-alive, X-Private-Hop",
                "X-Private-Hop": "secret",
                "Keep-Alive": "timeout=5",
                "TE": "trailers",
                "Trailer": "X-Checksum",
                "Proxy-Authorization": "Basic Zm9vOmJhcg==",
                "Proxy-Connection": "keep-alive",
                "X-Kept": "1",
            },
        )
        headers = echoed_headers(response)
        for name in (
            "x-private-hop",
            "keep-alive",
            "te",
            "trailer",
            "proxy-authorization",
            "proxy-connection",
            "transfer-encoding",
        ):
            assert name not in headers, name
        assert headers["x-kept"] == ["1"]
        assert headers.get("connection", ["keep-alive"]) != ["keep-alive, X-Private-Hop"]
        assert len(headers["host"]) == 1

    def test_hop_by_hop_response_headers_are_stripped(
        self, auth: AuthFactory, client: httpx.Client
    ) -> None:
        response = client.get("/api/lakami/hop", headers=auth())
        assert response.status_code == 200
        assert "x-up-private" not in response.headers
        assert "keep-alive" not in response.headers
        assert "proxy-authenticate" not in response.headers
        assert response.headers["x-up-public"] == "kept"
        assert len(response.headers.get_list("server")) <= 1
        assert len(response.headers.get_list("date")) == 1


class TestTracing:
    def test_request_id_is_propagated_and_returned(
        self, auth: AuthFactory, client: httpx.Client
    ) -> None:
        response = client.get("/api/lakami/echo", headers={**auth(), "X-Request-ID": "req-123"})
        assert echoed_headers(response)["x-request-id"] == ["req-123"]
        assert response.headers.get_list("x-request-id") == ["req-123"]

    @pytest.mark.parametrize("incoming", [None, "bad id with spaces", "x" * 200])
    def test_request_id_is_generated_when_absent_or_invalid(
        self, auth: AuthFactory, client: httpx.Client, incoming: str | None
    ) -> None:
        headers = auth() if incoming is None else {**auth(), "X-Request-ID": incoming}
        response = client.get("/api/lakami/echo", headers=headers)
        returned = response.headers["x-request-id"]
        assert returned != incoming
        assert re.fullmatch(r"[A-Za-z0-9._:-]{1,128}", returned)
        assert echoed_headers(response)["x-request-id"] == [returned]

    def test_valid_traceparent_is_propagated(self, auth: AuthFactory, client: httpx.Client) -> None:
        traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        response = client.get("/api/lakami/echo", headers={**auth(), "traceparent": traceparent})
        assert echoed_headers(response)["traceparent"] == [traceparent]

    @pytest.mark.parametrize(
        "incoming",
        [
            None,
            "garbage",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "ff-" + "a" * 49,
        ],
    )
    def test_traceparent_is_generated_when_absent_or_invalid(
        self, auth: AuthFactory, client: httpx.Client, incoming: str | None
    ) -> None:
        headers = auth() if incoming is None else {**auth(), "traceparent": incoming}
        response = client.get("/api/lakami/echo", headers=headers)
        forwarded = echoed_headers(response)["traceparent"]
        assert len(forwarded) == 1
        match = TRACEPARENT.fullmatch(forwarded[0])
        assert match is not None
        assert match.group(1) != "0" * 32
        assert match.group(2) != "0" * 16


class TestAuthentication:
    def test_missing_token_is_401(self, client: httpx.Client, upstream: Upstream) -> None:
        before = upstream.state.hits["/v1/letter-requests"]
        response = client.get("/api/lakami/v1/letter-requests")
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert upstream.state.hits["/v1/letter-requests"] == before

    def test_non_bearer_scheme_is_401(self, client: httpx.Client) -> None:
        response = client.get("/api/lakami/echo", headers={"Authorization": "Basic Zm9vOmJhcg=="})
        assert_problem(response, 401)

    @pytest.mark.parametrize(
        "claims",
        [
            {"key": Ed25519PrivateKey.generate()},
            {"expires_in": -60},
            {"audience": "someone-else"},
            {"issuer": "https://evil.example"},
            None,
        ],
        ids=["forged", "expired", "wrong-audience", "untrusted-issuer", "malformed"],
    )
    def test_bad_token_is_401(
        self, client: httpx.Client, make_token: TokenFactory, claims: dict[str, Any] | None
    ) -> None:
        token = "not.a.jwt" if claims is None else make_token(**claims)
        response = client.get("/api/lakami/echo", headers={"Authorization": f"Bearer {token}"})
        assert_problem(response, 401)
        assert 'error="invalid_token"' in response.headers["www-authenticate"]

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/api/lakami/v1/public/letter-types"),
            ("HEAD", "/api/lakami/v1/public/letter-types/domisili"),
            ("GET", "/api/lakami/openapi.json"),
            ("HEAD", "/api/lakami/openapi.json"),
        ],
    )
    def test_public_paths_need_no_token(self, client: httpx.Client, method: str, path: str) -> None:
        response = client.request(method, path)
        assert response.status_code == 200

    def test_keys_unavailable_is_503_not_401(
        self, auth: AuthFactory, gateway_factory: GatewayFactory
    ) -> None:
        gateway = gateway_factory(install_keys=False)
        with gateway.client() as client:
            response = client.get("/api/lakami/echo", headers=auth())
        assert_problem(response, 503)

    def test_public_path_with_a_bad_token_still_passes(self, client: httpx.Client) -> None:
        response = client.get(
            "/api/lakami/v1/public/letter-types", headers={"Authorization": "Bearer nope"}
        )
        assert response.status_code == 200

    def test_openapi_write_is_not_public(self, client: httpx.Client) -> None:
        assert_problem(client.post("/api/lakami/openapi.json"), 401)


class TestBodyLimit:
    @pytest.fixture
    def small(self, gateway_factory: GatewayFactory) -> Iterator[httpx.Client]:
        with gateway_factory(max_body_bytes=1000).client() as c:
            yield c

    def test_content_length_over_the_limit_is_413_at_once(
        self, auth: AuthFactory, small: httpx.Client, upstream: Upstream
    ) -> None:
        before = upstream.state.hits["/count"]
        response = small.post("/api/lakami/count", content=b"x" * 1001, headers=auth())
        assert_problem(response, 413)
        assert upstream.state.hits["/count"] == before

    def test_body_at_the_limit_passes(self, auth: AuthFactory, small: httpx.Client) -> None:
        response = small.post("/api/lakami/echo", content=b"x" * 1000, headers=auth())
        assert response.status_code == 200
        assert len(response.json()["body"]) == 1000

    def test_chunked_body_over_the_limit_is_413(
        self, auth: AuthFactory, small: httpx.Client
    ) -> None:
        def chunks() -> Iterator[bytes]:
            for _ in range(5):
                yield b"y" * 300
                time.sleep(0.01)

        response = small.post("/api/lakami/echo", content=chunks(), headers=auth())
        assert_problem(response, 413)

    def test_chunked_body_under_the_limit_passes(
        self, auth: AuthFactory, small: httpx.Client
    ) -> None:
        def chunks() -> Iterator[bytes]:
            for _ in range(3):
                yield b"z" * 300
                time.sleep(0.01)

        response = small.post("/api/lakami/echo", content=chunks(), headers=auth())
        assert response.status_code == 200
        assert response.json()["body"] == "z" * 900


class TestStreaming:
    def test_large_response_arrives_intact(self, auth: AuthFactory, client: httpx.Client) -> None:
        size = 20 * 1024 * 1024 + 7
        digest = hashlib.sha256()
        received = 0
        with client.stream("GET", f"/api/lakami/big/{size}", headers=auth()) as response:
            assert response.status_code == 200
            for chunk in response.iter_raw():
                digest.update(chunk)
                received += len(chunk)
        block = bytes(range(256)) * 256
        expected = hashlib.sha256()
        remaining = size
        while remaining:
            part = block[: min(len(block), remaining)]
            expected.update(part)
            remaining -= len(part)
        assert received == size
        assert digest.hexdigest() == expected.hexdigest()

    def test_response_is_streamed_not_buffered(
        self, auth: AuthFactory, client: httpx.Client, upstream: Upstream
    ) -> None:
        # The upstream holds back the rest until the client has the first chunk: a buffering
        # proxy would never deliver it, and the upstream would give up and send "late".
        upstream.state.gate.clear()
        with client.stream("GET", "/api/lakami/gated", headers=auth()) as response:
            stream = response.iter_raw()
            first = next(stream)
            assert first == b"first;"
            upstream.state.gate.set()
            rest = b"".join(stream)
        assert rest == b"second"

    def test_request_body_is_streamed_not_buffered(
        self, auth: AuthFactory, client: httpx.Client, upstream: Upstream
    ) -> None:
        upstream.state.first_chunk_seen.clear()
        seen_before_second_chunk: list[bool] = []

        def chunks() -> Iterator[bytes]:
            yield b"a" * 1000
            seen_before_second_chunk.append(upstream.state.first_chunk_seen.wait(5))
            for _ in range(100):
                yield b"b" * 10_000

        response = client.post("/api/lakami/upload-gated", content=chunks(), headers=auth())
        assert response.status_code == 200
        assert response.json() == {"received": 1000 + 100 * 10_000}
        assert seen_before_second_chunk == [True]

    def test_large_upload_with_content_length_arrives_intact(
        self, auth: AuthFactory, client: httpx.Client
    ) -> None:
        payload = bytes(range(256)) * 40_000  # ~10 MB
        response = client.put("/api/lakami/echo", content=payload, headers=auth())
        assert response.status_code == 200
        assert response.json()["body"].encode("latin-1") == payload


class TestUpstreamFailures:
    def test_upstream_down_is_503_fast(self, auth: AuthFactory, client: httpx.Client) -> None:
        started = time.monotonic()
        response = client.get("/api/down/v1/anything", headers=auth())
        assert time.monotonic() - started < 1.0
        problem = assert_problem(response, 503)
        assert "down" in str(problem["detail"])

    def test_upstream_breaking_off_before_the_headers_go_out_is_502(
        self, auth: AuthFactory, client: httpx.Client
    ) -> None:
        assert_problem(client.get("/api/lakami/truncated/declared", headers=auth()), 502)

    def test_upstream_breaking_off_mid_stream_leaves_the_response_incomplete(
        self, auth: AuthFactory, client: httpx.Client
    ) -> None:
        with client.stream("GET", "/api/lakami/truncated/chunked", headers=auth()) as response:
            assert response.status_code == 200
            with pytest.raises(httpx.RemoteProtocolError):
                response.read()

    def test_slow_upstream_is_504(self, auth: AuthFactory, client: httpx.Client) -> None:
        started = time.monotonic()
        response = client.get("/api/lakami/sleep/3", headers=auth())
        elapsed = time.monotonic() - started
        assert_problem(response, 504)
        assert 0.9 < elapsed < 2.5
        assert response.headers["x-request-id"]


class TestCircuitBreaker:
    def test_opens_after_failures_isolates_upstreams_and_recovers(
        self, auth: AuthFactory, gateway_factory: GatewayFactory, upstream: Upstream
    ) -> None:
        gateway = gateway_factory(breaker_failure_threshold=3, breaker_reset_seconds=1.0)
        with gateway.client() as client:
            for _ in range(3):
                assert client.get("/api/lakami/status/503", headers=auth()).status_code == 503
            before = upstream.state.hits["/echo"]

            refused = client.get("/api/lakami/echo", headers=auth())
            problem = assert_problem(refused, 503)
            assert str(problem["type"]).endswith("/upstream-unavailable")
            assert refused.headers["retry-after"] == "1"
            assert upstream.state.hits["/echo"] == before

            # Another agency's breaker is its own.
            assert client.get("/api/epbb/echo", headers=auth()).status_code == 200

            time.sleep(1.1)
            assert client.get("/api/lakami/echo", headers=auth()).status_code == 200
            assert client.get("/api/lakami/echo", headers=auth()).status_code == 200
            assert upstream.state.hits["/echo"] == before + 3

    def test_a_failed_trial_opens_it_again(
        self, auth: AuthFactory, gateway_factory: GatewayFactory
    ) -> None:
        gateway = gateway_factory(breaker_failure_threshold=2, breaker_reset_seconds=0.5)
        with gateway.client() as client:
            for _ in range(2):
                assert_problem(client.get("/api/down/x", headers=auth()), 503)
            time.sleep(0.6)
            trial = client.get("/api/down/x", headers=auth())
            assert "retry-after" not in trial.headers  # the trial went to the upstream
            refused = client.get("/api/down/x", headers=auth())
            assert "retry-after" in refused.headers

    def test_client_errors_do_not_trip_it(
        self, auth: AuthFactory, gateway_factory: GatewayFactory
    ) -> None:
        gateway = gateway_factory(breaker_failure_threshold=2)
        with gateway.client() as client:
            for _ in range(4):
                assert client.get("/api/lakami/status/404", headers=auth()).status_code == 404
                assert client.get("/api/lakami/status/500", headers=auth()).status_code == 500
            assert client.get("/api/lakami/echo", headers=auth()).status_code == 200


class TestRateLimit:
    def test_429_with_retry_after_per_subject(
        self, auth: AuthFactory, gateway_factory: GatewayFactory
    ) -> None:
        gateway = gateway_factory(rate_limit_per_minute=60, rate_limit_burst=3)
        a, b = auth("citizen-a"), auth("citizen-b")
        with gateway.client() as client:
            remaining = [
                client.get("/api/lakami/echo", headers=a).headers["ratelimit-remaining"]
                for _ in range(3)
            ]
            assert remaining == ["2", "1", "0"]
            refused = client.get("/api/lakami/echo", headers=a)
            assert_problem(refused, 429)
            assert refused.headers["retry-after"] == "1"
            assert refused.headers["ratelimit-limit"] == "3"
            # Another subject has its own bucket, and a second later there is a token again.
            assert client.get("/api/lakami/echo", headers=b).status_code == 200
            time.sleep(1.05)
            assert client.get("/api/lakami/echo", headers=a).status_code == 200

    def test_anonymous_callers_are_limited_by_address(
        self, auth: AuthFactory, gateway_factory: GatewayFactory
    ) -> None:
        gateway = gateway_factory(rate_limit_per_minute=60, rate_limit_burst=2)
        with gateway.client() as client:
            path = "/api/lakami/v1/public/letter-types"
            assert [client.get(path).status_code for _ in range(3)] == [200, 200, 429]
            assert client.get(path, headers=auth()).status_code == 200

    def test_failed_verifications_count_against_the_address(
        self, make_token: TokenFactory, gateway_factory: GatewayFactory
    ) -> None:
        gateway = gateway_factory(rate_limit_per_minute=60, rate_limit_burst=2)
        forged = {"Authorization": f"Bearer {make_token(key=Ed25519PrivateKey.generate())}"}
        with gateway.client() as client:
            statuses = [
                client.get("/api/lakami/echo", headers=forged).status_code for _ in range(3)
            ]
        assert statuses == [401, 401, 429]


class TestOpenApi:
    def test_servers_point_at_the_gateway_and_the_document_is_cached(
        self, gateway_factory: GatewayFactory, upstream: Upstream
    ) -> None:
        gateway = gateway_factory(openapi_cache_seconds=60)
        before = upstream.state.hits["/openapi.json"]
        with gateway.client() as client:
            first = client.get("/api/lakami/openapi.json")
            second = client.get("/api/lakami/openapi.json")
            head = client.head("/api/lakami/openapi.json")
        assert first.status_code == second.status_code == head.status_code == 200
        document = first.json()
        assert document["servers"] == [{"url": "/api/lakami"}]
        assert document["paths"] == upstream.openapi_doc["paths"]
        assert second.content == first.content
        assert head.content == b""
        assert upstream.state.hits["/openapi.json"] == before + 1

    def test_each_agency_gets_its_own_servers(self, client: httpx.Client) -> None:
        document = client.get("/api/epbb/openapi.json").json()
        assert document["servers"] == [{"url": "/api/epbb"}]

    def test_upstream_down_is_a_problem(self, client: httpx.Client) -> None:
        assert_problem(client.get("/api/down/openapi.json"), 503)


class TestLifespan:
    def test_lifespan_passes_through_and_the_pools_live_inside_it(
        self, gateway_factory: GatewayFactory, auth: AuthFactory
    ) -> None:
        gateway = gateway_factory()
        assert gateway.inner.events == ["startup"]
        assert gateway.inner.session_open_at_startup is True
        with httpx.Client(base_url=gateway.url) as client:
            assert client.get("/api/lakami/v1/echo", headers=auth()).status_code == 200
        pools = [u.pool for u in gateway.dispatcher._upstreams.values()]
        assert all(pool is not None for pool in pools)
        assert sum(pool.open_connections for pool in pools if pool is not None) >= 1
        gateway.server.stop()
        assert gateway.inner.events == ["startup", "shutdown"]
        assert not gateway.dispatcher.started
        assert all(u.pool is None for u in gateway.dispatcher._upstreams.values())
        assert all(pool is not None and pool.open_connections == 0 for pool in pools)


class TestConcurrency:
    def test_parallel_requests_all_succeed(self, auth: AuthFactory, gateway: Gateway) -> None:
        errors: list[BaseException] = []
        token = auth()

        def worker() -> None:
            try:
                with gateway.client() as client:
                    for i in range(20):
                        response = client.post(
                            "/api/lakami/echo", content=str(i).encode(), headers=token
                        )
                        assert response.json()["body"] == str(i)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
