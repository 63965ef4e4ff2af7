"""Ephemeral signals between live clients: who is viewing an interaction, and who is typing.

Nothing here is stored. Signals travel through the hub on the organization's topic, so they reach
every app process (``memory://`` in one, ``redis://`` across many). They carry no ``id``: they are
never replayed, and a client never resumes from one.

An agent's console sends, as JSON text frames on ``/api/v1/events``:

- ``{"type": "viewing", "interaction_id": "<id>" | null}``: the interaction on screen (null: none);
- ``{"type": "typing", "interaction_id": "<id>", "typing": true | false}``.

Both are checked against what the agent may see (unknown or hidden interactions are ignored), and
frames are rate-limited per connection (``RateGate``); "typing: true" is published at most every
``TYPING_EVERY_S`` per interaction, "typing: false" only after a "true" (``TypingGate``).

Typing reaches the other agents who may see the interaction and the chat's visitor as
``{"type": "typing", "interaction_id", "role": "agent" | "customer", "name", "user_id", "typing"}``
(a console ignores its own ``user_id``). A receiver treats "typing: true" as lasting a few seconds.

Viewers need no shared table: each connection announces what it views (``viewer.announce``,
consumed by the servers, never forwarded to a client). A newcomer's announcement says hello, and
every connection already viewing the same interaction answers with its own; announcements are
refreshed every ``REFRESH_S`` and forgotten after ``EXPIRES_S`` (a process that died without a
goodbye). Each console is sent ``{"type": "viewers.changed", "interaction_id", "viewers":
[{"user_id", "name"}]}`` whenever the set of *other people* viewing its interaction changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from parley.access import access_interaction
from parley.actors import Actor
from parley.api.deps import Services
from parley.errors import ParleyError
from parley.events import Audience, audience_of
from parley.realtime.hub import organization_topic

log = logging.getLogger("parley.realtime")
ANNOUNCE = "viewer.announce"
REFRESH_S = 20.0
EXPIRES_S = 50.0
TYPING_EVERY_S = 2.0
MAX_FRAME = 2000  # characters: a client frame is a few dozen
FRAMES_PER_S = 5.0
FRAME_BURST = 20


class RateGate:
    """A token bucket: ``rate`` frames per second on average, ``burst`` at once."""

    def __init__(
        self, *, rate: float, burst: int, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate, self.burst, self._now = rate, burst, now
        self._tokens = float(burst)
        self._at = now()

    def allow(self) -> bool:
        now = self._now()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


@dataclass
class TypingGate:
    """Which typing signals are worth publishing: a "true" per ``TYPING_EVERY_S`` per
    interaction, and a "false" only to end a "true"."""

    now: Callable[[], float] = time.monotonic
    _last: dict[str, float] = field(default_factory=dict)

    def allow(self, interaction_id: str, typing: bool) -> bool:
        if not typing:
            return self._last.pop(interaction_id, None) is not None
        now = self.now()
        last = self._last.get(interaction_id)
        if last is not None and now - last < TYPING_EVERY_S:
            return False
        self._last[interaction_id] = now
        return True


def typing_event(
    audience: Audience, *, role: str, name: str, user_id: str | None, typing: bool
) -> dict[str, Any]:
    return {
        "type": "typing",
        "audience": audience.as_json(),
        "interaction_id": str(audience.interaction_id),
        "role": role,
        "name": name,
        "user_id": user_id,
        "typing": typing,
    }


def client_frame(text: str) -> dict[str, Any] | None:
    """A client's JSON frame, or None when it is too long or not a JSON object with a type."""
    if len(text) > MAX_FRAME:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("type"), str) else None


@dataclass
class _Seen:
    user_id: str
    name: str
    interaction_id: str
    expires: float


@dataclass
class ViewerTracker:
    """One connection's view of who views what (pure: announcements in, decisions out)."""

    connection: str
    user_id: str
    name: str
    viewing: str | None = None
    others: dict[str, _Seen] = field(default_factory=dict)
    _shown: tuple[str | None, tuple[tuple[str, str], ...]] | None = None

    def announcement(self, *, hello: bool) -> dict[str, Any]:
        return {
            "type": ANNOUNCE,
            "connection": self.connection,
            "user_id": self.user_id,
            "name": self.name,
            "interaction_id": self.viewing,
            "hello": hello,
        }

    def heard(self, event: dict[str, Any], now: float) -> bool:
        """Record an announcement; True when this connection should answer with its own."""
        conn = str(event.get("connection") or "")
        if not conn or conn == self.connection:
            return False
        viewing = event.get("interaction_id")
        if not isinstance(viewing, str):
            self.others.pop(conn, None)
            return False
        user, name = str(event.get("user_id") or ""), str(event.get("name") or "")
        self.others[conn] = _Seen(user, name, viewing, now + EXPIRES_S)
        return bool(event.get("hello")) and viewing == self.viewing

    def prune(self, now: float) -> None:
        for conn in [c for c, seen in self.others.items() if seen.expires <= now]:
            del self.others[conn]

    def change(self) -> dict[str, Any] | None:
        """A ``viewers.changed`` event when what the client was last told is out of date."""
        people = {
            (s.user_id, s.name)
            for s in self.others.values()
            if s.interaction_id == self.viewing and s.user_id != self.user_id
        }
        current = (self.viewing, tuple(sorted(people, key=lambda p: (p[1], p[0]))))
        if current == self._shown:
            return None
        self._shown = current
        if self.viewing is None:
            return None
        viewers = [{"user_id": u, "name": n} for u, n in current[1]]
        return {"type": "viewers.changed", "interaction_id": self.viewing, "viewers": viewers}


class AgentSignals:
    """The signals of one console connection: what it says (``receive``), what it hears
    (``track`` wraps the hub subscription), and its goodbye (``leave``)."""

    def __init__(
        self, svc: Services, actor: Actor, *, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.svc, self.actor, self.now = svc, actor, now
        person = actor.user_id or actor.id
        self.tracker = ViewerTracker(uuid.uuid4().hex, str(person), actor.name)
        self.frames = RateGate(rate=FRAMES_PER_S, burst=FRAME_BURST, now=now)
        self.typing = TypingGate(now=now)
        self._announced = 0.0
        self._topic = organization_topic(str(actor.organization_id))

    async def receive(self, text: str) -> None:
        frame = client_frame(text)
        if frame is None or not self.frames.allow():
            return
        kind, target = frame["type"], frame.get("interaction_id")
        try:
            if kind == "viewing":
                viewing = await self._visible(target) if target is not None else None
                self.tracker.viewing = str(viewing.id) if viewing is not None else None
                await self._announce(hello=True)
            elif kind == "typing" and target is not None:
                typing = frame.get("typing") is True
                found = await self._visible(target)
                if self.typing.allow(str(found.id), typing):
                    user = str(self.actor.user_id) if self.actor.user_id else None
                    event = typing_event(
                        audience_of(found),
                        role="agent",
                        name=self.actor.name,
                        user_id=user,
                        typing=typing,
                    )
                    await self.svc.hub.publish(self._topic, event)
        except ParleyError:
            return  # not theirs to see, or malformed: said nothing
        except Exception:  # a signal is best effort: a busy database must not drop the socket
            log.warning("could not handle a %s frame", kind, exc_info=True)

    async def _visible(self, interaction_id: Any) -> Any:
        async with self.svc.db.transaction() as session:
            return await access_interaction(
                session,
                organization_id=self.actor.organization_id,
                interaction_id=str(interaction_id),
                viewer=self.actor,
            )

    async def _announce(self, *, hello: bool) -> None:
        self._announced = self.now()
        await self.svc.hub.publish(self._topic, self.tracker.announcement(hello=hello))

    async def track(self, live: AsyncIterator[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
        """The subscription's events minus announcements, plus this console's viewer changes."""
        pending: asyncio.Task[dict[str, Any]] | None = None
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(anext(live))
                wait = REFRESH_S
                if self.tracker.viewing is not None:
                    wait = max(0.05, self._announced + REFRESH_S - self.now())
                done, _ = await asyncio.wait({pending}, timeout=wait)
                if done:
                    event, pending = pending.result(), None
                    if event.get("type") != ANNOUNCE:
                        yield event
                    elif self.tracker.heard(event, self.now()):
                        await self._announce(hello=False)
                if self.tracker.viewing and self.now() - self._announced >= REFRESH_S:
                    await self._announce(hello=False)
                self.tracker.prune(self.now())
                change = self.tracker.change()
                if change is not None:
                    yield change
        finally:
            if pending is not None:
                pending.cancel()

    async def leave(self) -> None:
        if self.tracker.viewing is None:
            return
        self.tracker.viewing = None
        with contextlib.suppress(Exception):  # best effort: others forget us after EXPIRES_S
            await self._announce(hello=False)
