"""Big queues, on both backends: a drain takes a window of the queue's head at a time, and
neither a backlog nobody can take nor the window's size may leave routable work waiting."""

from __future__ import annotations

from parley import clock
from parley.bench.world import World, add_waiting
from parley.models import Queue
from parley.models.enums import CommunicationType, Presence
from parley.routing.engine import route_queue
from parley.routing.triggers import request_drain
from tests.factories import Tenant
from tests.test_routing_engine import (
    act,
    assignees,
    at,
    configure,
    loads,
    new_work,
    queued_in,
    run_jobs,
    set_capacity,
    set_presence,
)


async def test_work_behind_a_backlog_nobody_can_take_still_gets_through(tenant: Tenant) -> None:
    """A drain looks at a window of the queue's head: a backlog of chats that no agent has room
    for must not hide the email waiting behind it from an agent with free email capacity."""
    await configure(tenant)
    await set_capacity(tenant, tenant.agent, at(0), chat=1, email=1)
    await set_presence(tenant, tenant.agent, Presence.available, at(0))
    chats = [await new_work(tenant, at(1 + n)) for n in range(3)]
    email = await new_work(tenant, at(10), kind=CommunicationType.email)
    for when in (at(20), at(21)):
        async with tenant.db.transaction() as s:
            queue = await s.get(Queue, tenant.queue.id)
            assert queue is not None
            with clock.frozen(when):
                await route_queue(s, queue, limit=2)  # a window smaller than the backlog
    agent = tenant.agent.user.id
    assert await assignees(tenant, [*chats, email]) == [agent, None, None, agent]


async def test_one_trigger_drains_more_than_one_batch(tenant: Tenant) -> None:
    """A drain job routes a batch (200) at a time; when it fills a whole batch there may be more,
    so one trigger must keep draining until the queue or the capacity runs out."""
    await configure(tenant)
    backlog = World(
        organization_id=tenant.org.id,
        contact_id=tenant.contact.id,
        queue_ids=(tenant.queue.id,),
        agent_ids=(),
        members={},
        away_ids=frozenset(),
    )
    await set_capacity(tenant, tenant.agent, at(0), chat=100, email=100, messaging=100, voice=100)
    await set_presence(tenant, tenant.agent, Presence.available, at(0))
    await run_jobs(tenant, at(0))
    await add_waiting(tenant.db, backlog, queue_id=tenant.queue.id, count=250, at=at(5))
    # One request, as POST /queues/{id}/drain makes.
    await act(tenant, at(10), lambda s: request_drain(s, tenant.org.id, [tenant.queue.id]))
    await run_jobs(tenant, at(10))
    assert await queued_in(tenant, tenant.queue) == 0
    assert sum((await loads(tenant))[tenant.agent.user.id].values()) == 250
