"""Domain events: written to the outbox in the action's transaction, published after commit.

An event names its audience (organization, queue, assignee, interaction, contact) so the realtime
hub never has to guess who may see it. Payloads are JSON-round-tripped when built, so an
unserializable event fails in the action that made it rather than in the relay.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.db.engine import after_commit
from parley.models import Interaction, OutboxEvent
from parley.schemas.interactions import InteractionRead


@dataclass(frozen=True)
class Audience:
    organization_id: uuid.UUID
    interaction_id: uuid.UUID | None = None
    queue_ids: tuple[uuid.UUID, ...] = ()
    user_ids: tuple[uuid.UUID, ...] = ()
    contact_id: uuid.UUID | None = None
    # Internal notes and agent-only changes never reach the customer's widget.
    internal: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "organization_id": str(self.organization_id),
            "interaction_id": str(self.interaction_id) if self.interaction_id else None,
            "queue_ids": [str(q) for q in self.queue_ids],
            "user_ids": [str(u) for u in self.user_ids],
            "contact_id": str(self.contact_id) if self.contact_id else None,
            "internal": self.internal,
        }


@dataclass
class OutboxNotifier:
    """Called after a commit that wrote outbox rows; the relay wakes up instead of polling."""

    listeners: list[Callable[[], None]] = field(default_factory=list)

    def notify(self) -> None:
        for listener in self.listeners:
            listener()


NOTIFIER = OutboxNotifier()


def audience_of(interaction: Interaction, *, internal: bool = False) -> Audience:
    return Audience(
        organization_id=interaction.organization_id,
        interaction_id=interaction.id,
        queue_ids=(interaction.queue_id,) if interaction.queue_id else (),
        user_ids=(interaction.assignee_id,) if interaction.assignee_id else (),
        contact_id=interaction.contact_id,
        internal=internal,
    )


def record_event(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    type: str,
    audience: Audience,
    data: dict[str, Any],
) -> OutboxEvent:
    payload = json.loads(json.dumps({"audience": audience.as_json(), **data}, default=str))
    row = OutboxEvent(
        organization_id=organization_id, type=type, payload=payload, created_at=clock.now()
    )
    session.add(row)
    if not session.info.get("outbox_hooked"):
        session.info["outbox_hooked"] = True
        after_commit(session, NOTIFIER.notify)
    return row


def interaction_event(
    session: AsyncSession,
    interaction: Interaction,
    type: str,
    *,
    internal: bool = False,
    previous: Audience | None = None,
    **extra: Any,
) -> OutboxEvent:
    """An event about one interaction, carrying its full current representation.

    ``previous`` widens the audience to whoever could see the interaction before the change (a
    transfer must reach the old queue and the old assignee too).
    """
    audience = audience_of(interaction, internal=internal)
    if previous is not None:
        audience = Audience(
            organization_id=audience.organization_id,
            interaction_id=audience.interaction_id,
            queue_ids=tuple(dict.fromkeys(audience.queue_ids + previous.queue_ids)),
            user_ids=tuple(dict.fromkeys(audience.user_ids + previous.user_ids)),
            contact_id=audience.contact_id,
            internal=internal,
        )
    data = {"interaction": InteractionRead.model_validate(interaction).model_dump(mode="json")}
    data.update(extra)
    return record_event(
        session,
        organization_id=interaction.organization_id,
        type=type,
        audience=audience,
        data=data,
    )
