"""The widget's live stream: ``/widget/v1/{channel_id}/chats/{chat_id}/ws?token=<visitor token>``.

Only this chat's interaction's non-internal ``message.created`` and ``message.status`` events,
projected to what a visitor may see (``chats.visitor_event``): never another visitor's, never an
internal note, never agent-only fields. The protocol is the agent stream's
(``parley/realtime/stream.py``), whose replay and pump it reuses:

- ``{"type": "reload", "reason"}`` when ``last_event_id`` cannot be replayed: fetch the transcript;
- ``{"id", "type", "message": {...}}`` per event; ``{"type": "ready", "last_event_id", "ended"}``
  after the replay (``ended``: the interaction is wrapped up or completed);
  ``{"type": "heartbeat"}`` when idle;
- ``{"id", "type": "chat.ended"}`` when an agent wraps up or completes the interaction;
- ``{"type": "typing", "role": "agent", "name", "typing"}`` (ephemeral: no id, never replayed).

The visitor may send ``{"type": "typing", "typing": true | false}``; agents who may see the
interaction receive it on their event stream (rate-limited, see ``parley.realtime.viewers``).

Resume by reconnecting with ``&last_event_id=<id of the last event received>``. Replay reads the
organization's event log, so after a long absence in a busy organization it may say "reload".
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, WebSocket

from parley.access import access_interaction
from parley.api.deps import Services
from parley.channels.edge import webhook_channel
from parley.channels.webchat import chats, tokens
from parley.channels.webchat.cors import origin_allowed
from parley.channels.webchat.fileurls import with_urls
from parley.errors import Forbidden, ParleyError
from parley.events import audience_of
from parley.models import Channel, Interaction
from parley.models.enums import ChannelKind, State
from parley.realtime.hub import organization_topic
from parley.realtime.stream import SEEN, _pump, _replay
from parley.realtime.viewers import (
    FRAME_BURST,
    FRAMES_PER_S,
    RateGate,
    TypingGate,
    client_frame,
    typing_event,
)

router = APIRouter()
log = logging.getLogger("parley.webchat")


async def _authorize(
    websocket: WebSocket, svc: Services, channel_id: str, chat_id: str
) -> tuple[Channel, Interaction]:
    channel = await webhook_channel(svc, channel_id, [ChannelKind.webchat])
    # Browsers do not apply CORS to WebSockets: the Origin is checked here.
    headers = websocket.headers
    if not origin_allowed(channel, headers.get("origin"), headers.get("host")):
        raise Forbidden("this site may not use this chat widget")
    visitor = tokens.verify(svc.settings, channel, websocket.query_params.get("token") or "")
    async with svc.db.transaction() as session:
        interaction = await chats.access_chat(
            session, channel=channel, chat_id=chat_id, visitor_id=visitor
        )
    return channel, interaction


async def _visible(
    svc: Services, channel: Channel, live: AsyncIterator[dict[str, Any]], interaction_id: uuid.UUID
) -> AsyncIterator[dict[str, Any]]:
    async for event in live:
        view = chats.visitor_event(event, interaction_id)
        if view is not None:
            yield with_urls(svc.settings, channel, view)


async def _has_ended(svc: Services, interaction: Interaction) -> bool:
    async with svc.db.transaction() as session:
        current = await access_interaction(
            session, organization_id=interaction.organization_id, interaction_id=interaction.id
        )
        return current.state in (State.wrap_up, State.completed)


class VisitorTyping:
    """The visitor's typing frames, published to the agents who may see the interaction."""

    def __init__(self, svc: Services, interaction: Interaction) -> None:
        self.svc, self.interaction = svc, interaction
        self.frames = RateGate(rate=FRAMES_PER_S, burst=FRAME_BURST)
        self.gate = TypingGate()

    async def receive(self, text: str) -> None:
        frame = client_frame(text)
        if frame is None or frame["type"] != "typing" or not self.frames.allow():
            return
        typing = frame.get("typing") is True
        if not self.gate.allow(str(self.interaction.id), typing):
            return
        try:
            await self._publish(typing)
        except Exception:  # best effort: a busy database must not drop the visitor's socket
            log.warning("could not publish a visitor's typing", exc_info=True)

    async def _publish(self, typing: bool) -> None:
        async with self.svc.db.transaction() as session:
            # Its queue and assignee now, not when the socket opened: they name the audience.
            current = await access_interaction(
                session,
                organization_id=self.interaction.organization_id,
                interaction_id=self.interaction.id,
            )
        event = typing_event(
            audience_of(current), role="customer", name="", user_id=None, typing=typing
        )
        await self.svc.hub.publish(organization_topic(str(current.organization_id)), event)


@router.websocket("/widget/v1/{channel_id}/chats/{chat_id}/ws")
async def chat_stream(websocket: WebSocket, channel_id: str, chat_id: str) -> None:
    svc: Services = websocket.app.state.services
    try:
        channel, interaction = await _authorize(websocket, svc, channel_id, chat_id)
    except ParleyError:
        # Refused before accepting: the client sees an HTTP 403 on the handshake.
        await websocket.close(code=1008)
        return
    await websocket.accept()
    org = channel.organization_id
    async with svc.hub.subscribe(organization_topic(str(org))) as live:
        seen: deque[str] = deque(maxlen=SEEN)
        last_sent: str | None = None
        resume = websocket.query_params.get("last_event_id")
        if resume:
            replayed, problem = await _replay(svc, org, resume)
            if problem:
                await websocket.send_text(json.dumps({"type": "reload", "reason": problem}))
            for event in replayed:
                view = chats.visitor_event(event, interaction.id)
                seen.append(event["id"])
                if view is not None:
                    await websocket.send_text(json.dumps(with_urls(svc.settings, channel, view)))
                    last_sent = view["id"]
        # Read after subscribing, so an end that happens meanwhile is either here or live.
        ended = await _has_ended(svc, interaction)
        await websocket.send_text(
            json.dumps({"type": "ready", "last_event_id": last_sent or resume, "ended": ended})
        )
        typing = VisitorTyping(svc, interaction)
        await _pump(
            websocket, _visible(svc, channel, live, interaction.id), seen, on_text=typing.receive
        )
