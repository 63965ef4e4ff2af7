"""Schedule flows: one self-rescheduling job per active flow version.

Saving a schedule flow enqueues its next firing; each firing enqueues the one after before doing
its work, in the same transaction. Every firing job's dedupe key is the flow version and the slot
time, so two workers (or a restart that resumes the schedules) can never enqueue the same slot
twice, and a slot's single job row is claimed by one worker only. Saving a new version or
switching the flow off cancels the older version's pending firing; a firing that still finds its
version replaced does nothing and ends the old chain.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.flows.model import FlowDefinition
from parley.ingest.event import EventType
from parley.jobs.queue import enqueue
from parley.models import Flow, Job
from parley.timers.slots import next_slot

SCHEDULE_KIND = "flow_schedule"


async def is_current(session: AsyncSession, flow: Flow) -> bool:
    """Whether this version is the newest of its flow and active."""
    newest = await session.execute(
        select(func.max(Flow.version)).where(
            Flow.organization_id == flow.organization_id, Flow.name == flow.name
        )
    )
    return flow.is_active and newest.scalar_one() == flow.version


async def start_schedule(session: AsyncSession, flow: Flow, *, after: datetime) -> None:
    """Enqueue this schedule flow version's first firing after ``after`` (idempotent)."""
    definition = FlowDefinition.model_validate(flow.definition)
    if definition.event != EventType.schedule or definition.schedule is None:
        return
    slot = next_slot(definition.schedule, after)
    await enqueue(
        session,
        kind=SCHEDULE_KIND,
        organization_id=flow.organization_id,
        payload={"flow_id": str(flow.id), "slot": slot.isoformat()},
        run_at=slot,
        dedupe_key=f"schedule:{flow.id}:{slot.isoformat()}",
    )


async def sync_schedule(session: AsyncSession, flow: Flow) -> None:
    """After a flow version is saved: cancel its older versions' pending firings, and start this
    version's schedule when it is an active schedule flow."""
    pending = await session.execute(
        select(Job).where(
            Job.organization_id == flow.organization_id,
            Job.kind == SCHEDULE_KIND,
            Job.finished_at.is_(None),
        )
    )
    jobs = list(pending.scalars())
    if jobs:
        versions = await session.execute(
            select(Flow.id).where(
                Flow.organization_id == flow.organization_id, Flow.name == flow.name
            )
        )
        older = {str(v) for v in versions.scalars()} - {str(flow.id)}
        for job in jobs:
            if job.payload.get("flow_id") in older:
                job.finished_at = clock.now()
                job.last_error = f"cancelled: version {flow.version} of the flow was saved"
    if flow.is_active:
        await start_schedule(session, flow, after=clock.now())
    await session.flush()


async def resume_schedules(session: AsyncSession) -> int:
    """Make sure every current schedule flow has its next firing enqueued; returns how many
    flows were checked. Run at start-up: the dedupe key makes it a no-op for healthy chains,
    and it restarts a chain whose firing gave up."""
    stmt = select(Flow).where(Flow.event_type == EventType.schedule.value, Flow.is_active.is_(True))
    count = 0
    for flow in (await session.execute(stmt)).scalars().all():
        if await is_current(session, flow):
            await start_schedule(session, flow, after=clock.now())
            count += 1
    return count
