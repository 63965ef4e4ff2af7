"""Carrying out the follow-up steps of a flow plan with the actions.

Shared by the ingest pipeline (after it found or created the interaction and attached the
message) and by system events (timers, schedules, SLA breaches), so a step means the same thing
whichever event ran it: each change goes through the action that writes its activity rows and
publishes its events.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.actions import interactions as ia
from parley.actions import lifecycle as lc
from parley.actions.messages import do_add_message
from parley.actors import Actor
from parley.errors import ParleyError
from parley.flows.engine import Plan
from parley.jobs.queue import enqueue
from parley.models import Interaction, Queue, User
from parley.models.enums import MessageRole
from parley.routing.tags import accepts

BY_TAGS = "by_tags"


async def _queue_by_tags(
    session: AsyncSession,
    organization_id: uuid.UUID,
    tags: Collection[str],
    notes: list[str],
    instead: str,
) -> uuid.UUID | None:
    stmt = (
        select(Queue)
        .where(Queue.organization_id == organization_id, Queue.accept_tags != "")
        .order_by(Queue.position, Queue.name)
    )
    for queue in (await session.execute(stmt)).scalars():
        if accepts(queue.accept_tags, tags):
            notes.append(f"tags {sorted(tags)} routed to queue {queue.name!r}")
            return queue.id
    notes.append(f"no queue accepts the tags {sorted(tags)}; {instead}")
    return None


async def queue_id_named(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    name: str | None,
    notes: list[str],
    instead: str,
    tags: Collection[str] = (),
) -> uuid.UUID | None:
    """The organization's queue with this name; a missing one is noted (with what was done
    ``instead``), not an error. The name ``by_tags`` means tag routing: the first queue (by
    position, then name) whose ``accept_tags`` expression accepts the interaction's tags."""
    if not name:
        return None
    if name == BY_TAGS:
        return await _queue_by_tags(session, organization_id, tags, notes, instead)
    stmt = select(Queue.id).where(Queue.organization_id == organization_id, Queue.name == name)
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        notes.append(f"queue {name!r} does not exist; {instead}")
    return found


async def apply_plan(
    session: AsyncSession,
    *,
    interaction: Interaction,
    plan: Plan,
    channel_id: uuid.UUID | None,
    silent: bool,
    notes: list[str],
    reply_meta: dict[str, Any] | None = None,
) -> None:
    """Apply the plan's tags, priority, queue, assignee, replies, webhooks and closing, in that
    order, to an interaction that exists.

    ``silent`` skips replies (automated senders are never answered). A step the lifecycle refuses
    stops the remaining steps and is recorded in ``notes``, which end up in the decision trace.
    ``reply_meta`` is stored on the automatic replies (system events mark theirs).
    """
    org = interaction.organization_id
    system = Actor.system(org)
    try:
        if plan.tags:
            await ia.do_set_tags(
                session, actor=system, interaction_id=interaction.id, add=plan.tags
            )
        if plan.priority is not None and interaction.is_open:
            await ia.do_edit_interaction(
                session,
                actor=system,
                interaction_id=interaction.id,
                changes={"priority": plan.priority},
            )
        queue_id = await queue_id_named(
            session,
            organization_id=org,
            name=plan.queue,
            notes=notes,
            instead="did not move it",
            tags=interaction.tags,
        )
        if queue_id is not None and interaction.is_open and interaction.queue_id != queue_id:
            await lc.do_transfer(
                session, actor=system, interaction_id=interaction.id, queue_id=queue_id
            )
        if plan.assign_to:
            await _assign(session, interaction, plan.assign_to, notes)
        if plan.replies and silent:
            # Auto-replies and bounces are recorded, never answered (RFC 3834): answering
            # an auto-responder is how mail loops start.
            notes.append("the sender is automated; flow replies skipped")
        for text in [] if silent else plan.replies:
            await do_add_message(
                session,
                actor=Actor.automation(org),
                interaction_id=interaction.id,
                role=MessageRole.assistant,
                text=text,
                channel_id=channel_id,
                meta=reply_meta,
            )
        for url in plan.webhooks:
            await enqueue(
                session,
                kind="flow_webhook",
                organization_id=org,
                payload={"url": url, "interaction_id": str(interaction.id)},
            )
        if plan.close is not None and interaction.is_open:
            outcome, disposition = plan.close
            await lc.do_complete(
                session,
                actor=system,
                interaction_id=interaction.id,
                outcome=outcome,
                disposition=disposition,
            )
    except ParleyError as exc:
        # A flow step that cannot apply (say, assigning a completed interaction) is recorded
        # in the trace; whatever the event stored is already safe.
        notes.append(f"step refused: {exc.message}")


async def _assign(
    session: AsyncSession, interaction: Interaction, email: str, notes: list[str]
) -> None:
    stmt = select(User.id).where(User.email == email.strip().lower())
    user_id = (await session.execute(stmt)).scalar_one_or_none()
    if user_id is None:
        notes.append(f"no user {email!r} to assign to")
        return
    await lc.do_assign(
        session,
        actor=Actor.system(interaction.organization_id),
        interaction_id=interaction.id,
        user_id=user_id,
    )
