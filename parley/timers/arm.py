"""Arming timers: after a message, one durable job per timer flow that the message starts.

- an agent's or automation's message arms the ``no_customer_reply`` and ``interaction_idle``
  flows;
- the customer's arms the ``interaction_idle`` flows, and the ``no_agent_reply`` ones when it
  starts the customer's wait (a second message while waiting does not restart the wait).

Notes, system lines and the replies of system-event flows themselves arm nothing (a nudge must
not arm the nudge again). The job fires ``after_minutes`` later; the handler then decides whether
the silence still holds (``parley.timers.handlers``).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.flows.model import TIMER_EVENTS, FlowDefinition
from parley.ingest.event import EventType
from parley.jobs.queue import enqueue
from parley.models import Flow, Interaction, Message
from parley.models.enums import MessageKind, MessageRole

TIMER_KIND = "system_event_timer"
SPEAKERS = (MessageRole.customer, MessageRole.agent, MessageRole.assistant)
# Stored on the replies a system-event flow sends, so they arm, break and supersede no timer.
MARK = "system_event"


def speaks(message: Message) -> bool:
    """Whether the message is part of the conversation timers measure."""
    return (
        message.kind == MessageKind.message
        and message.role in SPEAKERS
        and not (message.meta or {}).get(MARK)
    )


async def current_timer_flows(
    session: AsyncSession, organization_id: uuid.UUID, events: set[EventType]
) -> list[Flow]:
    """The newest version of each of the organization's flows bound to these events, if active.

    One indexed query (``ix_flows_org_event``) when the organization has no such flows, which is
    what every message pays.
    """
    stmt = select(Flow).where(
        Flow.organization_id == organization_id,
        Flow.event_type.in_([e.value for e in events]),
        Flow.is_active.is_(True),
    )
    active = list((await session.execute(stmt)).scalars())
    if not active:
        return []
    newest = await session.execute(
        select(Flow.name, func.max(Flow.version))
        .where(Flow.organization_id == organization_id, Flow.name.in_({f.name for f in active}))
        .group_by(Flow.name)
    )
    latest: dict[str, int] = dict(newest.all())
    return [f for f in active if latest.get(f.name) == f.version]


async def arm_message_timers(
    session: AsyncSession, *, interaction: Interaction, message: Message
) -> None:
    """Schedule the timers this message starts (a no-op unless the organization has timer flows)."""
    if not speaks(message):
        return
    customer = message.role == MessageRole.customer
    events = {EventType.idle, EventType.no_agent_reply if customer else EventType.no_customer_reply}
    flows = await current_timer_flows(session, interaction.organization_id, events)
    waiting = customer and any(f.event_type == EventType.no_agent_reply for f in flows)
    if waiting and await _already_waiting(session, message):
        # The customer's wait started with an earlier message; its timer is already running.
        flows = [f for f in flows if f.event_type != EventType.no_agent_reply]
    now = clock.now()
    for flow in flows:
        await arm(session, message=message, flow=flow, at=now)


async def arm(session: AsyncSession, *, message: Message, flow: Flow, at: datetime) -> None:
    """One timer for this message and flow version, firing ``after_minutes`` after ``at``.

    The dedupe key names both, so a retried transaction or a second call never arms twice.
    """
    definition = FlowDefinition.model_validate(flow.definition)
    assert definition.event in TIMER_EVENTS
    assert definition.after_minutes is not None
    await enqueue(
        session,
        kind=TIMER_KIND,
        organization_id=message.organization_id,
        payload={
            "event": definition.event.value,
            "interaction_id": str(message.interaction_id),
            "message_id": str(message.id),
            "flow_id": str(flow.id),
            "armed_at": at.isoformat(),
        },
        run_at=max(at + timedelta(minutes=definition.after_minutes), clock.now()),
        dedupe_key=f"timer:{message.id}:{flow.id}",
    )


async def _already_waiting(session: AsyncSession, message: Message) -> bool:
    """Whether the conversation's previous message was the customer's too."""
    stmt = (
        select(Message)
        .where(
            Message.interaction_id == message.interaction_id,
            Message.seq < message.seq,
            Message.kind == MessageKind.message,
            Message.role.in_(SPEAKERS),
        )
        .order_by(Message.seq.desc())
        .limit(20)
    )
    for earlier in (await session.execute(stmt)).scalars():
        if speaks(earlier):
            return earlier.role == MessageRole.customer
    return False
