"""Overflow: work that waited too long, or arrived when nobody could take it, goes somewhere else.

Three actions (Edify's queue model): move to another queue; offer the customer a call back; or
tell them we will follow up by email. Offers leave the interaction queued (a person still answers
it) and tag it, so the board can show it and the customer hears the offer once per interaction,
however often it waits. Queue-to-queue overflow cannot loop: cycles are refused when queues are
saved (``parley/actions/queues.py``).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from parley.access import access_queue
from parley.actions.activity import record_activity
from parley.actions.interactions import do_set_tags
from parley.actions.lifecycle import do_transfer
from parley.actions.messages import do_add_message
from parley.actors import Actor
from parley.errors import ParleyError
from parley.models import Interaction, Queue
from parley.models.enums import MessageRole
from parley.routing.policy import Overflow, OverflowAction

OFFER_TAG = {OverflowAction.callback: "overflow:callback", OverflowAction.email: "overflow:email"}
DEFAULT_MESSAGE = {
    OverflowAction.callback: (
        "Sorry for the wait: all our agents are busy. Reply CALL and we will call you back "
        "as soon as someone is free."
    ),
    OverflowAction.email: (
        "Sorry for the wait: all our agents are busy. We will follow up by email as soon as "
        "someone is free; you don't need to stay here."
    ),
}


async def apply_overflow(
    session: AsyncSession, interaction: Interaction, queue: Queue, rule: Overflow, *, reason: str
) -> bool:
    """Apply ``rule`` to a waiting interaction; False when there was nothing (more) to do."""
    system = Actor.system(interaction.organization_id, "Overflow")
    if rule.action == OverflowAction.queue:
        assert rule.queue_id is not None
        if rule.queue_id == queue.id:
            return False
        try:
            target = await access_queue(
                session, organization_id=interaction.organization_id, queue_id=rule.queue_id
            )
        except ParleyError:
            record_activity(
                session, interaction, "overflow_failed", system, reason="the target queue is gone"
            )
            return False
        await do_transfer(
            session,
            actor=system,
            interaction_id=interaction.id,
            queue_id=target.id,
            note=f"Overflowed from {queue.name}: {reason}",
        )
        return True
    tag = OFFER_TAG[rule.action]
    if tag in interaction.tags:
        return False
    await do_set_tags(session, actor=system, interaction_id=interaction.id, add=[tag])
    if interaction.channel_id is not None:
        await do_add_message(
            session,
            actor=Actor.automation(interaction.organization_id),
            interaction_id=interaction.id,
            role=MessageRole.assistant,
            text=rule.message or DEFAULT_MESSAGE[rule.action],
            channel_id=interaction.channel_id,
        )
    record_activity(
        session, interaction, "overflow_offered", system, offer=rule.action, reason=reason
    )
    return True
