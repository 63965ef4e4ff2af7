"""Every interaction action: its effect, its Activity rows and the outbox event it records.

Each check also compares the event's interaction snapshot with a fresh read of the row, so what
the realtime side receives is exactly what a reload would show.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.actions import interactions as ia
from parley.actions import lifecycle as lc
from parley.actions.messages import do_add_message
from parley.actors import Actor
from parley.errors import Conflict, Forbidden, IllegalTransition, InvalidInput, ReadOnly
from parley.models import Activity, Interaction, Message, OutboxEvent
from parley.models.enums import (
    CommunicationType,
    Direction,
    MessageRole,
    Outcome,
    State,
)
from parley.schemas.interactions import InteractionRead
from tests.factories import Tenant

T = TypeVar("T")


async def act(tenant: Tenant, fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async with tenant.db.transaction() as session:
        return await fn(session)


async def feed(tenant: Tenant, interaction_id: uuid.UUID) -> list[str]:
    async with tenant.db.transaction() as s:
        rows = await s.execute(
            select(Activity.kind)
            .where(Activity.interaction_id == interaction_id)
            .order_by(Activity.created_at, Activity.id)
        )
        return list(rows.scalars())


async def events(tenant: Tenant, interaction_id: uuid.UUID) -> list[dict[str, Any]]:
    async with tenant.db.transaction() as s:
        rows = await s.execute(
            select(OutboxEvent)
            .where(OutboxEvent.organization_id == tenant.org.id)
            .order_by(OutboxEvent.created_at, OutboxEvent.id)
        )
        return [
            {"type": e.type, **e.payload}
            for e in rows.scalars()
            if e.payload["audience"]["interaction_id"] == str(interaction_id)
        ]


async def fresh(tenant: Tenant, interaction_id: uuid.UUID) -> dict[str, Any]:
    async with tenant.db.transaction() as s:
        row = await s.get(Interaction, interaction_id)
        assert row is not None
        return InteractionRead.model_validate(row).model_dump(mode="json")


# Analytics runs after commit in the live server's job runner (parley/analytics/jobs.py): its
# events and fields may land at any moment, so they are left out of these comparisons.
ANALYTICS_EVENTS = {"interaction.insight", "message.updated"}
ANALYTICS_FIELDS = {
    "csat", "csat_source", "csat_description", "sentiment", "sentiment_score",
    "sentiment_description", "topic", "summary", "keywords", "updated_at",
}  # fmt: skip


def _core(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in snapshot.items() if k not in ANALYTICS_FIELDS}


async def assert_last_event(tenant: Tenant, interaction_id: uuid.UUID, type: str) -> dict[str, Any]:
    domain = [e for e in await events(tenant, interaction_id) if e["type"] not in ANALYTICS_EVENTS]
    last = domain[-1]
    assert last["type"] == type
    assert _core(last["interaction"]) == _core(await fresh(tenant, interaction_id))
    assert last["audience"]["organization_id"] == str(tenant.org.id)
    return last


async def new_inbound(tenant: Tenant, **kw: Any) -> Interaction:
    args: dict[str, Any] = {
        "direction": Direction.inbound,
        "communication_type": CommunicationType.messaging,
        "subtype": "sms",
        "contact_id": tenant.contact.id,
    }
    args.update(kw)
    return await act(tenant, lambda s: ia.do_create_interaction(s, actor=tenant.system, **args))


async def test_create_inbound_starts_with_automation(tenant: Tenant) -> None:
    i = await new_inbound(tenant, tags=["Refund ", "refund", "VIP"])
    assert i.state == State.automated and i.owner == "automation"
    assert i.number >= 1 and i.tags == ["refund", "vip"]
    assert await feed(tenant, i.id) == ["created"]
    event = await assert_last_event(tenant, i.id, "interaction.created")
    assert event["interaction"]["tags"] == ["refund", "vip"]


async def test_numbers_are_sequential_per_organization(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    a1, a2 = await new_inbound(tenant), await new_inbound(tenant)
    b1 = await new_inbound(other_tenant)
    assert a2.number == a1.number + 1
    assert b1.number == 1


async def test_create_inbound_with_queue_is_queued(tenant: Tenant) -> None:
    i = await new_inbound(tenant, queue_id=tenant.queue.id)
    assert (i.state, i.queue_id, i.queued_at is not None) == (State.queued, tenant.queue.id, True)


async def test_create_outbound_is_assigned_to_its_creator(tenant: Tenant) -> None:
    i = await act(
        tenant,
        lambda s: ia.do_create_interaction(
            s,
            actor=tenant.agent.actor,
            direction=Direction.outbound,
            communication_type=CommunicationType.voice,
            subtype="outbound_call",
            contact_id=tenant.contact.id,
        ),
    )
    assert (i.state, i.assignee_id, i.direction) == (
        State.assigned,
        tenant.agent.user.id,
        Direction.outbound,
    )
    await assert_last_event(tenant, i.id, "interaction.created")


async def test_outbound_without_anyone_to_work_it_is_refused(tenant: Tenant) -> None:
    with pytest.raises(InvalidInput):
        await act(
            tenant,
            lambda s: ia.do_create_interaction(
                s,
                actor=tenant.system,
                direction=Direction.outbound,
                communication_type=CommunicationType.email,
            ),
        )


async def test_messages_get_sequence_numbers_and_timestamps(tenant: Tenant) -> None:
    i = await new_inbound(tenant, queue_id=tenant.queue.id)
    for text in ("Hi", "Please can you help me", "My name is Joe Bloggs"):
        await act(
            tenant,
            lambda s, t=text: do_add_message(
                s, actor=tenant.system, interaction_id=i.id, role=MessageRole.customer, text=t
            ),
        )
    reply = await act(
        tenant,
        lambda s: do_add_message(
            s,
            actor=tenant.agent.actor,
            interaction_id=i.id,
            role=MessageRole.agent,
            text="Hello Joe",
        ),
    )
    # No channel: nowhere to deliver, so no delivery status.
    assert reply.seq == 4 and reply.direction == "outbound" and reply.delivery_status is None
    row = await fresh(tenant, i.id)
    assert row["message_count"] == 4
    assert row["first_response_at"] is not None and row["last_customer_message_at"] is not None
    # Replying to an unowned interaction takes it over (Kindflow's take-over).
    assert row["state"] == "assigned" and row["assignee_id"] == str(tenant.agent.user.id)
    assert await feed(tenant, i.id) == [
        "created",
        "message",
        "message",
        "message",
        "claimed",
        "message",
    ]
    event = await assert_last_event(tenant, i.id, "message.created")
    assert event["message"]["text"] == "Hello Joe" and event["message"]["seq"] == 4


async def test_internal_note_is_marked_internal_everywhere(tenant: Tenant) -> None:
    i = await new_inbound(tenant, queue_id=tenant.queue.id)
    note = await act(
        tenant,
        lambda s: do_add_message(
            s,
            actor=tenant.agent.actor,
            interaction_id=i.id,
            role=MessageRole.agent,
            text="Customer is a VIP",
            internal=True,
        ),
    )
    assert (note.kind, note.direction, note.delivery_status) == ("note", "internal", None)
    event = await assert_last_event(tenant, i.id, "note.created")
    assert event["audience"]["internal"] is True
    # A note neither claims the interaction nor counts as a response to the customer.
    row = await fresh(tenant, i.id)
    assert row["state"] == "queued" and row["first_response_at"] is None
    assert (await feed(tenant, i.id))[-1] == "note"


async def test_automation_never_speaks_once_a_person_owns_it(tenant: Tenant) -> None:
    i = await new_inbound(tenant)
    bot = Actor.automation(tenant.org.id)
    said = await act(
        tenant,
        lambda s: do_add_message(
            s, actor=bot, interaction_id=i.id, role=MessageRole.assistant, text="How can I help?"
        ),
    )
    assert said.role == "assistant"
    await act(tenant, lambda s: lc.do_claim(s, actor=tenant.agent.actor, interaction_id=i.id))
    with pytest.raises(Conflict):
        await act(
            tenant,
            lambda s: do_add_message(
                s, actor=bot, interaction_id=i.id, role=MessageRole.assistant, text="Still me"
            ),
        )
    async with tenant.db.transaction() as s:
        texts = (
            await s.execute(select(Message.text).where(Message.interaction_id == i.id))
        ).scalars()
        assert list(texts) == ["How can I help?"]


async def test_claim_then_second_claim_conflicts(tenant: Tenant) -> None:
    i = await new_inbound(tenant, queue_id=tenant.queue.id)
    claimed = await act(
        tenant, lambda s: lc.do_claim(s, actor=tenant.agent.actor, interaction_id=i.id)
    )
    assert (claimed.state, claimed.assignee_id) == (State.assigned, tenant.agent.user.id)
    event = await assert_last_event(tenant, i.id, "interaction.claimed")
    assert str(tenant.agent.user.id) in event["audience"]["user_ids"]
    with pytest.raises(IllegalTransition):
        await act(tenant, lambda s: lc.do_claim(s, actor=tenant.agent2.actor, interaction_id=i.id))
    assert await feed(tenant, i.id) == ["created", "claimed"]


async def test_assign_needs_a_supervisor_and_reaches_old_and_new_owner(tenant: Tenant) -> None:
    i = await new_inbound(tenant, queue_id=tenant.queue.id)
    with pytest.raises(Forbidden):
        await act(
            tenant,
            lambda s: lc.do_assign(
                s, actor=tenant.agent.actor, interaction_id=i.id, user_id=tenant.agent2.user.id
            ),
        )
    await act(tenant, lambda s: lc.do_claim(s, actor=tenant.agent.actor, interaction_id=i.id))
    await act(
        tenant,
        lambda s: lc.do_assign(
            s, actor=tenant.supervisor.actor, interaction_id=i.id, user_id=tenant.agent2.user.id
        ),
    )
    event = await assert_last_event(tenant, i.id, "interaction.assigned")
    assert set(event["audience"]["user_ids"]) == {
        str(tenant.agent.user.id),
        str(tenant.agent2.user.id),
    }
    assert (await feed(tenant, i.id))[-2:] == ["claimed", "assigned"]


async def test_release_returns_to_the_queue(tenant: Tenant) -> None:
    i = await new_inbound(tenant, queue_id=tenant.queue.id)
    await act(tenant, lambda s: lc.do_claim(s, actor=tenant.agent.actor, interaction_id=i.id))
    with pytest.raises(Forbidden):  # not theirs
        await act(
            tenant, lambda s: lc.do_release(s, actor=tenant.agent2.actor, interaction_id=i.id)
        )
    released = await act(
        tenant, lambda s: lc.do_release(s, actor=tenant.agent.actor, interaction_id=i.id)
    )
    assert (released.state, released.assignee_id, released.queue_id) == (
        State.queued,
        None,
        tenant.queue.id,
    )
    await assert_last_event(tenant, i.id, "interaction.released")
    assert (await feed(tenant, i.id))[-1] == "released"


async def test_transfer_to_queue_with_note_and_to_agent(tenant: Tenant) -> None:
    i = await new_inbound(tenant, queue_id=tenant.queue.id)
    await act(tenant, lambda s: lc.do_claim(s, actor=tenant.agent.actor, interaction_id=i.id))
    moved = await act(
        tenant,
        lambda s: lc.do_transfer(
            s,
            actor=tenant.agent.actor,
            interaction_id=i.id,
            queue_id=tenant.queue2.id,
            note="Refund over 100 GBP, billing please",
        ),
    )
    assert (moved.state, moved.queue_id, moved.assignee_id) == (
        State.queued,
        tenant.queue2.id,
        None,
    )
    event = await assert_last_event(tenant, i.id, "interaction.transferred")
    # Both the old queue and the new one hear about it, and so does the agent who let go.
    assert set(event["audience"]["queue_ids"]) == {str(tenant.queue.id), str(tenant.queue2.id)}
    assert str(tenant.agent.user.id) in event["audience"]["user_ids"]
    async with tenant.db.transaction() as s:
        notes = (
            await s.execute(
                select(Message.text).where(Message.interaction_id == i.id, Message.kind == "note")
            )
        ).scalars()
        assert list(notes) == ["Refund over 100 GBP, billing please"]
    to_agent = await act(
        tenant,
        lambda s: lc.do_transfer(
            s, actor=tenant.supervisor.actor, interaction_id=i.id, user_id=tenant.agent2.user.id
        ),
    )
    assert (to_agent.state, to_agent.assignee_id) == (State.assigned, tenant.agent2.user.id)
    kinds = await feed(tenant, i.id)
    assert kinds.count("transferred") == 2 and "note" in kinds
    with pytest.raises(InvalidInput):
        await act(
            tenant,
            lambda s: lc.do_transfer(
                s,
                actor=tenant.supervisor.actor,
                interaction_id=i.id,
                queue_id=tenant.queue.id,
                user_id=tenant.agent.user.id,
            ),
        )


async def test_wrap_up_then_complete_records_who_and_when(tenant: Tenant) -> None:
    i = await new_inbound(tenant, queue_id=tenant.queue.id)
    await act(tenant, lambda s: lc.do_claim(s, actor=tenant.agent.actor, interaction_id=i.id))
    wrapped = await act(
        tenant, lambda s: lc.do_wrap_up(s, actor=tenant.agent.actor, interaction_id=i.id)
    )
    assert wrapped.state == State.wrap_up and wrapped.wrap_up_at is not None
    await assert_last_event(tenant, i.id, "interaction.wrapped_up")
    done = await act(
        tenant,
        lambda s: lc.do_complete(
            s,
            actor=tenant.agent.actor,
            interaction_id=i.id,
            outcome=Outcome.unresolved,
            disposition="waiting on courier",
            notes="Courier claim opened",
        ),
    )
    assert (done.state, done.outcome, done.disposition) == (
        State.completed,
        Outcome.unresolved,
        "waiting on courier",
    )
    assert done.completed_by_id == tenant.agent.user.id and done.completed_at is not None
    assert done.completed_by_name == tenant.agent.user.name
    await assert_last_event(tenant, i.id, "interaction.completed")
    assert (await feed(tenant, i.id))[-2:] == ["wrapped_up", "completed"]
    with pytest.raises(ReadOnly):
        await act(
            tenant,
            lambda s: do_add_message(
                s, actor=tenant.agent.actor, interaction_id=i.id, role=MessageRole.agent, text="x"
            ),
        )


async def test_complete_from_automation_directly(tenant: Tenant) -> None:
    i = await new_inbound(tenant)
    done = await act(tenant, lambda s: lc.do_complete(s, actor=tenant.system, interaction_id=i.id))
    assert done.state == State.completed and done.outcome == Outcome.resolved
    assert done.completed_by_id is None and done.completed_by_name == "Parley"


async def test_edit_open_and_completed_interactions(tenant: Tenant) -> None:
    i = await new_inbound(tenant, queue_id=tenant.queue.id)
    # A call continued by SMS stays one interaction: the communication type changes in place.
    edited = await act(
        tenant,
        lambda s: ia.do_edit_interaction(
            s,
            actor=tenant.agent.actor,
            interaction_id=i.id,
            changes={"communication_type": CommunicationType.voice, "subject": "Broken tent pole"},
        ),
    )
    assert (edited.communication_type, edited.subtype) == (CommunicationType.voice, "inbound_call")
    event = await assert_last_event(tenant, i.id, "interaction.updated")
    assert event["changed"] == ["communication_type", "subject", "subtype"]
    async with tenant.db.transaction() as s:
        last = (
            (
                await s.execute(
                    select(Activity)
                    .where(Activity.interaction_id == i.id)
                    .order_by(Activity.created_at.desc(), Activity.id.desc())
                )
            )
            .scalars()
            .first()
        )
        assert last is not None and last.kind == "edited"
        assert last.data["changes"]["subject"] == {"from": "", "to": "Broken tent pole"}
    with pytest.raises(InvalidInput):
        await act(
            tenant,
            lambda s: ia.do_edit_interaction(
                s, actor=tenant.agent.actor, interaction_id=i.id, changes={"subtype": "email"}
            ),
        )
    await act(tenant, lambda s: lc.do_complete(s, actor=tenant.agent.actor, interaction_id=i.id))
    after = await act(
        tenant,
        lambda s: ia.do_edit_interaction(
            s,
            actor=tenant.agent.actor,
            interaction_id=i.id,
            changes={"disposition": "replacement sent", "outcome": Outcome.resolved},
        ),
    )
    assert after.disposition == "replacement sent"
    with pytest.raises(ReadOnly) as err:
        await act(
            tenant,
            lambda s: ia.do_edit_interaction(
                s, actor=tenant.agent.actor, interaction_id=i.id, changes={"priority": "high"}
            ),
        )
    assert err.value.fields == {"priority": "not editable after completion"}


async def test_tags_add_remove_and_stay_editable_after_completion(tenant: Tenant) -> None:
    i = await new_inbound(tenant)
    await act(
        tenant,
        lambda s: ia.do_set_tags(
            s, actor=tenant.agent.actor, interaction_id=i.id, add=["Delivery", "late"]
        ),
    )
    await act(tenant, lambda s: lc.do_complete(s, actor=tenant.agent.actor, interaction_id=i.id))
    tagged = await act(
        tenant,
        lambda s: ia.do_set_tags(
            s, actor=tenant.agent.actor, interaction_id=i.id, add=["refund"], remove=["late"]
        ),
    )
    assert tagged.tags == ["delivery", "refund"]
    event = await assert_last_event(tenant, i.id, "interaction.tagged")
    assert (event["added"], event["removed"]) == (["refund"], ["late"])
    assert (await feed(tenant, i.id))[-2:] == ["tagged", "untagged"]


async def test_clone_of_completed_interaction(tenant: Tenant) -> None:
    i = await new_inbound(tenant, queue_id=tenant.queue.id, subject="Order 1042", tags=["vip"])
    with pytest.raises(IllegalTransition):
        await act(
            tenant,
            lambda s: ia.do_clone_interaction(s, actor=tenant.agent.actor, interaction_id=i.id),
        )
    await act(tenant, lambda s: lc.do_complete(s, actor=tenant.agent.actor, interaction_id=i.id))
    clone = await act(
        tenant, lambda s: ia.do_clone_interaction(s, actor=tenant.agent.actor, interaction_id=i.id)
    )
    assert clone.id != i.id and clone.cloned_from_id == i.id
    assert (clone.direction, clone.state, clone.assignee_id) == (
        Direction.outbound,
        State.assigned,
        tenant.agent.user.id,
    )
    assert (clone.subject, clone.tags, clone.contact_id) == (
        "Order 1042",
        ["vip"],
        tenant.contact.id,
    )
    assert clone.message_count == 0
    source = await fresh(tenant, i.id)
    assert source["state"] == "completed"
    assert (await feed(tenant, i.id))[-1] == "cloned"
    assert await feed(tenant, clone.id) == ["created"]
    await assert_last_event(tenant, clone.id, "interaction.created")
    # The completion's analytics job may add an insight event at any moment; the domain
    # events are what this test is about.
    domain = [e["type"] for e in await events(tenant, i.id) if e["type"] not in ANALYTICS_EVENTS]
    assert domain[-1] == "interaction.cloned"


async def test_reopen_returns_completed_work_to_its_queue(tenant: Tenant) -> None:
    i = await new_inbound(tenant, queue_id=tenant.queue.id)
    await act(tenant, lambda s: lc.do_complete(s, actor=tenant.agent.actor, interaction_id=i.id))
    again = await act(
        tenant, lambda s: lc.do_reopen(s, actor=tenant.system, interaction_id=i.id, reason="reply")
    )
    assert (again.state, again.completed_at, again.outcome) == (State.queued, None, None)
    await assert_last_event(tenant, i.id, "interaction.reopened")


async def test_failed_action_leaves_no_trace(tenant: Tenant) -> None:
    """The edge owns the transaction: a refused action writes no Activity and no event."""
    i = await new_inbound(tenant, queue_id=tenant.queue.id)
    before_feed, before_events = await feed(tenant, i.id), await events(tenant, i.id)
    with pytest.raises(IllegalTransition):
        await act(tenant, lambda s: lc.do_wrap_up(s, actor=tenant.agent.actor, interaction_id=i.id))
    assert await feed(tenant, i.id) == before_feed
    assert await events(tenant, i.id) == before_events
