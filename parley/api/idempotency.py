"""``Idempotency-Key`` on every POST under /api/v1, with Stripe's semantics (docs/webhooks.md).

An ASGI middleware, so no endpoint has to opt in. The key is claimed (its row inserted, the
unique constraint deciding races) in a short transaction before the request runs; the answer is
stored after the request's own transaction committed, and only then sent. The claim is a lease:
a process that dies in between leaves a claim that expires after ``LEASE``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley import clock
from parley.actors import Actor
from parley.api.deps import Services, authenticate
from parley.api.errors import error_response
from parley.errors import ParleyError
from parley.models import IdempotencyKey

HEADER = "idempotency-key"
PREFIX = "/api/v1/"
MAX_KEY = 255
KEEP = timedelta(hours=24)
LEASE = timedelta(seconds=60)
# Answers a retry should not get back: a conflict or a rate limit may be gone by then.
NOT_KEPT = frozenset({409, 429})
# What the endpoints answer 503 for (parley/api/errors.py): the database cannot be reached.
BACKEND_DOWN = (OperationalError, InterfaceError, OSError)


def principal_of(actor: Actor) -> str:
    """Keys belong to their sender: the API key or the signed-in user (within the organization)."""
    return f"{actor.type.value}:{actor.id}"


def request_hash(method: str, path: str, query: str, body: bytes) -> str:
    """Same request = same method, path, query and JSON body by content (key order ignored)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


@dataclass(frozen=True)
class Stored:
    status: int
    media_type: str
    text: str


@dataclass(frozen=True)
class Claimed:
    row_id: Any


Decision = Stored | Claimed | ParleyError


class IdempotencyConflict(ParleyError):
    code = "idempotency_in_progress"
    status = 409


class KeyReused(ParleyError):
    code = "idempotency_key_reused"
    status = 422


async def claim(
    session: AsyncSession, *, actor: Actor, key: str, method: str, path: str, digest: str
) -> Decision:
    """Claim ``key`` for this request, or say what to answer instead (a replay or an error).

    Raises IntegrityError when a concurrent request inserted the same key first."""
    now = clock.now()
    scope = (
        IdempotencyKey.organization_id == actor.organization_id,
        IdempotencyKey.principal == principal_of(actor),
    )
    # Expired keys of this sender are free again (and cleaned up while we are here).
    await session.execute(delete(IdempotencyKey).where(*scope, IdempotencyKey.expires_at <= now))
    row = (
        await session.execute(select(IdempotencyKey).where(*scope, IdempotencyKey.key == key))
    ).scalar_one_or_none()
    if row is None:
        row = IdempotencyKey(
            organization_id=actor.organization_id,
            principal=principal_of(actor),
            key=key,
            method=method,
            path=path[:500],
            request_hash=digest,
            status_code=None,
            response_body=None,
            expires_at=now + LEASE,
            created_at=now,
        )
        async with session.begin_nested():
            session.add(row)
        return Claimed(row.id)
    if row.request_hash != digest:
        return KeyReused(
            "this Idempotency-Key was used for a different request",
            fields={"idempotency-key": "reused with a different request"},
        )
    if row.status_code is None or row.response_body is None:
        return IdempotencyConflict("a request with this Idempotency-Key is still running")
    body = row.response_body
    return Stored(row.status_code, str(body.get("media_type", "")), str(body.get("text", "")))


async def store(
    session: AsyncSession, *, row_id: Any, status: int, media_type: str, text: str
) -> None:
    row = await session.get(IdempotencyKey, row_id)
    if row is not None:
        row.status_code = status
        row.response_body = {"media_type": media_type, "text": text}
        row.expires_at = clock.now() + KEEP


async def release(session: AsyncSession, *, row_id: Any) -> None:
    await session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row_id))


class Idempotency:
    """The middleware. Requests without the header, other methods and paths pass untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", ())) if scope["type"] == "http" else {}
        raw_key = headers.get(HEADER.encode())
        if (
            raw_key is None
            or scope.get("method") != "POST"
            or not str(scope.get("path", "")).startswith(PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY:
            response = error_response(
                422,
                "invalid_input",
                f"Idempotency-Key must be 1 to {MAX_KEY} characters",
                {"idempotency-key": f"1 to {MAX_KEY} characters"},
            )
            await response(scope, receive, send)
            return
        body = await _read_body(receive)
        request = Request(scope, _replaying(body, receive))
        try:
            actor = (await authenticate(request)).actor
        except ParleyError:
            # Unauthenticated or a missing CSRF token: the endpoint answers as usual, keeps nothing.
            await self.app(scope, _replaying(body, receive), send)
            return
        except BACKEND_DOWN:
            await _unavailable(scope, receive, send)
            return
        await self._run(scope, receive, send, actor, key, body, request)

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        actor: Actor,
        key: str,
        body: bytes,
        request: Request,
    ) -> None:
        svc: Services = request.app.state.services
        method, path = str(scope["method"]), str(scope["path"])
        digest = request_hash(method, path, scope.get("query_string", b"").decode("latin-1"), body)
        try:
            async with svc.db.transaction() as session:
                decision = await claim(
                    session, actor=actor, key=key, method=method, path=path, digest=digest
                )
        except IntegrityError:  # a concurrent duplicate claimed it between our read and insert
            decision = IdempotencyConflict("a request with this Idempotency-Key is still running")
        except BACKEND_DOWN:
            await _unavailable(scope, receive, send)
            return
        if isinstance(decision, ParleyError):
            extra = {"Retry-After": "1"} if isinstance(decision, IdempotencyConflict) else {}
            response = error_response(
                decision.status, decision.code, decision.message, decision.fields, **extra
            )
            await response(scope, receive, send)
            return
        if isinstance(decision, Stored):
            await _send_stored(send, decision)
            return
        await self._run_claimed(scope, receive, send, svc, decision, body)

    async def _run_claimed(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        svc: Services,
        claimed: Claimed,
        body: bytes,
    ) -> None:
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, _replaying(body, receive), capture)
        except Exception:
            # A crash: nothing is kept, so a retry runs the request. If even this fails (or the
            # task is cancelled), the claim's lease runs out instead.
            with contextlib.suppress(Exception):
                async with svc.db.transaction() as session:
                    await release(session, row_id=claimed.row_id)
            raise
        assert start is not None
        status = int(start["status"])
        text = b"".join(chunks)
        headers = dict(start.get("headers", ()))
        # An answer marked no-store holds a secret that is stored only as a hash (a new API key,
        # a generated password): keeping it would defeat the hash, so a retry runs again.
        secret = b"no-store" in headers.get(b"cache-control", b"")
        async with svc.db.transaction() as session:
            if status < 500 and status not in NOT_KEPT and not secret:
                media = headers.get(b"content-type", b"").decode("latin-1")
                await store(
                    session,
                    row_id=claimed.row_id,
                    status=status,
                    media_type=media,
                    text=text.decode("utf-8", "replace"),
                )
            else:
                await release(session, row_id=claimed.row_id)
        await send(start)
        await send({"type": "http.response.body", "body": text, "more_body": False})


async def _read_body(receive: Receive) -> bytes:
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(parts)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the buffered body to the application once, then waits for the
    client's disconnect as the real one would."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _unavailable(scope: Scope, receive: Receive, send: Send) -> None:
    """The database is unreachable: the same honest 503 the endpoints give (nothing saved)."""
    response = error_response(
        503,
        "unavailable",
        "the database is unavailable; nothing was saved",
        None,
        **{"Retry-After": "5"},
    )
    await response(scope, receive, send)


async def _send_stored(send: Send, stored: Stored) -> None:
    headers = [(b"idempotent-replayed", b"true")]
    if stored.media_type:
        headers.append((b"content-type", stored.media_type.encode("latin-1")))
    data = stored.text.encode()
    headers.append((b"content-length", str(len(data)).encode()))
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": data, "more_body": False})
