"""Adding to the transcript: customer, agent and automation messages, and internal notes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.access import access_channel, access_interaction, viewer_of
from parley.actions.activity import record_activity
from parley.actors import Actor
from parley.analytics.jobs import request_message_sentiment
from parley.errors import Conflict, Forbidden, InvalidInput, ReadOnly
from parley.events import interaction_event
from parley.files import attachment_of, do_store_file
from parley.jobs.queue import enqueue
from parley.lifecycle.state_machine import Command, can, next_state
from parley.models import Interaction, Message
from parley.models.enums import (
    ActorType,
    ChannelKind,
    DeliveryStatus,
    HandledBy,
    MessageDirection,
    MessageKind,
    MessageRole,
    Owner,
    Role,
    State,
)
from parley.schemas.interactions import MessageRead
from parley.sla import clocks as sla_clocks
from parley.timers.arm import arm_message_timers

MAX_TEXT = 20_000
# Where a reply can carry a file today: the widget serves it, email attaches it. SMS, WhatsApp,
# Messenger and Instagram fetch media from a public URL, which Parley does not expose yet.
CARRY_FILES = frozenset({ChannelKind.webchat, ChannelKind.email})


async def do_add_message(
    session: AsyncSession,
    *,
    actor: Actor,
    interaction_id: uuid.UUID,
    role: MessageRole,
    text: str,
    html: str | None = None,
    internal: bool = False,
    attachments: Sequence[dict[str, Any]] = (),
    channel_id: uuid.UUID | None = None,
    provider_message_id: str | None = None,
    author_name: str | None = None,
    sent_at: datetime | None = None,
    meta: dict[str, Any] | None = None,
) -> Message:
    """Append a message (or, with ``internal``, a note only agents see).

    An agent who writes in an unowned interaction takes it over (Kindflow's take-over). Automation
    may never speak once a human owns the interaction. A message that carries a provider id already
    stored for the channel is returned as it is: a provider's retry never becomes a second message.
    """
    if not text.strip() and not attachments:
        raise InvalidInput("a message needs text or an attachment", fields={"text": "empty"})
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            f"a message is at most {MAX_TEXT} characters", fields={"text": "too long"}
        )
    if internal and role != MessageRole.agent:
        raise InvalidInput("internal notes are written by agents", fields={"role": "must be agent"})

    if provider_message_id is not None and channel_id is not None:
        existing = await _by_provider_id(session, channel_id, provider_message_id)
        if existing is not None:
            return existing

    interaction = await access_interaction(
        session,
        organization_id=actor.organization_id,
        interaction_id=interaction_id,
        lock=True,
        viewer=viewer_of(actor),
    )
    command = Command.note if internal else Command.message
    if not can(interaction.state, command):
        raise ReadOnly(
            "this interaction is completed and read-only; clone it to follow up with the customer"
        )
    next_state(interaction.state, command)
    if role == MessageRole.assistant and interaction.owner == Owner.agent:
        raise Conflict("automation does not speak once a person owns the interaction")
    if role == MessageRole.agent and not internal:
        await _take_over_if_unowned(session, actor, interaction)

    now = clock.now()
    outbound = role in (MessageRole.agent, MessageRole.assistant) and not internal
    if outbound and channel_id is None:
        # Replies leave by the channel the conversation is on now.
        channel_id = interaction.channel_id
    message = Message(
        organization_id=interaction.organization_id,
        interaction_id=interaction.id,
        seq=interaction.message_count + 1,
        role=role,
        kind=MessageKind.note if internal else MessageKind.message,
        direction=_direction(role, internal),
        author_type=actor.type,
        author_id=actor.id,
        author_name=author_name or actor.name,
        text=text,
        html=html,
        attachments=list(attachments),
        channel_id=channel_id,
        provider_message_id=provider_message_id,
        delivery_status=_initial_status(role, internal, channel_id),
        meta=dict(meta or {}),
        created_at=sent_at or now,
    )
    try:
        async with session.begin_nested():
            session.add(message)
            interaction.message_count += 1
            _touch(interaction, role, internal, now)
    except IntegrityError:
        if provider_message_id is None or channel_id is None:
            raise
        # A concurrent delivery of the same provider message won the race.
        await session.refresh(interaction)
        existing = await _by_provider_id(session, channel_id, provider_message_id)
        if existing is None:
            raise
        return existing

    if message.delivery_status == DeliveryStatus.pending:
        await enqueue(
            session,
            kind="deliver_message",
            organization_id=interaction.organization_id,
            payload={"message_id": str(message.id)},
            dedupe_key=f"deliver:{message.id}",
        )
    record_activity(
        session,
        interaction,
        "note" if internal else "message",
        actor,
        message_id=message.id,
        role=role,
        seq=message.seq,
    )
    interaction_event(
        session,
        interaction,
        "note.created" if internal else "message.created",
        internal=internal,
        message=MessageRead.model_validate(message).model_dump(mode="json"),
    )
    await sla_clocks.on_message(session, interaction, message)
    await request_message_sentiment(session, message)
    await arm_message_timers(session, interaction=interaction, message=message)
    return message


async def _by_provider_id(
    session: AsyncSession, channel_id: uuid.UUID, provider_message_id: str
) -> Message | None:
    stmt = select(Message).where(
        Message.channel_id == channel_id, Message.provider_message_id == provider_message_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def _take_over_if_unowned(
    session: AsyncSession, actor: Actor, interaction: Interaction
) -> None:
    if interaction.state in (State.automated, State.queued) and actor.user_id is not None:
        interaction.state = next_state(interaction.state, Command.claim)
        interaction.assignee_id = actor.user_id
        interaction.assigned_at = clock.now()
        interaction.handled_by = HandledBy.human
        record_activity(session, interaction, "claimed", actor, by="reply")
        return
    if actor.type != ActorType.user or actor.has_role(Role.supervisor):
        return
    if interaction.assignee_id != actor.user_id:
        raise Forbidden("this interaction is assigned to someone else")


async def do_attach_file(
    session: AsyncSession,
    *,
    actor: Actor,
    interaction_id: uuid.UUID,
    filename: str,
    content_type: str,
    data: bytes,
    text: str = "",
    internal: bool = False,
) -> Message:
    """A person's reply (or note) carrying a file: the bytes are stored and the message added in
    the caller's transaction. A reply is refused on channels that cannot carry the file, rather
    than sending the text alone and letting the customer think they have it."""
    if actor.user_id is None:
        raise Forbidden("files are attached by people; integrations post messages instead")
    interaction = await access_interaction(
        session,
        organization_id=actor.organization_id,
        interaction_id=interaction_id,
        viewer=viewer_of(actor),
    )
    if not internal and interaction.channel_id is not None:
        channel = await access_channel(
            session, organization_id=interaction.organization_id, channel_id=interaction.channel_id
        )
        if channel.kind not in CARRY_FILES:
            raise InvalidInput(
                f"files can be sent on web chat and email; this conversation is on "
                f"{channel.kind.value} (attach it to an internal note instead)",
                fields={"file": "channel cannot carry files"},
            )
    stored = await do_store_file(
        session,
        organization_id=interaction.organization_id,
        filename=filename,
        content_type=content_type,
        data=data,
    )
    return await do_add_message(
        session,
        actor=actor,
        interaction_id=interaction.id,
        role=MessageRole.agent,
        text=text.strip(),
        internal=internal,
        attachments=[attachment_of(stored)],
    )


def _direction(role: MessageRole, internal: bool) -> MessageDirection:
    if internal or role == MessageRole.system:
        return MessageDirection.internal
    return MessageDirection.inbound if role == MessageRole.customer else MessageDirection.outbound


def _initial_status(
    role: MessageRole, internal: bool, channel_id: uuid.UUID | None
) -> DeliveryStatus | None:
    """Customer messages were received; ours are pending until their channel's sender reports.
    A message on an interaction with no channel has nowhere to go and no delivery status."""
    if internal or role == MessageRole.system:
        return None
    if role == MessageRole.customer:
        return DeliveryStatus.received
    return DeliveryStatus.pending if channel_id is not None else None


def _touch(interaction: Interaction, role: MessageRole, internal: bool, now: datetime) -> None:
    interaction.updated_at = now
    if internal:
        return
    interaction.last_message_at = now
    if role == MessageRole.customer:
        interaction.last_customer_message_at = now
    elif role in (MessageRole.agent, MessageRole.assistant):
        interaction.last_agent_message_at = now
        if interaction.first_response_at is None:
            interaction.first_response_at = now
