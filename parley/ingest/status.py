"""Delivery receipts for outbound messages: sent, delivered, read, failed. Never backwards.

Providers deliver status callbacks out of order (a 'delivered' after a 'read'); a status only
moves a message forward.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.events import interaction_event
from parley.ingest.event import StatusUpdate
from parley.models import Channel, Interaction, Message
from parley.models.enums import DeliveryStatus
from parley.schemas.interactions import MessageRead

RANK = {
    DeliveryStatus.pending: 0,
    DeliveryStatus.sent: 1,
    DeliveryStatus.failed: 2,
    DeliveryStatus.delivered: 3,
    DeliveryStatus.read: 4,
}


def advances(current: DeliveryStatus | None, new: DeliveryStatus) -> bool:
    """Whether ``new`` moves a message forward. A failure after delivery is a late echo, and
    nothing moves a message out of failed."""
    if current is None or current in (DeliveryStatus.received, DeliveryStatus.failed):
        # A failure is final: a late "delivered" for a message the provider gave up on is noise.
        return False
    return RANK[new] > RANK[current]


async def do_apply_status(
    session: AsyncSession, *, channel: Channel, update: StatusUpdate
) -> Message | None:
    stmt = (
        select(Message)
        .where(
            Message.channel_id == channel.id,
            Message.organization_id == channel.organization_id,
            Message.provider_message_id == update.provider_message_id,
        )
        .with_for_update()
    )
    message = (await session.execute(stmt)).scalar_one_or_none()
    if message is None or not advances(message.delivery_status, update.status):
        return message
    message.delivery_status = update.status
    if update.error:
        message.meta = {**message.meta, "delivery_error": update.error[:500]}
    await session.flush()
    interaction = await session.get(Interaction, message.interaction_id)
    assert interaction is not None
    interaction_event(
        session,
        interaction,
        "message.status",
        message=MessageRead.model_validate(message).model_dump(mode="json"),
    )
    return message
