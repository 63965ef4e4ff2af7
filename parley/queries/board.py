"""Live queue and agent state for the supervisor's board, and per-queue service metrics.

Durations are computed in Python from the window's rows so that SQLite and PostgreSQL agree to
the second (their interval arithmetic differs); the window is bounded (``since``, a day by
default) and indexed by queue.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from statistics import fmean

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.models import AgentProfile, Interaction, Queue, QueueMember, User
from parley.models.enums import Presence, State
from parley.queries.directory import members_with_profiles
from parley.routing.engine import loads_of
from parley.schemas.routing import AgentRead, AgingBucket, QueueMetrics

AGING = ((60, "< 1 min"), (300, "1-5 min"), (900, "5-15 min"), (3600, "15-60 min"), (None, "> 1 h"))
DEFAULT_TARGET_S = 60  # "answered within a minute" when the queue has no first-response target


async def agent_reads(
    session: AsyncSession, organization_id: uuid.UUID, user_ids: Sequence[uuid.UUID] | None = None
) -> list[AgentRead]:
    stmt = members_with_profiles(organization_id)
    if user_ids is not None:
        stmt = stmt.where(User.id.in_(user_ids))
    rows = (await session.execute(stmt)).all()
    ids = [user.id for user, _, _ in rows]
    loads = await loads_of(session, organization_id, ids)
    memberships: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
    if ids:
        member_rows = await session.execute(
            select(QueueMember.user_id, QueueMember.queue_id).where(
                QueueMember.organization_id == organization_id, QueueMember.user_id.in_(ids)
            )
        )
        for user_id, queue_id in member_rows:
            memberships[user_id].append(queue_id)
    return [
        AgentRead(
            user_id=user.id,
            name=user.name,
            role=membership.role,
            presence=profile.presence if profile else Presence.offline,
            presence_changed_at=profile.presence_changed_at if profile else None,
            last_seen_at=profile.last_seen_at if profile else None,
            last_assigned_at=profile.last_assigned_at if profile else None,
            capacity={k: int(v) for k, v in (profile.capacity if profile else {}).items()},
            skills={k: int(v) for k, v in (profile.skills if profile else {}).items()},
            load=loads.get(user.id, {}),
            open=sum(loads.get(user.id, {}).values()),
            queue_ids=sorted(memberships[user.id]),
        )
        for user, membership, profile in rows
    ]


def _aging(waits: Sequence[float]) -> list[AgingBucket]:
    buckets, low = [], 0.0
    for up_to, label in AGING:
        count = sum(1 for w in waits if w >= low and (up_to is None or w < up_to))
        buckets.append(AgingBucket(label=label, up_to_s=up_to, count=count))
        low = float(up_to or 0)
    return buckets


async def queue_metrics(
    session: AsyncSession, queue: Queue, *, since: datetime | None = None
) -> QueueMetrics:
    now = clock.now()
    since = since or now - timedelta(days=1)
    counts = dict(
        (
            await session.execute(
                select(Interaction.state, func.count())
                .where(
                    Interaction.queue_id == queue.id,
                    Interaction.state.in_((State.queued, State.assigned, State.wrap_up)),
                )
                .group_by(Interaction.state)
            )
        ).all()
    )
    queued_at = (
        await session.execute(
            select(Interaction.queued_at).where(
                Interaction.queue_id == queue.id, Interaction.state == State.queued
            )
        )
    ).scalars()
    waits = [(now - t).total_seconds() for t in queued_at if t is not None]
    window = list(
        (
            await session.execute(
                select(Interaction).where(
                    Interaction.queue_id == queue.id,
                    Interaction.created_at >= since,
                    or_(
                        Interaction.first_response_at.is_not(None),
                        Interaction.abandoned_at.is_not(None),
                        Interaction.completed_at.is_not(None),
                    ),
                )
            )
        ).scalars()
    )
    target = int((queue.sla_policy or {}).get("first_response_s") or DEFAULT_TARGET_S)
    firsts = [
        (i.first_response_at - i.created_at).total_seconds()
        for i in window
        if i.first_response_at is not None
    ]
    handles = [
        (i.completed_at - i.assigned_at).total_seconds()
        for i in window
        if i.completed_at is not None and i.assigned_at is not None
    ]
    abandoned = sum(1 for i in window if i.abandoned_at is not None)
    within = sum(1 for f in firsts if f <= target)
    offered = len(firsts) + abandoned
    members = (
        await session.execute(
            select(AgentProfile.presence)
            .select_from(QueueMember)
            .outerjoin(
                AgentProfile,
                (AgentProfile.user_id == QueueMember.user_id)
                & (AgentProfile.organization_id == QueueMember.organization_id),
            )
            .where(QueueMember.queue_id == queue.id)
        )
    ).scalars()
    presences = list(members)
    return QueueMetrics(
        queue_id=queue.id,
        name=queue.name,
        routing_strategy=str(queue.routing_strategy),
        waiting=int(counts.get(State.queued, 0)),
        longest_wait_s=round(max(waits), 3) if waits else None,
        aging=_aging(waits),
        assigned=int(counts.get(State.assigned, 0)),
        wrap_up=int(counts.get(State.wrap_up, 0)),
        agents_available=sum(1 for p in presences if p == Presence.available),
        agents_total=len(presences),
        since=since,
        offered=offered,
        answered=len(firsts),
        answered_within_target=within,
        service_level=round(within / offered, 4) if offered else None,
        target_s=target,
        average_first_response_s=round(fmean(firsts), 3) if firsts else None,
        average_handle_time_s=round(fmean(handles), 3) if handles else None,
        abandoned=abandoned,
        breached=sum(1 for i in window if i.first_response_breached or i.resolution_breached),
    )
