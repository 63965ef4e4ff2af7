"""Replies scheduled on an interaction ("send later"), soonest first."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.access import access_interaction, viewer_of
from parley.actors import Actor
from parley.models import Interaction, ScheduledMessage
from parley.models.enums import ScheduledStatus


async def scheduled_on(
    session: AsyncSession,
    interaction: Interaction,
    statuses: Sequence[ScheduledStatus] | None = None,
) -> list[ScheduledMessage]:
    """The scheduled replies of an interaction the caller has already loaded through
    ``parley.access``; all statuses unless ``statuses`` narrows them."""
    stmt = select(ScheduledMessage).where(
        ScheduledMessage.organization_id == interaction.organization_id,
        ScheduledMessage.interaction_id == interaction.id,
    )
    if statuses is not None:
        stmt = stmt.where(ScheduledMessage.status.in_(list(statuses)))
    stmt = stmt.order_by(ScheduledMessage.send_at, ScheduledMessage.id)
    return list((await session.execute(stmt)).scalars())


async def scheduled_for(
    session: AsyncSession,
    *,
    actor: Actor,
    interaction_id: uuid.UUID | str,
    statuses: Sequence[ScheduledStatus] | None = None,
) -> list[ScheduledMessage]:
    """``scheduled_on`` for an interaction id from outside (404 if ``actor`` may not see it)."""
    interaction = await access_interaction(
        session,
        organization_id=actor.organization_id,
        interaction_id=interaction_id,
        viewer=viewer_of(actor),
    )
    return await scheduled_on(session, interaction, statuses)
