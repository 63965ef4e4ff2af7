"""The event stream WebSocket (``/api/v1/events``): an organization's events, live, resumable.

Protocol (server -> client, JSON text frames):
- ``{"type": "reload", "reason": ...}``: the server cannot replay from the id the client gave;
  the client must reload its state from the REST API. Never silently stale.
- every domain event as published by the outbox relay: ``{"id", "type", "audience", ...}``;
- ``{"type": "ready", "last_event_id": ...}`` once the replay (if any) is done;
- ``{"type": "heartbeat"}`` when nothing else was sent for ``HEARTBEAT_S``;
- ephemeral signals without an ``id`` (``typing``, ``viewers.changed``): never replayed, never a
  resume point. The client may send ``viewing`` and ``typing`` frames (``parley.realtime.viewers``).

The client resumes by reconnecting with ``?last_event_id=<id of the last event it applied>``. The
outbox table is the replay log: rows after that id are sent first, then live events, with repeats
(an event both replayed and received live) dropped by id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import and_, or_, select

from parley.api.deps import Services
from parley.errors import ParleyError
from parley.models import OutboxEvent
from parley.realtime.hub import organization_topic
from parley.realtime.viewers import AgentSignals
from parley.realtime.visibility import EventFilter, closed, touch
from parley.security.auth import (
    SESSION_COOKIE,
    Principal,
    principal_from_api_key,
    principal_from_session,
)

router = APIRouter()
HEARTBEAT_S = 25.0
REPLAY_LIMIT = 1000
SEEN = 2000  # ids remembered to drop events that arrive both replayed and live


async def _authenticate(websocket: WebSocket, svc: Services) -> Principal:
    header = websocket.headers.get("authorization", "")
    async with svc.db.transaction() as session:
        if header.lower().startswith("bearer "):
            return await principal_from_api_key(session, header[7:].strip())
        token = websocket.cookies.get(SESSION_COOKIE)
        if not token:
            raise ParleyError("sign in or send an API key")
        # A browser sends cookies on cross-site WebSocket handshakes too: only our own pages may
        # use the session (cross-site WebSocket hijacking).
        origin = websocket.headers.get("origin")
        host = websocket.headers.get("host", "")
        if origin is not None and origin.split("://", 1)[-1] != host:
            raise ParleyError("cross-origin WebSocket refused")
        return await principal_from_session(session, token)


async def _replay(
    svc: Services, organization_id: uuid.UUID, last_event_id: str
) -> tuple[list[dict[str, Any]], str | None]:
    """Events after ``last_event_id``, or a reason why they cannot be replayed."""
    try:
        last = uuid.UUID(last_event_id)
    except ValueError:
        return [], "unknown last_event_id"
    async with svc.db.transaction() as session:
        anchor = (
            await session.execute(
                select(OutboxEvent.created_at, OutboxEvent.id).where(
                    OutboxEvent.id == last, OutboxEvent.organization_id == organization_id
                )
            )
        ).one_or_none()
        if anchor is None:
            return [], "last_event_id is no longer in the replay window"
        stmt = (
            select(OutboxEvent)
            .where(
                OutboxEvent.organization_id == organization_id,
                OutboxEvent.published_at.is_not(None),
                or_(
                    OutboxEvent.created_at > anchor[0],
                    and_(OutboxEvent.created_at == anchor[0], OutboxEvent.id > anchor[1]),
                ),
            )
            .order_by(OutboxEvent.created_at, OutboxEvent.id)
            .limit(REPLAY_LIMIT + 1)
        )
        rows = list((await session.execute(stmt)).scalars())
    if len(rows) > REPLAY_LIMIT:
        return [], "too many events missed"
    return [{"id": str(r.id), "type": r.type, **r.payload} for r in rows], None


@router.websocket("/api/v1/events")
async def events(websocket: WebSocket) -> None:
    svc: Services = websocket.app.state.services
    try:
        principal = await _authenticate(websocket, svc)
    except ParleyError:
        # Refused before accepting: the client sees an HTTP 403 on the handshake.
        await websocket.close(code=1008)
        return
    await websocket.accept()
    org = principal.actor.organization_id
    viewer = EventFilter(principal.actor)
    await viewer.refresh(svc.db)
    await touch(svc.db, principal.actor)
    signals = AgentSignals(svc, principal.actor)
    try:
        async with svc.hub.subscribe(organization_topic(str(org))) as subscription:
            live = signals.track(subscription)
            seen: deque[str] = deque(maxlen=SEEN)
            last_sent: str | None = None
            resume = websocket.query_params.get("last_event_id")
            if resume:
                replayed, problem = await _replay(svc, org, resume)
                if problem:
                    await websocket.send_text(json.dumps({"type": "reload", "reason": problem}))
                for event in replayed:
                    seen.append(event["id"])
                    last_sent = event["id"]
                    if viewer.allows(event):
                        await websocket.send_text(json.dumps(event))
            await websocket.send_text(
                json.dumps({"type": "ready", "last_event_id": last_sent or resume})
            )
            await _pump(websocket, live, seen, viewer, svc, on_text=signals.receive)
    finally:
        await signals.leave()
        # Another tab or process may still be open: auto-away decides after a grace period.
        await closed(svc.db, principal.actor)


async def _pump(
    websocket: WebSocket,
    live: AsyncIterator[dict[str, Any]],
    seen: deque[str],
    viewer: EventFilter | None = None,
    svc: Services | None = None,
    on_text: Callable[[str], Awaitable[None]] | None = None,
) -> None:
    """Send live events and heartbeats while reading what the client sends (text frames go to
    ``on_text``, if given; anything else is discarded).

    With ``viewer`` (an agent's console), events are filtered by visibility and heartbeats also
    refresh the agent's presence; the widget's stream filters its events itself. Events without
    an ``id`` (ephemeral signals) are not deduplicated."""

    async def send_loop() -> None:
        pending: asyncio.Task[dict[str, Any]] | None = None
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(anext(live))
                done, _ = await asyncio.wait({pending}, timeout=HEARTBEAT_S)
                if not done:
                    await websocket.send_text('{"type":"heartbeat"}')
                    if viewer is not None and svc is not None:
                        await touch(svc.db, viewer.viewer)
                    continue
                event = pending.result()
                pending = None
                if "id" in event:
                    if event["id"] in seen:
                        continue
                    seen.append(event["id"])
                if viewer is not None and svc is not None:
                    if str(event.get("type", "")).startswith("queue."):
                        await viewer.refresh(svc.db)  # membership may have changed
                    if not viewer.allows(event):
                        continue
                await websocket.send_text(json.dumps(event))
        finally:
            if pending is not None:
                pending.cancel()

    async def receive_loop() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if on_text is not None and message.get("text") is not None:
                await on_text(message["text"])

    sender = asyncio.create_task(send_loop())
    receiver = asyncio.create_task(receive_loop())
    try:
        await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sender, receiver):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await task
