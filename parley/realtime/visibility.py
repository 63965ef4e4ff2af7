"""Which events a console connection may receive: the same rule as the access helpers.

Admins and integrations get every event of their organization. Agents and supervisors get events
about interactions they may see (their queues', their own, unrouted ones; a transfer's event
reaches the old and the new audience) and organization-wide events (queues, agents' presence).
Queue membership is re-read when a queue changes, so a new member starts receiving at once.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from parley.access import visible_queue_ids
from parley.actors import Actor
from parley.db.engine import Database
from parley.routing import presence

log = logging.getLogger("parley.realtime")


@dataclass
class EventFilter:
    viewer: Actor
    queue_ids: frozenset[uuid.UUID] | None = None
    _loaded: bool = field(default=False, repr=False)

    async def refresh(self, db: Database) -> None:
        async with db.transaction() as session:
            self.queue_ids = await visible_queue_ids(session, self.viewer)
        self._loaded = True

    def allows(self, event: dict[str, Any]) -> bool:
        if self.queue_ids is None:
            return True
        audience = event.get("audience") or {}
        if not audience.get("interaction_id"):
            return True  # organization-wide: queues, agents, flows
        users = set(audience.get("user_ids") or ())
        queues = set(audience.get("queue_ids") or ())
        me = str(self.viewer.user_id) if self.viewer.user_id else None
        if me is not None and me in users:
            return True
        if not queues and not users:
            return me is not None  # unrouted work: any person may take over
        return bool(queues & {str(q) for q in self.queue_ids})


async def touch(db: Database, viewer: Actor) -> None:
    """A live console says its agent is here (refreshes the auto-away clock)."""
    if viewer.user_id is None:
        return
    try:
        async with db.transaction() as session:
            await presence.do_touch(
                session, organization_id=viewer.organization_id, user_id=viewer.user_id
            )
    except Exception:  # presence is best effort: a busy database must not drop the socket
        log.warning("could not record presence for %s", viewer.user_id, exc_info=True)


async def closed(db: Database, viewer: Actor) -> None:
    if viewer.user_id is None:
        return
    with contextlib.suppress(Exception):
        async with db.transaction() as session:
            await presence.do_connection_closed(
                session, organization_id=viewer.organization_id, user_id=viewer.user_id
            )
