"""``Idempotency-Key`` for POSTs (IETF httpapi draft): a retry replays the stored response.

Same key + same body -> the first response again, one side effect; same key + another body -> 422;
the first still in flight -> 409. Keys are scoped by the caller (token subject, or the client's
address when anonymous) and expire after ``ttl_seconds`` (published in ``Idempotency-Expires``...
documented in the API docs). Responses with status >= 500 are not stored: the client may retry.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import CursorResult, Executable, bindparam, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cimahi_shared.auth import TokenVerifier
from cimahi_shared.db import utcnow
from cimahi_shared.errors import InvalidInput, ProblemError, problem_body
from cimahi_shared.events.tables import idempotency_keys

logger = logging.getLogger("cimahi.idempotency")
_Sender = Callable[[Send], Awaitable[None]]
MAX_KEY_LENGTH = 255


async def refuse_idempotency_key(request: Request) -> None:
    """Dependency of endpoints whose answer holds a one-time secret (API keys, HMAC secrets).

    A stored idempotent response would keep the secret in clear text for the key's lifetime, so
    such a POST refuses an ``Idempotency-Key`` (422 naming the header; nothing is created). Use
    ``dependencies=[Depends(refuse_idempotency_key)]``.
    """
    if "idempotency-key" in request.headers:
        raise InvalidInput(
            "Do not send an Idempotency-Key here: the answer holds a secret that is shown once.",
            errors=[{"field": "Idempotency-Key", "message": "Not accepted here.", "in": "header"}],
        )


# The statements, built once. ``_CLAIM`` inserts a key "in flight" or takes over an expired one
# (a live one is left as it is and returns no row).
_KEY = (idempotency_keys.c.scope == bindparam("b_scope")) & (
    idempotency_keys.c.key == bindparam("b_key")
)
_NEW = sqlite_insert(idempotency_keys).values(
    scope=bindparam("b_scope"),
    key=bindparam("b_key"),
    method=bindparam("b_method"),
    path=bindparam("b_path"),
    request_hash=bindparam("b_request_hash"),
    state="in_flight",
    status_code=None,
    response_headers=None,
    response_body=None,
    created_at=bindparam("b_created_at"),
    expires_at=bindparam("b_expires_at"),
)
_CLAIM = _NEW.on_conflict_do_update(
    index_elements=[idempotency_keys.c.scope, idempotency_keys.c.key],
    set_={
        name: _NEW.excluded[name]
        for name in (
            "method",
            "path",
            "request_hash",
            "state",
            "status_code",
            "response_headers",
            "response_body",
            "created_at",
            "expires_at",
        )
    },
    where=idempotency_keys.c.expires_at < bindparam("b_created_at"),
).returning(idempotency_keys.c.scope)
_READ = select(idempotency_keys).where(_KEY)
_COMPLETE = (
    idempotency_keys.update()
    .where(_KEY)
    .values(
        state="done",
        status_code=bindparam("b_status_code"),
        response_headers=bindparam("b_response_headers"),
        response_body=bindparam("b_response_body"),
    )
)
_FORGET = delete(idempotency_keys).where(_KEY)
# The same on PostgreSQL, sent as they are to asyncpg (no SQLAlchemy on the hot path).
_PG_CLAIM = (
    "INSERT INTO idempotency_keys AS k (scope, key, method, path, request_hash, state,"
    " created_at, expires_at) VALUES ($1, $2, $3, $4, $5, 'in_flight', $6, $7)"
    " ON CONFLICT (scope, key) DO UPDATE SET method = excluded.method, path = excluded.path,"
    " request_hash = excluded.request_hash, state = excluded.state, status_code = NULL,"
    " response_headers = NULL, response_body = NULL, created_at = excluded.created_at,"
    " expires_at = excluded.expires_at WHERE k.expires_at < excluded.created_at RETURNING k.scope"
)
_PG_READ = (
    "SELECT request_hash, state, status_code, response_headers, response_body"
    " FROM idempotency_keys WHERE scope = $1 AND key = $2"
)
_PG_COMPLETE = (
    "UPDATE idempotency_keys SET state = 'done', status_code = $3, response_headers = $4,"
    " response_body = $5 WHERE scope = $1 AND key = $2"
)
_PG_FORGET = "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2"


class IdempotencyMiddleware:
    """Pure ASGI middleware storing POST responses by (caller, key) in the service's database."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        session_factory: async_sessionmaker[AsyncSession],
        verifier: TokenVerifier | None,
        ttl_seconds: int = 86_400,
        exclude_prefixes: tuple[str, ...] = ("/oauth/",),
    ) -> None:
        self.app = app
        # Token endpoints are never stored: a replay would hand out (and persist) credentials.
        self.exclude_prefixes = exclude_prefixes
        self.session_factory = session_factory
        self.verifier = verifier
        self.ttl = timedelta(seconds=ttl_seconds)
        bind = session_factory.kw.get("bind")
        # On PostgreSQL each statement goes straight to the pooled asyncpg connection outside a
        # transaction (autocommit: one round trip, no BEGIN/COMMIT, no SQLAlchemy statement
        # machinery); elsewhere (SQLite) through a short session.
        self._pg_engine = (
            bind if isinstance(bind, AsyncEngine) and bind.dialect.name == "postgresql" else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"].startswith(self.exclude_prefixes)
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        raw_key = headers.get(b"idempotency-key")
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            await _send_problem(
                send,
                400,
                "Invalid Idempotency-Key",
                "bad-idempotency-key",
                f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} characters.",
            )
            return
        try:
            caller = await self._caller(scope, headers)
        except ProblemError:
            await self.app(scope, receive, send)  # let the app answer 401 the usual way
            return
        body, disconnected = await _read_body(receive)
        if disconnected:
            return  # the client went away mid-body: nothing to run, nothing to answer
        target = scope["path"].encode() + b"?" + bytes(scope.get("query_string", b""))
        digest = hashlib.sha256(target + b"\n" + body).hexdigest()

        replay = await self._claim(caller, key, scope, digest)
        if replay is not None:
            await replay(send)
            return

        status = 500
        response_headers: list[tuple[bytes, bytes]] = []
        response_body: list[bytes] = []
        # The answer is held back until it is stored: a client that retries the moment it has
        # the first answer must get the replay, not "still in progress".
        held: list[Message] = []

        async def capturing_send(message: Message) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status = int(message["status"])
                response_headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                response_body.append(bytes(message.get("body", b"")))
            held.append(message)

        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        try:
            await self.app(scope, replay_receive, capturing_send)
        except BaseException:
            await self._forget(caller, key)
            raise
        if status >= 500:
            await self._forget(caller, key)
        else:
            try:
                await self._complete(caller, key, status, response_headers, b"".join(response_body))
            except Exception:
                # Never leave the key "in flight" until it expires: a retry would get 409 forever.
                logger.exception("could not store an idempotent response")
                await self._forget(caller, key)
        for message in held:
            await send(message)

    async def _pg(self, sql: str, *args: Any) -> Any:
        """One autocommitted statement on a pooled asyncpg connection; its first row or None."""
        assert self._pg_engine is not None
        async with self._pg_engine.connect() as conn:
            raw = await conn.get_raw_connection()
            return await raw.driver_connection.fetchrow(sql, *args)  # type: ignore[union-attr]

    async def _run(self, statement: Executable, params: dict[str, Any]) -> Any:
        """One statement in its own short transaction (SQLite); its first row or None."""
        async with self.session_factory() as session, session.begin():
            rows = await session.execute(statement, params)
            if isinstance(rows, CursorResult) and not rows.returns_rows:
                return None
            return rows.first()

    async def _caller(self, scope: Scope, headers: dict[bytes, bytes]) -> str:
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth.lower().startswith("bearer ") and self.verifier is not None:
            principal = await self.verifier.verify(auth[7:].strip())
            return "sub:" + principal.sub
        client = scope.get("client")
        return "addr:" + (client[0] if client else "unknown")

    async def _claim(self, caller: str, key: str, scope: Scope, digest: str) -> _Sender | None:
        now = utcnow()
        # One statement: insert the key "in flight", or take over an expired one; a live one is
        # left alone (and read below).
        params = {
            "b_scope": caller,
            "b_key": key,
            "b_method": scope["method"],
            "b_path": scope["path"],
            "b_request_hash": digest,
            "b_created_at": now,
            "b_expires_at": now + self.ttl,
        }
        if self._pg_engine is not None:
            claimed = await self._pg(_PG_CLAIM, *params.values())
        else:
            claimed = await self._run(_CLAIM, params)
        if claimed is not None:
            return None
        if self._pg_engine is not None:
            row = await self._pg(_PG_READ, caller, key)
        else:
            found = await self._run(_READ, {"b_scope": caller, "b_key": key})
            row = found._mapping if found is not None else None
        if row is None:  # released by the first attempt between our two statements
            return _problem_sender(
                409,
                "Request in progress",
                "idempotency-in-flight",
                "A request with this Idempotency-Key is still being processed.",
            )
        if row["request_hash"] != digest:
            return _problem_sender(
                422,
                "Idempotency-Key reused",
                "idempotency-key-reused",
                "This Idempotency-Key was used with a different request.",
            )
        if row["state"] != "done":
            return _problem_sender(
                409,
                "Request in progress",
                "idempotency-in-flight",
                "A request with this Idempotency-Key is still being processed.",
            )
        stored_body = bytes(row["response_body"] or b"")
        stored_headers = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in orjson.loads(row["response_headers"] or "[]")
        ]
        stored_headers += [
            (b"content-length", str(len(stored_body)).encode()),
            (b"idempotent-replayed", b"true"),
        ]
        stored_status = int(row["status_code"])

        async def replay(send: Send) -> None:
            await send(
                {"type": "http.response.start", "status": stored_status, "headers": stored_headers}
            )
            await send({"type": "http.response.body", "body": stored_body})

        return replay

    async def _complete(
        self, caller: str, key: str, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        kept = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in headers
            if k.lower() not in (b"x-request-id", b"date", b"server", b"content-length")
        ]
        stored = orjson.dumps(kept).decode()
        if self._pg_engine is not None:
            await self._pg(_PG_COMPLETE, caller, key, status, stored, body)
        else:
            await self._run(
                _COMPLETE,
                {
                    "b_scope": caller,
                    "b_key": key,
                    "b_status_code": status,
                    "b_response_headers": stored,
                    "b_response_body": body,
                },
            )

    async def _forget(self, caller: str, key: str) -> None:
        try:
            if self._pg_engine is not None:
                await self._pg(_PG_FORGET, caller, key)
            else:
                await self._run(_FORGET, {"b_scope": caller, "b_key": key})
        except Exception:
            logger.exception("could not release an idempotency key")


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The whole request body, and whether the client disconnected before sending it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), True
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _problem_sender(status: int, title: str, code: str, detail: str) -> _Sender:
    async def sender(send: Send) -> None:
        await _send_problem(send, status, title, code, detail)

    return sender


async def _send_problem(send: Send, status: int, title: str, code: str, detail: str) -> None:
    body = problem_body(status=status, title=title, code=code, detail=detail)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/problem+json")],
        }
    )
    await send({"type": "http.response.body", "body": body})
