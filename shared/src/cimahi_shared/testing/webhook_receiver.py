"""A real HTTP webhook receiver for tests: what an integrator runs, on a free loopback port.

It answers every POST with the status its ``policy`` chooses (200 by default; a test switches
it to 500 for an outage, 410 to unsubscribe, or makes it slow) and keeps every request it got,
so the test can check each one as an integrator would: the Standard Webhooks signature with
the ``standardwebhooks`` package and the body with the ``cloudevents`` SDK
(:func:`verified_event`). It runs in its own thread, so it serves synchronous end-to-end tests
and asyncio tests alike.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from standardwebhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Received:
    """One request the receiver got, and the status it answered."""

    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int
    at: float  # time.monotonic()

    @property
    def webhook_id(self) -> str:
        """The ``webhook-id`` header (the same on every retry of a message)."""
        return self.headers.get("webhook-id", "")


Policy = Callable[[dict[str, str], bytes], int]
"""``policy(headers, body)`` -> the status to answer (it may sleep to be slow)."""


def verified_event(message: Received, secrets: Sequence[str]) -> BaseCloudEvent:
    """The CloudEvent of a delivery whose signature verifies with every one of ``secrets``.

    Raises ``WebhookVerificationError`` when a secret does not verify it."""
    for secret in secrets:
        Webhook(secret).verify(message.body, dict(message.headers))
    return from_http_event(HTTPMessage(headers=dict(message.headers), body=message.body))


def verifies(message: Received, secret: str) -> bool:
    """Whether ``secret`` verifies the message's signature."""
    try:
        Webhook(secret).verify(message.body, dict(message.headers))
    except WebhookVerificationError:
        return False
    return True


class WebhookReceiver:
    """``with WebhookReceiver() as receiver:`` serves on ``receiver.url`` until the block ends."""

    def __init__(self, policy: Policy | None = None, *, path: str = "/hooks") -> None:
        self.policy: Policy = policy or (lambda _headers, _body: 200)
        self.path = path
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Where to send deliveries."""
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.path}"

    def messages(self) -> list[Received]:
        """A copy of what arrived so far."""
        with self._lock:
            return list(self.received)

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float) -> bool:
        """Block until ``predicate(messages)`` holds (True) or ``timeout`` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.messages()):
                return True
            time.sleep(0.05)
        return predicate(self.messages())

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            """Reads the body, asks the policy, answers, remembers."""

            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = receiver.policy(headers, body)
                with receiver._lock:
                    receiver.received.append(Received(headers, body, status, time.monotonic()))
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the tests read ``received`` instead."""

        return Handler
