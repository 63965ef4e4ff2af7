"""Messenger's watermark receipts, turned into per-message statuses.

Messenger's ``delivery`` (without ``mids``) and ``read`` events name a time, not a message:
everything the page sent that person up to then was delivered or read. The pipeline moves
statuses by provider id, so the watermark is resolved into the ids of our outbound messages first.
"""

from __future__ import annotations

from sqlalchemy import select

from parley.actions.contacts import normalize_identity
from parley.api.deps import Services
from parley.channels.meta.common import Watermark
from parley.channels.meta.messenger import IDENTITIES, status_event
from parley.ingest.event import InboundEvent
from parley.models import Channel, ContactIdentity, Interaction, Message
from parley.models.enums import DeliveryStatus, MessageDirection

# A read receipt can still move sent and delivered messages; a delivery only sent ones.
BEFORE = {
    DeliveryStatus.delivered: (DeliveryStatus.sent,),
    DeliveryStatus.read: (DeliveryStatus.sent, DeliveryStatus.delivered),
}
LIMIT = 200


async def watermark_events(
    svc: Services, channel: Channel, marks: list[Watermark]
) -> list[InboundEvent]:
    if not marks or channel.kind not in IDENTITIES:
        return []
    kind = IDENTITIES[channel.kind]
    org = channel.organization_id
    found: list[InboundEvent] = []
    async with svc.db.transaction() as session:
        for mark in marks:
            stmt = (
                select(Message.provider_message_id)
                .join(Interaction, Interaction.id == Message.interaction_id)
                .join(ContactIdentity, ContactIdentity.contact_id == Interaction.contact_id)
                .where(
                    Message.organization_id == org,
                    Message.channel_id == channel.id,
                    Message.direction == MessageDirection.outbound,
                    Message.provider_message_id.is_not(None),
                    Message.delivery_status.in_(BEFORE[mark.status]),
                    Message.created_at <= mark.until,
                    Interaction.organization_id == org,
                    ContactIdentity.organization_id == org,
                    ContactIdentity.kind == kind,
                    ContactIdentity.value == normalize_identity(kind, mark.user_id),
                )
                .order_by(Message.created_at)
                .limit(LIMIT)
            )
            for mid in (await session.execute(stmt)).scalars():
                if mid:
                    found.append(status_event(channel, mid, mark.status))
    return found
