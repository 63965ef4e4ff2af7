"""SLA clocks on interactions: started at the queue, met by replies, paused while waiting on the
customer, breached by durable timers (time is moved, never slept), and in business hours."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from parley.actions import lifecycle as lc
from parley.actions.messages import do_add_message
from parley.actions.queues import do_update_queue
from parley.models.enums import MessageRole, Priority
from tests.factories import Tenant
from tests.test_routing_engine import act, activity, at, load, new_work, run_jobs

POLICY = {
    "first_response_s": 300,
    "next_response_s": 600,
    "resolution_s": 3600,
    "by_priority": {"urgent": {"first_response_s": 60}},
    "pause_when_waiting_on_customer": True,
}


async def with_policy(tenant: Tenant, **more: Any) -> None:
    changes = {"sla_policy": {**POLICY, **more.pop("policy", {})}, **more}
    await act(
        tenant,
        at(0),
        lambda s: do_update_queue(
            s, actor=tenant.system, queue_id=tenant.queue.id, changes=changes
        ),
    )


async def say(tenant: Tenant, interaction_id: uuid.UUID, when: datetime, role: MessageRole) -> None:
    actor = tenant.agent.actor if role == MessageRole.agent else tenant.system
    await act(
        tenant,
        when,
        lambda s: do_add_message(
            s, actor=actor, interaction_id=interaction_id, role=role, text=f"{role} speaking"
        ),
    )


async def test_first_response_is_due_at_the_target_and_breaches_when_missed(
    tenant: Tenant,
) -> None:
    await with_policy(tenant)
    work = await new_work(tenant, at(10))
    found = await load(tenant, work)
    assert found.first_response_due_at == at(310)
    assert found.resolution_due_at == at(3610)
    await run_jobs(tenant, at(309))
    assert not (await load(tenant, work)).first_response_breached
    await run_jobs(tenant, at(311))
    found = await load(tenant, work)
    assert found.first_response_breached and not found.resolution_breached
    [breach] = await activity(tenant, work, "sla_breached")
    assert breach.data["clock"] == "first_response"


async def test_a_reply_in_time_meets_first_response(tenant: Tenant) -> None:
    await with_policy(tenant)
    work = await new_work(tenant, at(0))
    await act(
        tenant, at(5), lambda s: lc.do_claim(s, actor=tenant.agent.actor, interaction_id=work)
    )
    await say(tenant, work, at(120), MessageRole.agent)
    await run_jobs(tenant, at(400))
    found = await load(tenant, work)
    assert found.first_response_at == at(120) and not found.first_response_breached
    assert await activity(tenant, work, "sla_breached") == []


async def test_priority_sets_the_target(tenant: Tenant) -> None:
    await with_policy(tenant)
    work = await new_work(tenant, at(0), priority=Priority.urgent)
    assert (await load(tenant, work)).first_response_due_at == at(60)


async def test_resolution_pauses_while_waiting_on_the_customer(tenant: Tenant) -> None:
    await with_policy(tenant)
    work = await new_work(tenant, at(0))
    await act(
        tenant, at(1), lambda s: lc.do_claim(s, actor=tenant.agent.actor, interaction_id=work)
    )
    await say(tenant, work, at(600), MessageRole.agent)  # 3,000 s of resolution left
    paused = await load(tenant, work)
    assert paused.sla_paused_at == at(600) and paused.resolution_remaining_s == 3000
    assert paused.resolution_due_at is None
    # The customer takes two hours to answer: the clock stood still meanwhile.
    await run_jobs(tenant, at(3700))
    assert not (await load(tenant, work)).resolution_breached
    await say(tenant, work, at(7800), MessageRole.customer)
    resumed = await load(tenant, work)
    assert resumed.resolution_due_at == at(7800 + 3000)
    assert resumed.next_response_due_at == at(7800 + 600)  # and the agent owes a reply
    await run_jobs(tenant, at(8401))
    found = await load(tenant, work)
    assert found.next_response_breached and not found.resolution_breached
    await run_jobs(tenant, at(10801))
    assert (await load(tenant, work)).resolution_breached


async def test_completion_meets_resolution(tenant: Tenant) -> None:
    await with_policy(tenant, policy={"pause_when_waiting_on_customer": False})
    work = await new_work(tenant, at(0))
    await act(
        tenant, at(1), lambda s: lc.do_claim(s, actor=tenant.agent.actor, interaction_id=work)
    )
    await say(tenant, work, at(30), MessageRole.agent)
    await act(
        tenant, at(900), lambda s: lc.do_complete(s, actor=tenant.agent.actor, interaction_id=work)
    )
    await run_jobs(tenant, at(4000))
    found = await load(tenant, work)
    assert not found.resolution_breached and not found.first_response_breached


async def test_business_hours_stop_the_clock_overnight(tenant: Tenant) -> None:
    # Open 09:00-17:00 UTC every day: work queued at 16:58 has 2 minutes today, 3 tomorrow.
    day = (at(0) + timedelta(days=1)).date()
    evening = datetime(day.year, day.month, day.day, 16, 58, tzinfo=UTC)
    week = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    await with_policy(
        tenant,
        policy={"business_hours_only": True},
        business_hours={"timezone": "UTC", "weekly": week},
    )
    work = await new_work(tenant, evening)
    due = (await load(tenant, work)).first_response_due_at
    assert due == evening.replace(hour=9, minute=3) + timedelta(days=1)
