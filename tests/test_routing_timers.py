"""Routing's timers, on both backends: auto-away, overflow (to a queue, callback and email offers,
when nobody is available), skills widening and the wrap-up timeout. Time is moved, never slept."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from parley.actions import lifecycle as lc
from parley.actions.channels import do_create_channel
from parley.models import AgentProfile, Message
from parley.models.enums import ChannelKind, MessageRole, Outcome, Presence, RoutingStrategy, State
from parley.routing import presence as pa
from parley.routing.overflow import DEFAULT_MESSAGE, OFFER_TAG
from parley.routing.policy import OverflowAction
from tests.factories import Tenant
from tests.test_routing_engine import (
    act,
    activity,
    assignees,
    at,
    configure,
    load,
    new_work,
    run_jobs,
    set_presence,
)


async def presence_of(tenant: Tenant, user_id: uuid.UUID) -> Presence:
    async with tenant.db.transaction() as s:
        profile = (
            await s.execute(select(AgentProfile).where(AgentProfile.user_id == user_id))
        ).scalar_one()
        return profile.presence


async def customer_facing(tenant: Tenant, interaction_id: uuid.UUID) -> list[Message]:
    async with tenant.db.transaction() as s:
        rows = await s.execute(
            select(Message)
            .where(Message.interaction_id == interaction_id, Message.role == MessageRole.assistant)
            .order_by(Message.seq)
        )
        return list(rows.scalars())


# --- auto-away --------------------------------------------------------------------------------


async def test_an_agent_whose_connections_are_gone_goes_away_after_the_grace(
    tenant: Tenant,
) -> None:
    await configure(tenant)
    agent = tenant.agent.user.id
    await set_presence(tenant, tenant.agent, Presence.available, at(0))
    await act(
        tenant,
        at(10),
        lambda s: pa.do_connection_closed(s, organization_id=tenant.org.id, user_id=agent),
    )
    await run_jobs(tenant, at(69))
    assert await presence_of(tenant, agent) == Presence.available  # still within the grace
    await run_jobs(tenant, at(70))
    assert await presence_of(tenant, agent) == Presence.away
    # Work arriving now is not routed to someone who closed their laptop.
    work = await new_work(tenant, at(80))
    await run_jobs(tenant, at(80))
    assert await assignees(tenant, [work]) == [None]


async def test_a_live_connection_keeps_the_agent_available(tenant: Tenant) -> None:
    agent = tenant.agent.user.id
    org = tenant.org.id
    await set_presence(tenant, tenant.agent, Presence.available, at(0))
    await act(
        tenant, at(10), lambda s: pa.do_connection_closed(s, organization_id=org, user_id=agent)
    )
    # Another tab is still open and keeps saying so.
    await act(tenant, at(50), lambda s: pa.do_touch(s, organization_id=org, user_id=agent))
    await run_jobs(tenant, at(70))
    assert await presence_of(tenant, agent) == Presence.available
    # That last tab closes too, and nothing touches the agent any more.
    await act(
        tenant, at(100), lambda s: pa.do_connection_closed(s, organization_id=org, user_id=agent)
    )
    await run_jobs(tenant, at(159))
    assert await presence_of(tenant, agent) == Presence.available
    await run_jobs(tenant, at(160))
    assert await presence_of(tenant, agent) == Presence.away


async def test_auto_away_leaves_an_agent_who_chose_offline_alone(tenant: Tenant) -> None:
    agent = tenant.agent.user.id
    await set_presence(tenant, tenant.agent, Presence.available, at(0))
    await set_presence(tenant, tenant.agent, Presence.offline, at(5))
    await act(
        tenant,
        at(10),
        lambda s: pa.do_connection_closed(s, organization_id=tenant.org.id, user_id=agent),
    )
    await run_jobs(tenant, at(100))
    assert await presence_of(tenant, agent) == Presence.offline


# --- overflow ---------------------------------------------------------------------------------


async def test_work_waiting_too_long_overflows_to_another_queue(tenant: Tenant) -> None:
    await configure(tenant, overflow={"after_s": 120, "queue_id": str(tenant.queue2.id)})
    await configure(tenant, queue=tenant.queue2)
    work = await new_work(tenant, at(0))
    await run_jobs(tenant, at(119))
    assert (await load(tenant, work)).queue_id == tenant.queue.id
    await run_jobs(tenant, at(120))
    row = await load(tenant, work)
    assert (row.state, row.queue_id, row.queued_at) == (State.queued, tenant.queue2.id, at(120))
    [moved] = await activity(tenant, work, "transferred")
    assert moved.actor_name == "Overflow"
    assert moved.data["note"] == "Overflowed from Support: waited more than 120 s"
    # Billing's agent comes online and gets it there.
    await set_presence(tenant, tenant.agent2, Presence.available, at(130))
    await run_jobs(tenant, at(130))
    assert await assignees(tenant, [work]) == [tenant.agent2.user.id]


async def test_work_assigned_before_the_overflow_time_stays_put(tenant: Tenant) -> None:
    await configure(tenant, overflow={"after_s": 120, "queue_id": str(tenant.queue2.id)})
    work = await new_work(tenant, at(0))
    await set_presence(tenant, tenant.agent, Presence.available, at(60))
    await run_jobs(tenant, at(60))
    await run_jobs(tenant, at(500))
    row = await load(tenant, work)
    assert (row.state, row.queue_id) == (State.assigned, tenant.queue.id)
    assert await activity(tenant, work, "transferred") == []


async def test_released_work_gets_a_fresh_overflow_timer(tenant: Tenant) -> None:
    await configure(tenant, overflow={"after_s": 120, "queue_id": str(tenant.queue2.id)})
    work = await new_work(tenant, at(0))
    await act(
        tenant, at(60), lambda s: lc.do_claim(s, actor=tenant.agent.actor, interaction_id=work)
    )
    await act(
        tenant, at(100), lambda s: lc.do_release(s, actor=tenant.agent.actor, interaction_id=work)
    )
    await run_jobs(tenant, at(120))  # the first stay's timer finds it re-queued later: no move
    assert (await load(tenant, work)).queue_id == tenant.queue.id
    await run_jobs(tenant, at(220))
    assert (await load(tenant, work)).queue_id == tenant.queue2.id


@pytest.mark.parametrize("action", [OverflowAction.callback, OverflowAction.email])
async def test_an_offer_is_made_to_the_customer_once(
    tenant: Tenant, action: OverflowAction
) -> None:
    await configure(tenant, overflow={"after_s": 90, "action": action.value})
    channel = await act(
        tenant,
        at(0),
        lambda s: do_create_channel(
            s, actor=tenant.admin.actor, kind=ChannelKind.webchat, name="Chat"
        ),
    )
    work = await new_work(tenant, at(0), channel_id=channel.id)
    await run_jobs(tenant, at(90))
    row = await load(tenant, work)
    assert (row.state, row.queue_id) == (State.queued, tenant.queue.id)  # a person still answers
    assert OFFER_TAG[action] in row.tags
    [offer] = await customer_facing(tenant, work)
    assert (offer.text, offer.channel_id) == (DEFAULT_MESSAGE[action], channel.id)
    [offered] = await activity(tenant, work, "overflow_offered")
    assert offered.data["offer"] == action.value
    # Back in the queue after a claim and release: a new timer fires, but no second offer.
    await act(
        tenant, at(100), lambda s: lc.do_claim(s, actor=tenant.agent.actor, interaction_id=work)
    )
    await act(
        tenant, at(110), lambda s: lc.do_release(s, actor=tenant.agent.actor, interaction_id=work)
    )
    await run_jobs(tenant, at(300))
    assert len(await customer_facing(tenant, work)) == 1
    assert len(await activity(tenant, work, "overflow_offered")) == 1


async def test_an_offer_uses_the_queues_own_words(tenant: Tenant) -> None:
    words = "Everyone is busy: we will call you back within the hour."
    await configure(tenant, overflow={"after_s": 30, "action": "callback", "message": words})
    channel = await act(
        tenant,
        at(0),
        lambda s: do_create_channel(
            s, actor=tenant.admin.actor, kind=ChannelKind.webchat, name="Chat"
        ),
    )
    work = await new_work(tenant, at(0), channel_id=channel.id)
    await run_jobs(tenant, at(30))
    assert [m.text for m in await customer_facing(tenant, work)] == [words]


async def test_when_no_agent_is_available_work_overflows_at_once(tenant: Tenant) -> None:
    await configure(tenant, overflow={"when_no_agents": True, "queue_id": str(tenant.queue2.id)})
    work = await new_work(tenant, at(0))
    await run_jobs(tenant, at(0))
    row = await load(tenant, work)
    assert (row.state, row.queue_id) == (State.queued, tenant.queue2.id)
    [moved] = await activity(tenant, work, "transferred")
    assert moved.data["note"] == "Overflowed from Support: no agent is available"


async def test_when_an_agent_is_available_nothing_overflows(tenant: Tenant) -> None:
    await configure(tenant, overflow={"when_no_agents": True, "queue_id": str(tenant.queue2.id)})
    await pa_capacity_one(tenant)
    await set_presence(tenant, tenant.agent, Presence.available, at(0))
    first, second = await new_work(tenant, at(1)), await new_work(tenant, at(2))
    await run_jobs(tenant, at(2))
    # The second waits for the (busy but present) agent instead of leaving the queue.
    assert [(await load(tenant, i)).queue_id for i in (first, second)] == [tenant.queue.id] * 2
    assert await assignees(tenant, [first, second]) == [tenant.agent.user.id, None]


async def pa_capacity_one(tenant: Tenant) -> None:
    await act(
        tenant,
        at(0),
        lambda s: pa.do_update_agent(
            s, actor=tenant.supervisor.actor, user_id=tenant.agent.user.id, capacity={"chat": 1}
        ),
    )


# --- skills widening --------------------------------------------------------------------------


async def test_widening_lets_work_through_after_the_wait(tenant: Tenant) -> None:
    await configure(
        tenant,
        RoutingStrategy.skills,
        required_skills={
            "skills": {"spanish": 5},
            "widen": [{"after_s": 60, "lower_by": 3}, {"after_s": 180, "drop_all": True}],
        },
    )
    await act(
        tenant,
        at(0),
        lambda s: pa.do_update_agent(
            s, actor=tenant.supervisor.actor, user_id=tenant.agent.user.id, skills={"spanish": 2}
        ),
    )
    await set_presence(tenant, tenant.agent, Presence.available, at(0))
    await set_presence(tenant, tenant.agent2, Presence.available, at(0))  # no Spanish at all
    some, more = await new_work(tenant, at(0)), await new_work(tenant, at(0))
    await pa_capacity_one(tenant)
    await run_jobs(tenant, at(59))
    assert await assignees(tenant, [some, more]) == [None, None]
    await run_jobs(tenant, at(60))  # spanish 5 - 3 = 2: the agent qualifies now
    assert await assignees(tenant, [some, more]) == [tenant.agent.user.id, None]
    await run_jobs(tenant, at(179))
    assert await assignees(tenant, [more]) == [None]
    await run_jobs(tenant, at(180))  # every requirement dropped: agent2 takes it
    assert await assignees(tenant, [more]) == [tenant.agent2.user.id]


# --- wrap-up timeout --------------------------------------------------------------------------


async def test_unfinished_wrap_up_completes_itself(tenant: Tenant) -> None:
    await configure(tenant, wrap_up_timeout_s=300)
    await set_presence(tenant, tenant.agent, Presence.available, at(0))
    work = await new_work(tenant, at(0))
    await run_jobs(tenant, at(0))
    await act(
        tenant, at(50), lambda s: lc.do_wrap_up(s, actor=tenant.agent.actor, interaction_id=work)
    )
    await run_jobs(tenant, at(349))
    assert (await load(tenant, work)).state == State.wrap_up
    await run_jobs(tenant, at(350))
    row = await load(tenant, work)
    assert (row.state, row.outcome, row.completed_at) == (
        State.completed,
        Outcome.resolved,
        at(350),
    )
    assert row.completed_by_name == "Wrap-up timeout"


async def test_wrap_up_finished_in_time_is_left_alone(tenant: Tenant) -> None:
    await set_presence(tenant, tenant.agent, Presence.available, at(0))
    work = await new_work(tenant, at(0))
    await act(
        tenant, at(10), lambda s: lc.do_claim(s, actor=tenant.agent.actor, interaction_id=work)
    )
    await act(
        tenant, at(20), lambda s: lc.do_wrap_up(s, actor=tenant.agent.actor, interaction_id=work)
    )
    await act(
        tenant,
        at(60),
        lambda s: lc.do_complete(
            s, actor=tenant.agent.actor, interaction_id=work, outcome=Outcome.unresolved
        ),
    )
    await run_jobs(tenant, at(20 + 120))
    row = await load(tenant, work)
    assert (row.outcome, row.completed_at, row.completed_by_name) == (
        Outcome.unresolved,
        at(60),
        tenant.agent.user.name,
    )
    assert len(await activity(tenant, work, "completed")) == 1


async def test_a_queue_without_a_wrap_up_timeout_waits_for_the_agent(tenant: Tenant) -> None:
    await configure(tenant, RoutingStrategy.manual, wrap_up_timeout_s=0)
    work = await new_work(tenant, at(0))
    await act(
        tenant, at(10), lambda s: lc.do_claim(s, actor=tenant.agent.actor, interaction_id=work)
    )
    await act(
        tenant, at(20), lambda s: lc.do_wrap_up(s, actor=tenant.agent.actor, interaction_id=work)
    )
    await run_jobs(tenant, at(100_000))
    assert (await load(tenant, work)).state == State.wrap_up
