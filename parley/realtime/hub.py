"""The realtime hub: publish a JSON event on a topic; subscribers get what is published after they
subscribe. Chosen by URL: ``memory://`` (one process) or ``redis://`` (many app processes).

The hub knows nothing of the domain; whoever publishes names the topic (see parley.events.Audience).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

import redis.asyncio as aioredis


class Subscription(Protocol):
    def __aiter__(self) -> AsyncIterator[dict[str, Any]]: ...


class Hub(Protocol):
    async def publish(self, topic: str, event: dict[str, Any]) -> None: ...

    def subscribe(
        self, topic: str
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[dict[str, Any]]]: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


class MemoryHub:
    def __init__(self, *, max_queue: int = 1000) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self._max_queue = max_queue

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        # Round-trip through JSON so memory and Redis deliver exactly the same thing.
        data = json.loads(json.dumps(event))
        for queue in list(self._subscribers.get(topic, ())):
            if queue.full():
                continue  # a subscriber that does not read loses events and must resync
            queue.put_nowait(data)

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self._max_queue)
        self._subscribers[topic].add(queue)

        async def events() -> AsyncIterator[dict[str, Any]]:
            while True:
                yield await queue.get()

        try:
            yield events()
        finally:
            self._subscribers[topic].discard(queue)
            if not self._subscribers[topic]:
                del self._subscribers[topic]

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._subscribers.clear()


class RedisHub:
    def __init__(self, url: str) -> None:
        self._redis = aioredis.from_url(url, socket_timeout=5, socket_connect_timeout=2)

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        await self._redis.publish(topic, json.dumps(event))

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(topic)

        async def events() -> AsyncIterator[dict[str, Any]]:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    yield json.loads(message["data"])

        try:
            yield events()
        finally:
            await pubsub.unsubscribe(topic)
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()


def make_hub(url: str) -> MemoryHub | RedisHub:
    if url.startswith("memory://"):
        return MemoryHub()
    return RedisHub(url)


def organization_topic(organization_id: str) -> str:
    return f"parley:org:{organization_id}"
