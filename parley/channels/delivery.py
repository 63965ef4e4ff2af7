"""The ``deliver_message`` job: send an agent or automation message out by its channel."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.channels.base import Delivery, OutboundSender, PermanentFailure, TemporaryFailure
from parley.config import Settings
from parley.events import interaction_event
from parley.files import files_named
from parley.jobs.runner import GiveUp, Retry
from parley.models import (
    Channel,
    Contact,
    ContactIdentity,
    Interaction,
    Job,
    Message,
    ThreadKey,
)
from parley.models.enums import ChannelKind, DeliveryStatus, MessageRole
from parley.schemas.interactions import MessageRead

KIND = "deliver_message"


class DeliverMessage:
    def __init__(self, settings: Settings, senders: dict[ChannelKind, OutboundSender]) -> None:
        self.settings = settings
        self.senders = senders

    async def __call__(self, session: AsyncSession, job: Job) -> None:
        message = await session.get(Message, uuid.UUID(job.payload["message_id"]))
        if message is None or message.delivery_status != DeliveryStatus.pending:
            return  # already handled (a retried job after a crash), or gone
        interaction = await session.get(Interaction, message.interaction_id)
        channel = await session.get(Channel, message.channel_id) if message.channel_id else None
        assert interaction is not None
        if channel is None or channel.organization_id != message.organization_id:
            return
        sender = self.senders.get(channel.kind)
        if sender is None:
            await self._finish(
                session,
                interaction,
                message,
                DeliveryStatus.failed,
                f"no outbound sender for {channel.kind} channels",
            )
            raise GiveUp(f"no sender for {channel.kind}")
        delivery = await _delivery(session, self.settings, channel, interaction, message)
        try:
            result = await sender.send(delivery)
        except TemporaryFailure as exc:
            after = timedelta(seconds=exc.retry_after_s) if exc.retry_after_s else None
            raise Retry(str(exc), after=after) from exc
        except PermanentFailure as exc:
            await self._finish(session, interaction, message, DeliveryStatus.failed, str(exc))
            return
        message.provider_message_id = result.provider_message_id
        if result.provider_message_id:
            # A reply that names our message (email In-Reply-To, a WhatsApp context id) threads
            # back to this interaction even when every other hint is lost.
            session.add(
                ThreadKey(
                    organization_id=channel.organization_id,
                    channel_id=channel.id,
                    key=result.provider_message_id[:500],
                    interaction_id=interaction.id,
                    created_at=clock.now(),
                )
            )
        await self._finish(session, interaction, message, result.status, None)

    async def _finish(
        self,
        session: AsyncSession,
        interaction: Interaction,
        message: Message,
        status: DeliveryStatus,
        error: str | None,
    ) -> None:
        message.delivery_status = status
        if error:
            message.meta = {**message.meta, "delivery_error": error[:500]}
        await session.flush()
        interaction_event(
            session,
            interaction,
            "message.status",
            message=MessageRead.model_validate(message).model_dump(mode="json"),
        )


async def _delivery(
    session: AsyncSession,
    settings: Settings,
    channel: Channel,
    interaction: Interaction,
    message: Message,
) -> Delivery:
    contact = await session.get(Contact, interaction.contact_id) if interaction.contact_id else None
    identities: list[ContactIdentity] = []
    if contact is not None:
        rows = await session.execute(
            select(ContactIdentity).where(
                ContactIdentity.contact_id == contact.id,
                ContactIdentity.organization_id == interaction.organization_id,
            )
        )
        identities = list(rows.scalars())
    last_inbound = (
        await session.execute(
            select(Message)
            .where(Message.interaction_id == interaction.id, Message.role == MessageRole.customer)
            .order_by(Message.seq.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    return Delivery(
        channel,
        interaction,
        message,
        contact,
        identities,
        last_inbound,
        settings,
        files=lambda: files_named(
            session, organization_id=message.organization_id, attachments=message.attachments
        ),
    )
