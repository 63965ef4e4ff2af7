"""System events: no customer reply, no agent reply, idle, SLA breached. Time is moved, never
slept; due jobs are run by a JobRunner with the timers' handlers only."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from parley import clock
from parley.actions import interactions as ia
from parley.actions import lifecycle as lc
from parley.actions.messages import do_add_message
from parley.actors import Actor
from parley.flows.store import do_save_flow
from parley.ingest.event import EventType
from parley.jobs.runner import JobRunner
from parley.models import Interaction, Job, Message, OutboxEvent
from parley.models.enums import (
    ActorType,
    CommunicationType,
    Direction,
    MessageRole,
    Outcome,
    Priority,
    State,
)
from parley.timers.arm import TIMER_KIND
from parley.timers.handlers import handlers
from parley.timers.run import raise_system_event
from tests.factories import Tenant

API = "/api/v1"


def start() -> datetime:
    """Well ahead of the wall clock, so the live server's own job runner never takes our jobs."""
    return datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)


async def finished_jobs(tenant: Tenant) -> int:
    async with tenant.db.transaction() as s:
        count = await s.execute(
            select(func.count()).where(
                Job.organization_id == tenant.org.id,
                Job.kind.in_(list(handlers())),
                Job.finished_at.is_not(None),
            )
        )
        return int(count.scalar_one())


async def run_jobs(tenant: Tenant, at: datetime, *, workers: int = 1) -> int:
    """Run every job due at ``at`` with ``workers`` runners polling side by side; returns how many
    of this tenant's timer and schedule jobs finished (other tests' jobs may run too)."""
    runners = [JobRunner(tenant.db, handlers()) for _ in range(workers)]
    before = await finished_jobs(tenant)
    with clock.frozen(at):
        while sum(await asyncio.gather(*(r.run_due() for r in runners))):
            pass
    return await finished_jobs(tenant) - before


async def save(tenant: Tenant, flow: dict[str, Any], at: datetime) -> None:
    with clock.frozen(at):
        async with tenant.db.transaction() as s:
            await do_save_flow(s, actor=tenant.admin.actor, source=flow)


async def new_interaction(tenant: Tenant, at: datetime, *, queued: bool = True) -> uuid.UUID:
    with clock.frozen(at):
        async with tenant.db.transaction() as s:
            created = await ia.do_create_interaction(
                s,
                actor=tenant.system,
                direction=Direction.inbound,
                communication_type=CommunicationType.chat,
                contact_id=tenant.contact.id,
                queue_id=tenant.queue.id if queued else None,
                subject="Where is my order?",
            )
            return created.id


async def say(tenant: Tenant, interaction_id: uuid.UUID, role: MessageRole, at: datetime) -> None:
    actors = {
        MessageRole.customer: Actor(tenant.org.id, ActorType.contact, tenant.contact.id, "Joe"),
        MessageRole.agent: tenant.agent.actor,
        MessageRole.assistant: Actor.automation(tenant.org.id),
    }
    with clock.frozen(at):
        async with tenant.db.transaction() as s:
            await do_add_message(
                s, actor=actors[role], interaction_id=interaction_id, role=role, text=f"{role} says"
            )


async def load(tenant: Tenant, interaction_id: uuid.UUID) -> Interaction:
    async with tenant.db.transaction() as s:
        found = await s.get(Interaction, interaction_id)
        assert found is not None
        return found


async def system_runs(tenant: Tenant, interaction_id: uuid.UUID) -> list[dict[str, Any]]:
    """The interaction's decision traces of system events, as the API shows them."""
    response = await tenant.api.get(f"{API}/interactions/{interaction_id}/flow-runs")
    assert response.status_code == 200, response.text
    return [r for r in response.json() if "system_event" in r["trace"]]


async def texts(tenant: Tenant, interaction_id: uuid.UUID) -> list[tuple[str, str]]:
    async with tenant.db.transaction() as s:
        rows = await s.execute(
            select(Message.role, Message.text)
            .where(Message.interaction_id == interaction_id)
            .order_by(Message.seq)
        )
        return [(str(role), text) for role, text in rows]


NUDGE = {
    "name": "Nudge a quiet customer",
    "event": "no_customer_reply",
    "after_minutes": 30,
    "steps": [
        {"set_tags": ["nudged"]},
        {"reply": {"text": "Are you still there? Reply and we'll carry on."}},
    ],
}


async def test_no_customer_reply_nudges_once_and_is_traced(tenant: Tenant) -> None:
    t0 = start()
    await save(tenant, NUDGE, t0)
    quiet = await new_interaction(tenant, t0, queued=False)  # automation owns it
    answered = await new_interaction(tenant, t0, queued=False)
    for interaction_id in (quiet, answered):
        await say(tenant, interaction_id, MessageRole.customer, t0)
        await say(tenant, interaction_id, MessageRole.assistant, t0)
    await say(tenant, answered, MessageRole.customer, t0 + timedelta(minutes=10))

    assert await run_jobs(tenant, t0 + timedelta(minutes=29)) == 0
    assert await run_jobs(tenant, t0 + timedelta(minutes=31)) == 2

    assert (await load(tenant, quiet)).tags == ["nudged"]
    assert (await texts(tenant, quiet))[-1] == (
        "assistant",
        "Are you still there? Reply and we'll carry on.",
    )
    [run] = await system_runs(tenant, quiet)
    assert run["event_type"] == "no_customer_reply" and run["message_id"] is not None
    trace = run["trace"]
    assert trace["flows"] == [
        {
            "flow": "Nudge a quiet customer",
            "matched": True,
            "conditions": {},
            "steps": [{"step": "set_tags", "tags": ["nudged"]}, {"step": "reply"}],
        }
    ]
    assert trace["notes"] == []
    assert trace["system_event"]["after_minutes"] == 30
    # The customer answered in time: nothing happened, nothing was traced.
    assert (await load(tenant, answered)).tags == []
    assert await system_runs(tenant, answered) == []
    # The nudge itself arms no timer: a day later there is still exactly one nudge.
    await run_jobs(tenant, t0 + timedelta(days=1))
    assert [t for t in await texts(tenant, quiet) if t[0] == "assistant"] == [
        ("assistant", "assistant says"),
        ("assistant", "Are you still there? Reply and we'll carry on."),
    ]
    assert len(await system_runs(tenant, quiet)) == 1


async def test_no_agent_reply_escalates_unless_an_agent_answered(tenant: Tenant) -> None:
    t0 = start()
    await save(
        tenant,
        {
            "name": "Escalate waiting customers",
            "event": "no_agent_reply",
            "after_minutes": 15,
            "when": {"communication_type": ["chat"]},
            "steps": [{"set_priority": "urgent"}, {"route_to_queue": "Billing"}],
        },
        t0,
    )
    waiting = await new_interaction(tenant, t0)
    answered = await new_interaction(tenant, t0)
    for interaction_id in (waiting, answered):
        await say(tenant, interaction_id, MessageRole.customer, t0)
    # A second message while waiting does not restart the customer's wait.
    await say(tenant, waiting, MessageRole.customer, t0 + timedelta(minutes=5))
    await say(tenant, answered, MessageRole.agent, t0 + timedelta(minutes=10))
    async with tenant.db.transaction() as s:
        armed = await s.execute(
            select(func.count()).where(Job.kind == TIMER_KIND, Job.organization_id == tenant.org.id)
        )
        assert armed.scalar_one() == 2  # one per interaction's first customer message

    await run_jobs(tenant, t0 + timedelta(minutes=16))

    escalated = await load(tenant, waiting)
    assert (escalated.priority, escalated.queue_id) == (Priority.urgent, tenant.queue2.id)
    [run] = await system_runs(tenant, waiting)
    assert run["trace"]["flows"][0]["conditions"] == {"communication_type": True}
    kept = await load(tenant, answered)
    assert (kept.priority, kept.queue_id) == (Priority.normal, tenant.queue.id)
    assert await system_runs(tenant, answered) == []
    # The changes went out as the actions' own events.
    async with tenant.db.transaction() as s:
        types = await s.execute(
            select(OutboxEvent.type).where(OutboxEvent.organization_id == tenant.org.id)
        )
        assert "interaction.transferred" in set(types.scalars())


async def test_idle_closes_interactions_nobody_wrote_in(tenant: Tenant) -> None:
    t0 = start()
    await save(
        tenant,
        {
            "name": "Close idle chats",
            "event": "interaction_idle",
            "after_minutes": 60,
            "steps": [{"close": {"outcome": "unresolved", "disposition": "idle"}}],
        },
        t0,
    )
    idle = await new_interaction(tenant, t0)
    busy = await new_interaction(tenant, t0)
    for interaction_id in (idle, busy):
        await say(tenant, interaction_id, MessageRole.agent, t0)
    await say(tenant, busy, MessageRole.customer, t0 + timedelta(minutes=30))

    await run_jobs(tenant, t0 + timedelta(minutes=61))
    closed = await load(tenant, idle)
    assert (closed.state, closed.outcome, closed.disposition) == (
        State.completed,
        Outcome.unresolved,
        "idle",
    )
    assert (await load(tenant, busy)).state == State.assigned
    # Its own silence, counted from the customer's message, ends an hour after that.
    await run_jobs(tenant, t0 + timedelta(minutes=91))
    assert (await load(tenant, busy)).state == State.completed
    assert [len(await system_runs(tenant, i)) for i in (idle, busy)] == [1, 1]


async def test_a_completed_interaction_gets_no_timer_actions(tenant: Tenant) -> None:
    t0 = start()
    await save(
        tenant,
        {
            "name": "Unresolved after three days",
            "event": "no_customer_reply",
            "after_minutes": 3 * 24 * 60,
            "steps": [{"set_tags": ["gone-quiet"]}, {"close": {"outcome": "unresolved"}}],
        },
        t0,
    )
    done = await new_interaction(tenant, t0)
    await say(tenant, done, MessageRole.agent, t0)
    with clock.frozen(t0 + timedelta(hours=1)):
        async with tenant.db.transaction() as s:
            await lc.do_complete(s, actor=tenant.agent.actor, interaction_id=done)

    assert await run_jobs(tenant, t0 + timedelta(days=3, minutes=1)) == 1
    finished = await load(tenant, done)
    assert (finished.tags, finished.outcome) == ([], Outcome.resolved)
    assert await system_runs(tenant, done) == []


async def test_changing_a_timer_flow_applies_its_new_delay(tenant: Tenant) -> None:
    t0 = start()
    await save(tenant, NUDGE, t0)
    interaction_id = await new_interaction(tenant, t0, queued=False)
    await say(tenant, interaction_id, MessageRole.assistant, t0)
    await save(tenant, {**NUDGE, "after_minutes": 120}, t0 + timedelta(minutes=5))

    await run_jobs(tenant, t0 + timedelta(minutes=31))
    assert (await load(tenant, interaction_id)).tags == []
    await run_jobs(tenant, t0 + timedelta(minutes=121))
    assert (await load(tenant, interaction_id)).tags == ["nudged"]
    [run] = await system_runs(tenant, interaction_id)
    assert run["trace"]["system_event"]["flow_version"] == 2


async def test_sla_breached_flows_run_through_raise_system_event(tenant: Tenant) -> None:
    t0 = start()
    for flow in (
        {
            "name": "First response breached",
            "event": "sla_breached",
            "priority": 10,
            "when": {"sla_clock": ["first_response"]},
            "steps": [{"set_priority": "urgent"}],
        },
        {
            "name": "Resolution breached",
            "event": "sla_breached",
            "priority": 20,
            "when": {"sla_clock": ["resolution"], "days_since_created": {"gte": 0}},
            "steps": [{"set_tags": ["sla-resolution"]}, {"route_to_queue": "Billing"}],
        },
    ):
        await save(tenant, flow, t0)
    interaction_id = await new_interaction(tenant, t0)
    with clock.frozen(t0 + timedelta(hours=8)):
        async with tenant.db.transaction() as s:
            interaction = await s.get(Interaction, interaction_id)
            assert interaction is not None
            await raise_system_event(
                s,
                interaction=interaction,
                event_type=EventType.sla_breached,
                data={"clock": "resolution", "due_at": t0 + timedelta(hours=4)},
            )

    breached = await load(tenant, interaction_id)
    assert (breached.tags, breached.queue_id, breached.priority) == (
        ["sla-resolution"],
        tenant.queue2.id,
        Priority.normal,
    )
    [run] = await system_runs(tenant, interaction_id)
    assert run["event_type"] == "sla_breached"
    first, second = run["trace"]["flows"]
    assert (first["flow"], first["matched"], first["conditions"]) == (
        "First response breached",
        False,
        {"sla_clock": False},
    )
    assert (second["matched"], second["conditions"]) == (
        True,
        {"days_since_created": True, "sla_clock": True},
    )
    assert run["trace"]["system_event"]["clock"] == "resolution"

    # A completed interaction runs nothing and stores no trace.
    with clock.frozen(t0 + timedelta(hours=9)):
        async with tenant.db.transaction() as s:
            await lc.do_complete(s, actor=tenant.system, interaction_id=interaction_id)
        async with tenant.db.transaction() as s:
            interaction = await s.get(Interaction, interaction_id)
            assert interaction is not None
            await raise_system_event(
                s,
                interaction=interaction,
                event_type=EventType.sla_breached,
                data={"clock": "first_response"},
            )
    assert len(await system_runs(tenant, interaction_id)) == 1
    assert (await load(tenant, interaction_id)).priority == Priority.normal
