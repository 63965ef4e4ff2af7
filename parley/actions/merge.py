"""Merging two interactions of one contact (Chatwoot's most requested missing feature, #9264).

The survivor (target) takes the other's messages, interleaved by time so the transcript reads in
order, its tags, and its thread keys (later replies to either thread land in the survivor). The
merged one is completed, points at the survivor and keeps its own activity feed as a record.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.access import access_interaction, viewer_of
from parley.actions.activity import record_activity
from parley.actions.lifecycle import check_may_work
from parley.actors import Actor
from parley.errors import Conflict, InvalidInput
from parley.events import interaction_event
from parley.models import Interaction, Message, ThreadKey
from parley.models.enums import Outcome, State
from parley.routing.triggers import capacity_freed


async def _load(session: AsyncSession, actor: Actor, interaction_id: uuid.UUID) -> Interaction:
    found = await access_interaction(
        session,
        organization_id=actor.organization_id,
        interaction_id=interaction_id,
        lock=True,
        viewer=viewer_of(actor),
    )
    check_may_work(actor, found)
    return found


def _when(message: Message) -> tuple[datetime, int]:
    return (message.created_at, message.seq)


async def do_merge_interactions(
    session: AsyncSession, *, actor: Actor, target_id: uuid.UUID, source_id: uuid.UUID
) -> Interaction:
    if target_id == source_id:
        raise InvalidInput("an interaction cannot be merged into itself")
    # Lock in id order so two opposite merges cannot deadlock.
    first, second = sorted((target_id, source_id))
    loaded = {
        first: await _load(session, actor, first),
        second: await _load(session, actor, second),
    }
    target, source = loaded[target_id], loaded[source_id]
    for found in (target, source):
        if found.merged_into_id is not None:
            raise Conflict(f"interaction #{found.number} was already merged into another")
    if target.contact_id is None or target.contact_id != source.contact_id:
        raise InvalidInput(
            "only interactions of the same contact can be merged",
            fields={"source_id": "belongs to another contact"},
        )
    messages = list(
        (
            await session.execute(
                select(Message).where(Message.interaction_id.in_((target.id, source.id)))
            )
        ).scalars()
    )
    messages.sort(key=_when)
    # Two passes: the (interaction, seq) pair is unique, so park every row out of the way first.
    for m in messages:
        m.seq = -m.seq - (1_000_000 if m.interaction_id == source.id else 0)
    await session.flush()
    for seq, m in enumerate(messages, start=1):
        m.interaction_id, m.seq = target.id, seq
    target.message_count = len(messages)
    await session.execute(
        update(ThreadKey)
        .where(ThreadKey.interaction_id == source.id)
        .values(interaction_id=target.id)
    )
    for tag in source.tag_rows:
        if tag not in target.tag_rows:
            target.tag_rows.append(tag)
    now = clock.now()
    was_busy = source.state in (State.assigned, State.wrap_up)
    source.merged_into_id = target.id
    source.message_count = 0
    if source.state != State.completed:
        source.state = State.completed
        source.outcome = Outcome.resolved
        source.disposition = "merged"
        source.completed_at = now
        source.completed_by_id = actor.user_id
        source.completed_by_name = actor.name
    source.updated_at = target.updated_at = now
    times = [t for t in (target.last_message_at, source.last_message_at) if t is not None]
    target.last_message_at = max(times) if times else target.last_message_at
    await session.flush()
    record_activity(session, target, "merged", actor, source_id=source.id, number=source.number)
    record_activity(
        session, source, "merged_into", actor, target_id=target.id, number=target.number
    )
    interaction_event(session, source, "interaction.merged", into=str(target.id))
    interaction_event(session, target, "interaction.updated")
    if was_busy:
        await capacity_freed(session, source.organization_id, source.assignee_id)
    return target
