"""The job handlers of system events: a timer firing, a schedule firing.

Both re-check the world before acting: a timer whose silence was broken, a flow that was
replaced or switched off, or an interaction completed since does nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.access import access_interaction
from parley.errors import NotFound
from parley.flows.engine import run_flows
from parley.flows.model import FlowDefinition
from parley.ingest.event import EventType
from parley.jobs.runner import Handler
from parley.models import Flow, Interaction, Job, Message
from parley.models.enums import MessageKind, MessageRole, State
from parley.timers.arm import SPEAKERS, TIMER_KIND, arm, current_timer_flows, speaks
from parley.timers.run import carry_out, facts_about, matched, run_on
from parley.timers.schedule import SCHEDULE_KIND, is_current, start_schedule

# A schedule firing looks at this many open interactions (oldest first) and acts on at most
# APPLY_LIMIT of those its conditions match; the rest wait for the next firing.
SCAN_LIMIT = 1000
APPLY_LIMIT = 200
OPEN = (State.automated, State.queued, State.assigned, State.wrap_up)


async def fire_timer(session: AsyncSession, job: Job) -> None:
    payload = job.payload
    assert job.organization_id is not None
    event = EventType(payload["event"])
    try:
        interaction = await access_interaction(
            session,
            organization_id=job.organization_id,
            interaction_id=payload["interaction_id"],
            lock=True,
        )
    except NotFound:
        return
    message = await session.get(Message, uuid.UUID(payload["message_id"]))
    armed_by = await session.get(Flow, uuid.UUID(payload["flow_id"]))
    if message is None or armed_by is None or not interaction.is_open:
        return
    flow = await _current_version(session, armed_by, event)
    if flow is None:
        return  # switched off, or no longer bound to this event
    if flow.id != armed_by.id:
        # The flow changed since the timer was armed: the new version's delay applies.
        armed_at = datetime.fromisoformat(payload["armed_at"])
        await arm(session, message=message, flow=flow, at=armed_at)
        return
    if await _silence_broken(session, event, message):
        return
    definition = FlowDefinition.model_validate(flow.definition)
    await run_on(
        session,
        interaction=interaction,
        event_type=event,
        flows=[definition],
        details={
            "flow_version": flow.version,
            "after_minutes": definition.after_minutes,
            "armed_at": payload["armed_at"],
            "armed_by_message": str(message.id),
        },
        text=message.text,
        message_id=message.id,
    )


async def _current_version(session: AsyncSession, flow: Flow, event: EventType) -> Flow | None:
    current = await current_timer_flows(session, flow.organization_id, {event})
    return next((f for f in current if f.name == flow.name), None)


async def _silence_broken(session: AsyncSession, event: EventType, message: Message) -> bool:
    """Whether anything said since ``message`` ends the silence its timer measures.

    Any later message ends ``interaction_idle`` and ``no_customer_reply`` (a later agent message
    arms its own, later timer); only an agent's or automation's reply ends ``no_agent_reply``.
    Replies sent by system-event flows do not count.
    """
    stmt = (
        select(Message)
        .where(
            Message.interaction_id == message.interaction_id,
            Message.seq > message.seq,
            Message.kind == MessageKind.message,
            Message.role.in_(SPEAKERS),
        )
        .order_by(Message.seq)
        .limit(200)
    )
    for later in (await session.execute(stmt)).scalars():
        if not speaks(later):
            continue
        if event == EventType.no_agent_reply and later.role == MessageRole.customer:
            continue
        return True
    return False


async def fire_schedule(session: AsyncSession, job: Job) -> None:
    flow = await session.get(Flow, uuid.UUID(job.payload["flow_id"]))
    if flow is None or flow.organization_id != job.organization_id:
        return
    if not await is_current(session, flow):
        return  # replaced or switched off: this chain ends
    slot = datetime.fromisoformat(job.payload["slot"])
    # The next firing first, in this transaction: the chain continues exactly when this one
    # commits. After downtime, missed slots are not caught up: one late firing, then on time.
    await start_schedule(session, flow, after=max(slot, clock.now()))
    definition = FlowDefinition.model_validate(flow.definition)
    stmt = (
        select(Interaction)
        .where(Interaction.organization_id == flow.organization_id, Interaction.state.in_(OPEN))
        .order_by(Interaction.created_at, Interaction.id)
        .limit(SCAN_LIMIT)
    )
    applied = 0
    for interaction in (await session.execute(stmt)).scalars().all():
        facts = await facts_about(session, interaction, event_type=EventType.schedule)
        plan = run_flows([definition], facts)
        if not matched(plan):
            continue
        await carry_out(
            session,
            interaction=interaction,
            event_type=EventType.schedule,
            plan=plan,
            details={"flow_version": flow.version, "slot": slot.isoformat()},
        )
        applied += 1
        if applied >= APPLY_LIMIT:
            break


def handlers() -> dict[str, Handler]:
    return {TIMER_KIND: fire_timer, SCHEDULE_KIND: fire_schedule}
