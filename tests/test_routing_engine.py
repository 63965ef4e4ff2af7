"""Routing against the database, on both backends, through the real actions and job handlers.

Time is moved with the injectable clock, never slept. Everything happens 20 days ahead of the wall
clock, so the live server's own job runner never finds these jobs due: only ``run_jobs`` below
runs them, at the moments the test picks (the helpers here are shared by the other routing tests).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.actions import interactions as ia
from parley.actions import lifecycle as lc
from parley.actions.queues import do_update_queue
from parley.jobs.runner import JobRunner
from parley.models import Activity, Interaction, Job, Queue
from parley.models.enums import (
    CommunicationType,
    Direction,
    Presence,
    Priority,
    RoutingStrategy,
    State,
)
from parley.routing import presence as pa
from parley.routing.engine import loads_of
from parley.routing.handlers import handlers
from parley.routing.triggers import capacity_freed
from tests.factories import Person, Tenant

T = TypeVar("T")
T0 = datetime.now(UTC).replace(microsecond=0) + timedelta(days=20)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def act(tenant: Tenant, when: datetime, fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """One transaction at a frozen moment, as a request or a job would run it."""
    with clock.frozen(when):
        async with tenant.db.transaction() as session:
            return await fn(session)


async def run_jobs(tenant: Tenant, when: datetime) -> None:
    """Run every routing job due at ``when`` (and those they request), as the worker would."""
    runner = JobRunner(tenant.db, handlers())
    with clock.frozen(when):
        while await runner.run_due():
            pass
    async with tenant.db.transaction() as s:
        errors = await s.execute(
            select(Job.kind, Job.last_error).where(
                Job.organization_id == tenant.org.id, Job.last_error.is_not(None)
            )
        )
        assert errors.all() == []


async def configure(
    tenant: Tenant,
    strategy: RoutingStrategy = RoutingStrategy.least_busy,
    *,
    queue: Queue | None = None,
    **changes: Any,
) -> None:
    """Change a queue's routing settings as an admin would (validated as at save time)."""
    target = queue or tenant.queue
    await act(
        tenant,
        at(0),
        lambda s: do_update_queue(
            s,
            actor=tenant.admin.actor,
            queue_id=target.id,
            changes={"routing_strategy": strategy, **changes},
        ),
    )


async def set_presence(tenant: Tenant, person: Person, presence: Presence, when: datetime) -> None:
    await act(
        tenant,
        when,
        lambda s: pa.do_set_presence(
            s, actor=person.actor, user_id=person.user.id, presence=presence
        ),
    )


async def set_capacity(tenant: Tenant, person: Person, when: datetime, **capacity: int) -> None:
    await act(
        tenant,
        when,
        lambda s: pa.do_update_agent(
            s, actor=tenant.supervisor.actor, user_id=person.user.id, capacity=capacity
        ),
    )


async def new_work(
    tenant: Tenant,
    when: datetime,
    *,
    queue: Queue | None = None,
    kind: CommunicationType = CommunicationType.chat,
    priority: Priority = Priority.normal,
    tags: Iterable[str] = (),
    channel_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """A customer's inbound interaction, queued (which requests a drain)."""
    created = await act(
        tenant,
        when,
        lambda s: ia.do_create_interaction(
            s,
            actor=tenant.system,
            direction=Direction.inbound,
            communication_type=kind,
            contact_id=tenant.contact.id,
            queue_id=(queue or tenant.queue).id,
            priority=priority,
            tags=tags,
            channel_id=channel_id,
        ),
    )
    return created.id


async def load(tenant: Tenant, interaction_id: uuid.UUID) -> Interaction:
    async with tenant.db.transaction() as s:
        found = await s.get(Interaction, interaction_id)
        assert found is not None
        return found


async def assignees(tenant: Tenant, ids: Iterable[uuid.UUID]) -> list[uuid.UUID | None]:
    return [(await load(tenant, i)).assignee_id for i in ids]


async def activity(tenant: Tenant, interaction_id: uuid.UUID, kind: str) -> list[Activity]:
    async with tenant.db.transaction() as s:
        rows = await s.execute(
            select(Activity)
            .where(Activity.interaction_id == interaction_id, Activity.kind == kind)
            .order_by(Activity.created_at, Activity.id)
        )
        return list(rows.scalars())


async def loads(tenant: Tenant) -> dict[uuid.UUID, dict[str, int]]:
    people = [tenant.agent, tenant.agent2, tenant.supervisor]
    async with tenant.db.transaction() as s:
        return await loads_of(s, tenant.org.id, [p.user.id for p in people])


async def queued_in(tenant: Tenant, queue: Queue) -> int:
    async with tenant.db.transaction() as s:
        count = await s.execute(
            select(func.count()).where(
                Interaction.queue_id == queue.id, Interaction.state == State.queued
            )
        )
        return int(count.scalar_one())


async def complete(tenant: Tenant, interaction_id: uuid.UUID, when: datetime) -> None:
    await act(
        tenant,
        when,
        lambda s: lc.do_complete(s, actor=tenant.agent.actor, interaction_id=interaction_id),
    )


# --- tests ------------------------------------------------------------------------------------


async def test_queued_work_waits_for_an_available_agent_then_is_assigned(tenant: Tenant) -> None:
    await configure(tenant)
    first, second = await new_work(tenant, at(0)), await new_work(tenant, at(1))
    await run_jobs(tenant, at(2))
    assert await assignees(tenant, [first, second]) == [None, None]  # everyone is offline

    await set_presence(tenant, tenant.agent, Presence.available, at(30))
    await run_jobs(tenant, at(30))
    assert await assignees(tenant, [first, second]) == [tenant.agent.user.id] * 2
    row = await load(tenant, first)
    assert (row.state, row.assigned_at) == (State.assigned, at(30))
    [assigned] = await activity(tenant, first, "assigned")
    assert assigned.actor_name == "Routing"
    assert assigned.data["routing"] == {"strategy": "least_busy", "waited_s": 30.0}
    assert assigned.data["to_user_id"] == str(tenant.agent.user.id)


async def test_offline_and_away_agents_get_nothing(tenant: Tenant) -> None:
    await configure(tenant)
    await set_presence(tenant, tenant.agent, Presence.available, at(0))
    await set_presence(tenant, tenant.agent, Presence.away, at(1))
    # agent2 and the supervisor never signed on: their profiles say offline.
    work = [await new_work(tenant, at(2)) for _ in range(3)]
    await run_jobs(tenant, at(5))
    assert await assignees(tenant, work) == [None] * 3
    await set_presence(tenant, tenant.agent2, Presence.available, at(10))
    await set_presence(tenant, tenant.agent2, Presence.offline, at(10))
    await run_jobs(tenant, at(10))
    assert await queued_in(tenant, tenant.queue) == 3


async def test_a_manual_queue_never_assigns_by_itself(tenant: Tenant) -> None:
    await set_presence(tenant, tenant.agent, Presence.available, at(0))
    work = await new_work(tenant, at(1))
    await run_jobs(tenant, at(5))
    assert (await load(tenant, work)).state == State.queued


async def test_the_queue_drains_in_priority_then_age_order(tenant: Tenant) -> None:
    await configure(tenant)
    await set_capacity(tenant, tenant.agent, at(0), chat=1)
    low = await new_work(tenant, at(1), priority=Priority.low)
    normal_old = await new_work(tenant, at(2))
    high = await new_work(tenant, at(3), priority=Priority.high)
    normal_new = await new_work(tenant, at(4))
    urgent = await new_work(tenant, at(5), priority=Priority.urgent)
    await set_presence(tenant, tenant.agent, Presence.available, at(10))

    served: list[uuid.UUID] = []
    for step in range(5):
        now = at(10 + step * 60)
        await run_jobs(tenant, now)
        work = (low, normal_old, high, normal_new, urgent)
        [current] = [i for i in work if (await load(tenant, i)).state == State.assigned]
        served.append(current)
        await complete(tenant, current, now + timedelta(seconds=30))
    assert served == [urgent, high, normal_old, normal_new, low]


async def _complete(tenant: Tenant, busy: uuid.UUID) -> None:
    await complete(tenant, busy, at(20))


async def _wrap_up_times_out(tenant: Tenant, busy: uuid.UUID) -> None:
    await act(
        tenant, at(20), lambda s: lc.do_wrap_up(s, actor=tenant.agent.actor, interaction_id=busy)
    )
    await run_jobs(tenant, at(21))
    assert (await load(tenant, busy)).state == State.wrap_up  # wrap-up still occupies capacity
    assert await queued_in(tenant, tenant.queue) == 1
    await run_jobs(tenant, at(20 + 120))  # the queue's default wrap-up timeout
    assert (await load(tenant, busy)).state == State.completed


async def _transfer_away(tenant: Tenant, busy: uuid.UUID) -> None:
    await act(
        tenant,
        at(20),
        lambda s: lc.do_transfer(
            s, actor=tenant.agent.actor, interaction_id=busy, queue_id=tenant.queue2.id
        ),
    )


async def _capacity_raised(tenant: Tenant, busy: uuid.UUID) -> None:
    await set_capacity(tenant, tenant.agent, at(20), chat=2)


async def _agent_comes_online(tenant: Tenant, busy: uuid.UUID) -> None:
    await set_presence(tenant, tenant.agent2, Presence.available, at(20))


FREES_CAPACITY = {
    "completion": (_complete, "agent"),
    "wrap-up timeout": (_wrap_up_times_out, "agent"),
    "transfer away": (_transfer_away, "agent"),
    "capacity raised": (_capacity_raised, "agent"),
    "agent online": (_agent_comes_online, "agent2"),
}


@pytest.mark.parametrize("trigger", list(FREES_CAPACITY))
async def test_waiting_work_is_assigned_as_soon_as_capacity_frees(
    tenant: Tenant, trigger: str
) -> None:
    await configure(tenant)
    await set_capacity(tenant, tenant.agent, at(0), chat=1)
    await set_presence(tenant, tenant.agent, Presence.available, at(0))
    busy, waiting = await new_work(tenant, at(1)), await new_work(tenant, at(2))
    await run_jobs(tenant, at(3))
    assert await assignees(tenant, [busy, waiting]) == [tenant.agent.user.id, None]

    change, who = FREES_CAPACITY[trigger]
    await change(tenant, busy)
    await run_jobs(tenant, at(200))
    person: Person = getattr(tenant, who)
    assert await assignees(tenant, [waiting]) == [person.user.id]
    assert len(await activity(tenant, waiting, "assigned")) == 1


async def test_nobody_goes_over_capacity_per_type_across_queues(tenant: Tenant) -> None:
    await configure(tenant)
    await configure(tenant, queue=tenant.queue2)
    await set_capacity(tenant, tenant.agent, at(0), chat=2, email=1)
    await set_capacity(tenant, tenant.agent2, at(0), chat=1, email=0)
    for person in (tenant.agent, tenant.agent2):
        await set_presence(tenant, person, Presence.available, at(0))
    for n in range(6):
        await new_work(tenant, at(1 + n))
    for n in range(3):
        await new_work(tenant, at(10 + n), kind=CommunicationType.email)
    # Billing is agent2's other queue: they are already full on chat from Support.
    billing = await new_work(tenant, at(20), queue=tenant.queue2)
    for when in (at(30), at(31)):  # draining again changes nothing
        await run_jobs(tenant, when)
        await act(
            tenant,
            when,
            lambda s: capacity_freed(s, tenant.org.id, tenant.agent2.user.id),
        )
    now = await loads(tenant)
    assert now[tenant.agent.user.id] == {"chat": 2, "email": 1}
    assert now[tenant.agent2.user.id] == {"chat": 1}
    assert now[tenant.supervisor.user.id] == {}
    assert await queued_in(tenant, tenant.queue) == 9 - 4
    assert (await load(tenant, billing)).state == State.queued


async def test_round_robin_takes_turns_and_keeps_its_cursor(tenant: Tenant) -> None:
    await configure(tenant, RoutingStrategy.round_robin)
    for person in (tenant.agent, tenant.agent2):
        await set_capacity(tenant, person, at(0), chat=10)
        await set_presence(tenant, person, Presence.available, at(0))
    work = [await new_work(tenant, at(1 + n)) for n in range(5)]
    await run_jobs(tenant, at(10))
    got = await assignees(tenant, work)
    first, second = sorted([tenant.agent.user.id, tenant.agent2.user.id])
    assert got == [first, second, first, second, first]
    async with tenant.db.transaction() as s:
        queue = await s.get(Queue, tenant.queue.id)
        assert queue is not None and queue.last_routed_user_id == first
    # The cursor survives between drains: the next one goes to the other agent.
    later = await new_work(tenant, at(20))
    await run_jobs(tenant, at(20))
    assert await assignees(tenant, [later]) == [second]


async def test_longest_idle_prefers_the_agent_who_waited_longest(tenant: Tenant) -> None:
    await configure(tenant, RoutingStrategy.longest_idle)
    await set_presence(tenant, tenant.agent2, Presence.available, at(0))
    await set_presence(tenant, tenant.agent, Presence.available, at(5))
    first = await new_work(tenant, at(10))
    await run_jobs(tenant, at(10))
    second = await new_work(tenant, at(20))
    await run_jobs(tenant, at(20))
    assert await assignees(tenant, [first, second]) == [tenant.agent2.user.id, tenant.agent.user.id]


async def test_skills_strategy_gives_the_work_to_the_best_match(tenant: Tenant) -> None:
    await configure(
        tenant,
        RoutingStrategy.skills,
        required_skills={"skills": {"billing": 2}, "from_tags": {"lang:es": {"spanish": 3}}},
    )
    await act(
        tenant,
        at(0),
        lambda s: pa.do_update_agent(
            s,
            actor=tenant.supervisor.actor,
            user_id=tenant.agent.user.id,
            skills={"billing": 4, "spanish": 5},
        ),
    )
    await act(
        tenant,
        at(0),
        lambda s: pa.do_update_agent(
            s, actor=tenant.supervisor.actor, user_id=tenant.agent2.user.id, skills={"billing": 9}
        ),
    )
    for person in (tenant.agent, tenant.agent2):
        await set_presence(tenant, person, Presence.available, at(0))
    plain = await new_work(tenant, at(1))
    spanish = await new_work(tenant, at(2), tags=["lang:es"])
    await run_jobs(tenant, at(3))
    assert await assignees(tenant, [plain, spanish]) == [
        tenant.agent2.user.id,
        tenant.agent.user.id,
    ]
