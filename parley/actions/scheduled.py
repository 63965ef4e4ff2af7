"""Send later: a reply written now that leaves at a chosen time, unless something overtakes it.

``do_schedule_message`` stores the reply and a job due at ``send_at`` in the caller's transaction,
so an acknowledged schedule survives a restart. When the job runs, ``do_send_scheduled`` sends it
as its author through ``do_add_message`` (the same path as a reply typed at that moment), or
records why it could not: the interaction was completed, the customer replied first (when the
author asked for that), or the author is no longer a member. Every step lands in the activity
feed, so the story of a scheduled reply is told where the interaction's story is.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.access import (
    access_interaction,
    access_member,
    access_scheduled_message,
    viewer_of,
)
from parley.actions.activity import record_activity
from parley.actions.messages import MAX_TEXT, do_add_message
from parley.actors import Actor
from parley.errors import Conflict, Forbidden, InvalidInput, NotFound, ParleyError, ReadOnly
from parley.events import interaction_event
from parley.jobs.queue import enqueue
from parley.jobs.runner import Handler
from parley.lifecycle.state_machine import Command, can
from parley.models import Interaction, Job, Message, ScheduledMessage
from parley.models.enums import ActorType, MessageRole, Role, ScheduledStatus

KIND = "scheduled_message.send"
# Far enough for "after the weekend" or "in a month"; a reply further out is a task, not a reply.
MAX_AHEAD = timedelta(days=90)
EVENT = "interaction.scheduled_message"


def check_send_at(send_at: datetime, now: datetime) -> None:
    """Pure: the time a reply may be scheduled for, or a readable refusal."""
    if send_at.tzinfo is None:
        raise InvalidInput("send_at needs a time zone", fields={"send_at": "no time zone"})
    if send_at <= now:
        raise InvalidInput("choose a time in the future", fields={"send_at": "in the past"})
    if send_at - now > MAX_AHEAD:
        raise InvalidInput(
            f"a reply can be scheduled at most {MAX_AHEAD.days} days ahead",
            fields={"send_at": "too far ahead"},
        )


def _to_second(send_at: datetime) -> datetime:
    """Stored in UTC to the second, so the job's copy of the time compares equal to the row's."""
    return send_at.astimezone(UTC).replace(microsecond=0)


def _check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput("write the reply first", fields={"text": "empty"})
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"a reply is at most {MAX_TEXT} characters", fields={"text": "too long"})
    return text


async def _open_interaction(
    session: AsyncSession, actor: Actor, interaction_id: uuid.UUID
) -> Interaction:
    interaction = await access_interaction(
        session,
        organization_id=actor.organization_id,
        interaction_id=interaction_id,
        lock=True,
        viewer=viewer_of(actor),
    )
    if not can(interaction.state, Command.message):
        raise ReadOnly("this interaction is completed and read-only; nothing can be scheduled")
    return interaction


async def _arm(session: AsyncSession, row: ScheduledMessage) -> None:
    """The job that sends ``row`` at its time. Keyed by the time too: after a reschedule, the old
    job finds a different ``send_at`` on the row and does nothing."""
    await enqueue(
        session,
        kind=KIND,
        payload={"scheduled_id": str(row.id), "send_at": row.send_at.isoformat()},
        organization_id=row.organization_id,
        run_at=row.send_at,
        dedupe_key=f"scheduled:{row.id}:{row.send_at.isoformat()}",
    )


def _told(
    session: AsyncSession, interaction: Interaction, kind: str, actor: Actor, **data: Any
) -> None:
    record_activity(session, interaction, kind, actor, **data)
    interaction_event(session, interaction, EVENT, internal=True)


async def do_schedule_message(
    session: AsyncSession,
    *,
    actor: Actor,
    interaction_id: uuid.UUID,
    text: str,
    send_at: datetime,
    cancel_on_reply: bool = True,
) -> ScheduledMessage:
    if actor.user_id is None:
        raise Forbidden("replies are scheduled by people: post the message when it is due")
    text = _check_text(text)
    check_send_at(send_at, clock.now())
    send_at = _to_second(send_at)
    interaction = await _open_interaction(session, actor, interaction_id)
    row = ScheduledMessage(
        organization_id=interaction.organization_id,
        interaction_id=interaction.id,
        author_id=actor.user_id,
        author_name=actor.name,
        text=text,
        send_at=send_at,
        cancel_on_reply=cancel_on_reply,
        created_at=clock.now(),
    )
    session.add(row)
    await session.flush()
    await _arm(session, row)
    _told(session, interaction, "message_scheduled", actor, scheduled_id=row.id, send_at=send_at)
    return row


async def _pending(
    session: AsyncSession, actor: Actor, interaction_id: uuid.UUID, scheduled_id: uuid.UUID | str
) -> tuple[Interaction, ScheduledMessage]:
    """The interaction (as ``actor`` may see it, locked) and its still-pending reply."""
    interaction = await access_interaction(
        session,
        organization_id=actor.organization_id,
        interaction_id=interaction_id,
        lock=True,
        viewer=viewer_of(actor),
    )
    row = await access_scheduled_message(
        session, organization_id=actor.organization_id, scheduled_id=scheduled_id, lock=True
    )
    if row.interaction_id != interaction.id:
        raise NotFound("scheduled message not found")
    if row.author_id != actor.user_id and not actor.has_role(Role.supervisor):
        raise Forbidden("only its author or a supervisor may change a scheduled reply")
    if row.status != ScheduledStatus.scheduled:
        raise Conflict(f"this reply is already {row.status.value}")
    return interaction, row


async def do_reschedule_message(
    session: AsyncSession,
    *,
    actor: Actor,
    interaction_id: uuid.UUID,
    scheduled_id: uuid.UUID | str,
    text: str | None = None,
    send_at: datetime | None = None,
    cancel_on_reply: bool | None = None,
) -> ScheduledMessage:
    interaction, row = await _pending(session, actor, interaction_id, scheduled_id)
    if not can(interaction.state, Command.message):
        raise ReadOnly("this interaction is completed and read-only; nothing can be scheduled")
    if text is not None:
        row.text = _check_text(text)
    if cancel_on_reply is not None:
        row.cancel_on_reply = cancel_on_reply
    if send_at is not None and _to_second(send_at) != row.send_at:
        check_send_at(send_at, clock.now())
        row.send_at = _to_second(send_at)
        await _arm(session, row)
    await session.flush()
    _told(
        session,
        interaction,
        "scheduled_message_changed",
        actor,
        scheduled_id=row.id,
        send_at=row.send_at,
    )
    return row


async def _close(
    session: AsyncSession,
    interaction: Interaction,
    row: ScheduledMessage,
    status: ScheduledStatus,
    reason: str,
    actor: Actor,
) -> ScheduledMessage:
    """A reply that will not be sent: cancelled (by someone, or by the customer's reply) or
    failed, with the reason kept on the row and told in the feed."""
    row.status, row.reason = status, reason[:500]
    await session.flush()
    kind = f"scheduled_message_{status.value}"
    _told(session, interaction, kind, actor, scheduled_id=row.id, reason=row.reason)
    return row


async def do_cancel_scheduled(
    session: AsyncSession,
    *,
    actor: Actor,
    interaction_id: uuid.UUID,
    scheduled_id: uuid.UUID | str,
) -> ScheduledMessage:
    interaction, row = await _pending(session, actor, interaction_id, scheduled_id)
    reason = f"cancelled by {actor.name}"
    return await _close(session, interaction, row, ScheduledStatus.cancelled, reason, actor)


async def _author(session: AsyncSession, row: ScheduledMessage) -> Actor:
    user, membership = await access_member(
        session, organization_id=row.organization_id, user_id=row.author_id
    )
    return Actor(row.organization_id, ActorType.user, user.id, user.name, membership.role)


async def _customer_replied(session: AsyncSession, row: ScheduledMessage) -> bool:
    stmt = select(
        exists().where(
            Message.interaction_id == row.interaction_id,
            Message.role == MessageRole.customer,
            Message.created_at > row.created_at,
        )
    )
    return bool((await session.execute(stmt)).scalar())


async def do_send_scheduled(
    session: AsyncSession, *, organization_id: uuid.UUID, scheduled_id: uuid.UUID, due: str
) -> ScheduledMessage | None:
    """Send one scheduled reply that is due (the job's work). Idempotent: a reply already sent,
    cancelled or moved to another time is left alone."""
    try:
        row = await access_scheduled_message(
            session, organization_id=organization_id, scheduled_id=scheduled_id, lock=True
        )
    except NotFound:
        return None
    if row.status != ScheduledStatus.scheduled or row.send_at != datetime.fromisoformat(due):
        return None
    interaction = await access_interaction(
        session, organization_id=organization_id, interaction_id=row.interaction_id, lock=True
    )
    system = Actor.system(organization_id)
    failed, cancelled = ScheduledStatus.failed, ScheduledStatus.cancelled
    if not can(interaction.state, Command.message):
        why = "the interaction was completed before the reply was due"
        return await _close(session, interaction, row, failed, why, system)
    if row.cancel_on_reply and await _customer_replied(session, row):
        return await _close(
            session, interaction, row, cancelled, "the customer replied first", system
        )
    try:
        author = await _author(session, row)
    except NotFound:
        why = f"{row.author_name} is no longer a member of the organization"
        return await _close(session, interaction, row, failed, why, system)
    try:
        async with session.begin_nested():
            message = await do_add_message(
                session,
                actor=author,
                interaction_id=interaction.id,
                role=MessageRole.agent,
                text=row.text,
                meta={"scheduled_id": str(row.id)},
            )
    except ParleyError as exc:  # e.g. the interaction now belongs to someone else
        return await _close(session, interaction, row, failed, str(exc), system)
    row.status, row.message_id = ScheduledStatus.sent, message.id
    await session.flush()
    _told(session, interaction, "scheduled_message_sent", author, scheduled_id=row.id)
    return row


async def send_due(session: AsyncSession, job: Job) -> None:
    if job.organization_id is None:
        return
    await do_send_scheduled(
        session,
        organization_id=job.organization_id,
        scheduled_id=uuid.UUID(job.payload["scheduled_id"]),
        due=str(job.payload["send_at"]),
    )


def handlers() -> dict[str, Handler]:
    return {KIND: send_due}
