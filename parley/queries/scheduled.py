"""Replies scheduled on an interaction ("send later"), soonest first."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.access import access_interaction, viewer_of
from parley.actors import Actor
from parley.models import ScheduledMessage
from parley.models.enums import ScheduledStatus


async def scheduled_for(
    session: AsyncSession,
    *,
    actor: Actor,
    interaction_id: uuid.UUID | str,
    statuses: Sequence[ScheduledStatus] | None = None,
) -> list[ScheduledMessage]:
    """The interaction's scheduled replies (404 if ``actor`` may not see it); all statuses unless
    ``statuses`` narrows them."""
    interaction = await access_interaction(
        session,
        organization_id=actor.organization_id,
        interaction_id=interaction_id,
        viewer=viewer_of(actor),
    )
    stmt = select(ScheduledMessage).where(
        ScheduledMessage.organization_id == actor.organization_id,
        ScheduledMessage.interaction_id == interaction.id,
    )
    if statuses is not None:
        stmt = stmt.where(ScheduledMessage.status.in_(list(statuses)))
    stmt = stmt.order_by(ScheduledMessage.send_at, ScheduledMessage.id)
    return list((await session.execute(stmt)).scalars())
