"""Moving an interaction through its lifecycle: claim, assign, release, transfer, wrap up, complete.

Every command locks the interaction row first and asks the state machine whether it is legal in
the state it finds, so two agents claiming at once get one success and one clear conflict.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.access import access_interaction, access_member, access_queue, viewer_of
from parley.actions.activity import record_activity
from parley.actions.messages import do_add_message
from parley.actors import Actor
from parley.analytics.jobs import request_insight
from parley.errors import Forbidden, InvalidInput
from parley.events import audience_of, interaction_event
from parley.lifecycle.state_machine import Command, next_state
from parley.models import Interaction
from parley.models.enums import ActorType, HandledBy, MessageRole, Outcome, Role, State
from parley.routing.triggers import capacity_freed, work_queued, wrap_up_started


async def _load(session: AsyncSession, actor: Actor, interaction_id: uuid.UUID) -> Interaction:
    return await access_interaction(
        session,
        organization_id=actor.organization_id,
        interaction_id=interaction_id,
        lock=True,
        viewer=viewer_of(actor),
    )


def check_may_work(actor: Actor, interaction: Interaction) -> None:
    """An agent works on what is theirs or unowned; supervisors, admins and integrations on all."""
    if actor.type in (ActorType.system, ActorType.automation, ActorType.api_key):
        return
    if interaction.assignee_id in (None, actor.user_id) or actor.has_role(Role.supervisor):
        return
    raise Forbidden("this interaction is assigned to someone else; ask a supervisor to transfer it")


def _assign_to(interaction: Interaction, user_id: uuid.UUID, state: State) -> None:
    now = clock.now()
    interaction.state = state
    interaction.assignee_id = user_id
    interaction.assigned_at = now
    interaction.updated_at = now
    interaction.handled_by = HandledBy.human


def _queue(interaction: Interaction, queue_id: uuid.UUID | None, state: State) -> None:
    now = clock.now()
    interaction.state = state
    interaction.assignee_id = None
    interaction.queue_id = queue_id
    interaction.queued_at = now
    interaction.updated_at = now


async def do_claim(
    session: AsyncSession, *, actor: Actor, interaction_id: uuid.UUID
) -> Interaction:
    if actor.user_id is None:
        raise Forbidden("only a signed-in person can claim an interaction")
    interaction = await _load(session, actor, interaction_id)
    state = next_state(interaction.state, Command.claim)
    previous = audience_of(interaction)
    _assign_to(interaction, actor.user_id, state)
    await session.flush()
    record_activity(session, interaction, "claimed", actor)
    interaction_event(session, interaction, "interaction.claimed", previous=previous)
    return interaction


async def do_assign(
    session: AsyncSession,
    *,
    actor: Actor,
    interaction_id: uuid.UUID,
    user_id: uuid.UUID,
    via: dict[str, object] | None = None,
) -> Interaction:
    """Give the interaction to a member; ``via`` records the routing decision when it was one."""
    actor.require(Role.supervisor, "assigning an interaction to someone")
    user, _ = await access_member(session, organization_id=actor.organization_id, user_id=user_id)
    interaction = await _load(session, actor, interaction_id)
    state = next_state(interaction.state, Command.assign)
    previous = audience_of(interaction)
    before = interaction.assignee_id
    _assign_to(interaction, user.id, state)
    await session.flush()
    record_activity(
        session,
        interaction,
        "assigned",
        actor,
        from_user_id=before,
        to_user_id=user.id,
        to_user_name=user.name,
        **({"routing": via} if via else {}),
    )
    interaction_event(session, interaction, "interaction.assigned", previous=previous)
    if before not in (None, user.id):
        await capacity_freed(session, interaction.organization_id, before)
    return interaction


async def do_release(
    session: AsyncSession, *, actor: Actor, interaction_id: uuid.UUID
) -> Interaction:
    """Put an assigned interaction back in its queue for someone else to take."""
    interaction = await _load(session, actor, interaction_id)
    check_may_work(actor, interaction)
    state = next_state(interaction.state, Command.release)
    if interaction.queue_id is None:
        raise InvalidInput("this interaction has no queue to go back to; transfer it instead")
    previous = audience_of(interaction)
    before = interaction.assignee_id
    _queue(interaction, interaction.queue_id, state)
    await session.flush()
    record_activity(session, interaction, "released", actor, from_user_id=previous.user_ids)
    interaction_event(session, interaction, "interaction.released", previous=previous)
    await work_queued(session, interaction)
    await capacity_freed(session, interaction.organization_id, before)
    return interaction


async def do_transfer(
    session: AsyncSession,
    *,
    actor: Actor,
    interaction_id: uuid.UUID,
    queue_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    note: str = "",
) -> Interaction:
    """Hand the interaction to another queue or agent; a note travels with it to the next one."""
    if (queue_id is None) == (user_id is None):
        raise InvalidInput(
            "transfer to exactly one destination: a queue or an agent",
            fields={"queue_id": "give queue_id or user_id", "user_id": "give queue_id or user_id"},
        )
    org = actor.organization_id
    queue = (
        await access_queue(session, organization_id=org, queue_id=queue_id) if queue_id else None
    )
    target = await access_member(session, organization_id=org, user_id=user_id) if user_id else None
    interaction = await _load(session, actor, interaction_id)
    check_may_work(actor, interaction)
    if note:
        # Written before the move: the note's author may not see the destination queue.
        await do_add_message(
            session,
            actor=actor,
            interaction_id=interaction.id,
            role=MessageRole.agent,
            text=note,
            internal=True,
        )
    previous = audience_of(interaction)
    before = {"queue_id": interaction.queue_id, "user_id": interaction.assignee_id}
    if queue is not None:
        _queue(interaction, queue.id, next_state(interaction.state, Command.transfer_to_queue))
        to = {"queue_id": queue.id, "queue_name": queue.name}
    else:
        assert target is not None
        _assign_to(
            interaction, target[0].id, next_state(interaction.state, Command.transfer_to_agent)
        )
        to = {"user_id": target[0].id, "user_name": target[0].name}
    await session.flush()
    record_activity(session, interaction, "transferred", actor, source=before, to=to, note=note)
    interaction_event(session, interaction, "interaction.transferred", previous=previous)
    if queue is not None:
        await work_queued(session, interaction)
    if before["user_id"] not in (None, interaction.assignee_id):
        await capacity_freed(session, interaction.organization_id, before["user_id"])
    return interaction


async def do_route(
    session: AsyncSession,
    *,
    actor: Actor,
    interaction_id: uuid.UUID,
    queue_id: uuid.UUID | None = None,
    reason: str = "",
    note: str = "",
) -> Interaction:
    """Automation hands the conversation to people: into ``queue_id``, else the queue it was
    meant for. ``note`` is an internal note for the agent who picks it up (a procedure's)."""
    interaction = await _load(session, actor, interaction_id)
    state = next_state(interaction.state, Command.route)
    if queue_id is not None:
        await access_queue(session, organization_id=actor.organization_id, queue_id=queue_id)
    target = queue_id or interaction.queue_id
    if target is None:
        raise InvalidInput("no queue to hand this interaction to; name one")
    if note:
        await do_add_message(
            session,
            actor=actor,
            interaction_id=interaction.id,
            role=MessageRole.agent,  # notes are the agents' channel, whoever writes them
            text=note,
            internal=True,
        )
    previous = audience_of(interaction)
    _queue(interaction, target, state)
    await session.flush()
    record_activity(session, interaction, "routed", actor, queue_id=target, reason=reason)
    interaction_event(session, interaction, "interaction.routed", previous=previous)
    await work_queued(session, interaction)
    return interaction


async def do_wrap_up(
    session: AsyncSession, *, actor: Actor, interaction_id: uuid.UUID
) -> Interaction:
    """The conversation is over; the agent finishes notes and disposition before completing."""
    interaction = await _load(session, actor, interaction_id)
    check_may_work(actor, interaction)
    interaction.state = next_state(interaction.state, Command.wrap_up)
    interaction.wrap_up_at = interaction.updated_at = clock.now()
    await session.flush()
    record_activity(session, interaction, "wrapped_up", actor)
    interaction_event(session, interaction, "interaction.wrapped_up")
    await wrap_up_started(session, interaction)
    return interaction


async def do_complete(
    session: AsyncSession,
    *,
    actor: Actor,
    interaction_id: uuid.UUID,
    outcome: Outcome = Outcome.resolved,
    disposition: str | None = None,
    notes: str | None = None,
) -> Interaction:
    """Close the interaction. From here on it is read-only for messaging; see EDITABLE_COMPLETED."""
    interaction = await _load(session, actor, interaction_id)
    check_may_work(actor, interaction)
    from_state = interaction.state
    interaction.state = next_state(from_state, Command.complete)
    now = clock.now()
    interaction.outcome = outcome
    if disposition is not None:
        interaction.disposition = disposition
    if notes is not None:
        interaction.notes = notes
    interaction.completed_at = interaction.updated_at = now
    interaction.completed_by_id = actor.user_id
    interaction.completed_by_name = actor.name
    await session.flush()
    record_activity(
        session,
        interaction,
        "completed",
        actor,
        from_state=from_state,
        outcome=outcome,
        disposition=interaction.disposition,
    )
    interaction_event(session, interaction, "interaction.completed")
    await request_insight(session, interaction)
    if from_state in (State.assigned, State.wrap_up):
        await capacity_freed(session, interaction.organization_id, interaction.assignee_id)
    return interaction


async def do_reopen(
    session: AsyncSession,
    *,
    actor: Actor,
    interaction_id: uuid.UUID,
    reason: str = "",
    queue_id: uuid.UUID | None = None,
) -> Interaction:
    """Bring completed work back to its queue (find-or-create policies decide when).

    ``queue_id`` is where it goes when it never had a queue (the channel's default queue).
    """
    interaction = await _load(session, actor, interaction_id)
    state = next_state(interaction.state, Command.reopen)
    if interaction.queue_id is None and queue_id is not None:
        await access_queue(session, organization_id=actor.organization_id, queue_id=queue_id)
        interaction.queue_id = queue_id
    if interaction.queue_id is None:
        raise InvalidInput("this interaction has no queue to reopen into; clone it instead")
    closed = {
        "completed_at": interaction.completed_at,
        "completed_by": interaction.completed_by_name,
    }
    _queue(interaction, interaction.queue_id, state)
    interaction.outcome = None
    interaction.completed_at = interaction.completed_by_id = interaction.completed_by_name = None
    interaction.wrap_up_at = None
    await session.flush()
    record_activity(session, interaction, "reopened", actor, previously=closed, reason=reason)
    interaction_event(session, interaction, "interaction.reopened")
    await work_queued(session, interaction)
    return interaction
