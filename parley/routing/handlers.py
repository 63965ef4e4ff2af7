"""The routing jobs: drain a queue, fire an overflow timer, mark a vanished agent away."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.actions.lifecycle import do_complete
from parley.actors import Actor
from parley.jobs.queue import enqueue
from parley.jobs.runner import Handler
from parley.models import Interaction, Job, Queue
from parley.models.enums import Outcome, State
from parley.routing.engine import agents_of, route_queue, waiting_work
from parley.routing.overflow import apply_overflow
from parley.routing.policy import parse_overflow, parse_skill_rule
from parley.routing.presence import do_auto_away
from parley.routing.triggers import (
    AUTO_AWAY,
    DRAIN,
    OVERFLOW,
    WRAP_UP_TIMEOUT,
    request_drain,
)
from parley.sla import clocks as sla_clocks

DRAIN_BATCH = 200


async def _queue(session: AsyncSession, job: Job) -> Queue | None:
    queue = await session.get(Queue, uuid.UUID(job.payload["queue_id"]))
    if queue is None or queue.organization_id != job.organization_id:
        return None
    return queue


async def drain(session: AsyncSession, job: Job) -> None:
    queue = await _queue(session, job)
    if queue is None:
        return
    routed = await route_queue(session, queue, limit=DRAIN_BATCH)
    if len(routed) == DRAIN_BATCH:
        # The whole batch went out: more may be routable, so drain again (in a new transaction).
        await request_drain(session, queue.organization_id, [queue.id])
    overflow = parse_overflow(queue.overflow)
    if overflow.when_no_agents and not any(a.available for a in await agents_of(session, queue)):
        for interaction in await waiting_work(session, queue, limit=200):
            await apply_overflow(
                session, interaction, queue, overflow, reason="no agent is available"
            )
    await _arm_next_widening(session, queue)


async def _arm_next_widening(session: AsyncSession, queue: Queue) -> None:
    """Skills widen with waiting time: wake the queue when its oldest work reaches the next step."""
    rule = parse_skill_rule(queue.required_skills)
    if not rule.widen:
        return
    oldest = await waiting_work(session, queue, limit=1, lock=False)
    if not oldest:
        return
    start = oldest[0].queued_at or oldest[0].created_at
    waited = (clock.now() - start).total_seconds()
    step = rule.next_widening_after(waited)
    if step is not None:
        await enqueue(
            session,
            kind=DRAIN,
            organization_id=queue.organization_id,
            payload={"queue_id": str(queue.id)},
            run_at=start + timedelta(seconds=step),
            dedupe_key=f"widen:{queue.id}:{oldest[0].id}:{step}",
            max_attempts=3,
        )


async def overflow(session: AsyncSession, job: Job) -> None:
    queue = await _queue(session, job)
    interaction = await session.get(
        Interaction, uuid.UUID(job.payload["interaction_id"]), with_for_update=True
    )
    if queue is None or interaction is None or interaction.organization_id != queue.organization_id:
        return
    queued_at = datetime.fromisoformat(job.payload["queued_at"])
    still_waiting = (
        interaction.state == State.queued
        and interaction.queue_id == queue.id
        and interaction.queued_at == queued_at
    )
    if not still_waiting:
        return
    rule = parse_overflow(queue.overflow)
    if rule.after_s is None:
        return
    moved = await apply_overflow(
        session, interaction, queue, rule, reason=f"waited more than {rule.after_s} s"
    )
    if moved:
        await request_drain(session, queue.organization_id, [interaction.queue_id])


async def wrap_up_timeout(session: AsyncSession, job: Job) -> None:
    interaction = await session.get(
        Interaction, uuid.UUID(job.payload["interaction_id"]), with_for_update=True
    )
    if interaction is None or interaction.organization_id != job.organization_id:
        return
    armed_at = datetime.fromisoformat(job.payload["wrap_up_at"])
    if interaction.state != State.wrap_up or interaction.wrap_up_at != armed_at:
        return  # completed in time, or reopened and wrapped up again (a newer timer exists)
    await do_complete(
        session,
        actor=Actor.system(interaction.organization_id, "Wrap-up timeout"),
        interaction_id=interaction.id,
        outcome=Outcome.resolved,
    )


async def auto_away(session: AsyncSession, job: Job) -> None:
    if job.organization_id is None:
        return
    await do_auto_away(
        session, organization_id=job.organization_id, user_id=uuid.UUID(job.payload["user_id"])
    )


def handlers() -> dict[str, Handler]:
    return {
        DRAIN: drain,
        OVERFLOW: overflow,
        AUTO_AWAY: auto_away,
        WRAP_UP_TIMEOUT: wrap_up_timeout,
        sla_clocks.CHECK: sla_clocks.check,
    }
