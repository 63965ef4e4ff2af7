"""When routing runs: durable jobs requested in the same transaction as the change that needs it.

A queue drains when work arrives in it and whenever capacity frees up (completion, a transfer
away, an agent coming online or getting more capacity). Each request is a job, so a crash between
the commit and the drain loses nothing: the job runs on restart. Timers for overflow and skills
widening are jobs scheduled at the exact moment they are due.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.jobs.queue import enqueue
from parley.models import Interaction, Queue, QueueMember
from parley.routing.policy import parse_overflow, parse_skill_rule
from parley.sla.clocks import start_clocks

DRAIN = "routing.drain"
OVERFLOW = "routing.overflow"
AUTO_AWAY = "presence.auto_away"
WRAP_UP_TIMEOUT = "routing.wrap_up_timeout"
DEFAULT_WRAP_UP_S = 120


async def request_drain(
    session: AsyncSession, organization_id: uuid.UUID, queue_ids: Iterable[uuid.UUID | None]
) -> None:
    for queue_id in dict.fromkeys(q for q in queue_ids if q is not None):
        await enqueue(
            session,
            kind=DRAIN,
            organization_id=organization_id,
            payload={"queue_id": str(queue_id)},
            max_attempts=3,
        )


async def work_queued(session: AsyncSession, interaction: Interaction) -> None:
    """The interaction just entered (or re-entered) its queue: route it, and arm its timers."""
    if interaction.queue_id is None:
        return
    queue = await session.get(Queue, interaction.queue_id)
    if queue is None:
        return
    await request_drain(session, interaction.organization_id, [queue.id])
    await start_clocks(session, interaction)
    start = interaction.queued_at or interaction.created_at
    widen_at = parse_skill_rule(queue.required_skills).next_widening_after(0)
    if widen_at is not None:
        # Later steps are armed by the drain that runs at each one (see handlers.drain).
        await enqueue(
            session,
            kind=DRAIN,
            organization_id=interaction.organization_id,
            payload={"queue_id": str(queue.id)},
            run_at=start + timedelta(seconds=widen_at),
            max_attempts=3,
        )
    overflow = parse_overflow(queue.overflow)
    if overflow.after_s is not None:
        await enqueue(
            session,
            kind=OVERFLOW,
            organization_id=interaction.organization_id,
            payload={
                "interaction_id": str(interaction.id),
                "queue_id": str(queue.id),
                "queued_at": start.isoformat(),
            },
            run_at=start + timedelta(seconds=overflow.after_s),
            max_attempts=3,
        )


async def queues_of(
    session: AsyncSession, organization_id: uuid.UUID, user_id: uuid.UUID
) -> list[uuid.UUID]:
    stmt = select(QueueMember.queue_id).where(
        QueueMember.organization_id == organization_id, QueueMember.user_id == user_id
    )
    return list((await session.execute(stmt)).scalars())


async def capacity_freed(
    session: AsyncSession, organization_id: uuid.UUID, user_id: uuid.UUID | None
) -> None:
    """An agent can take more: drain every queue they work, in priority then age order."""
    if user_id is None:
        return
    await request_drain(
        session, organization_id, await queues_of(session, organization_id, user_id)
    )


async def wrap_up_started(session: AsyncSession, interaction: Interaction) -> None:
    """Arm the queue's wrap-up timeout: unfinished wrap-up completes itself, freeing the agent."""
    queue = await session.get(Queue, interaction.queue_id) if interaction.queue_id else None
    timeout = queue.wrap_up_timeout_s if queue is not None else DEFAULT_WRAP_UP_S
    if timeout <= 0 or interaction.wrap_up_at is None:
        return
    await enqueue(
        session,
        kind=WRAP_UP_TIMEOUT,
        organization_id=interaction.organization_id,
        payload={
            "interaction_id": str(interaction.id),
            "wrap_up_at": interaction.wrap_up_at.isoformat(),
        },
        run_at=interaction.wrap_up_at + timedelta(seconds=timeout),
        max_attempts=3,
    )
