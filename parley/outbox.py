"""The outbox relay: publishes committed domain events to the realtime hub, in commit order.

It wakes when a transaction that wrote events commits (same process) and also polls, so events
written by other processes, or left behind by a crash between commit and publish, still go out.
Delivery is at least once; every event carries its id so consumers can drop repeats.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.db.engine import Database
from parley.events import NOTIFIER
from parley.models import OutboxEvent
from parley.realtime.hub import Hub, organization_topic

log = logging.getLogger("parley.outbox")
FanOut = Callable[[AsyncSession, OutboxEvent], Awaitable[None]]
BATCH = 200


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        hub: Hub,
        *,
        poll_s: float = 1.0,
        fan_out: FanOut | None = None,
    ) -> None:
        self._db = db
        self._hub = hub
        # Durable follow-ups of each event (outbound webhook jobs), written in the same
        # transaction that marks it published, so neither is lost without the other.
        self._fan_out = fan_out
        self._poll_s = poll_s
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        NOTIFIER.listeners.append(self._wake.set)
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self, *, grace_s: float = 5.0) -> None:
        """Finish the batch in hand (so nothing is published twice), then stop."""
        with contextlib.suppress(ValueError):
            NOTIFIER.listeners.remove(self._wake.set)
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace_s)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while not self._stopping:
            try:
                while await self.publish_pending() == BATCH and not self._stopping:
                    pass
            except Exception:  # the database or hub is down: log, back off, try again
                log.exception("outbox relay failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_s)
            self._wake.clear()

    async def publish_pending(self) -> int:
        """Publish one batch; returns how many events went out."""
        async with self._db.transaction() as session:
            stmt = (
                select(OutboxEvent)
                .where(OutboxEvent.published_at.is_(None))
                .order_by(OutboxEvent.created_at, OutboxEvent.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
            events = list((await session.execute(stmt)).scalars())
            for event in events:
                if self._fan_out is not None:
                    await self._fan_out(session, event)
                await self._hub.publish(
                    organization_topic(str(event.organization_id)),
                    {"id": str(event.id), "type": event.type, **event.payload},
                )
            if events:
                await session.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.id.in_([e.id for e in events]))
                    .values(published_at=clock.now())
                )
        return len(events)
