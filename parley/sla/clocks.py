"""SLA clocks on interactions: started, paused, resumed, met and breached (the database side).

The arithmetic is pure (``policy.py``, ``business_hours.py``); this module stores due times on
the interaction and arms one durable timer job per due time. A timer that fires re-checks the
interaction: if the clock was met, moved or paused since, it does nothing, so re-arming is always
safe and nothing needs cancelling.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.actions.activity import record_activity
from parley.actors import Actor
from parley.events import interaction_event
from parley.jobs.queue import enqueue
from parley.models import Interaction, Job, Message, Queue
from parley.models.enums import MessageDirection, MessageRole, State
from parley.sla.business_hours import BusinessHours, check_business_hours
from parley.sla.policy import (
    SlaPolicy,
    check_sla_policy,
    due_times,
    next_response_due,
    pause,
    resume,
)

CHECK = "sla.check"
CLOCKS = ("first_response", "next_response", "resolution")


async def _policy_of(
    session: AsyncSession, interaction: Interaction
) -> tuple[SlaPolicy, BusinessHours] | None:
    if interaction.queue_id is None:
        return None
    queue = await session.get(Queue, interaction.queue_id)
    if queue is None or not queue.sla_policy:
        return None
    return check_sla_policy(queue.sla_policy), check_business_hours(queue.business_hours or {})


async def _arm(session: AsyncSession, interaction: Interaction, name: str, due: datetime) -> None:
    await enqueue(
        session,
        kind=CHECK,
        organization_id=interaction.organization_id,
        payload={"interaction_id": str(interaction.id), "clock": name, "due": due.isoformat()},
        run_at=due,
        dedupe_key=f"sla:{interaction.id}:{name}:{due.isoformat()}",
        max_attempts=3,
    )


async def start_clocks(session: AsyncSession, interaction: Interaction) -> None:
    """The interaction reached a queue with an SLA policy: first response and resolution start.

    Clocks start once, at the first queue; a transfer keeps them (the customer has been waiting
    all along), except that a queue with a policy adopts work that had none.
    """
    found = await _policy_of(session, interaction)
    if found is None or interaction.state == State.completed:
        return
    if interaction.first_response_due_at or interaction.resolution_due_at:
        return
    policy, hours = found
    due = due_times(
        policy,
        hours,
        interaction.priority,
        started_at=interaction.queued_at or interaction.created_at,
    )
    if due.first_response is not None and interaction.first_response_at is None:
        interaction.first_response_due_at = due.first_response
        await _arm(session, interaction, "first_response", due.first_response)
    if due.resolution is not None:
        interaction.resolution_due_at = due.resolution
        await _arm(session, interaction, "resolution", due.resolution)


async def on_message(session: AsyncSession, interaction: Interaction, message: Message) -> None:
    """A public message moves the clocks: an agent's reply meets the response clocks (and may
    pause resolution); a customer's message starts next response (and resumes resolution)."""
    if message.direction == MessageDirection.internal or interaction.state == State.completed:
        return
    found = await _policy_of(session, interaction)
    if found is None:
        return
    policy, hours = found
    now = message.created_at
    if message.role in (MessageRole.agent, MessageRole.assistant):
        interaction.next_response_due_at = None
        due = interaction.resolution_due_at
        if policy.pause_when_waiting_on_customer and due is not None:
            interaction.resolution_remaining_s = pause(policy, hours, due=due, now=now)
            interaction.sla_paused_at = now
            interaction.resolution_due_at = None
        return
    if message.role != MessageRole.customer:
        return
    if interaction.first_response_at is not None:
        nxt = next_response_due(policy, hours, interaction.priority, customer_wrote_at=now)
        if nxt is not None and interaction.next_response_due_at is None:
            interaction.next_response_due_at = nxt
            await _arm(session, interaction, "next_response", nxt)
    if interaction.sla_paused_at is not None and interaction.resolution_remaining_s is not None:
        due = resume(policy, hours, remaining_s=interaction.resolution_remaining_s, now=now)
        interaction.resolution_due_at = due
        interaction.sla_paused_at = interaction.resolution_remaining_s = None
        await _arm(session, interaction, "resolution", due)


def _met(interaction: Interaction, name: str) -> bool:
    if name == "first_response":
        return interaction.first_response_at is not None
    if name == "resolution":
        return interaction.state == State.completed
    return False  # next response: an agent's reply clears the due time instead


async def check(session: AsyncSession, job: Job) -> None:
    """The timer fired: record a breach if the clock is still running and past due."""
    name = job.payload["clock"]
    interaction = await session.get(
        Interaction, uuid.UUID(job.payload["interaction_id"]), with_for_update=True
    )
    if interaction is None or interaction.organization_id != job.organization_id:
        return
    armed = datetime.fromisoformat(job.payload["due"])
    due: datetime | None = getattr(interaction, f"{name}_due_at")
    if due != armed or _met(interaction, name) or getattr(interaction, f"{name}_breached"):
        return
    if clock.now() < due:
        # Run early (a clock skew between workers): come back at the due time.
        await _arm(session, interaction, name, due)
        return
    setattr(interaction, f"{name}_breached", True)
    system = Actor.system(interaction.organization_id, "SLA")
    record_activity(session, interaction, "sla_breached", system, clock=name, due_at=due)
    interaction_event(session, interaction, "interaction.sla_breached", clock=name)
    await session.flush()
    # Flows bound to "SLA breached" decide what happens next (escalate, re-prioritise...).
    # Imported here: timers -> flows -> actions -> routing -> sla would otherwise be a cycle.
    from parley.ingest.event import EventType
    from parley.timers.run import raise_system_event

    await raise_system_event(
        session,
        interaction=interaction,
        event_type=EventType.sla_breached,
        data={"clock": name, "due_at": due.isoformat()},
    )
