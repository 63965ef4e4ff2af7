"""Routing against the database: take a queue's waiting work and give it to present agents.

Safety under concurrency (several workers, several processes, one PostgreSQL):

- waiting interactions are taken with ``FOR UPDATE SKIP LOCKED``, so two workers draining one
  queue never both hold the same interaction, and a claim in progress is simply skipped;
- before assigning, the chosen agent's profile row is locked (``SKIP LOCKED`` again: a busy
  agent is skipped, never waited for, so no lock cycles) and their load is counted afresh from
  committed rows, so capacity holds across queues and workers.

SQLite serializes write transactions, which gives the same guarantees without row locks.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.actions.lifecycle import do_assign
from parley.actors import Actor
from parley.models import AgentProfile, Interaction, Queue, QueueMember
from parley.models.enums import CommunicationType, Presence, State
from parley.routing.decide import PRIORITY_ORDER, AgentState, QueueRules, Work, choose
from parley.routing.policy import parse_skill_rule

BUSY_STATES = (State.assigned, State.wrap_up)


@dataclass(frozen=True)
class Routed:
    interaction_id: uuid.UUID
    user_id: uuid.UUID
    waited_s: float


def rules_of(queue: Queue) -> QueueRules:
    return QueueRules(
        queue_id=queue.id,
        strategy=queue.routing_strategy,
        skills=parse_skill_rule(queue.required_skills),
        last_routed_user_id=queue.last_routed_user_id,
    )


async def loads_of(
    session: AsyncSession, organization_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    """Open work per agent and communication type (assigned and wrap-up both occupy capacity)."""
    if not user_ids:
        return {}
    stmt = (
        select(Interaction.assignee_id, Interaction.communication_type, func.count())
        .where(
            Interaction.organization_id == organization_id,
            Interaction.assignee_id.in_(user_ids),
            Interaction.state.in_(BUSY_STATES),
        )
        .group_by(Interaction.assignee_id, Interaction.communication_type)
    )
    loads: dict[uuid.UUID, dict[str, int]] = {u: {} for u in user_ids}
    for user_id, kind, count in (await session.execute(stmt)).all():
        if user_id is not None:
            loads[user_id][str(kind)] = int(count)
    return loads


async def agents_of(session: AsyncSession, queue: Queue) -> list[AgentState]:
    """The queue's members as routing sees them (no profile yet means offline)."""
    stmt = (
        select(QueueMember.user_id, AgentProfile)
        .join(
            AgentProfile,
            (AgentProfile.user_id == QueueMember.user_id)
            & (AgentProfile.organization_id == QueueMember.organization_id),
            isouter=True,
        )
        .where(QueueMember.queue_id == queue.id)
    )
    rows = (await session.execute(stmt)).all()
    loads = await loads_of(session, queue.organization_id, [r[0] for r in rows])
    return [
        AgentState(
            user_id=user_id,
            available=profile is not None and profile.presence == Presence.available,
            capacity=dict(profile.capacity) if profile is not None else {},
            load=loads.get(user_id, {}),
            skills=dict(profile.skills) if profile is not None else {},
            idle_since=_idle_since(profile),
            queue_ids=frozenset({queue.id}),
        )
        for user_id, profile in rows
    ]


def _idle_since(profile: AgentProfile | None) -> datetime | None:
    if profile is None:
        return None
    times = [t for t in (profile.last_assigned_at, profile.presence_changed_at) if t is not None]
    return max(times) if times else None


async def waiting_work(
    session: AsyncSession,
    queue: Queue,
    *,
    limit: int,
    lock: bool = True,
    kinds: Collection[str] | None = None,
) -> list[Interaction]:
    """Up to ``limit`` queued interactions, urgent first, then oldest first, locked for us.

    ``kinds`` keeps only those communication types (the ones someone has room for), so a backlog
    nobody can take never hides the work behind it.
    """
    taken: list[Interaction] = []
    for priority in PRIORITY_ORDER:
        if len(taken) >= limit:
            break
        stmt = (
            select(Interaction)
            .where(
                Interaction.queue_id == queue.id,
                Interaction.state == State.queued,
                Interaction.priority == priority,
            )
            .order_by(Interaction.queued_at, Interaction.id)
            .limit(limit - len(taken))
        )
        if kinds is not None:
            stmt = stmt.where(Interaction.communication_type.in_(list(kinds)))
        if lock:
            stmt = stmt.with_for_update(skip_locked=True)
        taken.extend((await session.execute(stmt)).scalars())
    return taken


def work_of(interaction: Interaction) -> Work:
    assert interaction.queue_id is not None
    return Work(
        interaction_id=interaction.id,
        queue_id=interaction.queue_id,
        communication_type=str(interaction.communication_type),
        priority=interaction.priority,
        queued_at=interaction.queued_at or interaction.created_at,
        tags=frozenset(interaction.tags),
    )


async def _lock_agent(
    session: AsyncSession, organization_id: uuid.UUID, agent: AgentState, kind: str
) -> AgentProfile | None:
    """Lock the agent's profile and re-check them against committed state; None if not free."""
    stmt = (
        select(AgentProfile)
        .where(
            AgentProfile.organization_id == organization_id,
            AgentProfile.user_id == agent.user_id,
        )
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    profile = (await session.execute(stmt)).scalar_one_or_none()
    if profile is None:
        agent.available = False  # another worker is assigning to them: not this round
        return None
    fresh = (await loads_of(session, organization_id, [agent.user_id]))[agent.user_id]
    agent.load = fresh
    agent.available = profile.presence == Presence.available
    agent.capacity = dict(profile.capacity)
    if not agent.available or agent.free(kind) <= 0:
        return None
    return profile


async def route_queue(
    session: AsyncSession, queue: Queue, *, limit: int = 200, now: datetime | None = None
) -> list[Routed]:
    """Assign as much of the queue's waiting work as present, free agents can take now."""
    now = now or clock.now()
    rules = rules_of(queue)
    agents = await agents_of(session, queue)
    if not any(a.available for a in agents):
        return []
    kinds = [k for k in CommunicationType if any(a.available and a.free(k) > 0 for a in agents)]
    if not kinds:
        return []
    routed: list[Routed] = []
    system = Actor.system(queue.organization_id, "Routing")
    for interaction in await waiting_work(session, queue, limit=limit, kinds=kinds):
        if not any(a.available for a in agents):
            break
        work = work_of(interaction)
        waited = max(0.0, (now - work.queued_at).total_seconds())
        while (agent := choose(rules, work, agents, waited_s=waited)) is not None:
            profile = await _lock_agent(
                session, queue.organization_id, agent, work.communication_type
            )
            if profile is None:
                # Held by another worker, gone, or full for this kind: the refreshed state keeps
                # ``choose`` from picking them again for it (they may still take other kinds).
                continue
            await do_assign(
                session,
                actor=system,
                interaction_id=interaction.id,
                user_id=agent.user_id,
                via={"strategy": str(rules.strategy), "waited_s": round(waited, 3)},
            )
            profile.last_assigned_at = now
            agent.took(work.communication_type, now)
            queue.last_routed_user_id = agent.user_id
            rules = replace(rules, last_routed_user_id=agent.user_id)
            routed.append(Routed(interaction.id, agent.user_id, waited))
            break
    await session.flush()
    return routed
